#pragma once
#include <memory>
#include <string>
#include <vector>

#include "camrelay/config/config.hpp"
#include "camrelay/onvif/discovery.hpp"

namespace camrelay::http {
class Server;
}
namespace camrelay::service {
class StreamManager;
}

namespace camrelay::app {

// gst_init, checks the elements the cameras need; returns the health text.
std::string init_gstreamer(const std::vector<config::Camera>& cameras);

// Hooks optional subsystems (WebSocket signaling, WHEP, MQTT, ...) into the server.
void wire_extensions(http::Server& server, std::shared_ptr<service::StreamManager> mgr,
                     const config::Config& cfg);

// What camrelay's WS-Discovery answers carry (onvif.*): identity, scopes, device address.
onvif::Responder::Options discovery_options(const config::Config& cfg);

}  // namespace camrelay::app
