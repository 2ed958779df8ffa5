// REST: the camera list (GET /cameras) and cameras managed through the API (POST /cameras,
// GET/PUT/DELETE /cameras/{id}; docs/cameras.md "Cameras through the API"). Bodies are
// camera objects in the configuration file's format, read and validated by the config
// module exactly as the file's cameras are; the catalog stores a change before it is
// applied, and the reply waits until the registry has applied it.
#include <algorithm>

#include "api.hpp"
#include "await_reply.hpp"
#include "camrelay/config/camera_json.hpp"
#include "camrelay/config/secrets.hpp"
#include "camrelay/http/response.hpp"
#include "camrelay/service/camera_catalog.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/ids.hpp"

namespace camrelay::http {
namespace {
using nlohmann::json;
using service::CameraCatalog;
using service::Reply;
using service::ReloadSummary;
using service::StreamInfo;
using service::StreamManager;

// The configuration's errors as HTTP errors: a taken id is a conflict, the rest bad input.
template <class F>
auto config_errors(F f) -> decltype(f()) {
  try {
    return f();
  } catch (const config::DuplicateIdError& e) {
    throw Error(Errc::conflict, e.what());
  } catch (const config::ConfigError& e) {
    throw Error(Errc::invalid_argument, e.what());
  }
}

json urls(const std::string& id) {
  return {{"stream", "/streams/" + id}, {"viewer", "/viewer?camera=" + id}, {"camera", "/cameras/" + id}};
}

// A camera as the API shows it: its settings in the file's format, passwords masked.
json camera_view(const service::CatalogCamera& c) {
  json j = {{"id", c.camera.id},
            {"origin", service::to_string(c.origin)},
            {"camera", config::camera_to_json(config::mask_credentials(c.camera))},
            {"urls", urls(c.camera.id)}};
  if (c.origin == service::Origin::api) {
    j["created_at"] = c.created_at;
    j["updated_at"] = c.updated_at;
  }
  return j;
}

const char* applied(const ReloadSummary& r, const std::string& id) {
  auto has = [&id](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), id) != v.end(); };
  return has(r.added) ? "added" : has(r.changed) ? "changed" : has(r.removed) ? "removed" : "unchanged";
}

std::string camera_id_of(const Params& p) {
  std::string id = p.at("id");
  if (!valid_camera_id(id)) throw Error(Errc::not_found, "unknown camera '" + id.substr(0, 64) + "'");
  return id;
}

}  // namespace

void register_camera_api(Router& r, std::shared_ptr<CameraCatalog> catalog, std::shared_ptr<StreamManager> mgr) {
  using V = bhttp::verb;
  auto c = catalog;
  auto m = mgr;

  r.add(V::get, "/cameras", Access::user, [m, c](const Request& req, const Params& p) -> asio::awaitable<Response> {
    auto all_op = await_reply<std::vector<StreamInfo>>(
        [m](Reply<std::vector<StreamInfo>> cb) { m->list(std::move(cb)); });
    auto all = co_await std::move(all_op);
    json arr = json::array();
    for (const auto& s : all) {
      if (!visible(p, s.camera_id)) continue;
      const auto origin = c->origin(s.camera_id);
      arr.push_back({{"id", s.camera_id},
                     {"name", s.name},
                     {"origin", service::to_string(origin.value_or(service::Origin::config))},
                     {"source_type", s.source_type},
                     {"auto_start", s.auto_start},
                     {"state", service::to_string(s.state)},
                     {"bandwidth", {{"min_kbps", s.bandwidth.min_kbps}, {"max_kbps", s.bandwidth.max_kbps}}},
                     {"urls",
                      {{"stream", "/streams/" + s.camera_id},
                       {"viewer", "/viewer?camera=" + s.camera_id}}}});
    }
    json body = {{"cameras", arr}, {"count", arr.size()}};
    json skipped = json::array();
    for (const auto& s : c->skipped()) {
      if (visible(p, s.id)) skipped.push_back({{"id", s.id}, {"origin", "api"}, {"reason", s.reason}});
    }
    if (!skipped.empty()) body["skipped"] = skipped;
    co_return json_response(req, body);
  });

  r.add(V::post, "/cameras", Access::admin, [c](const Request& req, const Params&) -> asio::awaitable<Response> {
    const auto cam = config_errors([&] { return c->create(req.body()); });
    auto op = await_reply<ReloadSummary>([c](Reply<ReloadSummary> cb) { c->apply(std::move(cb)); });
    const auto summary = co_await std::move(op);
    json body = camera_view(cam);
    body["applied"] = applied(summary, cam.camera.id);
    Response res = json_response(req, body, bhttp::status::created);
    res.set(bhttp::field::location, "/cameras/" + cam.camera.id);
    co_return res;
  });

  r.add(V::get, "/cameras/{id}", Access::admin, [c](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const std::string id = camera_id_of(p);
    const auto cam = c->find(id);
    if (!cam) throw Error(Errc::not_found, "unknown camera '" + id + "'");
    co_return json_response(req, camera_view(*cam));
  });

  r.add(V::put, "/cameras/{id}", Access::admin, [c](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const std::string id = camera_id_of(p);
    const auto cam = config_errors([&] { return c->replace(id, req.body()); });
    auto op = await_reply<ReloadSummary>([c](Reply<ReloadSummary> cb) { c->apply(std::move(cb)); });
    const auto summary = co_await std::move(op);
    json body = camera_view(cam);
    body["applied"] = applied(summary, id);
    co_return json_response(req, body);
  });

  r.add(V::delete_, "/cameras/{id}", Access::admin, [c](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const std::string id = camera_id_of(p);
    const std::string recordings = p.query_or("recordings", "keep");
    if (recordings != "keep" && recordings != "delete") {
      throw Error(Errc::invalid_argument, "recordings: must be keep or delete (got \"" + recordings.substr(0, 64) + "\")");
    }
    const auto removed = c->remove(id);
    auto op = await_reply<ReloadSummary>([c](Reply<ReloadSummary> cb) { c->apply(std::move(cb)); });
    co_await std::move(op);
    const bool deleted = c->camera_removed(removed, recordings == "delete");
    json body = {{"id", id}, {"deleted", true}, {"origin", "api"}, {"recordings", deleted ? "deleted" : "kept"}};
    if (removed.was_shadowed) body["note"] = "the configuration file's camera " + id + " stays";
    co_return json_response(req, body);
  });
}

}  // namespace camrelay::http
