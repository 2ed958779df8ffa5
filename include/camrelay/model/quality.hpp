#pragma once
// Which of a camera's streams a reader takes: the camera's own ("main") or its lower-quality
// sub stream ("sub": camera.sub, decoded and re-encoded once per stream while watched).
// Shared by media (which branch an output hangs off), service (readers) and http (?quality=).
#include <optional>
#include <string_view>

namespace camrelay::model {

enum class Quality { main, sub };

constexpr std::string_view to_string(Quality q) { return q == Quality::sub ? "sub" : "main"; }

// "main" | "sub"; nullopt for anything else.
constexpr std::optional<Quality> parse_quality(std::string_view s) {
  if (s == "main") return Quality::main;
  if (s == "sub") return Quality::sub;
  return std::nullopt;
}

}  // namespace camrelay::model
