// MJPEG (multipart/x-mixed-replace) and JPEG snapshots; seed-004 /live/* aliases for the
// first configured camera.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <chrono>

#include "api_outputs.hpp"
#include "auth_gate.hpp"
#include "await_reply.hpp"
#include "camrelay/http/response.hpp"
#include "camrelay/http/server.hpp"
#include "camrelay/model/mjpeg_format.hpp"
#include "camrelay/service/outputs.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "camrelay_version.hpp"
#include "decode.hpp"
#include "waker.hpp"

namespace camrelay::http {
namespace {
using service::Reply;
using service::StreamInfo;
using service::StreamManager;
using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

auto lg() {
  static auto l = log::get("mjpeg");
  return l;
}

constexpr auto kWriteTimeout = std::chrono::seconds(15);  // a client this stuck is dropped
constexpr auto kFrameWait = std::chrono::milliseconds(8000);  // snapshot: first frame of a fresh output
constexpr int kMaxScaleJobs = 2;

// Woken (on the connection's strand) whenever the output has a new frame or closes.
struct ClientState {
  explicit ClientState(const asio::any_io_executor& ex) : waker(Waker::create(ex)) {}
  std::shared_ptr<Waker> waker;  // a new picture, the output closing, the client leaving
  bool gone = false;             // the client closed the connection
};


// Reads (and discards) until the client goes away, then wakes the writer.
asio::awaitable<void> watch_close(std::shared_ptr<Stream> conn, std::shared_ptr<ClientState> st) {
  std::array<char, 512> buf;
  for (;;) {
    auto [ec, n] = co_await conn->async_read_some(asio::buffer(buf), kUseTuple);
    (void)n;
    if (ec) break;
  }
  st->gone = true;
  st->waker->wake();
}

// One multipart client: sends the newest frame it has not sent yet, each time the
// output has one. Frames produced while a write is in progress are skipped.
asio::awaitable<void> mjpeg_session(Stream raw, Request req, std::string id, Params params,
                                    std::shared_ptr<StreamManager> m) {
  const std::string ip = params.remote_ip;
  auto conn = std::make_shared<Stream>(std::move(raw));
  const auto ex = conn->get_executor();
  auto st = std::make_shared<ClientState>(ex);
  std::optional<Response> failure;
  std::shared_ptr<service::MjpegReader> reader;
  try {
    check_camera_id(id);
    require_camera(params, id);
    service::ReaderRequest rr{id, std::string(req[bhttp::field::user_agent]), ip, query_quality(params)};
    auto wake = st->waker->callback();
    auto op = await_reply<std::shared_ptr<service::MjpegReader>>(
        [m, rr, wake](Reply<std::shared_ptr<service::MjpegReader>> cb) { m->attach_mjpeg(rr, wake, std::move(cb)); });
    reader = co_await std::move(op);
  } catch (const Error& e) {
    failure = error_response(req, e);
  } catch (const std::exception& e) {
    failure = error_response(req, bhttp::status::internal_server_error, "internal", e.what());
  }
  if (failure) {
    lg()->debug("MJPEG client refused: {}", failure->body());
    auto wop = send_and_close(conn, std::move(*failure));
    co_await std::move(wop);
    co_return;
  }

  const std::string head = model::mjpeg_response_head(model::kMjpegBoundary, "camrelay/" CAMRELAY_VERSION);
  conn->expires_after(kWriteTimeout);
  auto [hec, hn] = co_await asio::async_write(*conn, asio::buffer(head), kUseTuple);
  (void)hn;
  conn->expires_never();
  if (hec) reader->set_close_reason("client left");
  if (!hec) {
    asio::co_spawn(ex, watch_close(conn, st), asio::detached);
    std::uint64_t last = 0;
    static const std::string crlf = "\r\n";
    while (!st->gone && !reader->closed()) {
      const service::MjpegReader::Frame f = reader->latest();
      if (f.jpeg && f.seq > last) {
        const std::uint64_t skipped = last ? f.seq - last - 1 : 0;
        const std::string part = model::mjpeg_part_header(model::kMjpegBoundary, f.jpeg->size());
        const std::array<asio::const_buffer, 3> bufs{asio::buffer(part), asio::buffer(*f.jpeg),
                                                     asio::buffer(crlf)};
        conn->expires_after(kWriteTimeout);
        auto [wec, wn] = co_await asio::async_write(*conn, bufs, kUseTuple);
        conn->expires_never();
        if (wec) {
          reader->set_close_reason(wec == beast::error::timeout ? "write timed out (client too slow)" : "client left");
          break;
        }
        last = f.seq;
        reader->count_sent(wn, skipped);
        continue;
      }
      auto wop = st->waker->wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(5));
      co_await std::move(wop);
    }
    if (!st->gone && reader->closed()) {
      reader->set_close_reason("stream ended");
      const std::string end = model::mjpeg_closing(model::kMjpegBoundary);
      conn->expires_after(std::chrono::seconds(2));
      auto [eec, en] = co_await asio::async_write(*conn, asio::buffer(end), kUseTuple);
      (void)eec;
      (void)en;
    }
  }
  reader.reset();  // detaches: the viewer row is closed
  boost::system::error_code ignored;
  conn->socket().shutdown(tcp::socket::shutdown_both, ignored);
  conn->close();
}

int parse_width(const Params& p) {
  auto it = p.query.find("width");
  if (it == p.query.end()) return 0;
  const std::string& s = it->second;
  int w = 0;
  bool ok = !s.empty() && s.size() <= 5;
  for (char c : s) {
    if (c < '0' || c > '9') ok = false;
    else w = w * 10 + (c - '0');
  }
  if (!ok || w < 16 || w > 3840) {
    throw Error(Errc::invalid_argument, "width: must be an integer in 16..3840");
  }
  return w;
}

// Snapshot scaling (a decode and an encode, up to ~5 s) runs on a small pool of its own,
// never on the network threads: at most kMaxScaleJobs at once, more are refused.
class ScalePool {
 public:
  asio::awaitable<std::string> scale(model::JpegData jpeg, int width, int quality) {
    if (jobs_.fetch_add(1) >= kMaxScaleJobs) {
      jobs_.fetch_sub(1);
      throw Error(Errc::limit_reached, "too many snapshot scalings at once; retry");
    }
    auto op = await_reply<std::string>([this, jpeg, width, quality](Reply<std::string> cb) {
      asio::post(pool_, [this, jpeg, width, quality, cb = std::move(cb)] {
        std::string out;
        std::exception_ptr err;
        try {
          out = service::scale_jpeg(*jpeg, width, quality);
        } catch (...) {
          err = std::current_exception();
        }
        jobs_.fetch_sub(1);
        cb(err, std::move(out));
      });
    });
    auto scaled = co_await std::move(op);
    co_return scaled;
  }

