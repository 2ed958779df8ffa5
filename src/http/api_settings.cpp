// REST: a camera's stream settings (GET/PUT/DELETE /streams/{id}/settings; docs/cameras.md
// "Stream settings"): what camrelay's own encoder makes of a test or V4L2 camera (size,
// frame rate, bitrate, keyframe interval, encoder, profile, preset) and the latency mode
// of an RTP or RTSP camera's ingest. The config module reads and checks the document, the
// catalog stores it (over a configuration-file camera's values, or in an API camera) and
// the registry applies it: only this camera's stream restarts.
#include "api.hpp"
#include "await_reply.hpp"
#include "camrelay/config/camera_json.hpp"
#include "camrelay/http/response.hpp"
#include "camrelay/service/camera_catalog.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/ids.hpp"
#include "decode.hpp"

namespace camrelay::http {
namespace {
using nlohmann::json;
using service::CameraCatalog;
using service::Reply;
using service::ReloadSummary;
using service::StreamManager;

std::string camera_id_of(const Params& p) {
  std::string id = p.at("id");
  if (!valid_camera_id(id)) throw Error(Errc::not_found, "unknown camera '" + id.substr(0, 64) + "'");
  return id;
}

json settings_view(const service::CatalogCamera& c, const StreamManager& m) {
  json j = {{"camera_id", c.camera.id}, {"origin", service::to_string(c.origin)}};
  j.update(config::settings_to_json(c.camera));
  if (c.origin == service::Origin::config) j["changed_through_api"] = c.settings_changed;
  j["encoders"] = m.h264_encoders();
  return j;
}

const char* applied(const ReloadSummary& r, const std::string& id) {
  return std::find(r.changed.begin(), r.changed.end(), id) != r.changed.end() ? "restarted" : "unchanged";
}

}  // namespace

void register_settings_api(Router& r, std::shared_ptr<CameraCatalog> catalog, std::shared_ptr<StreamManager> mgr) {
  using V = bhttp::verb;
  auto c = catalog;
  auto m = mgr;

  r.add(V::get, "/streams/{id}/settings", Access::camera,
        [c, m](const Request& req, const Params& p) -> asio::awaitable<Response> {
          const std::string id = camera_id_of(p);
          const auto cam = c->find(id);
          if (!cam) throw Error(Errc::not_found, "unknown camera '" + id + "'");
          co_return json_response(req, settings_view(*cam, *m));
        });

  r.add(V::put, "/streams/{id}/settings", Access::admin,
        [c, m](const Request& req, const Params& p) -> asio::awaitable<Response> {
          const std::string id = camera_id_of(p);
          const json patch = json_object_of(req.body());
          service::CatalogCamera cam;
          try {
            cam = c->update_settings(id, patch);
          } catch (const config::ConfigError& e) {
            throw Error(Errc::invalid_argument, e.what());
          }
          auto op = await_reply<ReloadSummary>([c](Reply<ReloadSummary> cb) { c->apply(std::move(cb)); });
          const auto summary = co_await std::move(op);
          json body = settings_view(cam, *m);
          body["applied"] = applied(summary, id);
          co_return json_response(req, body);
        });

  r.add(V::delete_, "/streams/{id}/settings", Access::admin,
        [c, m](const Request& req, const Params& p) -> asio::awaitable<Response> {
          const std::string id = camera_id_of(p);
          const bool had = c->reset_settings(id);
          auto op = await_reply<ReloadSummary>([c](Reply<ReloadSummary> cb) { c->apply(std::move(cb)); });
          const auto summary = co_await std::move(op);
          const auto cam = c->find(id);
          if (!cam) throw Error(Errc::not_found, "unknown camera '" + id + "'");
          json body = settings_view(*cam, *m);
          body["reset"] = had;
          body["applied"] = applied(summary, id);
          co_return json_response(req, body);
        });
}

}  // namespace camrelay::http
