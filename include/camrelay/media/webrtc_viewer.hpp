#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// One WebRTC viewer: a bin on a running Stream with
//   video (webrtc.send_path "direct", the default): the stream's shared payloader
//          (rtp_fanout.hpp) → this viewer's RtpSender (header rewrite, SRTP, send on
//          webrtcbin's ICE agent); webrtcbin negotiates, runs ICE/DTLS and takes the RTCP
//   video (send_path "webrtcbin"): tee ─▶ queue(leaky) → rtph264pay(+TWCC) → capssetter
//          ─▶ webrtcbin.sink_<video m-line>
//          (an H.265 camera: rtph265pay to a browser that offers H.265, else the shared
//          H.264 transcoder's tee → rtph264pay)
//   audio: audio tee (or the shared Opus transcoder) ─▶ queue(leaky) → rtp{opus,pcmu,pcma}pay
//          ─▶ webrtcbin.sink_<audio m-line>                       (only when both sides can)
// No re-encoding per viewer: every viewer sends the camera's H.264 (and its Opus/G.711).
// Two negotiation modes: the server offers (WebSocket signaling) or the browser offers
// (WHEP, any m-line order). Graph work runs on the GLib thread; webrtcbin answers on its
// own threads and every callback below may come from any thread (the owner must post).
#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "camrelay/config/config.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/offer.hpp"
#include "camrelay/media/stream.hpp"
#include "camrelay/model/quality.hpp"

namespace camrelay::media {

// Typed figures shared with the service (model/figures.hpp).
using model::PeerState;
using model::ViewerStats;

struct ViewerCallbacks {
  // The local SDP to hand to the browser: the offer (server-offer mode) or the complete
  // answer with candidates (WHEP mode).
  std::function<void(std::string sdp)> on_local_description;
  std::function<void(unsigned mline, std::string candidate)> on_ice_candidate;
  std::function<void(PeerState state)> on_connection_state;
  std::function<void(std::string error)> on_error;
};

struct ViewerOptions {
  std::string id;
  std::string remote_offer;  // non-empty = browser offers (WHEP): answer it
  bool audio = true;         // offer/answer the camera's audio when it has some
  // Server-offer mode: the video codecs the browser decodes, lower case ("h264", "vp8");
  // empty = assume H.264. Without H.264 but with VP8 the viewer gets the VP8 transcode.
  std::vector<std::string> video_codecs;
  // sub: H.264 from the camera's sub stream (camera.sub, the shared sub transcoder). A
  // viewer that gets VP8 gets the VP8 transcode either way (webrtc.vp8_width/height).
  model::Quality quality = model::Quality::main;
  int bandwidth_max_kbps = 5000;
  int bandwidth_min_kbps = 500;
};

class RtpSender;
class RtpFanout;

class WebrtcViewer : public std::enable_shared_from_this<WebrtcViewer> {
 public:
  static std::shared_ptr<WebrtcViewer> create(std::shared_ptr<Stream> stream,
                                              const config::Webrtc& cfg, ViewerOptions opts,
                                              ViewerCallbacks cb);
  ~WebrtcViewer();

  void start();                                             // any thread
  void set_remote_answer(std::string sdp);                  // any thread (server-offer mode)
  // Any thread. "" = end of candidates. `mid` (WHEP trickle) maps the candidate to its
  // m-line in the offer; with BUNDLE every candidate belongs to the bundle's transport.
  void add_ice_candidate(unsigned mline, std::string cand, std::string mid = {});
  void stop(std::function<void()> done);                    // any thread; done on GLib thread

  ViewerStats stats() const;
  const std::string& id() const { return opts_.id; }
  const std::string& element_name() const { return name_; }

