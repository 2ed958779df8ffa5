#pragma once
// The stream state machine (pure; unit-tested on its own).
//   stopped ─start─▶ starting ─first frame─▶ active ─source lost─▶ reconnecting ─▶ active
//      ▲                 │  ╲                   │                       │
//      └──── stopping ◀──┴───╲── stop ──────────┴───────────────────────┘
//   any running state ─fatal─▶ error ─start─▶ starting
#include <optional>
#include <string_view>

namespace camrelay::service {

enum class StreamState { stopped, starting, active, reconnecting, stopping, error };

std::string_view to_string(StreamState s) noexcept;
std::optional<StreamState> state_from_string(std::string_view s) noexcept;

// Whether the manager may move a stream from `from` to `to`.
bool can_transition(StreamState from, StreamState to) noexcept;

// starting, active or reconnecting: a pipeline exists and the stream is wanted.
bool is_running(StreamState s) noexcept;

}  // namespace camrelay::service
