#pragma once
// HLS, MJPEG and snapshot endpoints (api_hls.cpp, api_mjpeg.cpp) and their seed aliases.
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "camrelay/config/config.hpp"
#include "camrelay/http/router.hpp"
#include "camrelay/http/stream.hpp"
#include "camrelay/http/types.hpp"
#include "camrelay/http/static_files.hpp"
#include "camrelay/model/quality.hpp"

namespace camrelay::service {
class StreamManager;
class StreamOutputs;
}

namespace camrelay::http {
class Server;

// Normal routes: /streams/{id}/hls/*, /api/cameras/{id}/stream/*, /vendor/hls.min.js,
// /streams/{id}/snapshot.jpg, /live/start|stop|status. Register before the static files.
void register_output_api(Router& r, std::shared_ptr<service::StreamManager> mgr,
                         const config::Config& cfg, const StaticFiles& files);
void register_hls_api(Router& r, std::shared_ptr<service::StreamManager> mgr,
                      const config::Config& cfg, const StaticFiles& files);
void register_mjpeg_api(Router& r, std::shared_ptr<service::StreamManager> mgr,
                        const config::Config& cfg);

// Recording: /streams/{id}/record/start|stop, /live/record/start|stop, GET /recordings,
// /recordings/{id}/thumbnail.jpg, DELETE /recordings/{id} (api_recordings.cpp).
void register_recording_api(Router& r, std::shared_ptr<service::StreamManager> mgr);
// GET /recordings/{id}: the file, with Range (a takeover: the body is streamed from disk).
void register_recording_takeovers(Server& server, std::shared_ptr<service::StreamManager> mgr);

// Long-lived MJPEG responses (GET /streams/{id}/mjpeg, GET /live/stream). Called from
// app::wire_extensions().
void register_output_takeovers(Server& server, std::shared_ptr<service::StreamManager> mgr);

// The outputs of the camera's running stream (started first if `start` and it is
// stopped); nullptr if it is not running. Throws not_found for an unknown camera.
boost::asio::awaitable<std::shared_ptr<service::StreamOutputs>> running_stream(
    std::shared_ptr<service::StreamManager> mgr, std::string camera_id, bool start);

// A taken-over connection's one response (e.g. an error before a long body), then the
// connection is closed.
boost::asio::awaitable<void> send_and_close(std::shared_ptr<Stream> conn, Response res);

// 404 unless `id` has the shape of a camera id.
void check_camera_id(const std::string& id);

// The request's ?quality= (decode_quality: main when absent, 400 naming quality otherwise).
model::Quality query_quality(const Params& p);

}  // namespace camrelay::http
