#pragma once
#include <memory>

#include "camrelay/config/config.hpp"
#include "camrelay/http/router.hpp"
#include "camrelay/http/server.hpp"
#include "camrelay/http/static_files.hpp"

namespace camrelay::service {
class CameraCatalog;
class StreamManager;
}

namespace camrelay::http {

// Registers every REST endpoint and the static pages (docs: README "API").
void register_api(Router& r, std::shared_ptr<service::StreamManager> mgr,
                  std::shared_ptr<service::CameraCatalog> catalog, const config::Config& cfg,
                  const StaticFiles& files);

// Lists show only the cameras the caller may watch (api_streams.cpp).
bool visible(const Params& p, const std::string& camera_id);

// GET /cameras and the cameras managed through the API (api_cameras.cpp).
void register_camera_api(Router& r, std::shared_ptr<service::CameraCatalog> catalog,
                         std::shared_ptr<service::StreamManager> mgr);

// GET/PUT/DELETE /streams/{id}/settings (api_settings.cpp).
void register_settings_api(Router& r, std::shared_ptr<service::CameraCatalog> catalog,
                           std::shared_ptr<service::StreamManager> mgr);

// Login, logout, accounts, tokens, the route table (api_auth.cpp).
void register_auth_api(Router& r, std::shared_ptr<auth::Service> auth, const StaticFiles& files,
                       std::function<std::vector<Server::RouteEntry>()> routes);

// GET /metrics and GET /openapi.yaml (api_observability.cpp). `instruments` may be null.
void register_observability_api(Router& r, std::shared_ptr<service::StreamManager> mgr,
                                std::shared_ptr<metrics::Metrics> instruments);

// /viewers and WHEP (api_viewers.cpp).
void register_viewer_api(Router& r, std::shared_ptr<service::StreamManager> mgr,
                        const config::Config& cfg);

// ONVIF (api_onvif.cpp, docs/onvif.md): the device's SOAP services (with onvif.enabled),
// GET /onvif/discover, POST /streams/{id}/ptz.
void register_onvif_api(Router& r, std::shared_ptr<service::StreamManager> mgr,
                        std::shared_ptr<service::CameraCatalog> catalog, std::shared_ptr<auth::Service> accounts,
                        const config::Config& cfg);
}  // namespace camrelay::http