 private:
  std::atomic<int> jobs_{0};
  asio::thread_pool pool_{kMaxScaleJobs};  // joined when the routes go (shutdown)
};

asio::awaitable<Response> snapshot(const Request& req, std::shared_ptr<StreamManager> m, std::string id,
                                   int width, const config::Config& cfg, std::shared_ptr<ScalePool> scaler) {
  check_camera_id(id);
  auto sop = running_stream(m, id, true);
  auto stream = co_await std::move(sop);
  if (!stream) throw Error(Errc::unavailable, "camera '" + id + "' is not running");
  auto ex = co_await asio::this_coro::executor;
  auto waker = Waker::create(ex);
  const auto deadline = std::chrono::steady_clock::now() + kFrameWait;
  model::JpegData jpeg;
  const std::int64_t asked_ms = mono_now_ms();
  // Woken by the next picture (a fresh output replaces one that closed meanwhile).
  OutputWatch<model::PictureFeed> watch(waker);
  while (!jpeg) {
    std::shared_ptr<model::PictureFeed> out = watch.watch(stream->pictures(true));
    if (!out) throw Error(Errc::unavailable, "camera '" + id + "' stopped");
    out->touch();
    const auto f = out->latest();
    // The newest frame, unless it is stale (the output was idle or the camera stalled).
    if (f.jpeg && asked_ms - f.mono_ms < 1000) {
      jpeg = f.jpeg;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Response res = error_response(req, bhttp::status::service_unavailable, "unavailable",
                                    "no frame from camera '" + id + "' yet; retry");
      res.set(bhttp::field::retry_after, "1");
      co_return res;
    }
    // Woken by the next picture (or the output closing): no polling.
    auto wop = waker->wait_until(deadline);
    co_await std::move(wop);
    // An encoder that failed is an answer, not a reason to build another one at once.
    if (const auto why = out->error(); !why.empty() && why != "idle" && !f.jpeg) {
      throw Error(Errc::unavailable, "no picture from camera '" + id + "': its JPEG branch closed (" + why + ")");
    }
  }
  std::string body;
  if (width > 0) {
    auto op = scaler->scale(jpeg, width, cfg.mjpeg.quality);
    body = co_await std::move(op);
  } else {
    body = *jpeg;
  }
  Response res = text_response(req, bhttp::status::ok, std::move(body), "image/jpeg");
  res.set(bhttp::field::content_disposition, "inline; filename=\"" + id + ".jpg\"");
  co_return res;
}

nlohmann::json live_status(const StreamInfo& i) {
  nlohmann::json j = {{"camera_id", i.camera_id},
                      {"name", i.name},
                      {"streaming", service::is_running(i.state)},
                      {"state", service::to_string(i.state)},
                      {"error", i.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.error)},
                      {"stream_url", "/live/stream"},
                      {"snapshot_url", "/streams/" + i.camera_id + "/snapshot.jpg"},
                      {"clients", 0},
                      {"frames_encoded", 0},
                      {"recording", i.recording.state == "recording"},
                      {"record", service::to_json(i.recording)}};
  // The running MJPEG branch's figures, as GET /streams/{id} shows them.
  if (service::is_running(i.state)) {
    const nlohmann::json src = service::to_json(i)["source"];
    if (src.contains("outputs") && src["outputs"].contains("mjpeg") && src["outputs"]["mjpeg"].is_object()) {
      const auto& o = src["outputs"]["mjpeg"];
      j["clients"] = o.value("clients", 0);
      j["frames_encoded"] = o.value("frames_encoded", 0);
      j["mjpeg"] = o;
    }
  }
  return j;
}

