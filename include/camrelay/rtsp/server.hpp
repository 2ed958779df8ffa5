#pragma once
// RTSP re-serve (docs/restream.md): every camera at rtsp://<rtsp.host>:<rtsp.port><rtsp.path>
// ({id} = the camera id; /stream1 = the first camera), served by gst-rtsp-server on a GLib
// thread of its own ("rtsp"). Each camera has one shared RTSP media
//   appsrc ! h264parse ! rtph264pay name=pay0 config-interval=-1
// fed from the camera stream's tee through its RTSP tap (no second connection to the
// camera, no re-encode). Every RTSP client is a reader of the camera (kind/protocol "rtsp"):
// admitted with the viewer limits, listed in GET /viewers, counted in /metrics; a DESCRIBE
// of a stopped camera starts it, and a camera started that way stops rtsp.grace_s after
// its last reader left. With accounts on, Basic authentication against the same accounts
// (password or API token as the password). TCP and UDP unicast transports.
//
// This header names no GStreamer type: main owns the server like the HTTP one.
#include <memory>

#include "camrelay/config/config.hpp"

namespace camrelay::service {
class StreamManager;
}
namespace camrelay::auth {
class Service;
}

namespace camrelay::rtsp {

class Server {
 public:
  // `accounts` is consulted unless auth.disabled.
  Server(const config::Config& cfg, std::shared_ptr<service::StreamManager> streams,
         std::shared_ptr<auth::Service> accounts);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Listens on rtsp.host (or http.host):rtsp.port. Throws camrelay::Error(unavailable) if
  // the port cannot be bound.
  void start();
  // Closes every RTSP client (their readers leave) and stops listening. Idempotent.
  void stop();
  int port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace camrelay::rtsp
