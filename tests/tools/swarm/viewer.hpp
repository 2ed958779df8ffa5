#pragma once
// One receive-only WebRTC viewer of the swarm, as Signaling and main.cpp see it, and what it
// counts. Two receivers implement it: WebrtcbinViewer (GStreamer webrtcbin, --receiver
// webrtcbin) and LiteViewer (libnice + OpenSSL DTLS + libsrtp2, --receiver lite, the default).
// Negotiation calls block the calling (worker) thread; counters are read from any thread.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace swarm {

using Clock = std::chrono::steady_clock;

// Packets of one RTP stream at one point of the receive path, with RTP sequence numbers
// extended to 64 bits (RFC 3550 A.1): lost = expected - received.
struct SeqCount {
  uint64_t packets = 0;
  uint64_t frames = 0;         // packets with the marker bit (the last of a picture)
  uint64_t gaps = 0;           // sequence discontinuities (a jump forward)
  int64_t ext_first = -1;      // extended sequence number of the first packet
  int64_t ext_max = -1;        // highest extended sequence number seen
  // Counts a packet; true when it opens a gap.
  bool add(uint16_t seq, bool marker);
  int64_t expected() const { return ext_max < 0 ? 0 : ext_max - ext_first + 1; }
};

// `seq` extended to 64 bits next to `ext_max`, the highest extended number seen so far
// (RFC 3550 A.1 style: the nearest of the candidates around it).
int64_t extend_seq(int64_t ext_max, uint16_t seq);

struct Counters {
  SeqCount arrived;            // after SRTP (RTX repairs included): what the network delivered
  SeqCount delivered;          // what a decoder would get in time (the jitter buffer's output)
  uint64_t plis_sent = 0;
  std::optional<Clock::time_point> first_packet;
  std::optional<Clock::time_point> connected;
  bool failed = false;         // the connection failed (ICE, DTLS)
  Clock::time_point local_sdp_ready{};  // our offer/answer had all its candidates
};

class Viewer {
 public:
  virtual ~Viewer() = default;
  Viewer() = default;
  Viewer(const Viewer&) = delete;
  Viewer& operator=(const Viewer&) = delete;

  virtual int id() const = 0;
  // Offerer (WHEP): a recvonly H.264 offer with all candidates. Throws on failure.
  virtual std::string make_offer() = 0;
  virtual void set_remote_answer(const std::string& sdp) = 0;
  // Answerer (Janus): applies the remote offer, returns the answer SDP with all candidates.
  virtual std::string answer_offer(const std::string& sdp) = 0;

  virtual Counters counters() const = 0;
  // The jitter buffer's figures: NACKs sent (retransmission requests, one per sequence
  // number asked for), retransmissions that repaired a packet in time, packets declared
  // lost, packets that came after that.
  struct JitterStats {
    uint64_t nacks_sent = 0, rtx_success = 0, lost = 0, late = 0;
  };
  virtual JitterStats jitter_stats() const = 0;
  virtual std::string connection_state() const = 0;
  // Closes the connection and frees it (leaving is Signaling's job).
  virtual void stop() = 0;
};

}  // namespace swarm
