// WebRTC viewer: building the branch, its life on the running stream, last-GOP replay and
// release. Negotiation (offers, answers, candidates) is in webrtc_negotiation.cpp, stats in
// webrtc_stats.cpp.
#include "camrelay/media/webrtc_viewer.hpp"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "camrelay/media/branch.hpp"
#include "camrelay/util/ids.hpp"
#include "rtp_fanout.hpp"
#include "rtp_sender.hpp"
#include "transcode.hpp"
#include "webrtc_audio.hpp"
#include "webrtc_internal.hpp"
#include "webrtc_teardown.hpp"

namespace camrelay::media {
using namespace webrtc_detail;
namespace {
// Replayed frames are squeezed into at most this spacing just before the live frame, so
// the browser decodes them at once and shows the live picture (no 2 s built-in delay).
constexpr GstClockTime kReplaySpacing = GST_MSECOND;
// How much video a viewer's retransmission buffer (rtprtxsend) keeps. webrtcbin's default,
// 500 packets, is ~2.5 s of a 2 Mbit/s camera and each packet pins its frame's memory: it
// cost 1.4 MB RSS per viewer. A NACK comes within a round trip of the loss; after 0.5 s the
// packet is too late for a live player anyway.
constexpr guint kRtxHistoryMs = 500;

// Whether `e` was made by the element factory named `factory`.
bool made_by(GstElement* e, const char* factory) {
  GstElementFactory* f = gst_element_get_factory(e);  // borrowed
  return f && g_str_equal(GST_OBJECT_NAME(f), factory);
}

// webrtcbin's rtpbin (there from webrtcbin's construction; borrowed, lives as long as it).
GstElement* rtpbin_of(GstElement* webrtc) {
  GstElement* found = nullptr;
  gst::for_each_child(GST_BIN(webrtc), [&found](GstElement* child) {
    if (made_by(child, "rtpbin")) found = child;
    return found != nullptr;
  });
  return found;
}

// Calls `fn` for every element inside `bin`, depth first.
template <class Fn>
void walk(GstBin* bin, Fn& fn) {
  gst::for_each_child(bin, [&fn](GstElement* e) {
    fn(e);
    if (GST_IS_BIN(e)) walk(GST_BIN(e), fn);
    return false;
  });
}

// The RTX payload type (a=rtpmap:<n> rtx/90000, a=fmtp:<n> apt=<pt>) for `pt` on m-line
// `index`; 0 if there is none.
int rtx_pt_for(const GstSDPMessage* sdp, int index, int pt) {
  if (!sdp || index < 0 || guint(index) >= gst_sdp_message_medias_len(sdp)) return 0;
  const GstSDPMedia* m = gst_sdp_message_get_media(sdp, guint(index));
  for (guint i = 0; i < gst_sdp_media_attributes_len(m); ++i) {
    const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, i);
    if (g_strcmp0(a->key, "fmtp") != 0 || !a->value) continue;
    const std::string v = a->value;
    const auto sp = v.find(' ');
    if (sp == std::string::npos || v.find("apt=" + std::to_string(pt), sp) == std::string::npos) continue;
    const int n = std::atoi(v.substr(0, sp).c_str());
    const std::string want = std::to_string(n) + " rtx/";
    for (guint j = 0; j < gst_sdp_media_attributes_len(m); ++j) {
      const GstSDPAttribute* r = gst_sdp_media_get_attribute(m, j);
      if (g_strcmp0(r->key, "rtpmap") == 0 && r->value && g_ascii_strncasecmp(r->value, want.c_str(), want.size()) == 0) {
        return n;
      }
    }
  }
  return 0;
}

// The RTX SSRC paired with `ssrc` (a=ssrc-group:FID <ssrc> <rtx>) on m-line `index`; 0 if none.
std::uint32_t rtx_ssrc_for(const GstSDPMessage* sdp, int index, std::uint32_t ssrc) {
  if (!sdp || index < 0 || guint(index) >= gst_sdp_message_medias_len(sdp)) return 0;
  const GstSDPMedia* m = gst_sdp_message_get_media(sdp, guint(index));
  const std::string prefix = "FID " + std::to_string(ssrc) + " ";
  for (guint i = 0; i < gst_sdp_media_attributes_len(m); ++i) {
    const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, i);
    if (g_strcmp0(a->key, "ssrc-group") == 0 && a->value && std::string(a->value).rfind(prefix, 0) == 0) {
      return std::uint32_t(std::strtoul(a->value + prefix.size(), nullptr, 10));
    }
  }
  return 0;
}

// One of webrtcbin's session descriptions ("local-description", "remote-description").
DescriptionPtr description(GstElement* webrtc, const char* which) {
  GstWebRTCSessionDescription* d = nullptr;
  g_object_get(webrtc, which, &d, nullptr);
  return DescriptionPtr(d);
}

}  // namespace

