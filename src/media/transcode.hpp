#pragma once
// The transcode point: the camera's codec → a codec a viewer accepts, made ONCE per stream
// per target codec and shared by every viewer that needs it. One mechanism for every case:
//   AAC audio → Opus          (WebRTC viewers of AAC cameras)
//   H.264 or H.265 video → VP8 (browsers without H.264: Firefox without OpenH264)
//   H.265 video → H.264       (H.265 cameras: browsers without H.265, HLS)
//   camera video → smaller H.264 (the sub stream, camera.sub: rtsp://…/{id}_sub, ?quality=sub)
// A transcoder starts with its first viewer (acquire) and stops kLingerMs after the last
// hold is dropped. It is an Output of the stream (shown in GET /streams/{id} under
// source.outputs.<kind>) and is torn down with the pipeline. GLib thread unless noted.
//
//   input tee ─▶ [bin <kind>: queue(leaky) → decoder → convert … → encoder] ─▶ out tee ─▶ viewers
#include <gst/gst.h>

#include <memory>
#include <string>

#include "camrelay/media/stream.hpp"

namespace camrelay::media {

enum class TranscodeTarget { opus, vp8, h264, sub };

// The kind name it is registered under: "webrtc-opus", "webrtc-vp8", "h264", "sub".
const char* transcode_kind(TranscodeTarget t);

struct TranscodeTap {
  GstElement* tee = nullptr;     // borrowed: the transcoder's output tee (nullptr: none)
  std::shared_ptr<void> hold;    // keeps the transcoder running while held (drop: any thread)
  // Asks the encoder for a keyframe (rate-limited, shared by the transcoder's viewers).
  // Any thread; a no-op once the transcoder is gone.
  std::function<void()> request_keyframe;
};

// The running transcoder of `target` for this stream, started if there is none. An empty
// tap if it cannot run (input missing, GStreamer elements missing: logged).
TranscodeTap acquire_transcode(const std::shared_ptr<Stream>& s, TranscodeTarget target);

// H.264 access units (byte-stream, au, parameter sets before every IDR) for an output that
// takes nothing else: the stream's own tee for an H.264 camera (no hold, keyframes from the
// camera), the shared H.265 → H.264 transcode for an H.265 camera. Empty tee: none.
TranscodeTap acquire_h264(const std::shared_ptr<Stream>& s);
// Asks the running transcoder of `target` for a keyframe (nothing if none runs). Any thread.
void request_transcode_keyframe(const std::shared_ptr<Stream>& s, TranscodeTarget target);

// The decoder factory for the video on `tee` (its sink pad's caps: video/x-h264 →
// avdec_h264); "" if the caps are not known yet or no decoder is known for them.
std::string video_decoder_for(GstElement* tee);

}  // namespace camrelay::media
