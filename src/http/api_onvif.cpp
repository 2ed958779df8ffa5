// ONVIF (docs/onvif.md): camrelay's Device and Media services for NVRs, the discovery of
// ONVIF cameras on the LAN, and PTZ of ONVIF cameras. The SOAP routes are `open` in the
// route table: NVRs authenticate inside the SOAP header (WS-Security UsernameToken), which
// is checked here — against the ONVIF credential (onvif.username/password: text or digest)
// or an API token given as the password (text only).

#include <chrono>

#include "api.hpp"
#include "await_reply.hpp"
#include "decode.hpp"
#include "worker_pool.hpp"
#include "camrelay/auth/service.hpp"
#include "camrelay/http/response.hpp"
#include "camrelay/onvif/client.hpp"
#include "camrelay/onvif/device.hpp"
#include "camrelay/onvif/discovery.hpp"
#include "camrelay/onvif/wsse.hpp"
#include "camrelay/service/camera_catalog.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "camrelay_version.hpp"

namespace camrelay::http {
namespace {
using nlohmann::json;

auto lg() {
  static auto l = log::get("onvif");
  return l;
}

Response soap_response(const Request& req, int status, std::string xml) {
  Response res{static_cast<bhttp::status>(status), req.version()};
  res.set(bhttp::field::content_type, "application/soap+xml; charset=utf-8");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(xml);
  res.prepare_payload();
  return res;
}

// The host part of the Host header the client used ("" when it is not a plain host[:port]).
std::string request_host(const Request& req) {
  std::string h(req[bhttp::field::host]);
  if (h.empty() || h.find_first_of("/@ \t\\\"<>") != std::string::npos) return {};
  if (h.front() == '[') {
    auto close = h.find(']');
    return close == std::string::npos ? std::string() : h.substr(0, close + 1);
  }
  auto colon = h.find(':');
  return colon == std::string::npos ? h : h.substr(0, colon);
}

bool wildcard(const std::string& host) { return host.empty() || host == "0.0.0.0" || host == "::"; }

// Who the UsernameToken names: the ONVIF credential (a viewer of every camera) or the owner
// of the API token given as the password. nullopt: not authenticated.
std::optional<auth::Principal> check_token(const config::Onvif& o, const auth::Service* accounts,
                                           const onvif::UsernameToken& t, const std::string& ip) {
  if (onvif::token_matches(t, o.username, o.password, unix_now_s())) return auth::onvif_principal(o.username);
  // An API token as a PasswordText (it is stored hashed: a digest cannot be checked). Login
  // passwords are not accepted: an Argon2id check per SOAP call (docs/security.md).
  if (t.digest || !accounts) return std::nullopt;
  auth::Credentials c;
  c.authorization = "Bearer " + t.password;
  c.remote_ip = ip;
  auto r = accounts->authenticate(c);
  if (r.outcome != auth::AuthResult::Outcome::ok || !r.who || r.who->user != t.username) return std::nullopt;
  return r.who;
}

struct Site {
  std::string base_url;  // http://host:port
  std::string rtsp_host;
};

Site site_of(const config::Config& cfg, const Request& req) {
  Site s;
  const std::string from_request = request_host(req);
  std::string host = cfg.onvif.host;
  if (host.empty() && !wildcard(cfg.http.host)) host = cfg.http.host;
  if (host.empty()) host = from_request.empty() ? "127.0.0.1" : from_request;
  std::string http_host = !cfg.onvif.host.empty() ? cfg.onvif.host : (from_request.empty() ? host : from_request);
  s.base_url = "http://" + http_host + ":" + std::to_string(cfg.http.port);
  s.rtsp_host = !cfg.onvif.host.empty() ? cfg.onvif.host : (!wildcard(cfg.rtsp.host) ? cfg.rtsp.host : host);
  return s;
}

std::string rtsp_uri(const config::Config& cfg, const std::string& host, const std::string& id) {
  std::string path = cfg.rtsp.path;
  auto at = path.find("{id}");
  if (at != std::string::npos) path.replace(at, 4, id);
  return "rtsp://" + host + ":" + std::to_string(cfg.rtsp.port) + path;
}

json profile_json(const onvif::ProfileSummary& p) {
  return {{"token", p.token}, {"name", p.name}, {"encoding", p.encoding},
          {"width", p.width}, {"height", p.height}, {"ptz", p.ptz}};
}

// manufacturer/model from the scopes (onvif://www.onvif.org/name/…, /hardware/…).
std::string scope_value(const std::vector<std::string>& scopes, const std::string& key) {
  const std::string prefix = "onvif://www.onvif.org/" + key + "/";
  for (const auto& s : scopes) {
    if (s.starts_with(prefix)) {
      auto v = url_decode(s.substr(prefix.size()));
      return v ? *v : s.substr(prefix.size());
    }
  }
  return {};
}

json discover_now(const config::Config& cfg, int wait_ms) {
  json devices = json::array();
  for (const auto& m : onvif::probe(cfg.onvif.interfaces, cfg.onvif.discovery_port, std::chrono::milliseconds(wait_ms))) {
    json d = {{"endpoint", m.endpoint},
              {"address", m.xaddrs.front()},
              {"xaddrs", m.xaddrs},
              {"scopes", m.scopes},
              {"manufacturer", scope_value(m.scopes, "name")},
              {"model", scope_value(m.scopes, "hardware")},
              {"profiles", nullptr}};
    // Without credentials: many cameras answer these; the others say so in "error".
    try {
      onvif::Client c({m.xaddrs.front(), {}, {}, std::chrono::milliseconds(2000)});
      auto id = c.device_information();
      if (!id.manufacturer.empty()) d["manufacturer"] = id.manufacturer;
      if (!id.model.empty()) d["model"] = id.model;
      json profiles = json::array();
      for (const auto& p : c.profiles()) profiles.push_back(profile_json(p));
      d["profiles"] = std::move(profiles);
    } catch (const Error& e) {
      d["error"] = e.what();
    }
    devices.push_back(std::move(d));
  }
  return {{"devices", devices}};
}

// The ONVIF source of camera `id` (with its credentials), or an Error.
config::OnvifSource onvif_source_of(const service::CameraCatalog& catalog, const std::string& id) {
  auto c = catalog.find(id);
  if (!c) throw Error(Errc::not_found, "unknown camera " + id);
  const auto* s = std::get_if<config::OnvifSource>(&c->camera.source);
  if (!s) {
    throw Error(Errc::conflict, "camera " + id + " is not an ONVIF camera (source.type " +
                                    config::source_type_name(c->camera.source) + "): it has no PTZ through camrelay");
  }
  return *s;
}

std::string profile_of(onvif::Client& c, const config::OnvifSource& s) {
  if (!s.profile.empty()) return s.profile;
  auto ps = c.profiles();
  if (ps.empty()) throw Error(Errc::conflict, "the camera has no media profile");
  return ps.front().token;
}

double axis(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end()) return 0;
  if (!it->is_number()) throw Error(Errc::invalid_argument, std::string(key) + ": must be a number from -1 to 1");
  double v = it->get<double>();
  if (v < -1 || v > 1) throw Error(Errc::invalid_argument, std::string(key) + ": must be from -1 to 1");
  return v;
}

json ptz_now(const config::OnvifSource& s, const json& body) {
  onvif::Client c({s.url, s.username, s.password, std::chrono::milliseconds(5000)});
  const std::string action = body.value("action", std::string());
  try {
    if (!c.has_ptz()) throw Error(Errc::conflict, "the camera offers no PTZ service");
    const std::string profile = profile_of(c, s);
    if (action == "move") {
      std::optional<double> timeout;
      if (body.contains("timeout_s")) timeout = body["timeout_s"].get<double>();
      c.continuous_move(profile, axis(body, "pan"), axis(body, "tilt"), axis(body, "zoom"), timeout);
      return {{"ok", true}};
    }
    if (action == "stop") {
      c.stop(profile);
      return {{"ok", true}};
    }
    if (action == "presets") {
      json list = json::array();
      for (const auto& p : c.presets(profile)) list.push_back({{"token", p.token}, {"name", p.name}});
      return {{"presets", list}};
    }
    c.goto_preset(profile, body.at("preset").get<std::string>());
    return {{"ok", true}};
  } catch (const Error& e) {
    // The camera refused what was asked, or cannot be reached: a gateway's answer.
    if (e.code() == Errc::unauthenticated || e.code() == Errc::unavailable) {
      throw Error(Errc::unavailable, std::string("the camera: ") + e.what());
    }
    throw;
  }
}

json parse_ptz_body(const Request& req) {
  json body = json_object_of(req.body());
  const std::string action = body.contains("action") && body["action"].is_string() ? body["action"].get<std::string>() : "";
  if (action != "move" && action != "stop" && action != "presets" && action != "goto_preset") {
    throw Error(Errc::invalid_argument, "action: must be one of move, stop, presets, goto_preset");
  }
  if (action == "move") {
    for (const char* k : {"pan", "tilt", "zoom"}) axis(body, k);
    if (body.contains("timeout_s") && (!body["timeout_s"].is_number() || body["timeout_s"].get<double>() <= 0 ||
                                       body["timeout_s"].get<double>() > 60)) {
      throw Error(Errc::invalid_argument, "timeout_s: must be a number of seconds from 0 to 60");
    }
  }
  if (action == "goto_preset" && (!body.contains("preset") || !body["preset"].is_string() ||
                                  body["preset"].get<std::string>().empty())) {
    throw Error(Errc::invalid_argument, "preset: required (a preset token from action presets)");
  }
  return body;
}

}  // namespace