namespace webrtc_detail {
std::string video_rtp_caps(int pt, const std::string& profile, int twcc_id) {
  std::string caps = fmt::format(
      "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload={},"
      "packetization-mode=(string)1,rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true,"
      "rtcp-fb-nack=(boolean)true",
      pt);
  if (!profile.empty()) caps += fmt::format(",profile-level-id=(string){},level-asymmetry-allowed=(string)1", profile);
  if (twcc_id > 0) caps += fmt::format(",rtcp-fb-transport-cc=(boolean)true,extmap-{}=(string){}", twcc_id, kTwccUri);
  return caps;
}

std::string h265_rtp_caps(int pt, int twcc_id) {
  std::string caps = fmt::format(
      "application/x-rtp,media=video,encoding-name=H265,clock-rate=90000,payload={},"
      "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-nack=(boolean)true",
      pt);
  if (twcc_id > 0) caps += fmt::format(",rtcp-fb-transport-cc=(boolean)true,extmap-{}=(string){}", twcc_id, kTwccUri);
  return caps;
}

std::string vp8_rtp_caps(int pt, int twcc_id) {
  std::string caps = fmt::format(
      "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload={},"
      "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-nack=(boolean)true",
      pt);
  if (twcc_id > 0) caps += fmt::format(",rtcp-fb-transport-cc=(boolean)true,extmap-{}=(string){}", twcc_id, kTwccUri);
  return caps;
}

std::string audio_rtp_caps(const std::string& codec, int pt) {
  if (codec == "opus") {
    return fmt::format("application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload={},"
                       "encoding-params=(string)2", pt);
  }
  return fmt::format("application/x-rtp,media=audio,encoding-name={},clock-rate=8000,payload={}",
                     codec == "pcmu" ? "PCMU" : "PCMA", pt);
}

int default_audio_pt(const std::string& codec) { return codec == "opus" ? 111 : codec == "pcmu" ? 0 : 8; }

PeerState peer_state(GstWebRTCPeerConnectionState s) {
  switch (s) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_NEW: return PeerState::created;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING: return PeerState::connecting;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED: return PeerState::connected;
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED: return PeerState::disconnected;
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED: return PeerState::failed;
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED: return PeerState::closed;
  }
  return PeerState::failed;  // not a state webrtcbin has
}

const char* ice_state_name(GstWebRTCICEConnectionState s) {
  switch (s) {
    case GST_WEBRTC_ICE_CONNECTION_STATE_NEW: return "new";
    case GST_WEBRTC_ICE_CONNECTION_STATE_CHECKING: return "checking";
    case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED: return "connected";
    case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED: return "completed";
    case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED: return "failed";
    case GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED: return "disconnected";
    case GST_WEBRTC_ICE_CONNECTION_STATE_CLOSED: return "closed";
  }
  return "unknown";
}

std::string promise_error(GstPromise* p) {
  if (gst_promise_wait(p) != GST_PROMISE_RESULT_REPLIED) return "no reply from webrtcbin";
  const GstStructure* r = gst_promise_get_reply(p);
  if (r && gst_structure_has_field(r, "error")) {
    GError* err = nullptr;
    gst_structure_get(r, "error", G_TYPE_ERROR, &err, nullptr);
    gst::ErrorPtr e(err);
    return e && e->message ? e->message : "error";
  }
  return {};
}

DescriptionPtr reply_description(GstPromise* p, const char* field) {
  GstWebRTCSessionDescription* d = nullptr;
  if (const GstStructure* r = gst_promise_get_reply(p)) {
    gst_structure_get(r, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &d, nullptr);
  }
  return DescriptionPtr(d);
}

DescriptionPtr parse_description(GstWebRTCSDPType type, const std::string& sdp) {
  GstSDPMessage* raw = nullptr;
  const bool parsed = gst_sdp_message_new_from_text(sdp.c_str(), &raw) == GST_SDP_OK;
  SdpPtr msg(raw);
  if (!parsed || !msg || gst_sdp_message_medias_len(msg.get()) == 0) return {};
  return DescriptionPtr(gst_webrtc_session_description_new(type, msg.release()));  // takes the message
}
}  // namespace webrtc_detail

std::shared_ptr<WebrtcViewer> WebrtcViewer::create(std::shared_ptr<Stream> stream,
                                                   const config::Webrtc& cfg, ViewerOptions opts,
                                                   ViewerCallbacks cb) {
  return std::shared_ptr<WebrtcViewer>(new WebrtcViewer(std::move(stream), cfg, std::move(opts), std::move(cb)));
}

WebrtcViewer::WebrtcViewer(std::shared_ptr<Stream> stream, const config::Webrtc& cfg,
                           ViewerOptions opts, ViewerCallbacks cb)
    : stream_(std::move(stream)), cfg_(cfg), opts_(std::move(opts)), cb_(std::move(cb)) {
  name_ = "viewer-" + opts_.id;
  stats_.estimated_kbps = opts_.bandwidth_max_kbps;
}

// The holders drop the bin, the sessions and any pad stop() did not hand over.
WebrtcViewer::~WebrtcViewer() = default;

void WebrtcViewer::start() {
  stream_->loop().post([self = shared_from_this()] { self->build(); });
}

void WebrtcViewer::fail(const std::string& why) {
  if (failed_.exchange(true)) return;
  lg()->warn("viewer {}: {}", opts_.id, why);
  if (cb_.on_error) cb_.on_error(why);
}

