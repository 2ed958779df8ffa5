#pragma once
// The WebRTC viewers' video, payloaded once per stream and codec and sent by each viewer's
// RtpSender (rtp_sender.hpp), from one thread per core: the payloader's and SendLanes
// (send_lane.hpp), each viewer on the one with the fewest viewers when it joined:
//
//   video tee ─▶ [bin webrtc-rtp-<codec>: queue(leaky) → rtp{h264,h265,vp8}pay → fakesink]
//                  every packet ─▶ its viewers on this thread: header, SRTP, send
//                               ─▶ each SendLane's queue ─▶ its viewers: header, SRTP, send
//
// A viewer's sender starts at a frame boundary: a keyframe, or the current GOP replayed first
// with its timestamps squeezed 1 ms apart just before the live frame, so the browser decodes
// a picture at once. Cameras that cannot be asked for a keyframe get the whole GOP (up to
// 8 MB); sources that can (encoders, BCGH) only a GOP of at most 0.5 s, which is what a join
// burst finds after the previous viewer's keyframe. Otherwise the sender waits, and the
// fanout asks the source for a keyframe (rate-limited there: one per 0.5 s).
//
// It is an Output of the stream (GET /streams/{id}: source.outputs."webrtc-rtp-<codec>"),
// starts with its first viewer and stops 5 s after the last. GLib thread unless noted.
#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "camrelay/gst/callback.hpp"
#include "camrelay/media/stream.hpp"

namespace camrelay::media {

class RtpSender;
enum class FanoutCodec { h264, h265, vp8 };

class RtpFanout {
 public:
  virtual ~RtpFanout() = default;
  // Any thread. `replayed` counts the frames of a GOP replay for this sender (its owner's
  // counter, held weakly).
  virtual void add(std::shared_ptr<RtpSender> sender, gst::Weak<std::atomic<std::uint64_t>> replayed) = 0;
  // Any thread. The sender may still be given the rest of the frame in progress (by the
  // payloader's thread or its send thread).
  virtual void remove(const RtpSender* sender) = 0;
};

struct FanoutTap {
  std::shared_ptr<RtpFanout> fanout;  // empty: none could be made (logged)
  std::shared_ptr<void> hold;         // keeps it running while held (drop: any thread)
};

// The fanout registered as `kind` on the stream for the video on `tee`, built if there is
// none. `replay_gop`: the tee carries the camera's own frames, the stream keeps its GOP
// (has_gop_cache) and the camera cannot be asked for keyframes: any GOP is replayed, and the
// first viewer gets the stream's. `request_keyframe`: asks whatever feeds `tee` for a
// keyframe (any thread).
FanoutTap acquire_fanout(const std::shared_ptr<Stream>& s, const std::string& kind, GstElement* tee,
                         FanoutCodec codec, bool replay_gop, std::function<void()> request_keyframe);

}  // namespace camrelay::media
