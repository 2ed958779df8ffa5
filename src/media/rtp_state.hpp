#pragma once
// The streaming-thread side of the RTP source (rtp_source.cpp): the state shared with
// GStreamer's threads, the pad probes, rtpbin's pad handlers and the RTCP hook that appends
// the REMB. Callbacks take `hold(state)` as user data (released by GLib with `release`).
#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "camrelay/media/rtp_link.hpp"

namespace camrelay::media::rtp {

// Everything touched by streaming threads and the link listener. Outlives the elements'
// streaming (the pipeline is set to NULL before the source is destroyed).
struct State {
  // (set once before the pipeline plays)
  std::string camera_id;
  bool mqtt = false;
  bool remb_enabled = true;
  int video_port = 0;
  int fallback_kbps = 0;

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

  GstElement* funnel = nullptr;     // owned reference; rtpbin's RTP pads link to it

  // ---- audio: rtpbin session 1 (set before the pipeline plays) ----
  bool audio = false;
  // static: the configured format; mqtt: the offer's defaults until an answer names one.
  std::optional<RtpLink::AudioFormat> audio_static;
  std::shared_ptr<RtpLink> link;      // mqtt: the answer's audio format
  GstBin* pipe = nullptr;             // borrowed: the stream's pipeline
  GstElement* audio_funnel = nullptr; // owned reference; → the stream's audio-in
  GstElement* rtpbin = nullptr;       // owned reference (clear-pt-map on a new answer)
  std::mutex audio_mu;
  std::map<GstPad*, GstElement*> audio_depays;  // rtpbin pad → its depayloader (borrowed)
  std::string audio_codec;           // last linked encoding name (under audio_mu)
  std::mutex mu;
  GstElement* rtcp_sink = nullptr;  // owned reference
  std::string rtp_from_host;        // where RTP comes from
  int rtp_from_port = 0;
  std::string remote_host;          // where our RTCP goes
  int remote_port = 0;
  std::string remote_origin;        // "answer" | "learned from RTCP" | "learned from RTP"
  bool remote_from_answer = false;

  ~State() {
    if (rtcp_sink) gst_object_unref(rtcp_sink);
    if (funnel) gst_object_unref(funnel);
    if (audio_funnel) gst_object_unref(audio_funnel);
    if (rtpbin) gst_object_unref(rtpbin);
  }

  // The RTP caps for an audio payload type (session 1), or nullptr if it is not one we
  // expect: static → the configured one; mqtt → the answer's, else what the offer lists
  // (111 opus/48000/2, 0 PCMU/8000, 8 PCMA/8000). Any thread.
  GstCaps* audio_caps(int pt);

  // Points the RTCP sink at host:port (no-op if unchanged; the answer wins over
  // learning). Any thread.
  void set_remote(const std::string& host, int port, const char* origin, bool from_answer);
};

// "", 0.0.0.0 or :: : an address to learn from packets.
bool unknown_host(const std::string& h);

// User data for signal handlers and probes: a strong reference to the state.
gpointer hold(const std::shared_ptr<State>& st);
void release(gpointer p, GClosure* = nullptr);
void release_notify(gpointer p);
State* state_of(gpointer p);

// udpsrc probes (BUFFER | BUFFER_LIST): RTP counters, SSRC, sender address; RTCP in.
GstPadProbeReturn on_rtp(GstPad*, GstPadProbeInfo* info, gpointer ud);
GstPadProbeReturn on_rtcp(GstPad*, GstPadProbeInfo* info, gpointer ud);
GstPadProbeReturn on_audio(GstPad*, GstPadProbeInfo* info, gpointer ud);
// RTPSession::on-sending-rtcp: counts FIR/PLI, appends the REMB (docs/mqtt.md, "REMB").
gboolean on_sending_rtcp(GObject*, GstBuffer* buf, gboolean early, gpointer ud);
// rtpbin request-pt-map: session 1 (audio) → State::audio_caps; session 0 → none.
GstCaps* on_request_pt_map(GstElement*, guint session, guint pt, gpointer ud);
// The RTP caps string of an audio format.
std::string audio_caps_string(const RtpLink::AudioFormat& f);
// rtpbin pad-added / pad-removed: recv_rtp_src_0_<ssrc>_<pt> pads into / out of the funnel;
// recv_rtp_src_1_<ssrc>_<pt> (audio) → a new depayloader for its encoding → the audio funnel.
void on_pad_added(GstElement*, GstPad* pad, gpointer ud);
void on_pad_removed(GstElement*, GstPad* pad, gpointer ud);

}  // namespace camrelay::media::rtp
