// REST: /health, /streams and the seed-000 /api/stream aliases (/cameras: api_cameras.cpp).
#include "api.hpp"
#include "api_outputs.hpp"
#include "await_reply.hpp"
#include "decode.hpp"
#include "camrelay/http/response.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay_version.hpp"

namespace camrelay::http {
namespace {
using service::Reply;
using service::StreamInfo;
using service::StreamManager;

service::StartOptions parse_start_options(const Request& req) {
  const StartRequest r = decode_start_request(parse_json_body(req));
  return service::StartOptions{r.min_kbps, r.max_kbps};
}

void check_id(const std::string& id) {
  if (!valid_camera_id(id)) {
    throw Error(Errc::not_found, "unknown camera '" + id.substr(0, 64) + "'");
  }
}
}  // namespace

// Lists show only the cameras the caller may watch.
bool visible(const Params& p, const std::string& camera_id) { return !p.who || p.who->may_view(camera_id); }

void register_api(Router& r, std::shared_ptr<StreamManager> mgr, std::shared_ptr<service::CameraCatalog> catalog,
                  const config::Config& cfg, const StaticFiles& files) {
  using V = bhttp::verb;
  auto m = mgr;

  // Open, for load balancers and monitors: without credentials only the overall status;
  // the details (cameras, viewers, subsystems) for an admin.
  r.add(V::get, "/health", Access::open, [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
    auto h_op = await_reply<service::HealthInfo>(
        [m](Reply<service::HealthInfo> cb) { m->health(std::move(cb)); });
    auto h = co_await std::move(h_op);
    auto j = to_json(h);
    j["version"] = CAMRELAY_VERSION;
    if (!p.who || !p.who->is_admin()) {
      nlohmann::json brief = {{"status", j.value("status", "ok")}, {"version", CAMRELAY_VERSION}};
      co_return json_response(req, brief);
    }
    co_return json_response(req, j);
  });

  auto list_streams = [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
    auto all_op = await_reply<std::vector<StreamInfo>>(
        [m](Reply<std::vector<StreamInfo>> cb) { m->list(std::move(cb)); });
    auto all = co_await std::move(all_op);
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : all) {
      if (visible(p, s.camera_id)) arr.push_back(to_json(s));
    }
    co_return json_response(req, {{"streams", arr}, {"count", arr.size()}});
  };
  r.add(V::get, "/streams", Access::user, list_streams);

  auto active_streams = [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
    auto all_op = await_reply<std::vector<StreamInfo>>(
        [m](Reply<std::vector<StreamInfo>> cb) { m->list(std::move(cb)); });
    auto all = co_await std::move(all_op);
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : all) {
      if (service::is_running(s.state) && visible(p, s.camera_id)) arr.push_back(to_json(s));
    }
    co_return json_response(req, {{"streams", arr}, {"count", arr.size()}});
  };
  r.add(V::get, "/api/stream/active", Access::user, active_streams);

  auto get_stream = [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const std::string id = p.at("id");
    check_id(id);
    auto s_op = await_reply<StreamInfo>(
        [m, id](Reply<StreamInfo> cb) { m->get(id, std::move(cb)); });
    auto s = co_await std::move(s_op);
    co_return json_response(req, to_json(s));
  };
  r.add(V::get, "/streams/{id}", Access::camera, get_stream);
  r.add(V::get, "/api/stream/status/{id}", Access::camera, get_stream);

  auto start_stream = [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const std::string id = p.at("id");
    check_id(id);
    auto opts = parse_start_options(req);
    auto s_op = await_reply<StreamInfo>(
        [m, id, opts](Reply<StreamInfo> cb) { m->start(id, opts, std::move(cb)); });
    auto s = co_await std::move(s_op);
    // 202: a new start is under way (poll GET /streams/{id}); 200: it was already running.
    co_return json_response(req, to_json(s),
                            s.changed ? bhttp::status::accepted : bhttp::status::ok);
  };
  r.add(V::post, "/streams/{id}/start", Access::admin, start_stream);
  r.add(V::post, "/api/stream/start/{id}", Access::admin, start_stream);

  auto stop_stream = [m](const Request& req, const Params& p) -> asio::awaitable<Response> {
    const std::string id = p.at("id");
    check_id(id);
    auto s_op = await_reply<StreamInfo>(
        [m, id](Reply<StreamInfo> cb) { m->stop(id, std::move(cb)); });
    auto s = co_await std::move(s_op);
    co_return json_response(req, to_json(s));
  };
  r.add(V::post, "/streams/{id}/stop", Access::admin, stop_stream);
  r.add(V::post, "/api/stream/stop/{id}", Access::admin, stop_stream);

  register_camera_api(r, catalog, mgr);
  register_settings_api(r, catalog, mgr);
  register_viewer_api(r, mgr, cfg);
  register_output_api(r, mgr, cfg, files);  // HLS, MJPEG, snapshots (api_hls.cpp, api_mjpeg.cpp)

  // Static pages.
  const StaticFiles* f = &files;
  auto page = [f](std::string file) {
    return [f, file](const Request& req, const Params&) -> asio::awaitable<Response> {
      co_return f->serve(req, file);
    };
  };
  r.add(V::get, "/", Access::page, page("index.html"));
  r.add(V::get, "/viewer", Access::page, page("viewer.html"));
  r.add(V::get, "/stream/view/{id}", Access::page, page("viewer.html"));
  for (int depth = 1; depth <= 4; ++depth) {
    std::string pattern;
    for (int i = 0; i < depth; ++i) {
      pattern += "/{p";  // appended piecewise: GCC 12 -O3 -Wrestrict false positive on "…" + string
      pattern += std::to_string(i);
      pattern += '}';
    }
    r.add(V::get, pattern, Access::asset, [f, depth](const Request& req, const Params& p) -> asio::awaitable<Response> {
      std::string rel;
      for (int i = 0; i < depth; ++i) {
        if (i) rel += '/';
        rel += p.at(std::string("p").append(std::to_string(i)));
      }
      co_return f->serve(req, rel);
    });
  }
}

}  // namespace camrelay::http
