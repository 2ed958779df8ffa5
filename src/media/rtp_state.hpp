#pragma once
// The streaming-thread side of the RTP source (rtp_source.cpp): the state shared with
// GStreamer's threads, the pad probes, rtpbin's pad handlers and the RTCP hook that appends
// the REMB. rtp_source.cpp registers them with gst::add_probe / gst::connect; their user
// data is a std::shared_ptr<State> held by value: the state is shared with the streaming
// threads on purpose (camrelay/gst/callback.hpp), so it lives as long as any of them can
// call. The State therefore holds no strong reference to an element whose callbacks hold
// the State (rtpbin: see `rtpbin` below).
#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/rtp_link.hpp"

namespace camrelay::media::rtp {

// A weak reference to an element (GWeakRef): get() gives a new reference, or an empty one
// once the element is finalized. Any thread.
class WeakElement {
 public:
  WeakElement() { g_weak_ref_init(&ref_, nullptr); }
  ~WeakElement() { g_weak_ref_clear(&ref_); }
  WeakElement(const WeakElement&) = delete;
  WeakElement& operator=(const WeakElement&) = delete;
  void set(GstElement* e) { g_weak_ref_set(&ref_, e); }
  gst::ElementPtr get() { return gst::ElementPtr::adopt(static_cast<GstElement*>(g_weak_ref_get(&ref_))); }

 private:
  GWeakRef ref_;
};

// Everything touched by streaming threads and the link listener. Outlives the elements'
// streaming (the pipeline is set to NULL before the source is destroyed).
struct State {
  // (set once before the pipeline plays)
  std::string camera_id;
  bool mqtt = false;
  bool remb_enabled = true;
  int video_port = 0;
  int fallback_kbps = 0;
  // The video session's caps (as on its udpsrc) and payload type: what request-pt-map
  // answers for session 0 once a new answer has cleared rtpbin's payload maps.
  std::string video_caps;
  int video_pt = -1;

  std::atomic<std::int64_t> last_rtp_ms{0};
  std::atomic<std::int64_t> clock_start_ms{0};  // 0 = not counting yet (waiting for the answer)
  std::atomic<std::uint64_t> packets{0}, bytes{0}, rtcp_received{0};
  std::atomic<std::uint64_t> rembs_sent{0}, firs_sent{0}, plis_sent{0}, ssrc_changes{0};
  std::atomic<std::uint64_t> audio_packets{0};
  std::atomic<std::uint32_t> ssrc{0};
  std::atomic<bool> have_ssrc{false};
  std::atomic<bool> rtp_sender_known{false};
  std::atomic<bool> rtcp_sender_known{false};
  std::atomic<bool> remote_known{false};
  std::atomic<int> target_kbps{0};
  std::atomic<int> last_remb_kbps{0};

  gst::ElementPtr funnel;  // rtpbin's RTP pads link to it

  // ---- audio: rtpbin session 1 (set before the pipeline plays) ----
  bool audio = false;
  // static: the configured format; mqtt: the offer's defaults until an answer names one.
  std::optional<RtpLink::AudioFormat> audio_static;
  std::shared_ptr<RtpLink> link;      // mqtt: the answer's audio format
  GstBin* pipe = nullptr;             // borrowed: the stream's pipeline
  gst::ElementPtr audio_funnel;       // → the stream's audio-in
  // Weak (clear-pt-map on a new answer): rtpbin's signal handlers hold this State, so a
  // strong reference here would be a cycle that frees neither.
  WeakElement rtpbin;
  std::mutex audio_mu;
  std::map<GstPad*, GstElement*> audio_depays;  // rtpbin pad → its depayloader (borrowed)
  std::string audio_codec;           // last linked encoding name (under audio_mu)
  std::mutex mu;
  gst::ElementPtr rtcp_sink;
  std::string rtp_from_host;        // where RTP comes from
  int rtp_from_port = 0;
  std::string remote_host;          // where our RTCP goes
  int remote_port = 0;
  std::string remote_origin;        // "answer" | "learned from RTCP" | "learned from RTP"
  bool remote_from_answer = false;

  // The RTP caps for an audio payload type (session 1), or empty if it is not one we
  // expect: static → the configured one; mqtt → the answer's, else what the offer lists
  // (111 opus/48000/2, 0 PCMU/8000, 8 PCMA/8000). Any thread.
  gst::CapsPtr audio_caps(int pt);

  // Points the RTCP sink at host:port (no-op if unchanged; the answer wins over
  // learning). Any thread.
  void set_remote(const std::string& host, int port, const char* origin, bool from_answer);
};

// "", 0.0.0.0 or :: : an address to learn from packets.
bool unknown_host(const std::string& h);

// udpsrc probes (BUFFER | BUFFER_LIST): RTP counters, SSRC, sender address; RTCP in.
GstPadProbeReturn on_rtp(State& st, GstPadProbeInfo* info);
GstPadProbeReturn on_rtcp(State& st, GstPadProbeInfo* info);
GstPadProbeReturn on_audio(State& st, GstPadProbeInfo* info);
// RTPSession::on-sending-rtcp: counts FIR/PLI, appends the REMB (docs/mqtt.md, "REMB").
gboolean on_sending_rtcp(State& st, GstBuffer* buf, gboolean early);
// rtpbin request-pt-map: session 1 (audio) → State::audio_caps; session 0 → none.
gst::CapsPtr on_request_pt_map(State& st, guint session, guint pt);
// The RTP caps string of an audio format.
std::string audio_caps_string(const RtpLink::AudioFormat& f);
// rtpbin pad-added / pad-removed: recv_rtp_src_0_<ssrc>_<pt> pads into / out of the funnel;
// recv_rtp_src_1_<ssrc>_<pt> (audio) → a new depayloader for its encoding → the audio funnel.
void on_pad_added(State& st, GstPad* pad);
void on_pad_removed(State& st, GstPad* pad);

}  // namespace camrelay::media::rtp
