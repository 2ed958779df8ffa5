#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// Where an output branch (HLS, MJPEG, RTSP tap, WebRTC viewer) takes the camera's video
// from: the stream's own tee (quality main) or the out tee of the stream's sub transcoder
// (quality sub: camera.sub, src/media/transcode.hpp), which runs while something holds it.
// Both carry H.264 byte-stream access units with SPS/PPS before every IDR, so an output
// is the same branch whichever it reads; a sub variant registers under "<kind>-sub".
#include <gst/gst.h>

#include <memory>
#include <string>

#include "camrelay/media/stream.hpp"
#include "camrelay/model/quality.hpp"

namespace camrelay::media {

using model::Quality;

struct VideoInput {
  GstElement* tee = nullptr;   // borrowed: the tee to link the branch to (nullptr: none)
  std::shared_ptr<void> hold;  // sub: keeps the transcoder running while the output has it
  explicit operator bool() const { return tee != nullptr; }
};

// The kind an output of `base` kind registers under for `q`: "hls", "hls-sub".
std::string output_kind(const char* base, Quality q);

// The input for an output of quality `q`, starting the sub transcoder if needed. GLib
// thread. Empty if it cannot run (stream not built, sub transcoder failed: logged).
VideoInput video_input(const std::shared_ptr<Stream>& s, Quality q);

// Asks for a keyframe on the input of quality `q`: the camera (main) or the sub encoder.
// Any thread; nothing if no sub transcoder runs.
void request_input_keyframe(const std::shared_ptr<Stream>& s, Quality q);

}  // namespace camrelay::media
