#pragma once
// How a swarm viewer gets its session, and how it says goodbye: WHEP (camrelay: POST the
// offer, 201 + answer + Location, DELETE Location at the end) or the Janus streaming
// plugin's REST API (create a session, attach janus.plugin.streaming, `watch`, the offer
// arrives on the session's long poll, `start` with the answer; keepalive; destroy).
// All calls block the calling worker thread; they throw std::runtime_error with a message
// that names the server's answer.
#include <memory>
#include <string>

#include "viewer.hpp"

namespace swarm {

class Signaling {
 public:
  virtual ~Signaling() = default;
  virtual void join(Viewer& v) = 0;
  virtual void keepalive() {}
  virtual void leave() = 0;
};

struct SignalingOptions {
  std::string whep_url;      // --whep
  std::string token;         // --token (WHEP: Authorization: Bearer)
  std::string janus_url;     // --janus (…/janus)
  long long mountpoint = 0;  // --mountpoint
};

std::unique_ptr<Signaling> make_signaling(const SignalingOptions& o);

}  // namespace swarm