void WebrtcViewer::build() {
  if (stopped_) return;
  lg()->debug("viewer {}: building", opts_.id);
  GstElement* pipeline = stream_->pipeline();
  GstElement* tee = stream_->tee();
  if (!pipeline || !tee) return fail("the stream is not running");

  // What goes on which m-line. An H.265 camera's video goes out as it is to a browser that
  // offers H.265, else as H.264 from the shared transcode (or VP8). The sub stream is H.264
  // whatever the camera sends.
  const bool h265_camera =
      config::video_codec(stream_->camera()) == "H265" && opts_.quality != model::Quality::sub;
  const std::string audio_codec = opts_.audio ? webrtc_audio_codec(*stream_) : std::string();
  if (!opts_.remote_offer.empty()) {
    try {
      offer_ = parse_offer(opts_.remote_offer);
    } catch (const std::invalid_argument& e) {
      return fail(e.what());
    }
    plan_ = plan_answer(offer_, audio_codec, true, h265_camera);
    if (!plan_.error.empty()) return fail(plan_.error);
  } else {
    plan_.video_index = 0;
    plan_.video_pt = 96;
    plan_.video_twcc_id = 1;
    // The page says which codecs its browser decodes: an H.265 camera goes out as it is to
    // a browser that decodes H.265 (RTCRtpReceiver.getCapabilities lists video/H265 where
    // it has a decoder); without H.264 a browser gets the VP8 transcode.
    const auto& cs = opts_.video_codecs;
    auto has = [&cs](const char* c) { return std::find(cs.begin(), cs.end(), c) != cs.end(); };
    if (h265_camera && has("h265")) {
      plan_.video_codec = "h265";
    } else if (!cs.empty() && !has("h264")) {
      if (!has("vp8")) return fail("the browser decodes neither H.264 nor VP8 video");
      plan_.video_codec = "vp8";
    } else {
      plan_.video_codec = "h264";
      plan_.video_profile = kOfferedProfile;
    }
    if (!audio_codec.empty()) {
      plan_.audio_index = 1;
      plan_.audio_codec = audio_codec;
      plan_.audio_pt = default_audio_pt(audio_codec);
    }
  }

  // Where the video comes from: the camera's H.264 or H.265 as it is, or a shared transcode
  // (VP8; H.264 from an H.265 camera; the sub stream: H.264 re-encoded smaller).
  const bool vp8 = plan_.video_codec == "vp8";
  const bool h265 = plan_.video_codec == "h265";
  const bool sub = !vp8 && opts_.quality == model::Quality::sub;
  const bool transcoded = vp8 || sub || (h265_camera && !h265);
  video_tee_ = tee;
  if (transcoded) {
    const TranscodeTarget target = vp8 ? TranscodeTarget::vp8 : sub ? TranscodeTarget::sub : TranscodeTarget::h264;
    TranscodeTap tap = acquire_transcode(stream_, target);
    if (!tap.tee) {
      return fail(vp8   ? "cannot transcode the camera's video to VP8 (see the log)"
                  : sub ? "cannot run the camera's sub stream (see the log)"
                        : "cannot transcode the camera's H.265 video to H.264 (see the log)");
    }
    video_tee_ = tap.tee;
    video_hold_ = std::move(tap.hold);
    transcode_keyframe_ = std::move(tap.request_keyframe);
  }
  {
    std::lock_guard lk(mu_);
    stats_.video_codec = vp8 ? "VP8" : h265 ? "H265" : "H264";
    stats_.video_transcoded = transcoded;
  }

  direct_ = cfg_.send_path == "direct";
  if (direct_) {
    // The stream's shared payloader for this video; this viewer's sender joins it once DTLS
    // is done. No TWCC: transport-wide sequence numbers are not stamped on this path (the
    // estimate comes from the receiver reports' loss).
    plan_.video_twcc_id = 0;
    const char* kind = vp8 ? "webrtc-rtp-vp8" : h265 ? "webrtc-rtp-h265" : sub ? "webrtc-rtp-sub"
                       : transcoded ? "webrtc-rtp-h264-transcode" : "webrtc-rtp-h264";
    std::function<void()> keyframe = transcode_keyframe_;
    if (!keyframe) {
      keyframe = [w = std::weak_ptr<Stream>(stream_)] {
        if (auto st = w.lock()) st->request_keyframe();
      };
    }
    FanoutTap tap = acquire_fanout(stream_, kind, video_tee_,
                                   vp8 ? FanoutCodec::vp8 : h265 ? FanoutCodec::h265 : FanoutCodec::h264,
                                   !transcoded && stream_->has_gop_cache(), std::move(keyframe));
    if (!tap.fanout) return fail("cannot start the shared WebRTC payloader (see the log)");
    fanout_ = std::move(tap.fanout);
    fanout_hold_ = std::move(tap.hold);
  }

  bin_ = gst::ElementPtr::ref_sink(gst_bin_new(name_.c_str()));
  gst::ElementPtr webrtc = gst::try_make_element("webrtcbin", name_.c_str());
  if (!webrtc) return fail("missing GStreamer element webrtcbin");
  webrtc_ = webrtc.get();  // kept alive by bin_ once added below
  video_ssrc_ = g_random_int();
  gst_util_set_object_arg(G_OBJECT(webrtc_), "bundle-policy", "max-bundle");
  configure_ice();
  gst_bin_add(GST_BIN(bin_.get()), webrtc.get());
  if (!direct_ && !build_video_branch(vp8, h265, transcoded)) return;

  if (plan_.audio_index >= 0 && !build_audio_branch()) plan_.audio_index = -1;
  {
    std::lock_guard lk(mu_);
    stats_.audio_codec = plan_.audio_index >= 0 ? plan_.audio_codec : "";
  }
  connect_signals();

  if (direct_) {
    // Nothing of the video goes through the bin: it only needs to run in the pipeline.
    gst_bin_add(GST_BIN(pipeline), bin_.get());
    gst_element_sync_state_with_parent(bin_.get());
  } else {
    tee_pad_ = attach_branch(pipeline, video_tee_, bin_.get());
    if (!tee_pad_) return fail("cannot attach the viewer to the stream");
  }
  if (audio_src_) {
    audio_tee_pad_ = link_tee_to(audio_tee_, bin_.get(), "audio_sink");
    if (!audio_tee_pad_) lg()->warn("viewer {}: cannot attach the audio; video only", opts_.id);
  }

  poll_stats();

  if (opts_.remote_offer.empty()) {
    // Server offers: our transceivers define the m-lines (video 0, audio 1).
    if (!link_to_webrtc(video_src_, plan_.video_index, video_caps())) return fail("webrtcbin refused the video sink pad");
    if (audio_src_ && !link_to_webrtc(audio_src_, plan_.audio_index, audio_rtp_caps(plan_.audio_codec, plan_.audio_pt))) {
      return fail("webrtcbin refused the audio sink pad");
    }
    audio_linked_ = audio_src_ != nullptr;
    create_offer();
  } else {
    // Browser offers: its m-lines exist once the offer is set; we bind to them after.
    answer_remote_offer();
  }
}

