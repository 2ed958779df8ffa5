#include "camrelay/service/state.hpp"

namespace camrelay::service {

std::string_view to_string(StreamState s) noexcept {
  switch (s) {
    case StreamState::stopped: return "stopped";
    case StreamState::starting: return "starting";
    case StreamState::active: return "active";
    case StreamState::reconnecting: return "reconnecting";
    case StreamState::stopping: return "stopping";
    case StreamState::error: return "error";
  }
  return "error";
}

std::optional<StreamState> state_from_string(std::string_view s) noexcept {
  for (auto st : {StreamState::stopped, StreamState::starting, StreamState::active,
                  StreamState::reconnecting, StreamState::stopping, StreamState::error}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

bool can_transition(StreamState from, StreamState to) noexcept {
  using S = StreamState;
  switch (from) {
    case S::stopped:
    case S::error:
      return to == S::starting;
    case S::starting:
      return to == S::active || to == S::stopping || to == S::error || to == S::reconnecting;
    case S::active:
      return to == S::reconnecting || to == S::stopping || to == S::error;
    case S::reconnecting:
      return to == S::active || to == S::stopping || to == S::error;
    case S::stopping:
      return to == S::stopped;
  }
  return false;
}

bool is_running(StreamState s) noexcept {
  return s == StreamState::starting || s == StreamState::active || s == StreamState::reconnecting;
}

}  // namespace camrelay::service