std::string first_camera(const StreamManager& m) {
  std::string id = m.first_camera();
  if (id.empty()) throw Error(Errc::not_found, "no camera is configured");
  return id;
}

asio::awaitable<Response> live_status_response(const Request& req, std::shared_ptr<StreamManager> m,
                                               std::string id, bhttp::status status) {
  auto iop = await_reply<StreamInfo>([m, id](Reply<StreamInfo> cb) { m->get(id, std::move(cb)); });
  auto info = co_await std::move(iop);
  co_return json_response(req, live_status(info), status);
}

}  // namespace

asio::awaitable<void> send_and_close(std::shared_ptr<Stream> conn, Response res) {
  res.keep_alive(false);
  conn->expires_after(std::chrono::seconds(5));
  auto [ec, n] = co_await bhttp::async_write(*conn, res, kUseTuple);
  (void)ec;
  (void)n;
  boost::system::error_code ignored;
  conn->socket().shutdown(tcp::socket::shutdown_both, ignored);
  conn->close();
}

void check_camera_id(const std::string& id) {
  if (!valid_camera_id(id)) throw Error(Errc::not_found, "unknown camera '" + id.substr(0, 64) + "'");
}

model::Quality query_quality(const Params& p) {
  auto it = p.query.find("quality");
  return decode_quality(it == p.query.end() ? nullptr : &it->second);
}

