#pragma once
#include <memory>

#include "camrelay/config/config.hpp"
#include "camrelay/http/router.hpp"
#include "camrelay/http/server.hpp"
#include "camrelay/http/static_files.hpp"

namespace camrelay::service {
class StreamManager;
}

namespace camrelay::http {

// Registers every REST endpoint and the static pages (docs: README "API").
void register_api(Router& r, std::shared_ptr<service::StreamManager> mgr, const config::Config& cfg,
                  const StaticFiles& files);

// Login, logout, accounts, tokens, the route table (api_auth.cpp).
void register_auth_api(Router& r, std::shared_ptr<auth::Service> auth, const StaticFiles& files,
                       std::function<std::vector<Server::RouteEntry>()> routes);

// /viewers and WHEP (api_viewers.cpp).
void register_viewer_api(Router& r, std::shared_ptr<service::StreamManager> mgr,
                        const config::Config& cfg);

}  // namespace camrelay::http
