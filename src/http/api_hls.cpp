// HLS endpoints: /streams/{id}/hls/index.m3u8 and segments, the seed-003 aliases
// /api/cameras/{id}/stream/*, and hls.js from a local copy (/vendor/hls.min.js).
// fmp4.m3u8 is every camera's own video in fMP4 as low-latency HLS (partial segments,
// blocking reloads with _HLS_msn/_HLS_part, preload hints answered when the part exists).
// An H.265 camera's index.m3u8 is a multivariant playlist: fmp4.m3u8 (its H.265 as it is)
// for players that decode H.265, ts.m3u8 (the shared H.264 transcode in MPEG-TS) for the
// others.

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>

#include "api_outputs.hpp"
#include "await_reply.hpp"
#include "decode.hpp"
#include "camrelay/http/response.hpp"
#include "camrelay/model/hls_playlist.hpp"
#include "camrelay/service/outputs.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/files.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "waker.hpp"

namespace camrelay::http {
namespace {
namespace fs = std::filesystem;
using service::Reply;
using service::StreamInfo;
using service::StreamManager;

// How long a playlist request waits for the first segment of a fresh HLS output.
constexpr auto kPlaylistWait = std::chrono::milliseconds(6000);

Response unavailable(const Request& req, const std::string& message, int retry_after_s = 1) {
  Response res = error_response(req, bhttp::status::service_unavailable, "unavailable", message);
  res.set(bhttp::field::retry_after, std::to_string(retry_after_s));
  return res;
}

asio::awaitable<StreamInfo> stream_info(std::shared_ptr<StreamManager> m, std::string id) {
  auto op = await_reply<StreamInfo>([m, id](Reply<StreamInfo> cb) { m->get(id, std::move(cb)); });
  auto info = co_await std::move(op);
  co_return info;
}

std::string not_running_message(const StreamInfo& i) {
  std::string msg = "camera '" + i.camera_id + "' is not running (state " +
                    std::string(service::to_string(i.state));
  if (!i.error.empty()) msg += ": " + i.error;
  return msg + ")";
}

// Blocking playlist reload (?_HLS_msn=N): wait at most this long for segment N.
constexpr auto kBlockingReloadMax = std::chrono::milliseconds(4000);

// ?_HLS_msn=N / ?_HLS_part=M (LL-HLS delivery directives), nullopt if absent. Malformed → 400.
std::optional<long long> query_number(const Params& p, const std::string& key, const char* what) {
  auto it = p.query.find(key);
  if (it == p.query.end()) return std::nullopt;
  const std::string& s = it->second;
  long long v = 0;
  if (s.empty() || s.size() > 12) throw Error(Errc::invalid_argument, key + ": must be " + what);
  for (char c : s) {
    if (c < '0' || c > '9') throw Error(Errc::invalid_argument, key + ": must be " + what);
    v = v * 10 + (c - '0');
  }
  return v;
}

// How long a request for a part that is not there yet (the playlist's preload hint) waits.
constexpr auto kPartWaitMax = std::chrono::milliseconds(5000);

// The client as an HLS reader (service/reader.hpp): joined on its first request (limits
// apply; a stopped camera is started) or kept; its counters take what is then sent.
asio::awaitable<std::shared_ptr<service::ReaderCounters>> hls_reader(std::shared_ptr<StreamManager> m,
                                                                     const Request& req, const Params& p,
                                                                     model::HlsFormat format) {
  service::ReaderRequest rr{p.at("id"), std::string(req[bhttp::field::user_agent]), p.remote_ip, query_quality(p),
                            format};
  auto op = await_reply<std::shared_ptr<service::ReaderCounters>>(
      [m, rr](Reply<std::shared_ptr<service::ReaderCounters>> cb) { m->hls_request(rr, std::move(cb)); });
  auto c = co_await std::move(op);
  co_return c;
}

// GET playlist: starts the stream and the HLS output if needed, then waits (bounded) for
// a playlist that lists at least one segment (and, for a blocking reload, segment
// _HLS_msn). `uri_prefix` rewrites segment URIs (the seed-003 alias serves segments under
// segment/).
// Adds `query` to every URI line of a playlist.
std::string append_uri_query(std::string_view playlist, const std::string& query) {
  std::string out;
  out.reserve(playlist.size() + 8 * query.size());
  std::size_t i = 0;
  while (i < playlist.size()) {
    std::size_t j = playlist.find('\n', i);
    std::size_t end = j == std::string_view::npos ? playlist.size() : j;
    std::string_view line = playlist.substr(i, end - i);
    std::string_view cr;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
      cr = "\r";
    }
    out += line;
    if (!line.empty() && line.front() != '#') out += (line.find('?') == std::string_view::npos ? "?" : "&") + query;
    out += cr;
    if (j != std::string_view::npos) out += '\n';
    i = end + 1;
  }
  return out;
}

// Which playlist a request is for: index.m3u8 (for an H.265 camera's main stream the
// multivariant one), or one variant of an H.265 camera.
enum class PlaylistKind { index, ts, fmp4 };

// The H.265 camera's multivariant playlist (the stream need not run: its size is added
// once known). The variants' own requests start the camera and their outputs.
Response multivariant(const Request& req, const Params& p, const StreamInfo& info) {
  const auto& st = info.stats;
  const long long bps = static_cast<long long>(std::max(500.0, st.bitrate_kbps * 1.25) * 1000);
  std::string body = model::render_multivariant_playlist(
      {{"fmp4.m3u8", bps, model::hevc_codecs(st.profile, st.width, st.height), st.width, st.height},
       {"ts.m3u8", bps, model::avc_baseline_codecs(st.width, st.height), st.width, st.height}});
  if (auto t = p.query.find("token"); t != p.query.end() && p.who && p.who->via == auth::Via::viewer_token) {
    body = append_uri_query(body, "token=" + t->second);
  }
  return text_response(req, bhttp::status::ok, std::move(body), "application/vnd.apple.mpegurl");
}

asio::awaitable<Response> serve_playlist(const Request& req, const Params& p, std::shared_ptr<StreamManager> m,
                                         std::string uri_prefix, PlaylistKind kind) {
  const std::string id = p.at("id");
  const std::optional<long long> want_msn = query_number(p, "_HLS_msn", "a segment number");
  const std::optional<long long> want_part_ll = query_number(p, "_HLS_part", "a part number");
  if (want_part_ll && !want_msn) throw Error(Errc::invalid_argument, "_HLS_part: needs _HLS_msn");
  if (want_part_ll && *want_part_ll > 999) throw Error(Errc::invalid_argument, "_HLS_part: must be a part number");
  const std::optional<int> want_part =
      want_part_ll ? std::optional<int>(static_cast<int>(*want_part_ll)) : std::nullopt;
  const model::Quality quality = query_quality(p);
  check_camera_id(id);
  if (kind == PlaylistKind::fmp4 && quality == model::Quality::sub) {
    throw Error(Errc::invalid_argument, "quality: the sub stream is H.264 in MPEG-TS only (index.m3u8?quality=sub)");
  }
  if (kind == PlaylistKind::index && quality == model::Quality::main && uri_prefix.empty()) {
    auto iop = stream_info(m, id);
    const StreamInfo info = co_await std::move(iop);
    if (info.video_codec == "H265") co_return multivariant(req, p, info);
  }
  const model::HlsFormat format = kind == PlaylistKind::fmp4 ? model::HlsFormat::fmp4 : model::HlsFormat::ts;
  std::shared_ptr<service::ReaderCounters> counters;
  if (quality == model::Quality::sub) {
    // Admitted first: a camera without a sub stream answers 404 and is not started for it.
    auto rop = hls_reader(m, req, p, format);
    counters = co_await std::move(rop);
  }
  auto sop = running_stream(m, id, true);
  auto stream = co_await std::move(sop);
  if (stream && !counters) {
    auto rop = hls_reader(m, req, p, format);
    counters = co_await std::move(rop);
  }
  auto ex = co_await asio::this_coro::executor;
  auto waker = Waker::create(ex);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + kPlaylistWait;
  bool have_segments = false;  // a playlist with segments exists (a blocking reload waits on)
  // Woken by the output when it publishes a segment or stops: no polling. The output may be
  // replaced while we wait (idle-stopped and started again).
  OutputWatch<model::HlsFeed> watch(waker);
  for (;;) {
    std::shared_ptr<model::HlsFeed> hls = watch.watch(stream ? stream->hls(true, quality, format) : nullptr);
    if (!hls) {
      auto iop = stream_info(m, id);
      auto info = co_await std::move(iop);
      co_return unavailable(req, not_running_message(info), 2);
    }
    hls->touch();
    if (hls->failed()) {
      throw Error(Errc::internal, "HLS output failed: " + hls->error());
    }
    const auto text = hls->playlist();
    if (text && text->find("#EXTINF") != std::string::npos) {
      const model::HlsLiveEdge edge = model::hls_live_edge(*text);
      const bool blocked_long = std::chrono::steady_clock::now() - start >= kBlockingReloadMax;
      // The segment a blocking reload asks for may be far ahead (a stale player): do not
      // wait for more than two segments beyond the newest whole one.
      const bool wait_more = want_msn && !model::hls_edge_reached(edge, *want_msn, want_part) &&
                             *want_msn <= edge.open_msn + 1 && !blocked_long;
      if (!wait_more) {
        std::string body = model::add_blocking_reload(*text);
        if (!uri_prefix.empty()) body = model::prefix_playlist_uris(body, uri_prefix);
        // A player that was handed a viewer-token URL cannot add the token to the segment
        // requests itself: the segment URIs carry it (only token-shaped values get here).
        if (auto t = p.query.find("token"); t != p.query.end() && p.who && p.who->via == auth::Via::viewer_token) {
          body = append_uri_query(body, "token=" + t->second);
        }
        // The sub stream's segments are another output's: their URIs say so.
        if (quality == model::Quality::sub) body = append_uri_query(body, "quality=sub");
        if (counters) counters->bytes_sent.fetch_add(body.size(), std::memory_order_relaxed);
        co_return text_response(req, bhttp::status::ok, std::move(body), "application/vnd.apple.mpegurl");
      }
      have_segments = true;
    } else if (std::chrono::steady_clock::now() >= deadline) {
      co_return unavailable(req, "the first HLS segment of camera '" + id + "' is not ready yet; retry");
    }
    // The next segment, a stop, or the end of the wait (a blocking reload is answered with
    // the current playlist after kBlockingReloadMax).
    auto wop = waker->wait_until(have_segments ? start + kBlockingReloadMax : deadline);
    co_await std::move(wop);
  }
}

// A part the playlist's preload hint names, or one just ahead of it: answered the moment the
// segmenter publishes it. nullopt once the live edge has passed it without it (the segment
// ended at a keyframe first), when the output stops, or after kPartWaitMax.
asio::awaitable<std::optional<std::string>> wait_for_part(std::shared_ptr<model::HlsFeed> hls, model::HlsPartRef part,
                                                          std::string name) {
  auto ex = co_await asio::this_coro::executor;
  auto waker = Waker::create(ex);
  OutputWatch<model::HlsFeed> watch(waker);
  watch.watch(hls);
  const auto deadline = std::chrono::steady_clock::now() + kPartWaitMax;
  for (;;) {
    if (auto data = hls->read_segment(name)) co_return data;
    const auto text = hls->playlist();
    if (hls->failed() || !text || std::chrono::steady_clock::now() >= deadline) co_return std::nullopt;
    const model::HlsLiveEdge edge = model::hls_live_edge(*text);
    // Only the segment being collected and the next one can still get this part.
    if (part.msn < edge.open_msn || part.msn > edge.open_msn + 1) co_return std::nullopt;
    if (part.msn == edge.open_msn && part.index < edge.open_parts) {
      co_return hls->read_segment(name);  // listed: written before it was published
    }
    auto wop = waker->wait_until(deadline);
    co_await std::move(wop);
  }
}

asio::awaitable<Response> serve_segment(const Request& req, const Params& p, std::shared_ptr<StreamManager> m) {
  const std::string id = p.at("id");
  const std::string name = p.at("name");
  if (!model::valid_hls_segment_name(name)) {
    co_return error_response(req, bhttp::status::bad_request, "invalid_argument",
                             "invalid segment name (expected segmentNNNNN.ts, segmentNNNNN.m4s, partNNNNN.K.m4s or "
                             "init.mp4)");
  }
  // fMP4 files (segments, parts, init.mp4) are the fMP4 output's, TS files the others'.
  const bool fmp4 = model::is_fmp4_segment_name(name);
  const model::HlsFormat format = fmp4 ? model::HlsFormat::fmp4 : model::HlsFormat::ts;
  const model::Quality quality = fmp4 ? model::Quality::main : query_quality(p);
  check_camera_id(id);
  auto sop = running_stream(m, id, false);
  auto stream = co_await std::move(sop);
  auto hls = stream ? stream->hls(false, quality, format) : nullptr;
  if (!hls) {
    throw Error(Errc::not_found, std::string("HLS") + (quality == model::Quality::sub ? " (sub)" : "") +
                                     " is not running for camera '" + id + "'");
  }
  hls->touch();
  auto rop = hls_reader(m, req, p, format);
  auto counters = co_await std::move(rop);
  auto data = hls->read_segment(name);
  if (auto part = model::parse_hls_part_name(name); !data && part) {
    auto wop = wait_for_part(hls, *part, name);
    data = co_await std::move(wop);
  }
  if (!data) {
    counters->segments_missed.fetch_add(1, std::memory_order_relaxed);  // the client fell behind
    throw Error(Errc::not_found, "no such segment (it may have rotated out of the playlist)");
  }
  counters->bytes_sent.fetch_add(data->size(), std::memory_order_relaxed);
  counters->frames_sent.fetch_add(1, std::memory_order_relaxed);
  co_return text_response(req, bhttp::status::ok, std::move(*data), fmp4 ? "video/mp4" : "video/mp2t");
}

nlohmann::json seed_status(const StreamInfo& i, bool hls_running) {
  const bool streaming = service::is_running(i.state);
  return {{"camera_id", i.camera_id},
          {"streaming", streaming},
          {"stream_url", streaming ? nlohmann::json("/api/cameras/" + i.camera_id + "/stream/playlist.m3u8")
                                   : nlohmann::json(nullptr)},
          {"state", service::to_string(i.state)},
          {"hls", hls_running},
          {"error", i.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.error)}};
}

}  // namespace

