#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// Reading a browser's SDP offer (WHEP) and deciding how to answer it: which m-line gets
// the camera's video, which gets its audio, and which are answered inactive or rejected.
// Pure text functions, no GStreamer: unit-tested with offers recorded from Chromium,
// Firefox and a Safari-shaped offer (tests/fixtures/sdp).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace camrelay::media {

inline constexpr const char* kTwccUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

struct OfferedCodec {
  int pt = -1;
  std::string name;   // lower case: h264, vp8, opus, pcmu, pcma, ...
  int clock_rate = 0;
  int channels = 0;   // audio: encoding parameters (0 = not given)
  std::string fmtp;   // lower case, as written after "a=fmtp:PT "
};

struct OfferedMedia {
  unsigned index = 0;      // m-line index in the offer
  std::string kind;        // video | audio | application | ...
  int port = 0;
  std::string proto;       // UDP/TLS/RTP/SAVPF, UDP/DTLS/SCTP, ...
  std::string mid;
  std::string direction = "sendrecv";  // sendrecv | recvonly | sendonly | inactive
  bool bundle_only = false;
  std::vector<OfferedCodec> codecs;  // in the offer's order of preference
  int twcc_ext_id = -1;              // a=extmap id for transport-wide-cc, -1 if none
  std::string ice_ufrag;             // media-level, else the session-level one
};

struct OfferInfo {
  std::vector<OfferedMedia> media;
  std::vector<std::string> bundle_mids;  // a=group:BUNDLE, in order (empty: no BUNDLE)
  std::string ice_ufrag;                 // session level (may be empty)
  // The ICE ufrag in force for the first m-line (media level, else session level).
  std::string ice_ufrag_of_first() const { return media.empty() ? ice_ufrag : media.front().ice_ufrag; }
};

// Structural parse of an offer. Throws std::invalid_argument with a clear message when the
// text is not an SDP (no v=0, no m= line, malformed m= line, over 64 KiB).
OfferInfo parse_offer(const std::string& sdp);

// Which codec of the stream's audio the viewer can receive: "opus", "pcmu", "pcma", or ""
// when the stream has no audio for WebRTC.
struct AnswerPlan {
  int video_index = -1;    // m-line that gets the camera's video, -1 none
  // h264 (an H.264 camera's, passed through; an H.265 camera's shared H.264 transcode) |
  // h265 (an H.265 camera's, passed through) | vp8 (the shared transcode)
  std::string video_codec;
  int video_pt = -1;
  std::string video_profile;  // profile-level-id of the chosen payload type ("" = none given)
  int video_twcc_id = 0;      // 0 = no TWCC
  int audio_index = -1;    // m-line that gets the camera's audio, -1 none
  int audio_pt = -1;
  std::string audio_codec;    // opus | pcmu | pcma
  std::string error;          // non-empty: the offer cannot be served, and why
  std::string note;           // why audio is not served (for the log), may be empty
};

// Decides the answer. `webrtc_audio` is the codec the stream can send to WebRTC viewers
// ("opus", "pcmu", "pcma") or "" for none. Video: the first video m-line that the browser
// wants to receive (recvonly/sendrecv) and that offers H.264 with packetization-mode=1;
// among its H.264 payload types constrained baseline 42e01f is preferred, then 42001f,
// other baseline, main, then any (the camera's real stream is sent whatever the profile).
// With no such m-line and `vp8_ok`, the first receiving video m-line that offers VP8 gets
// the stream's shared VP8 transcode. `h265_source` (an H.265 camera): before all that, the
// first receiving video m-line that offers H.265 (RFC 7798, "H265/90000") gets the camera's
// video as it is; among its H.265 payload types Main profile (profile-id 1, or none given) is
// preferred. Without one the camera's video goes out as H.264 (the shared transcode) or VP8.
AnswerPlan plan_answer(const OfferInfo& offer, const std::string& webrtc_audio, bool vp8_ok = true,
                       bool h265_source = false);

// The codecs offered on video m-lines, for error messages: "VP8, VP9, AV1".
std::string offered_video_codecs(const OfferInfo& offer);

// The m-line index whose ICE transport a trickled candidate belongs to: with BUNDLE, the
// first m-line of the group (the offerer-tagged one); otherwise the m-line of `mid`
// (or `fallback` when `mid` is unknown/empty).
unsigned transport_mline(const OfferInfo& offer, const std::string& mid, unsigned fallback);

// SDP text helpers for our own offers (unit-tested).
// Adds a copy of each host candidate with the address replaced by each announced IP.
std::vector<std::string> announce_candidates(const std::string& candidate,
                                             const std::vector<std::string>& announced_ips);
// Inserts "a=candidate" lines (by m-line index) and a=end-of-candidates into an SDP.
std::string add_candidates_to_sdp(const std::string& sdp,
                                  const std::vector<std::pair<unsigned, std::string>>& cands);
// Announces the SSRC we send on m-line `mline` (a=msid, a=ssrc cname/msid) when the
// section has none: without it a browser demultiplexing a BUNDLE by payload type alone
// may route our video to no receiver (Chromium does when video is the first m-line).
std::string add_ssrc_to_sdp(const std::string& sdp, unsigned mline, std::uint32_t ssrc,
                            const std::string& stream_id, const std::string& track_id);

}  // namespace camrelay::media
