#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// What the WebRTC viewer side does with a camera's audio (pure; shown in GET /streams/{id}
// as audio.webrtc). Browsers take Opus, PCMU and PCMA as they are; AAC must be transcoded.
#include <string>
#include <string_view>

namespace camrelay::media {

// codec: AudioInfo::codec ("opus" | "pcmu" | "pcma" | "aac" | "").
// Returns "passthrough" (opus, pcmu, pcma), "transcode:opus" (aac) or "none" (no audio,
// or a codec the viewer side cannot use).
inline std::string webrtc_audio_plan(std::string_view codec) {
  if (codec == "opus" || codec == "pcmu" || codec == "pcma") return "passthrough";
  if (codec == "aac") return "transcode:opus";
  return "none";
}

}  // namespace camrelay::media
