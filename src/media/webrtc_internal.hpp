#pragma once
// Private to the WebRTC viewer files (webrtc_viewer.cpp, webrtc_negotiation.cpp,
// webrtc_stats.cpp): shared constants and small helpers.
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <memory>
#include <string>

#include "camrelay/gst/callback.hpp"
#include "camrelay/media/webrtc_viewer.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::media::webrtc_detail {

inline auto lg() {
  static auto l = log::get("webrtc");
  return l;
}

// Debian's Chromium only accepts a few H.264 profiles (42001f, 42e01f, 4d001f, f4001f): the
// server's own offers advertise 42e01f. The camera's real stream (Main/High too) is sent as
// it is and decoded fine.
inline constexpr const char* kOfferedProfile = "42e01f";
inline constexpr unsigned kGatherTimeoutMs = 1500;
// Without STUN/TURN servers only host candidates exist, and libnice reports them all at
// once: answer this long after the first one instead of waiting ~250 ms for "complete".
inline constexpr unsigned kHostCandidatesGraceMs = 15;
inline constexpr guint kQueueBuffers = 90;
inline constexpr guint kAudioQueueBuffers = 50;

using Weak = gst::Weak<WebrtcViewer>;

struct DescriptionFree {
  void operator()(GstWebRTCSessionDescription* d) const { gst_webrtc_session_description_free(d); }
};
struct SdpFree {
  void operator()(GstSDPMessage* m) const { gst_sdp_message_free(m); }
};
using DescriptionPtr = std::unique_ptr<GstWebRTCSessionDescription, DescriptionFree>;
using SdpPtr = std::unique_ptr<GstSDPMessage, SdpFree>;

// The description stored under `field` ("offer", "answer") in a promise's reply, or empty.
DescriptionPtr reply_description(GstPromise* p, const char* field);
// A session description of `type` from SDP text; empty if the text is not SDP with media.
DescriptionPtr parse_description(GstWebRTCSDPType type, const std::string& sdp);

// RTP caps of our video for webrtcbin (codec preferences and the sink pad).
std::string video_rtp_caps(int pt, const std::string& profile, int twcc_id);
std::string h265_rtp_caps(int pt, int twcc_id);
std::string vp8_rtp_caps(int pt, int twcc_id);
// RTP caps of our audio: opus 48000/2, pcmu or pcma 8000.
std::string audio_rtp_caps(const std::string& codec, int pt);
// The payload type the server's own offers use for an audio codec.
int default_audio_pt(const std::string& codec);

PeerState peer_state(GstWebRTCPeerConnectionState s);
const char* ice_state_name(GstWebRTCICEConnectionState s);
// Reply error of a webrtcbin promise, if any ("" = replied without error).
std::string promise_error(GstPromise* p);

}  // namespace camrelay::media::webrtc_detail
