#pragma once
// The webrtcbin receiver (--receiver webrtcbin): a viewer (viewer.hpp) as a bin with
// webrtcbin (video, H.264, recvonly, NACK on) and a fakesink; no depayloader, no decoder. Two
// buffer probes count packets, frames (marker bit) and sequence gaps (extended sequence
// numbers): one on the sink pad of rtpbin's jitter buffer (decrypted RTP as it arrives: loss
// as a browser's inbound-rtp packetsLost counts it, late packets included) and one on
// webrtcbin's src pad (what leaves the jitter buffer in time). On a gap at the src pad (not
// repaired by NACK in time) the viewer asks for a keyframe as a browser does (a
// force-key-unit event upstream: rtpsession sends it as RTCP PLI), at most once a second.
// Negotiation calls block the calling (worker) thread; counting runs on GStreamer's
// streaming threads.
#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/ptr.hpp"
#include "viewer.hpp"

namespace swarm {

class WebrtcbinViewer : public Viewer, public std::enable_shared_from_this<WebrtcbinViewer> {
 public:
  // Makes the bin and adds it to `pipeline` (already PLAYING; state synced here).
  static std::shared_ptr<WebrtcbinViewer> create(int id, GstElement* pipeline, const std::string& local_ip);
  ~WebrtcbinViewer() override;

  int id() const override { return id_; }
  // Offerer (WHEP): adds the recvonly H.264 transceiver, creates the offer, waits for ICE
  // gathering; returns the offer SDP with all candidates. Throws on failure.
  std::string make_offer() override;
  void set_remote_answer(const std::string& sdp) override;
  // Answerer (Janus): applies the remote offer, returns the answer SDP with all candidates.
  std::string answer_offer(const std::string& sdp) override;

  Counters counters() const override;
  // The jitter buffers' own figures (their "stats").
  JitterStats jitter_stats() const override;
  std::string connection_state() const override;
  // Removes the bin from its pipeline and stops it.
  void stop() override;

 private:
  WebrtcbinViewer(int id, GstElement* pipeline);
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
