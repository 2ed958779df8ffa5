#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// SDP for the BCGH camera contract (docs/mqtt.md): the daemon's offer (where the camera
// must send RTP/RTCP) and the camera's answer (where it sends from, where it wants RTCP).
// Pure functions, no I/O. Parsers take untrusted text and throw std::invalid_argument
// with a reason that names the line ("line 4: bad m= line \"m=video x\"").
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace camrelay::camera {

struct SdpMedia {
  std::string type;                   // video | audio | application ...
  int port = 0;                       // 0 = rejected
  std::string proto;                  // RTP/AVPF, RTP/AVP, ...
  std::vector<int> payload_types;     // from the m= line
  std::string address;                // media c= line, else the session's; "" if none
  int rtcp_port = 0;                  // a=rtcp: port, else port + 1
  std::string rtcp_address;           // a=rtcp: address, else `address`
  std::string direction = "sendrecv"; // sendrecv | sendonly | recvonly | inactive
  std::map<int, std::string> rtpmap;  // pt -> "H264/90000"
  std::map<int, std::string> fmtp;    // pt -> "packetization-mode=1;..."
  std::vector<std::string> rtcp_fb;   // "96 goog-remb", "96 nack pli", ...
  int bandwidth_as_kbps = 0;          // b=AS:
};

struct SessionDescription {
  std::string origin_address;  // o= line's address
  std::string address;         // session-level c= address ("" if none)
  std::vector<SdpMedia> media;
  const SdpMedia* find(std::string_view type) const;  // first m= of that type
};

// Generic parser (CRLF or LF line ends). Needs v=0 first and at least one m= line.
SessionDescription parse_sdp(std::string_view text);

// ---- the daemon's offer ----
struct OfferParams {
  std::uint64_t origin_id = 0;   // o= <sess-id> (numeric)
  std::string address;           // c= (EXTERNAL_IP): where the camera sends RTP and RTCP
  int video_port = 0;            // even
  int video_rtcp_port = 0;       // usually video_port + 1
  int payload_type = 96;
  std::string codec = "H264";
  int clock_rate = 90000;
  int max_kbps = 0;              // b=AS (0 = no b= line)
  int audio_port = 0;            // 0 = no audio m= line
  int audio_rtcp_port = 0;
};
std::string build_offer(const OfferParams& p);

// ---- the camera's answer, as the daemon needs it ----
struct RtpEndpoint {
  std::string address;  // where the camera sends from ("" or 0.0.0.0 = unknown: learn it)
  int rtp_port = 0;
  std::string rtcp_address;  // where the camera wants our RTCP
  int rtcp_port = 0;
};
struct AudioAnswer {
  int payload_type = 111;
  std::string codec;  // OPUS | PCMU | PCMA (upper case)
  int clock_rate = 0;
  int channels = 1;
};
struct AnswerInfo {
  RtpEndpoint video;
  std::optional<RtpEndpoint> audio;  // only if offered and accepted (port != 0)
  int payload_type = 96;
  // The accepted audio's format: the first payload type of the answer's m=audio that we
  // offered (111 opus/48000/2, 0 PCMU/8000, 8 PCMA/8000), named by its a=rtpmap (or the
  // static meaning of 0/8). Empty with `audio_error` set when m=audio is accepted but
  // unusable (the video is still accepted).
  std::optional<AudioAnswer> audio_format;
  std::string audio_error;
};
// Checks the answer against what we offered: an accepted m=video (port != 0) that sends
// (not recvonly/inactive), containing `payload_type`, whose rtpmap (if any) is
// `codec`/`clock_rate`; an address on the media or session c= line.
AnswerInfo parse_answer(std::string_view sdp, int payload_type = 96, std::string_view codec = "H264",
                        int clock_rate = 90000);

// ---- the camera side (camrelay-fakecam) ----
struct AnswerParams {
  std::uint64_t origin_id = 0;
  std::string address;     // the camera's address (c=)
  int video_port = 0;      // where the camera sends RTP from
  int rtcp_port = 0;       // where it wants RTCP (a=rtcp:)
  int payload_type = 96;
  std::string profile_level_id = "42e01f";
  int audio_port = 0;       // where the camera sends audio RTP from; 0 = reject m=audio
  int audio_rtcp_port = 0;  // where it wants audio RTCP
  int audio_payload_type = 111;  // answered as opus/48000/2 (must be in the offer)
};
// Answers an offer: video accepted (sendonly); the first m=audio accepted as Opus when
// audio_port != 0 and the offer lists audio_payload_type; any other m= line rejected (port 0).
std::string build_answer(const AnswerParams& p, const SessionDescription& offer);

}  // namespace camrelay::camera