 private:
  WebrtcViewer(std::shared_ptr<Stream> stream, const config::Webrtc& cfg, ViewerOptions opts,
               ViewerCallbacks cb);
  void build();  // GLib thread
  bool build_audio_branch();  // GLib thread; false = no audio for this viewer
  // GLib thread, send_path webrtcbin: the viewer's own payloader; false = failed (reported).
  bool build_video_branch(bool vp8, bool h265, bool transcoded);
  void configure_ice();       // GLib thread: ICE servers, local addresses, port range
  bool link_to_webrtc(GstElement* from, int mline, const std::string& caps);  // GLib thread
  void connect_signals();
  std::string video_caps() const;  // RTP caps for webrtcbin of our video (H.264 or VP8)
  void ask_keyframe();             // any thread
  void find_rtp_session();  // GLib thread; the rtpbin session carrying our media
  // GLib thread, once connected (send_path direct): the SRTP key and ICE transport from
  // webrtcbin, the sender attached to the stream's fanout. Retried until DTLS has the key.
  void start_direct_send();
  // webrtcbin's RTCP thread: a browser's feedback message (NACK, PLI, FIR) about our video.
  void on_feedback(guint type, guint fbtype, guint media_ssrc, GstBuffer* fci);
  std::shared_ptr<RtpSender> sender() const;  // any thread
  // Any thread (RTCP arrives on webrtcbin's): the browser is still there.
  void note_rtcp();
  void create_offer();
  void on_offer_created(struct _GstPromise* p);
  void answer_remote_offer();
  void on_remote_offer_set(struct _GstPromise* p);
  // A promise whose reply runs `fn` on this viewer (on webrtcbin's thread), if it still exists.
  gst::PromisePtr promise_to(void (WebrtcViewer::*fn)(struct _GstPromise*));
  void bind_transceivers();  // GLib thread, after the remote offer is set
  void on_answer_created(struct _GstPromise* p);
  std::string announce_ssrcs(const std::string& sdp) const;
  void maybe_send_answer();  // sends the WHEP answer once gathering finished (or timed out)
  void on_ice_candidate_cb(unsigned mline, const char* cand);
  void poll_stats();        // GLib thread, every second
  void on_stats(const struct _GstStructure* s);
  void fail(const std::string& why);
  void update_estimate();

  std::shared_ptr<Stream> stream_;
  const config::Webrtc& cfg_;
  ViewerOptions opts_;
  ViewerCallbacks cb_;
  std::string name_;
  AnswerPlan plan_;  // which m-lines carry our video/audio, with which payload types
  OfferInfo offer_;  // WHEP: the browser's offer, parsed
  std::uint32_t video_ssrc_ = 0;  // chosen here and announced in our SDP
  std::uint32_t audio_ssrc_ = 0;
  bool audio_linked_ = false;     // webrtcbin took our audio pad

  // GLib thread
  gst::ElementPtr bin_;
  GstElement* webrtc_ = nullptr;      // borrowed from bin_
  gst::RequestPad tee_pad_;           // on video_tee_
  GstElement* video_src_ = nullptr;   // borrowed: the capssetter feeding webrtcbin
  GstElement* audio_src_ = nullptr;   // borrowed: the audio payloader (nullptr: no audio)
  GstElement* audio_tee_ = nullptr;   // borrowed: where the audio comes from
  gst::RequestPad audio_tee_pad_;
  std::shared_ptr<void> audio_hold_;  // keeps a shared transcoder alive
  GstElement* video_tee_ = nullptr;   // borrowed: the stream's tee or a video transcoder's
  std::shared_ptr<void> video_hold_;  // keeps the shared video transcoder (VP8, H.264, sub) alive
  std::function<void()> transcode_keyframe_;  // asks the transcoder's encoder (VP8, H.264, sub) for a keyframe
  gst::Ptr<GObject> rtp_session_;    // RTPSession (RTCP signals)
  gst::ElementPtr twcc_session_;     // the rtpsession element (twcc-stats)
  bool direct_ = false;              // send_path direct: the video goes through fanout_
  std::shared_ptr<RtpFanout> fanout_;
  std::shared_ptr<void> fanout_hold_;
  unsigned key_tries_ = 0;           // start_direct_send attempts
  unsigned stats_timer_ = 0;
  unsigned gather_timer_ = 0;
  bool stopped_ = false;

  // Shared with webrtcbin threads
  mutable std::mutex mu_;
  ViewerStats stats_;
  std::vector<std::pair<unsigned, std::string>> local_candidates_;
  bool gathering_done_ = false;
  bool answer_sent_ = false;
  bool offer_sent_ = false;
  std::string pending_answer_sdp_;
  std::shared_ptr<RtpSender> sender_;  // direct: set on the GLib thread once DTLS is done
  std::int64_t last_stats_ms_ = 0;
  std::uint64_t last_bytes_ = 0;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> key_requests_{0};
  std::atomic<std::int64_t> last_rtcp_ms_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> media_ready_{false};  // connected: let buffers into webrtcbin
  // Last-GOP replay: armed when the peer connects, done by the next buffer entering the
  // branch (streaming thread), which first pushes the stream's cached GOP.
  std::atomic<bool> replay_armed_{false};
  std::atomic<std::uint64_t> replayed_{0};
  // Streaming-thread-only.
  bool replaying_ = false;
  GstElement* queue_ = nullptr;  // borrowed from bin_
  void replay_gop(GstPad* pad, GstBuffer* live);  // streaming thread
};

// Creates and discards one offer so that the DTLS certificate exists before the first
// viewer arrives (the first costs 100-200 ms). Call once at startup; the future is ready
// when the throw-away webrtcbin is gone — wait for it before shutting the loop down
// (OpenSSL must not be torn down by exit() while webrtcbin still uses it).
std::shared_future<void> warm_up_webrtc(gst::MainLoop& loop);

}  // namespace camrelay::media
