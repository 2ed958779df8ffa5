#pragma once
// SDP for the lite receiver: the remote description it needs (ICE credentials and
// candidates, DTLS fingerprint and setup role, the H.264 and RTX payload types and the mid of
// the video m-section) parsed from camrelay's WHEP answer or Janus' offer, and our own
// recvonly offer or answer (one bundled video m-section, rtcp-mux, NACK/PLI/FIR feedback, RTX,
// non-trickle: every candidate inside). Pure text functions; parse errors throw
// std::runtime_error naming what is missing.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swarm::sdp {

// One `a=candidate:` attribute (RFC 5245 grammar, the parts ICE needs).
struct Candidate {
  std::string foundation;
  int component = 1;
  std::string transport;  // "UDP" or "TCP" as written
  uint32_t priority = 0;
  std::string address;
  uint16_t port = 0;
  std::string type;       // host, srflx, prflx, relay
};

// The value after "a=" (starting with "candidate:"); nullopt when malformed.
std::optional<Candidate> parse_candidate(std::string_view attr);
// "candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>".
std::string format_candidate(const Candidate& c);

// One m-section of a remote description, as much as an answer must repeat of it.
struct Section {
  std::string media;      // video, audio, application, ...
  std::string proto;      // UDP/TLS/RTP/SAVPF
  std::string formats;    // the format list as written
  std::string mid;
};

struct Remote {
  std::string ice_ufrag, ice_pwd;
  std::string fingerprint_alg;  // lower case, e.g. "sha-256"
  std::string fingerprint;      // upper-case hex pairs with colons
  std::string setup;            // actpass, active or passive
  std::vector<Section> sections;
  size_t video = 0;             // index of the H.264 video section in `sections`
  int h264_pt = -1;
  std::string h264_fmtp;        // the fmtp of h264_pt ("" when none)
  int rtx_pt = -1;              // the rtx PT with apt=h264_pt, -1 when none
  std::vector<std::string> feedback;  // a=rtcp-fb values of h264_pt ("nack", "nack pli", ...)
  std::vector<Candidate> candidates;  // of the video section: component 1, UDP
};

// Parses a remote offer or answer; throws std::runtime_error when it has no video section
// with H.264 (packetization-mode=1 preferred) or lacks ICE credentials or a fingerprint.
Remote parse_remote(const std::string& text);

// What our description says about ourselves.
struct Local {
  uint64_t session_id = 0;
  std::string ice_ufrag, ice_pwd;
  std::string fingerprint;      // sha-256, upper-case hex pairs with colons
  std::vector<Candidate> candidates;
};

// The H.264 format the offer asks for: constrained baseline 3.1, packetization-mode 1 (what
// the webrtcbin receiver offers).
constexpr int kOfferH264Pt = 96;
constexpr int kOfferRtxPt = 97;
constexpr const char* kOfferH264Fmtp = "packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1";

// Recvonly offer (WHEP): one video m-section, mid 0, H.264 + RTX, a=setup:actpass.
std::string build_offer(const Local& l);
// Recvonly answer to `offer` (Janus): the video section with the offer's PTs, mid and the
// feedback we support among those offered; a=setup:active (passive to an active offer);
// every other section rejected (port 0).
std::string build_answer(const Local& l, const Remote& offer);
// The setup role our answer takes for `offer_setup`.
std::string answer_setup(const std::string& offer_setup);

}  // namespace swarm::sdp