// send_path webrtcbin: the viewer's own payloader into webrtcbin.
//   queue(leaky) → rtph264pay(+TWCC) → capssetter ─▶ (linked to webrtcbin's sink pad later)
bool WebrtcViewer::build_video_branch(bool vp8, bool h265, bool transcoded) {
  gst::ElementPtr q = make_leaky_queue(nullptr, kQueueBuffers, gst::weak_member(shared_from_this(), &WebrtcViewer::dropped_));
  gst::ElementPtr pay = gst::try_make_element(vp8 ? "rtpvp8pay" : h265 ? "rtph265pay" : "rtph264pay");
  const bool h264 = !vp8 && !h265;  // only H.264 has a profile-level-id to set
  gst::ElementPtr setter = h264 ? gst::try_make_element("capssetter") : gst::ElementPtr();
  if (!q || !pay || (h264 && !setter)) {
    fail("missing GStreamer elements (queue, rtph264pay/rtph265pay/rtpvp8pay, capssetter)");
    return false;
  }
  queue_ = q.get();
  g_object_set(pay.get(), "pt", guint(plan_.video_pt), "mtu", 1200u, "ssrc", video_ssrc_, nullptr);
  if (vp8) {
    gst_util_set_object_arg(G_OBJECT(pay.get()), "picture-id-mode", "15-bit");
  } else {
    g_object_set(pay.get(), "config-interval", -1, nullptr);
    gst_util_set_object_arg(G_OBJECT(pay.get()), "aggregate-mode", "zero-latency");
  }
  if (plan_.video_twcc_id > 0) {
    if (auto ext = gst::Ptr<GstRTPHeaderExtension>::adopt(gst_rtp_header_extension_create_from_uri(kTwccUri))) {
      gst_rtp_header_extension_set_id(ext.get(), guint(plan_.video_twcc_id));
      g_signal_emit_by_name(pay.get(), "add-extension", ext.get());
    }
  }
  // The profile the browser accepts, whatever the camera's real one is.
  if (setter && !plan_.video_profile.empty()) {
    gst::CapsPtr setcaps =
        gst::caps_from_string(fmt::format("application/x-rtp,profile-level-id=(string){}", plan_.video_profile));
    g_object_set(setter.get(), "caps", setcaps.get(), "join", TRUE, "replace", FALSE, nullptr);
  }
  gst_bin_add_many(GST_BIN(bin_.get()), q.get(), pay.get(), nullptr);
  if (setter) gst_bin_add(GST_BIN(bin_.get()), setter.get());
  if (!(setter ? gst_element_link_many(q.get(), pay.get(), setter.get(), nullptr) : gst_element_link(q.get(), pay.get()))) {
    fail("cannot link the viewer branch");
    return false;
  }
  video_src_ = setter ? setter.get() : pay.get();
  gst::PadPtr qsink = gst::static_pad(q.get(), "sink");
  if (!gst::add_ghost_pad(bin_.get(), "sink", qsink.get())) {
    fail("cannot make the viewer's sink pad");
    return false;
  }
  // PLI/FIR from this browser: swallow the event here and ask the stream for a keyframe
  // (rate-limited, shared by all viewers) instead of letting every request through.
  // Downstream, the encoder's/h264parse's announcement of a forced keyframe is dropped too:
  // given one, rtph264pay sends SPS/PPS in an extra packet with the marker bit set, ahead of
  // the keyframe and with its timestamp. Chromium takes that as a frame of its own, drops one
  // of the two frames with the same timestamp and asks for a keyframe again: one PLI per
  // keyframe, forever. The payloader and h264parse already put SPS/PPS before every IDR.
  gst::add_probe(qsink.get(), GstPadProbeType(GST_PAD_PROBE_TYPE_EVENT_UPSTREAM | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                 weak_from_this(), [](Weak& w, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
                   if (!gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info))) return GST_PAD_PROBE_OK;
                   if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) return GST_PAD_PROBE_DROP;
                   if (auto s = w.lock()) {
                     s->key_requests_.fetch_add(1, std::memory_order_relaxed);
                     s->ask_keyframe();
                   }
                   return GST_PAD_PROBE_DROP;
                 });
  if (!transcoded && stream_->has_gop_cache()) {  // the cache holds the camera's own GOP
    // Last-GOP replay (sources that cannot be asked for a keyframe): see replay_gop().
    // The probe removes itself once it has replayed: no per-buffer cost afterwards.
    gst::add_probe(qsink.get(), GST_PAD_PROBE_TYPE_BUFFER, weak_from_this(),
                   [](Weak& w, GstPad* pad, GstPadProbeInfo* info) -> GstPadProbeReturn {
                     auto s = w.lock();
                     if (!s || s->replaying_ || !s->replay_armed_.exchange(false)) return GST_PAD_PROBE_OK;
                     s->replay_gop(pad, GST_PAD_PROBE_INFO_BUFFER(info));
                     return GST_PAD_PROBE_REMOVE;
                   });
  }
  return true;
}

// ICE servers, local addresses (libnice skips loopback unless told) and port range.
void WebrtcViewer::configure_ice() {
  for (const auto& s : cfg_.ice_servers) {
    if (s.url.rfind("stun:", 0) == 0) {
      g_object_set(webrtc_, "stun-server", ("stun://" + s.url.substr(5)).c_str(), nullptr);
    } else if (s.url.rfind("turn:", 0) == 0 || s.url.rfind("turns:", 0) == 0) {
      auto colon = s.url.find(':');
      std::string scheme = s.url.substr(0, colon);
      std::string uri = scheme + "://" + s.username + ":" + s.credential + "@" + s.url.substr(colon + 1);
      gboolean ok = FALSE;
      g_signal_emit_by_name(webrtc_, "add-turn-server", uri.c_str(), &ok);
    }
  }
  GstWebRTCICE* ice_raw = nullptr;
  g_object_get(webrtc_, "ice-agent", &ice_raw, nullptr);
  if (auto ice_ref = gst::Ptr<GstWebRTCICE>::adopt(ice_raw)) {
    GstWebRTCICE* ice = ice_ref.get();
    for (const auto& ip : cfg_.local_ips) {
      gboolean ok = FALSE;
      g_signal_emit_by_name(ice, "add-local-ip-address", ip.c_str(), &ok);
    }
    if (cfg_.udp_port_min > 0 && cfg_.udp_port_max >= cfg_.udp_port_min) {
      g_object_set(ice, "min-rtp-port", guint(cfg_.udp_port_min), "max-rtp-port", guint(cfg_.udp_port_max), nullptr);
    }
    // No UPnP IGD port mapping (libnice's default): a daemon must not open router ports by
    // itself (webrtc.announced_ips, the port range and TURN are the documented ways), and
    // the discovery cost an SSDP thread per viewer that was never joined.
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent")) {
      GObject* agent = nullptr;
      g_object_get(ice, "agent", &agent, nullptr);
      if (auto a = gst::Ptr<GObject>::adopt(agent)) g_object_set(a.get(), "upnp", FALSE, nullptr);
    }
  }
}

