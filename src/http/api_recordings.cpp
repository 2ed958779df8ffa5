// Recording control and the recordings API (docs/recording.md): start/stop per camera and
// the seed-004 aliases, the list, downloads with Range, thumbnails, deletion.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <filesystem>

#include "api_outputs.hpp"
#include "auth_gate.hpp"
#include "await_reply.hpp"
#include "camrelay/http/response.hpp"
#include "camrelay/http/server.hpp"
#include "camrelay/service/recordings.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/log.hpp"
#include "decode.hpp"

namespace camrelay::http {
namespace {
using service::Reply;
using service::StreamInfo;
using service::StreamManager;
using store::RecordingRow;
using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 256 * 1024;
constexpr auto kWriteTimeout = std::chrono::seconds(30);

auto lg() {
  static auto l = log::get("recording");
  return l;
}

std::shared_ptr<service::Recordings> recordings_of(const StreamManager& m) {
  auto r = m.recordings();
  if (!r) throw Error(Errc::unavailable, "recording is not set up in this daemon");
  return r;
}

std::int64_t recording_id(const Params& p) {
  const std::string& s = p.at("rid");
  std::int64_t id = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || ptr != s.data() + s.size() || id <= 0) {
    throw Error(Errc::not_found, "no recording '" + s.substr(0, 32) + "'");
  }
  return id;
}

// The recording, if the caller may see its camera (a camera they may not watch: 404, as if
// it did not exist).
asio::awaitable<RecordingRow> visible_recording(std::shared_ptr<StreamManager> m, const Params& p) {
  const std::int64_t id = recording_id(p);
  auto recs = recordings_of(*m);
  auto op = await_reply<RecordingRow>([recs, id](Reply<RecordingRow> cb) { recs->get(id, std::move(cb)); });
  auto row = co_await std::move(op);
  if (p.who && !p.who->may_view(row.camera_id)) throw Error(Errc::not_found, "no recording " + std::to_string(id));
  co_return row;
}

nlohmann::json record_reply(const StreamInfo& i) {
  return {{"camera_id", i.camera_id},
          {"state", service::to_string(i.state)},
          {"recording", service::to_json(i.recording)},
          {"changed", i.changed}};
}

asio::awaitable<Response> record_start(const Request& req, std::shared_ptr<StreamManager> m, std::string id,
                                       std::optional<int> duration_s) {
  check_camera_id(id);
  service::RecordOptions o;
  o.duration_s = duration_s;
  auto op = await_reply<StreamInfo>([m, id, o](Reply<StreamInfo> cb) { m->record_start(id, o, std::move(cb)); });
  auto info = co_await std::move(op);
  co_return json_response(req, record_reply(info), info.changed ? bhttp::status::accepted : bhttp::status::ok);
}

asio::awaitable<Response> record_stop(const Request& req, std::shared_ptr<StreamManager> m, std::string id) {
  check_camera_id(id);
  auto op = await_reply<StreamInfo>([m, id](Reply<StreamInfo> cb) { m->record_stop(id, std::move(cb)); });
  auto info = co_await std::move(op);
  co_return json_response(req, record_reply(info));
}

std::string first_camera_id(const StreamManager& m) {
  std::string id = m.first_camera();
  if (id.empty()) throw Error(Errc::not_found, "no camera is configured");
  return id;
}

int int_query(const Params& p, const char* key, int def, int lo, int hi) {
  const std::string v = p.query_or(key);
  if (v.empty()) return def;
  int n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size() || n < lo || n > hi) {
    throw Error(Errc::invalid_argument,
                std::string(key) + ": must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return n;
}

// ---- the download (a takeover: headers, then the file in chunks) ----


struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

asio::awaitable<void> download(std::shared_ptr<Stream> conn, Request req, Params p, std::shared_ptr<StreamManager> m) {
  Response early;
  bool failed = false;
  RecordingRow row;
  try {
    auto op = visible_recording(m, p);
    row = co_await std::move(op);
  } catch (const Error& e) {
    early = error_response(req, e);
    failed = true;
  } catch (const std::exception& e) {
    early = error_response(req, bhttp::status::internal_server_error, "internal", e.what());
    failed = true;
  }
  if (failed) {
    auto op = send_and_close(conn, std::move(early));
    co_await std::move(op);
    co_return;
  }

  Fd f;
  f.fd = ::open(row.path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (f.fd < 0 || ::fstat(f.fd, &st) != 0) {
    Response gone = error_response(req, bhttp::status::not_found, "not_found",
                                   "the file of recording " + std::to_string(row.id) + " is gone");
    auto op = send_and_close(conn, std::move(gone));
    co_await std::move(op);
    co_return;
  }
  // A file still being written is served as far as it is now.
  const std::uint64_t size = std::uint64_t(st.st_size);
  ByteRange range;
  if (auto it = req.find(bhttp::field::range); it != req.end()) range = parse_byte_range(it->value(), size);
  bhttp::response<bhttp::empty_body> res{bhttp::status::ok, req.version()};
  std::uint64_t first = 0, last = size ? size - 1 : 0;
  if (range.kind == ByteRange::unsatisfiable) {
    Response r = error_response(req, bhttp::status::range_not_satisfiable, "range_not_satisfiable",
                                "the file has " + std::to_string(size) + " bytes");
    r.set(bhttp::field::content_range, "bytes */" + std::to_string(size));
    auto op = send_and_close(conn, std::move(r));
    co_await std::move(op);
    co_return;
  }
  if (range.kind == ByteRange::part) {
    first = range.first;
    last = range.last;
    res.result(bhttp::status::partial_content);
    res.set(bhttp::field::content_range,
            "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
  }
  const std::uint64_t length = size ? last - first + 1 : 0;
  res.set(bhttp::field::content_type, "video/mp4");
  res.set(bhttp::field::accept_ranges, "bytes");
  res.set(bhttp::field::cache_control, row.status == "recording" ? "no-store" : "private, max-age=3600");
  res.set(bhttp::field::content_disposition,
          "inline; filename=\"" + std::filesystem::path(row.path).filename().string() + "\"");
  res.content_length(length);
  res.keep_alive(false);
  {
    Response cors;
    add_cors(cors);
    for (const auto& h : cors) res.set(h.name_string(), h.value());
  }
  bhttp::response_serializer<bhttp::empty_body> sr(res);
  conn->expires_after(kWriteTimeout);
  auto [hec, hn] = co_await bhttp::async_write_header(*conn, sr, kUseTuple);
  (void)hn;
  std::uint64_t sent = 0;
  if (!hec && req.method() != bhttp::verb::head) {
    std::vector<char> buf(kChunk);
    std::uint64_t off = first;
    while (sent < length) {
      const std::size_t want = std::size_t(std::min<std::uint64_t>(kChunk, length - sent));
      const ssize_t got = ::pread(f.fd, buf.data(), want, off_t(off));
      if (got <= 0) {
        lg()->warn("recording {}: read error at byte {}: the response ends early", row.id, off);
        break;
      }
      conn->expires_after(kWriteTimeout);
      auto [wec, wn] = co_await asio::async_write(*conn, asio::buffer(buf.data(), std::size_t(got)), kUseTuple);
      if (wec) break;  // the client went away (a <video> seeking closes its connections)
      sent += wn;
      off += wn;
    }
  }
  boost::system::error_code ignored;
  conn->socket().shutdown(tcp::socket::shutdown_both, ignored);
  conn->close();
}

}  // namespace

void register_recording_api(Router& r, std::shared_ptr<StreamManager> m) {
  using V = bhttp::verb;
  r.add(V::post, "/streams/{id}/record/start", Access::admin,
        [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
          const auto duration = decode_record_request(parse_json_body(req));
          return record_start(req, m, p.at("id"), duration);
        });
  r.add(V::post, "/streams/{id}/record/stop", Access::admin,
        [m](const Request& req, const Params& p) { return record_stop(req, m, p.at("id")); });
  // Seed 004: the first camera.
  r.add(V::post, "/live/record/start", Access::admin,
        [m](const Request& req, const Params&) -> asio::awaitable<Response> {
          const auto duration = decode_record_request(parse_json_body(req));
          return record_start(req, m, first_camera_id(*m), duration);
        });
  r.add(V::post, "/live/record/stop", Access::admin,
        [m](const Request& req, const Params&) { return record_stop(req, m, first_camera_id(*m)); });

  r.add(V::get, "/recordings", Access::user, [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
    store::RecordingQuery q;
    q.camera_id = p.query_or("camera");
    if (!q.camera_id.empty()) {
      check_camera_id(q.camera_id);
      require_camera(p, q.camera_id);
    }
    if (p.who && !p.who->is_admin() && !p.who->all_cameras) {
      q.only_cameras = std::vector<std::string>(p.who->cameras.begin(), p.who->cameras.end());
    }
    if (const auto v = p.query_or("from"); !v.empty()) q.from_ms = parse_time_ms(v, "from");
    if (const auto v = p.query_or("to"); !v.empty()) q.to_ms = parse_time_ms(v, "to");
    q.limit = int_query(p, "limit", 100, 1, 1000);
    // The cursor of the next page: "<start_ms>_<id>" of the last row of this one.
    if (const auto c = p.query_or("cursor"); !c.empty()) {
      const auto us = c.find('_');
      std::int64_t a = 0, b = 0;
      const bool ok = us != std::string::npos &&
                      std::from_chars(c.data(), c.data() + us, a).ptr == c.data() + us &&
                      std::from_chars(c.data() + us + 1, c.data() + c.size(), b).ptr == c.data() + c.size() &&
                      a > 0 && b > 0;
      if (!ok) throw Error(Errc::invalid_argument, "cursor: use the \"next\" link of the previous page");
      q.before_start_ms = a;
      q.before_id = b;
    }
    auto recs = recordings_of(*m);
    const int limit = q.limit;
    auto op = await_reply<std::vector<RecordingRow>>(
        [recs, q](Reply<std::vector<RecordingRow>> cb) { recs->list(q, std::move(cb)); });
    auto rows = co_await std::move(op);
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& row : rows) arr.push_back(service::to_json(row));
    nlohmann::json next = nullptr;
    if (int(rows.size()) == limit && !rows.empty()) {
      std::string url = "/recordings?limit=" + std::to_string(limit);
      for (const char* k : {"camera", "from", "to"}) {
        if (const auto v = p.query_or(k); !v.empty()) url += std::string("&") + k + "=" + v;
      }
      url += "&cursor=" + std::to_string(rows.back().start_ms) + "_" + std::to_string(rows.back().id);
      next = url;
    }
    co_return json_response(req, {{"recordings", arr},
                                   {"count", arr.size()},
                                   {"next", next},
                                   {"disk", service::to_json(recs->disk())}});
  });

  r.add(V::get, "/recordings/{rid}/thumbnail.jpg", Access::user,
        [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
          auto vop = visible_recording(m, p);
          auto row = co_await std::move(vop);
          auto recs = recordings_of(*m);
          auto op = await_reply<std::string>(
              [recs, id = row.id](Reply<std::string> cb) { recs->thumbnail(id, std::move(cb)); });
          auto jpeg = co_await std::move(op);
          Response res = text_response(req, bhttp::status::ok, std::move(jpeg), "image/jpeg");
          res.set(bhttp::field::cache_control, row.status == "recording" ? "no-store" : "private, max-age=86400");
          co_return res;
        });

  r.add(V::delete_, "/recordings/{rid}", Access::admin,
        [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
          const std::int64_t id = recording_id(p);
          auto recs = recordings_of(*m);
          auto op = await_reply<RecordingRow>([recs, id](Reply<RecordingRow> cb) { recs->remove(id, std::move(cb)); });
          auto row = co_await std::move(op);
          co_return json_response(req, {{"deleted", service::to_json(row)}});
        });
}

void register_recording_takeovers(Server& server, std::shared_ptr<StreamManager> m) {
  for (auto verb : {bhttp::verb::get, bhttp::verb::head}) {
    server.add_takeover(verb, "/recordings/{rid}", Access::user, [m](Stream s, Request req, Params p) {
      auto conn = std::make_shared<Stream>(std::move(s));
      auto ex = conn->get_executor();
      asio::co_spawn(ex, download(conn, std::move(req), std::move(p), m), asio::detached);
    });
  }
}

}  // namespace camrelay::http