void register_hls_api(Router& r, std::shared_ptr<StreamManager> m, const config::Config& cfg,
                      const StaticFiles& files) {
  using V = bhttp::verb;
  (void)cfg;

  r.add(V::get, "/streams/{id}/hls/index.m3u8", Access::camera, [m](const Request& req, const Params& p) {
    return serve_playlist(req, p, m, "", PlaylistKind::index);
  });
  // An H.265 camera's variants (its index.m3u8 lists them); ts.m3u8 works for every camera.
  r.add(V::get, "/streams/{id}/hls/ts.m3u8", Access::camera, [m](const Request& req, const Params& p) {
    return serve_playlist(req, p, m, "", PlaylistKind::ts);
  });
  r.add(V::get, "/streams/{id}/hls/fmp4.m3u8", Access::camera, [m](const Request& req, const Params& p) {
    return serve_playlist(req, p, m, "", PlaylistKind::fmp4);
  });
  r.add(V::get, "/streams/{id}/hls/{name}", Access::camera, [m](const Request& req, const Params& p) {
    return serve_segment(req, p, m);
  });

  // Seed-003 aliases.
  r.add(V::get, "/api/cameras/{id}/stream/playlist.m3u8", Access::camera, [m](const Request& req, const Params& p) {
    return serve_playlist(req, p, m, "segment/", PlaylistKind::ts);
  });
  r.add(V::get, "/api/cameras/{id}/stream/segment/{name}", Access::camera, [m](const Request& req, const Params& p) {
    return serve_segment(req, p, m);
  });
  r.add(V::post, "/api/cameras/{id}/stream/start",
        Access::camera, [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
          const std::string id = p.at("id");
          check_camera_id(id);
          // The seed sent RTSP settings here; cameras are configured in the config file
          // (cameras[].source) or through PUT /cameras/{id}, so these fields are accepted
          // and reported as ignored.
          const nlohmann::json ignored = decode_seed_rtsp_fields(parse_json_body(req));
          auto op = await_reply<StreamInfo>(
              [m, id](Reply<StreamInfo> cb) { m->start(id, {}, std::move(cb)); });
          auto info = co_await std::move(op);
          // Warm the HLS output so the playlist is ready sooner.
          auto sop = running_stream(m, id, false);
          auto stream = co_await std::move(sop);
          bool hls = stream && stream->hls(true);
          auto j = seed_status(info, hls);
          if (!ignored.empty()) {
            j["ignored_fields"] = ignored;
            j["note"] = "RTSP settings come from the camera configuration (cameras[].source, or PUT /cameras/{id})";
          }
          co_return json_response(req, j, info.changed ? bhttp::status::accepted : bhttp::status::ok);
        });
  r.add(V::post, "/api/cameras/{id}/stream/stop",
        Access::admin, [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
          const std::string id = p.at("id");
          check_camera_id(id);
          auto op = await_reply<StreamInfo>([m, id](Reply<StreamInfo> cb) { m->stop(id, std::move(cb)); });
          auto info = co_await std::move(op);
          co_return json_response(req, seed_status(info, false));
        });
  r.add(V::get, "/api/cameras/{id}/stream/status",
        Access::camera, [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
          const std::string id = p.at("id");
          check_camera_id(id);
          auto iop = stream_info(m, id);
          auto info = co_await std::move(iop);
          auto sop = running_stream(m, id, false);
          auto stream = co_await std::move(sop);
          const bool hls = stream && stream->hls(false);
          co_return json_response(req, seed_status(info, hls));
        });

  // hls.js, from the copy scripts/deps.sh puts in web/vendor/, else straight from the
  // npm package next to the web root (a source checkout). Never from a CDN.
  const StaticFiles* f = &files;
  r.add(V::get, "/vendor/hls.min.js", Access::open, [f](const Request& req, const Params&) -> asio::awaitable<Response> {
    if (f->resolve("vendor/hls.min.js")) co_return f->serve(req, "vendor/hls.min.js");
    const fs::path npm = f->root().parent_path() / "node_modules" / "hls.js" / "dist" / "hls.min.js";
    if (auto js = read_whole_file(npm)) {
      Response res = text_response(req, bhttp::status::ok, std::move(*js), "text/javascript; charset=utf-8");
      res.set(bhttp::field::cache_control, "no-cache");
      co_return res;
    }
    co_return error_response(req, bhttp::status::not_found, "not_found",
                             "hls.js is not installed: run scripts/deps.sh (npm package hls.js)");
  });
}

}  // namespace camrelay::http