void register_onvif_api(Router& r, std::shared_ptr<service::StreamManager> mgr,
                        std::shared_ptr<service::CameraCatalog> catalog, std::shared_ptr<auth::Service> accounts,
                        const config::Config& cfg) {
  using V = bhttp::verb;
  using service::Reply;
  // Blocking ONVIF work (discovery waits, calls to cameras).
  auto pool = std::make_shared<WorkerPool>(2);

  // The SOAP routes exist whatever the configuration (the route table and docs/openapi.yaml
  // stay one list); with onvif.enabled false they answer 404.
  {
    onvif::DeviceIdentity identity{cfg.onvif.manufacturer, cfg.onvif.model, CAMRELAY_VERSION,
                                   onvif::device_uuid(cfg.data_dir, cfg.http.port), "camrelay"};
    for (const auto& entry : {std::pair{"/onvif/device_service", onvif::Service::device},
                              std::pair{"/onvif/media_service", onvif::Service::media}}) {
      const onvif::Service service = entry.second;
      r.add(V::post, entry.first, Access::open,
            [mgr, accounts, &cfg, identity, service](const Request& req, const Params& p) -> asio::awaitable<Response> {
              if (!cfg.onvif.enabled) {
                co_return error_response(req, bhttp::status::not_found, "not_found",
                                         "camrelay is no ONVIF device here: onvif.enabled is false");
              }
              onvif::Message msg;
              try {
                msg = onvif::parse_message(req.body());
              } catch (const Error& e) {
                co_return soap_response(req, 400, onvif::fault("s:Sender", "ter:InvalidArgVal", e.what()));
              }
              std::optional<auth::Principal> who;
              if (!cfg.auth.disabled && !onvif::is_open_operation(msg)) {
                std::optional<onvif::UsernameToken> token;
                try {
                  token = onvif::read_username_token(msg.header);
                } catch (const Error& e) {
                  co_return soap_response(req, 400, onvif::fault("s:Sender", "ter:InvalidArgVal", e.what()));
                }
                if (token) who = check_token(cfg.onvif, accounts.get(), *token, p.remote_ip);
                if (!who) {
                  lg()->info("ONVIF {} from {}: not authorized{}", msg.operation.local_name(), p.remote_ip,
                             token ? " (user " + token->username + ")" : " (no UsernameToken)");
                  auto na = onvif::not_authorized();
                  co_return soap_response(req, na.status, std::move(na.xml));
                }
              }
              onvif::DeviceView view;
              view.identity = identity;
              view.now = unix_now_s();
              const Site site = site_of(cfg, req);
              view.base_url = site.base_url;
              const std::string op = msg.operation.local_name();
              if (op.starts_with("Get") && (op.find("Profile") != std::string::npos || op.find("Uri") != std::string::npos ||
                                            op == "GetVideoSources" || op == "GetServiceCapabilities" || op == "GetServices" ||
                                            op == "GetCapabilities")) {
                auto list_op = await_reply<std::vector<service::StreamInfo>>(
                    [mgr](Reply<std::vector<service::StreamInfo>> cb) { mgr->list(std::move(cb)); });
                auto streams = co_await std::move(list_op);
                for (const auto& s : streams) {
                  if (who && !who->may_view(s.camera_id)) continue;
                  onvif::MediaProfile mp;
                  mp.token = s.camera_id;
                  mp.name = s.name.empty() ? s.camera_id : s.name;
                  mp.rtsp_uri = rtsp_uri(cfg, site.rtsp_host, s.camera_id);
                  mp.snapshot_uri = site.base_url + "/streams/" + s.camera_id + "/snapshot.jpg";
                  mp.width = s.stats.width;
                  mp.height = s.stats.height;
                  mp.fps = s.stats.fps;
                  mp.encoding = s.video_codec;
                  view.profiles.push_back(std::move(mp));
                }
              }
              auto a = onvif::answer(msg, service, view);
              co_return soap_response(req, a.status, std::move(a.xml));
            });
    }
  }

  r.add(V::get, "/onvif/discover", Access::admin, [pool, &cfg](const Request& req, const Params& p) -> asio::awaitable<Response> {
    int wait_ms = 3000;
    if (auto w = p.query_or("wait_ms"); !w.empty()) {
      try {
        std::size_t used = 0;
        wait_ms = std::stoi(w, &used);
        if (used != w.size()) throw std::invalid_argument(w);
      } catch (const std::exception&) {
        wait_ms = -1;
      }
      if (wait_ms < 100 || wait_ms > 10000) {
        co_return error_response(req, bhttp::status::bad_request, "invalid_argument",
                                 "wait_ms: must be a whole number of milliseconds from 100 to 10000");
      }
    }
    auto op = pool->run<json>([&cfg, wait_ms] { return discover_now(cfg, wait_ms); });
    auto found = co_await std::move(op);
    co_return json_response(req, found);
  });

  r.add(V::post, "/streams/{id}/ptz", Access::admin,
        [pool, catalog](const Request& req, const Params& p) -> asio::awaitable<Response> {
          json body;
          config::OnvifSource src;
          try {
            body = parse_ptz_body(req);
            src = onvif_source_of(*catalog, p.at("id"));
          } catch (const Error& e) {
            co_return error_response(req, e);
          }
          auto op = pool->run<json>([src, body] { return ptz_now(src, body); });
          auto out = co_await std::move(op);
          co_return json_response(req, out);
        });
}

}  // namespace camrelay::http