asio::awaitable<std::shared_ptr<service::StreamOutputs>> running_stream(std::shared_ptr<StreamManager> m,
                                                                        std::string id, bool start) {
  auto op = await_reply<std::shared_ptr<service::StreamOutputs>>(
      [m, id, start](Reply<std::shared_ptr<service::StreamOutputs>> cb) { m->outputs(id, start, std::move(cb)); });
  auto s = co_await std::move(op);
  co_return s;
}

void register_mjpeg_api(Router& r, std::shared_ptr<StreamManager> m, const config::Config& cfg) {
  using V = bhttp::verb;
  const config::Config* c = &cfg;
  auto scaler = std::make_shared<ScalePool>();
  r.add(V::get, "/streams/{id}/snapshot.jpg", Access::camera, [m, c, scaler](const Request& req, const Params& p) {
    return snapshot(req, m, p.at("id"), parse_width(p), *c, scaler);
  });

  // Seed-004 aliases (the first configured camera).
  auto status = [m](const Request& req, const Params& p) {
    const std::string id = first_camera(*m);
    require_camera(p, id);
    return live_status_response(req, m, id, bhttp::status::ok);
  };
  r.add(V::get, "/live/status", Access::user, status);
  // Seed 004's troubleshooting check ("is the camera there?"): the same answer, whose
  // state/streaming/error say whether the first camera delivers pictures.
  r.add(V::get, "/camera/status", Access::user, status);
  // Seed 004's record_duration (JSON body or query): the camera records for that long.
  r.add(V::post, "/live/start", Access::admin, [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const std::string id = first_camera(*m);
    const auto record_s = decode_live_start(parse_json_body(req), p.query_or("record_duration"));
    auto op = await_reply<StreamInfo>([m, id](Reply<StreamInfo> cb) { m->start(id, {}, std::move(cb)); });
    auto info = co_await std::move(op);
    if (record_s) {
      service::RecordOptions o;
      o.duration_s = record_s;
      auto rop = await_reply<StreamInfo>([m, id, o](Reply<StreamInfo> cb) { m->record_start(id, o, std::move(cb)); });
      auto rec = co_await std::move(rop);
      info.changed = info.changed || rec.changed;
    }
    auto rop = live_status_response(req, m, id, info.changed ? bhttp::status::accepted : bhttp::status::ok);
    auto res = co_await std::move(rop);
    co_return res;
  });
  r.add(V::post, "/live/stop", Access::admin, [m](const Request& req, const Params&) -> asio::awaitable<Response> {
    const std::string id = first_camera(*m);
    auto op = await_reply<StreamInfo>([m, id](Reply<StreamInfo> cb) { m->stop(id, std::move(cb)); });
    auto info = co_await std::move(op);
    co_return json_response(req, live_status(info));
  });
}

void register_output_api(Router& r, std::shared_ptr<StreamManager> m, const config::Config& cfg,
                         const StaticFiles& files) {
  register_hls_api(r, m, cfg, files);
  register_mjpeg_api(r, m, cfg);
  register_recording_api(r, m);
}

void register_output_takeovers(Server& server, std::shared_ptr<StreamManager> m) {
  register_recording_takeovers(server, m);
  server.add_takeover(bhttp::verb::get, "/streams/{id}/mjpeg", Access::camera, [m](Stream s, Request req, Params p) {
    auto ex = s.get_executor();
    std::string id = p.at("id");
    asio::co_spawn(ex, mjpeg_session(std::move(s), std::move(req), std::move(id), std::move(p), m), asio::detached);
  });
  server.add_takeover(bhttp::verb::get, "/live/stream", Access::user, [m](Stream s, Request req, Params p) {
    auto ex = s.get_executor();
    std::string id = m->first_camera();
    if (id.empty()) id = "-";
    asio::co_spawn(ex, mjpeg_session(std::move(s), std::move(req), id, std::move(p), m), asio::detached);
  });
}

}  // namespace camrelay::http
