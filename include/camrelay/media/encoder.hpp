#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// camrelay's own H.264 encoding (the test pattern, V4L2 cameras): one place that turns the
// configured encoder name, profile, preset, bitrate and keyframe interval into GStreamer
// elements, so every source that encodes does it the same way (GET/PUT
// /streams/{id}/settings, docs/cameras.md).
//
//   encoder names → element factories, in the order "auto" tries them:
//     "v4l2"  → v4l2h264enc (a V4L2 memory-to-memory encoder: Raspberry Pi, many ARM boards)
//     "vaapi" → vah264enc, else vaapih264enc (Intel/AMD GPUs through VA-API)
//     "x264"  → x264enc (software; always the fallback of "auto")
#include <string>
#include <vector>

#include "camrelay/config/config.hpp"
#include "camrelay/gst/ptr.hpp"

namespace camrelay::media {

// The encoder names GStreamer can make here ("x264", "v4l2", "vaapi" in that order, only
// those whose element exists), plus "auto" when one of them does.
std::vector<std::string> available_h264_encoders();

// The element factory `encoder` ("x264", "v4l2", "vaapi", "auto") stands for here. Throws
// camrelay::Error(invalid_argument) naming the missing element and what is available.
std::string h264_encoder_factory(const std::string& encoder);

// A bin named `name`: raw video in (sink pad; converted to what the encoder takes) →
// H.264 out (src pad, caps video/x-h264 with e.profile), keyframes every
// e.keyframe_interval_s × e.fps frames, e.bitrate_kbps constant-ish bitrate, no B-frames,
// tuned for latency. Throws camrelay::Error when the encoder's element is missing.
gst::ElementPtr make_h264_encoder(const config::H264Encoding& e, const char* name);

}  // namespace camrelay::media
