#pragma once
// One receive-only WebRTC viewer of the swarm: a bin with webrtcbin (video, H.264,
// recvonly, NACK on) and a fakesink; no depayloader, no decoder. Two buffer probes count
// packets, frames (marker bit) and sequence gaps (extended sequence numbers): one on the
// sink pad of rtpbin's jitter buffer (decrypted RTP as it arrives: loss as a browser's
// inbound-rtp packetsLost counts it, late packets included) and one on webrtcbin's src pad
// (what leaves the jitter buffer in time). On a gap at the src pad (not repaired by NACK in
// time) the viewer asks for a keyframe as a browser does (a force-key-unit event upstream:
// rtpsession sends it as RTCP PLI), at most once a second. Negotiation calls block the calling (worker) thread; counting runs on
// GStreamer's streaming threads.
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/ptr.hpp"

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

struct Counters {
  SeqCount arrived;            // into the jitter buffer (after SRTP): what the network delivered
  SeqCount delivered;          // out of the jitter buffer: what a decoder would get in time
  uint64_t plis_sent = 0;
  std::optional<Clock::time_point> first_packet;
  std::optional<Clock::time_point> connected;
  bool failed = false;         // connection-state went to failed
  Clock::time_point local_sdp_ready{};  // our offer/answer had all its candidates
};

class Viewer : public std::enable_shared_from_this<Viewer> {
 public:
  // Makes the bin and adds it to `pipeline` (already PLAYING; state synced here).
  static std::shared_ptr<Viewer> create(int id, GstElement* pipeline, const std::string& local_ip);
  ~Viewer();
  Viewer(const Viewer&) = delete;
  Viewer& operator=(const Viewer&) = delete;

  int id() const { return id_; }
  // Offerer (WHEP): adds the recvonly H.264 transceiver, creates the offer, waits for ICE
  // gathering; returns the offer SDP with all candidates. Throws on failure.
  std::string make_offer();
  void set_remote_answer(const std::string& sdp);
  // Answerer (Janus): applies the remote offer, returns the answer SDP with all candidates.
  std::string answer_offer(const std::string& sdp);

  Counters counters() const;
  // The jitter buffer's own figures (its "stats"): NACKs sent (retransmission requests),
  // retransmissions that arrived in time, packets it declared lost, packets that came late.
  struct JitterStats {
    uint64_t nacks_sent = 0, rtx_success = 0, lost = 0, late = 0;
  };
  JitterStats jitter_stats() const;
  std::string connection_state() const;
  // Removes the bin from its pipeline and stops it.
  void stop();

 private:
  Viewer(int id, GstElement* pipeline);
  void setup(const std::string& local_ip);
  void on_pad_added(GstPad* pad);
  // `jb`: which jitter buffer's input (rtpbin has one per SSRC, RTX included).
  void on_arrived(GstBuffer* buf, std::uintptr_t jb);
  void on_delivered(GstBuffer* buf, GstPad* pad);
  void on_state_change();
  void probe_jitterbuffer();
  void wait_gathered();
  std::string local_sdp();

  int id_;
  camrelay::gst::ElementPtr pipeline_;
  camrelay::gst::ElementPtr bin_;
  camrelay::gst::ElementPtr webrtc_;
  camrelay::gst::ElementPtr sink_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Counters c_;
  // Arrivals per jitter buffer; the video's is the one with the most packets.
  std::map<std::uintptr_t, SeqCount> arrived_;
  bool gathered_ = false;
  Clock::time_point last_pli_{};
  int conn_state_ = 0;
};

}  // namespace swarm