std::string WebrtcViewer::video_caps() const {
  if (plan_.video_codec == "vp8") return vp8_rtp_caps(plan_.video_pt, plan_.video_twcc_id);
  if (plan_.video_codec == "h265") return h265_rtp_caps(plan_.video_pt, plan_.video_twcc_id);
  return video_rtp_caps(plan_.video_pt, plan_.video_profile, plan_.video_twcc_id);
}

// A keyframe for this viewer: from the transcoder's encoder it watches, else from the camera's stream.
void WebrtcViewer::ask_keyframe() {
  if (transcode_keyframe_) transcode_keyframe_();
  else stream_->request_keyframe();
}

bool WebrtcViewer::build_audio_branch() {
  AudioTap tap = acquire_webrtc_audio(stream_);
  if (!tap.tee || tap.codec != plan_.audio_codec) return false;
  gst::ElementPtr q = make_leaky_queue(nullptr, kAudioQueueBuffers);
  const char* payf = tap.codec == "opus" ? "rtpopuspay" : tap.codec == "pcmu" ? "rtppcmupay" : "rtppcmapay";
  gst::ElementPtr pay = gst::try_make_element(payf);
  if (!q || !pay) {
    lg()->warn("viewer {}: missing {}; video only", opts_.id, q ? payf : "queue");
    return false;
  }
  do audio_ssrc_ = g_random_int();
  while (audio_ssrc_ == video_ssrc_);
  g_object_set(pay.get(), "pt", guint(plan_.audio_pt), "mtu", 1200u, "ssrc", audio_ssrc_, nullptr);
  gst_bin_add_many(GST_BIN(bin_.get()), q.get(), pay.get(), nullptr);
  if (!gst_element_link(q.get(), pay.get()) ||
      !gst::add_ghost_pad(bin_.get(), "audio_sink", gst::static_pad(q.get(), "sink").get())) {
    // Nothing links to them: they stay idle in the bin and go with it.
    lg()->warn("viewer {}: cannot build the audio branch; video only", opts_.id);
    return false;
  }
  audio_src_ = pay.get();
  audio_tee_ = tap.tee;
  audio_hold_ = std::move(tap.hold);
  std::lock_guard lk(mu_);
  stats_.audio_transcoded = tap.transcoded;
  return true;
}

// Requests webrtcbin's sink pad for m-line `mline`, makes its transceiver send-only with
// our caps (video: with NACK/RTX), and links `from` to it. Media is held back until the
// peer is connected.
bool WebrtcViewer::link_to_webrtc(GstElement* from, int mline, const std::string& caps_str) {
  // The video SSRC in the caps: webrtcbin then announces it with its RTX SSRC
  // (a=ssrc-group:FID) and maps one to the other for retransmissions.
  const bool video = mline == plan_.video_index;
  gst::CapsPtr caps =
      gst::caps_from_string(video ? caps_str + fmt::format(",ssrc=(uint){}", video_ssrc_) : caps_str);
  GstPadTemplate* templ = gst_element_get_pad_template(webrtc_, "sink_%u");  // borrowed
  const std::string pad_name = fmt::format("sink_{}", mline);
  // webrtcbin keeps its sink pads until it goes (they are not released one by one).
  auto wsink = gst::PadPtr::adopt(caps && templ ? gst_element_request_pad(webrtc_, templ, pad_name.c_str(), caps.get())
                                                : nullptr);
  if (!wsink) return false;
  GstWebRTCRTPTransceiver* trans = nullptr;
  g_object_get(wsink.get(), "transceiver", &trans, nullptr);
  if (auto t = gst::Ptr<GstWebRTCRTPTransceiver>::adopt(trans)) {
    // Video answers NACKs with retransmissions (RTX, RFC 4588, when the offer has an rtx
    // payload type for ours): without them one lost packet spoils the picture until the
    // next keyframe (measured: 3 % loss froze Chromium 8.4 s of 10; with RTX, no freeze).
    g_object_set(t.get(), "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "codec-preferences", caps.get(),
                 "do-nack", gboolean(video), nullptr);
  }
  // send_path direct: the video does not go through webrtcbin; the pad only makes the
  // transceiver a sender of our SSRC (and RTX) in the SDP.
  if (!from) return true;
  gst::PadPtr src = gst::static_pad(from, "src");
  // Until the peer connection is up, webrtcbin's sink pad has no target and a push
  // returns NOT_LINKED — which would pause the queue's task for good. Drop media (not
  // events) here until then; nothing sent earlier could be decrypted anyway.
  gst::add_probe(src.get(), GST_PAD_PROBE_TYPE_BUFFER, weak_from_this(),
                 [](Weak& w, GstPad*, GstPadProbeInfo*) -> GstPadProbeReturn {
                   auto s = w.lock();
                   return s && s->media_ready_.load(std::memory_order_relaxed) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
                 });
  const GstPadLinkReturn lr = gst_pad_link(src.get(), wsink.get());
  if (lr != GST_PAD_LINK_OK) {
    lg()->warn("viewer {}: cannot link to {}: {}", opts_.id, pad_name, gst_pad_link_get_name(lr));
    return false;
  }
  return true;
}

