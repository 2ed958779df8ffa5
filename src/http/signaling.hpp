#pragma once
#include <memory>

#include "camrelay/config/config.hpp"
#include "camrelay/http/server.hpp"

namespace camrelay::service {
class StreamManager;
}

namespace camrelay::http {

// Registers the WebSocket signaling endpoint (/signaling and, on the signaling port, /
// and /webrtc as in seed 000). Protocol: docs/signaling.md.
void register_signaling(Server& server, std::shared_ptr<service::StreamManager> mgr,
                        const config::Config& cfg);

}  // namespace camrelay::http
