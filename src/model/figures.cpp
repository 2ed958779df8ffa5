#include "camrelay/model/figures.hpp"

namespace camrelay::model {

std::string_view to_string(PeerState s) {
  switch (s) {
    case PeerState::created: return "new";
    case PeerState::connecting: return "connecting";
    case PeerState::connected: return "connected";
    case PeerState::disconnected: return "disconnected";
    case PeerState::failed: return "failed";
    case PeerState::closed: return "closed";
  }
  return "unknown";
}

}  // namespace camrelay::model