void WebrtcViewer::connect_signals() {
  // The retransmission buffer webrtcbin creates for a video viewer keeps kRtxHistoryMs.
  gst::connect<void(GstBin*, GstBin*, GstElement*)>(
      webrtc_, "deep-element-added", 0, [](int&, GstBin*, GstBin*, GstElement* e) {
        if (made_by(e, "rtprtxsend")) g_object_set(e, "max-size-time", kRtxHistoryMs, nullptr);
      });
  // The browser is still there while its receiver reports arrive: rtpbin says so for every
  // SR/RR of any of its sessions. Besides the session hook in find_rtp_session(): that one
  // is found by polling, and once, under load, a viewer whose reports were arriving (its
  // RTT came from them) was closed for "no RTCP".
  if (GstElement* rtpbin = rtpbin_of(webrtc_)) {
    gst::connect<void(GstElement*, guint, guint)>(rtpbin, "on-ssrc-active", weak_from_this(),
                                                  [](Weak& w, GstElement*, guint, guint) {
                                                    if (auto s = w.lock()) s->note_rtcp();
                                                  });
  }
  gst::connect<void(GstElement*, guint, gchar*)>(webrtc_, "on-ice-candidate", weak_from_this(),
                                                 [](Weak& w, GstElement*, guint mline, gchar* cand) {
                                                   if (auto s = w.lock()) s->on_ice_candidate_cb(mline, cand);
                                                 });
  gst::connect<void(GstElement*, GParamSpec*)>(
      webrtc_, "notify::connection-state", weak_from_this(), [](Weak& w, GstElement* e, GParamSpec*) {
        auto s = w.lock();
        if (!s) return;
        GstWebRTCPeerConnectionState st;
        g_object_get(e, "connection-state", &st, nullptr);
        {
          std::lock_guard lk(s->mu_);
          s->stats_.connection_state = peer_state(st);
        }
        if (st == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
          {
            std::lock_guard lk(s->mu_);
            if (!s->stats_.connected_mono_ms) s->stats_.connected_mono_ms = mono_now_ms();
          }
          // The viewer's own GOP replay (send_path webrtcbin; the fanout replays for direct).
          if (!s->direct_ && !s->media_ready_ && s->stream_->has_gop_cache()) s->replay_armed_ = true;
          lg()->debug("viewer {}: connected (DTLS done)", s->opts_.id);
          if (s->direct_ && !s->media_ready_) {
            s->stream_->loop().post([w = Weak(s)] {
              if (auto v = w.lock()) v->start_direct_send();
            });
          }
          s->media_ready_ = true;
          // A keyframe now, and again shortly after in case the first
          // one is lost while the browser's receiver is still settling.
          s->ask_keyframe();
          for (unsigned delay : {700u, 1500u}) {
            s->stream_->loop().post_delayed(delay, [w = Weak(s)] {
              if (auto v = w.lock(); v && !v->stopped_) v->ask_keyframe();
            });
          }
        }
        if (s->cb_.on_connection_state) s->cb_.on_connection_state(peer_state(st));
      });
  gst::connect<void(GstElement*, GParamSpec*)>(webrtc_, "notify::ice-connection-state", weak_from_this(),
                                               [](Weak& w, GstElement* e, GParamSpec*) {
                                                 auto s = w.lock();
                                                 if (!s) return;
                                                 GstWebRTCICEConnectionState st;
                                                 g_object_get(e, "ice-connection-state", &st, nullptr);
                                                 lg()->debug("viewer {}: ICE {}", s->opts_.id, ice_state_name(st));
                                                 std::lock_guard lk(s->mu_);
                                                 s->stats_.ice_state = ice_state_name(st);
                                               });
  gst::connect<void(GstElement*, GParamSpec*)>(webrtc_, "notify::ice-gathering-state", weak_from_this(),
                                               [](Weak& w, GstElement* e, GParamSpec*) {
                                                 auto s = w.lock();
                                                 if (!s) return;
                                                 GstWebRTCICEGatheringState st;
                                                 g_object_get(e, "ice-gathering-state", &st, nullptr);
                                                 if (st != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
                                                 {
                                                   std::lock_guard lk(s->mu_);
                                                   s->gathering_done_ = true;
                                                 }
                                                 s->maybe_send_answer();
                                               });
}

// The rtpbin session inside webrtcbin that carries our media: its RTCP tells whether the
// browser is still there, and it holds the TWCC figures. It exists only once a description
// has been applied, so this is tried from the stats timer until found.
void WebrtcViewer::note_rtcp() { last_rtcp_ms_.store(mono_now_ms(), std::memory_order_relaxed); }

void WebrtcViewer::find_rtp_session() {
  if (rtp_session_ || !webrtc_) return;
  GstElement* rtpbin = rtpbin_of(webrtc_);
  if (!rtpbin) return;
  // With BUNDLE every m-line shares the session of the bundle's first m-line.
  for (guint id = 0; id < 8 && !rtp_session_; ++id) {
    GstElement* elem = nullptr;  // the rtpsession element: TWCC figures
    g_signal_emit_by_name(rtpbin, "get-session", id, &elem);
    auto element = gst::ElementPtr::adopt(elem);
    if (!element) continue;
    GObject* session = nullptr;  // its RTPSession: RTCP signals
    g_object_get(element.get(), "internal-session", &session, nullptr);
    if (session) {
      rtp_session_ = gst::Ptr<GObject>::adopt(session);
      twcc_session_ = std::move(element);
    }
  }
  if (rtp_session_) {
    gst::connect<void(GObject*, GstBuffer*)>(rtp_session_.get(), "on-receiving-rtcp", weak_from_this(),
                                             [](Weak& w, GObject*, GstBuffer* buf) {
                                               auto s = w.lock();
                                               if (!s) return;
                                               s->note_rtcp();
                                               if (auto snd = s->sender()) snd->on_rtcp(buf);
                                             });
    if (direct_) {
      gst::connect<void(GObject*, guint, guint, guint, guint, GstBuffer*)>(
          rtp_session_.get(), "on-feedback-rtcp", weak_from_this(),
          [](Weak& w, GObject*, guint type, guint fbtype, guint, guint media_ssrc, GstBuffer* fci) {
            if (auto s = w.lock()) s->on_feedback(type, fbtype, media_ssrc, fci);
          });
    }
  }
}

std::shared_ptr<RtpSender> WebrtcViewer::sender() const {
  std::lock_guard lk(mu_);
  return sender_;
}

// Once DTLS is done webrtcbin's dtlsenc holds the key we encrypt with; the nicesink next to
// it (same transport) names the ICE agent, stream and component our packets go out on.
void WebrtcViewer::start_direct_send() {
  if (stopped_ || !webrtc_ || !fanout_ || sender()) return;
  gst::ElementPtr dtlsenc;
  gst::BufferPtr key;
  auto find_key = [&](GstElement* e) {
    if (key || !made_by(e, "dtlsenc")) return;
    GstBuffer* k = nullptr;
    g_object_get(e, "encoder-key", &k, nullptr);
    if ((key = gst::BufferPtr::adopt(k))) dtlsenc = gst::ElementPtr::ref(e);
  };
  walk(GST_BIN(webrtc_), find_key);
  if (!key) {
    // The connection state can run ahead of the key by a moment.
    if (++key_tries_ > 100) return fail("the DTLS handshake gave no SRTP key");
    stream_->loop().post_delayed(20, [w = weak_from_this()] {
      if (auto s = w.lock()) s->start_direct_send();
    });
    return;
  }
  // dtlsenc ⊂ dtlssrtpenc ⊂ the transport's send bin, which holds the nicesink.
  GstObject* enc_bin = gst_object_get_parent(GST_OBJECT(dtlsenc.get()));
  auto enc_bin_ref = gst::Ptr<GstObject>::adopt(enc_bin);
  auto send_bin = gst::Ptr<GstObject>::adopt(enc_bin ? gst_object_get_parent(enc_bin) : nullptr);
  GstElement* nicesink = nullptr;
  auto find_sink = [&nicesink](GstElement* e) {
    if (!nicesink && made_by(e, "nicesink")) nicesink = e;
  };
  if (send_bin && GST_IS_BIN(send_bin.get())) walk(GST_BIN(send_bin.get()), find_sink);
  if (!nicesink) return fail("no ICE transport found in webrtcbin to send the video on");

  RtpSenderSetup setup;
  setup.ssrc = video_ssrc_;
  setup.pt = std::uint8_t(plan_.video_pt);
  {
    DescriptionPtr local = description(webrtc_, "local-description");
    DescriptionPtr remote = description(webrtc_, "remote-description");
    // RTX when both sides have it for our payload type (the answer decides).
    const int rtx_pt = local ? rtx_pt_for(local->sdp, plan_.video_index, plan_.video_pt) : 0;
    const std::uint32_t rtx_ssrc = local ? rtx_ssrc_for(local->sdp, plan_.video_index, video_ssrc_) : 0;
    if (rtx_pt > 0 && rtx_ssrc && remote && rtx_pt_for(remote->sdp, plan_.video_index, plan_.video_pt) == rtx_pt) {
      setup.rtx_pt = std::uint8_t(rtx_pt);
      setup.rtx_ssrc = rtx_ssrc;
    }
  }
  GObject* agent = nullptr;
  guint stream_id = 0, component = 0;
  g_object_get(nicesink, "agent", &agent, "stream", &stream_id, "component", &component, nullptr);
  setup.agent = gst::Ptr<GObject>::adopt(agent);
  setup.stream_id = stream_id;
  setup.component_id = component;
  GstMapInfo m;
  if (gst_buffer_map(key.get(), &m, GST_MAP_READ)) {
    setup.master_key.assign(m.data, m.data + m.size);
    gst_buffer_unmap(key.get(), &m);
  }
  guint auth = 0;
  g_object_get(dtlsenc.get(), "srtp-auth", &auth, nullptr);
  setup.auth_tag_32 = auth == 1;  // GST_DTLS_SRTP_AUTH_HMAC_SHA1_32
  setup.cname = "camrelay-" + opts_.id;
  const bool rtx = setup.rtx_pt != 0;
  std::string err;
  std::shared_ptr<RtpSender> snd = RtpSender::create(std::move(setup), err);
  if (!snd) return fail("cannot send the video: " + err);
  {
    std::lock_guard lk(mu_);
    sender_ = snd;
  }
  find_rtp_session();
  fanout_->add(snd, gst::weak_member(shared_from_this(), &WebrtcViewer::replayed_));
  lg()->debug("viewer {}: video sent beside webrtcbin (SRTP {}, RTX {}, key found at try {})", opts_.id,
              auth == 1 ? "AES_CM_128_HMAC_SHA1_32" : "AES_CM_128_HMAC_SHA1_80", rtx ? "on" : "off", key_tries_ + 1);
}

void WebrtcViewer::on_feedback(guint type, guint fbtype, guint media_ssrc, GstBuffer* fci) {
  bool keyframe = false;
  if (type == GST_RTCP_TYPE_RTPFB && fbtype == GST_RTCP_RTPFB_TYPE_NACK && media_ssrc == video_ssrc_ && fci) {
    auto snd = sender();
    GstMapInfo m;
    if (snd && gst_buffer_map(fci, &m, GST_MAP_READ)) {
      snd->on_nack(m.data, m.size);
      gst_buffer_unmap(fci, &m);
    }
  } else if (type == GST_RTCP_TYPE_PSFB && fbtype == GST_RTCP_PSFB_TYPE_PLI) {
    keyframe = media_ssrc == video_ssrc_;
  } else if (type == GST_RTCP_TYPE_PSFB && fbtype == GST_RTCP_PSFB_TYPE_FIR && fci) {
    // FIR names the SSRC in its FCI entries (SSRC, sequence number, 3 reserved bytes).
    GstMapInfo m;
    if (gst_buffer_map(fci, &m, GST_MAP_READ)) {
      for (gsize i = 0; i + 8 <= m.size && !keyframe; i += 8) {
        keyframe = GST_READ_UINT32_BE(m.data + i) == video_ssrc_;
      }
      gst_buffer_unmap(fci, &m);
    }
  }
  if (keyframe) {
    key_requests_.fetch_add(1, std::memory_order_relaxed);
    ask_keyframe();
  }
}

// Streaming thread, inside the probe on the queue's sink pad, before `live` goes in: pushes
// copies of the stream's cached GOP (keyframe first) into the queue, so the browser can
// decode a picture now instead of waiting for the camera's next keyframe. Their
// timestamps are squeezed into the gap just before `live` (at most 1 ms apart): the
// browser decodes them at once and presents the live frame on time, without the GOP's
// duration of built-in delay.
void WebrtcViewer::replay_gop(GstPad* pad, GstBuffer* live) {
  if (!GST_BUFFER_FLAG_IS_SET(live, GST_BUFFER_FLAG_DELTA_UNIT)) return;  // a keyframe anyway
  std::vector<gst::BufferPtr> gop = stream_->gop_snapshot();
  // The stream cached `live` before the tee pushed it here: it is the newest entry.
  if (!gop.empty() && gop.back().get() == live) gop.pop_back();
  const GstClockTime t = GST_BUFFER_DTS_OR_PTS(live);
  if (gop.empty() || !GST_CLOCK_TIME_IS_VALID(t)) return;
  const GstClockTime n = gop.size();
  // The gap between the previous frame (the newest cached one) and `live`.
  const GstClockTime prev = GST_BUFFER_DTS_OR_PTS(gop.back().get());
  const GstClockTime floor = GST_CLOCK_TIME_IS_VALID(prev) && prev < t ? prev : 0;
  const GstClockTime step = std::min<GstClockTime>(kReplaySpacing, (t - floor) / (n + 1));
  // Room for the whole replay in the leaky queue (it would drop the keyframe first).
  guint cap = 0;
  g_object_get(queue_, "max-size-buffers", &cap, nullptr);
  if (cap < n + kQueueBuffers) g_object_set(queue_, "max-size-buffers", guint(n + kQueueBuffers), nullptr);
  replaying_ = true;
  GstFlowReturn flow = GST_FLOW_OK;
  std::uint64_t sent = 0;
  for (GstClockTime i = 0; i < n && flow == GST_FLOW_OK; ++i) {
    GstBuffer* copy = gst_buffer_copy(gop[i].get());  // shares the memory; own timestamps
    GST_BUFFER_PTS(copy) = GST_BUFFER_DTS(copy) = t - (n - i) * step;
    GST_BUFFER_DURATION(copy) = step;
    flow = gst_pad_chain(pad, copy);  // takes `copy`; our probe lets it through
    if (flow == GST_FLOW_OK) ++sent;
  }
  replaying_ = false;
  replayed_.fetch_add(sent, std::memory_order_relaxed);
  lg()->debug("viewer {}: replayed {} of {} cached frame(s) of the current GOP", opts_.id, sent, n);
}

void WebrtcViewer::stop(std::function<void()> done) {
  stream_->loop().post([self = shared_from_this(), done = std::move(done)]() mutable {
    if (self->stopped_) {
      if (done) done();
      return;
    }
    self->stopped_ = true;
    // The video first: from here on the fanout sends it nothing more (at most a packet in hand).
    if (auto snd = self->sender()) {
      if (self->fanout_) self->fanout_->remove(snd.get());
      std::lock_guard lk(self->mu_);
      self->sender_.reset();
    }
    self->fanout_hold_.reset();
    if (self->stats_timer_) self->stream_->loop().cancel(self->stats_timer_);
    if (self->gather_timer_) self->stream_->loop().cancel(self->gather_timer_);
    self->stats_timer_ = self->gather_timer_ = 0;
    // Before anything goes to NULL: a late ICE state change must not reach the receive bins
    // (webrtc_teardown.hpp: it would keep them, their sockets and decoders alive for ever).
    if (self->webrtc_) quiesce_webrtc_transports(self->webrtc_);
    // Video: the whole bin goes with the last tee pad. Audio first, so no buffer arrives
    // through it into a bin that is shutting down.
    auto detach_video = [self, done = std::move(done)]() mutable {
      self->audio_tee_pad_.release();  // still held only if the pipeline is gone
      self->audio_hold_.reset();       // a shared transcoder may stop now
      GstElement* pipeline = self->stream_->pipeline();
      if (self->tee_pad_ && pipeline && self->video_tee_) {
        detach_branch(self->stream_->loop(), pipeline, std::move(self->tee_pad_), self->bin_.get(),
                      [self, done = std::move(done)] {
                        self->video_hold_.reset();  // after the unlink: the VP8 tee may go now
                        lg()->debug("viewer {}: released", self->opts_.id);
                        if (done) done();
                      });
        return;
      }
      // send_path direct (no video tee pad), the pipeline gone (stream stopped first) or
      // never attached.
      self->tee_pad_.release();
      self->video_hold_.reset();
      if (self->bin_ && !GST_OBJECT_PARENT(self->bin_.get())) {
        gst_element_set_state(self->bin_.get(), GST_STATE_NULL);
      } else if (self->bin_ && pipeline && GST_OBJECT_PARENT(self->bin_.get()) == GST_OBJECT(pipeline)) {
        gst_element_set_state(self->bin_.get(), GST_STATE_NULL);
        gst_bin_remove(GST_BIN(pipeline), self->bin_.get());
        lg()->debug("viewer {}: released", self->opts_.id);
      }
      if (done) done();
    };
    if (self->audio_tee_pad_ && self->stream_->pipeline()) {
      unlink_tee_pad(self->stream_->loop(), std::move(self->audio_tee_pad_), std::move(detach_video));
      return;
    }
    detach_video();
  });
}

}  // namespace camrelay::media
