#include "camrelay/media/webrtc_viewer.hpp"

#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <fmt/format.h>

#include <algorithm>

#include "camrelay/media/branch.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::media {
namespace {
auto lg() {
  static auto l = log::get("webrtc");
  return l;
}
constexpr const char* kTwccUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
// Debian's Chromium only accepts these H.264 profiles; the camera's real profile is sent
// anyway and decoded fine (design.md §4).
constexpr const char* kOfferedProfile = "42e01f";
constexpr unsigned kGatherTimeoutMs = 1500;
// Without STUN/TURN servers only host candidates exist, and libnice reports them all at
// once: answer this long after the first one instead of waiting ~250 ms for "complete".
constexpr unsigned kHostCandidatesGraceMs = 15;
constexpr guint kQueueBuffers = 90;
// Replayed frames are squeezed into at most this spacing just before the live frame, so
// the browser decodes them at once and shows the live picture (no 2 s built-in delay).
constexpr GstClockTime kReplaySpacing = GST_MSECOND;

using Weak = std::weak_ptr<WebrtcViewer>;
void free_weak(gpointer p, GClosure*) { delete static_cast<Weak*>(p); }
void free_weak1(gpointer p) { delete static_cast<Weak*>(p); }

std::string rtp_caps(int pt, int twcc_id) {
  std::string caps = fmt::format(
      "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload={},"
      "packetization-mode=(string)1,profile-level-id=(string){},level-asymmetry-allowed=(string)1,"
      "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true,rtcp-fb-nack=(boolean)true",
      pt, kOfferedProfile);
  if (twcc_id > 0) caps += fmt::format(",rtcp-fb-transport-cc=(boolean)true,extmap-{}=(string){}", twcc_id, kTwccUri);
  return caps;
}

const char* conn_state_name(GstWebRTCPeerConnectionState s) {
  switch (s) {
    case GST_WEBRTC_PEER_CONNECTION_STATE_NEW: return "new";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING: return "connecting";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED: return "connected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED: return "disconnected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED: return "failed";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED: return "closed";
  }
  return "unknown";
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

// Reply error of a webrtcbin promise, if any.
std::string promise_error(GstPromise* p) {
  if (gst_promise_wait(p) != GST_PROMISE_RESULT_REPLIED) return "no reply from webrtcbin";
  const GstStructure* r = gst_promise_get_reply(p);
  if (r && gst_structure_has_field(r, "error")) {
    GError* err = nullptr;
    gst_structure_get(r, "error", G_TYPE_ERROR, &err, nullptr);
    std::string s = err ? err->message : "error";
    g_clear_error(&err);
    return s;
  }
  return {};
}
}  // namespace

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

WebrtcViewer::~WebrtcViewer() {
  if (bin_) gst_object_unref(bin_);
  if (rtp_session_) g_object_unref(rtp_session_);
}

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
  GstElement* pipeline = stream_->pipeline();
  GstElement* tee = stream_->tee();
  if (!pipeline || !tee) return fail("the stream is not running");

  if (!opts_.remote_offer.empty()) {
    payload_type_ = find_h264_payload_type(opts_.remote_offer);
    if (payload_type_ < 0) {
      return fail("the offer has no H.264 video with packetization-mode=1");
    }
    // Use the browser's id for TWCC; without it in the offer, no TWCC.
    twcc_ext_id_ = std::max(0, find_extmap_id(opts_.remote_offer, kTwccUri));
  }

  bin_ = gst_bin_new(name_.c_str());
  gst_object_ref_sink(bin_);
  GstElement* q = make_leaky_queue(nullptr, kQueueBuffers, &dropped_);
  queue_ = q;
  GstElement* pay = gst_element_factory_make("rtph264pay", nullptr);
  GstElement* setter = gst_element_factory_make("capssetter", nullptr);
  webrtc_ = gst_element_factory_make("webrtcbin", name_.c_str());
  if (!q || !pay || !setter || !webrtc_) return fail("missing GStreamer elements (rtph264pay, capssetter, webrtcbin)");
  g_object_set(pay, "config-interval", -1, "pt", guint(payload_type_), "mtu", 1200u, nullptr);
  gst_util_set_object_arg(G_OBJECT(pay), "aggregate-mode", "zero-latency");
  if (GstRTPHeaderExtension* ext = twcc_ext_id_ > 0 ? gst_rtp_header_extension_create_from_uri(kTwccUri) : nullptr) {
    gst_rtp_header_extension_set_id(ext, guint(twcc_ext_id_));
    g_signal_emit_by_name(pay, "add-extension", ext);
    gst_object_unref(ext);
  }
  GstCaps* setcaps = gst_caps_from_string(
      fmt::format("application/x-rtp,profile-level-id=(string){}", kOfferedProfile).c_str());
  g_object_set(setter, "caps", setcaps, "join", TRUE, "replace", FALSE, nullptr);
  gst_caps_unref(setcaps);
  gst_util_set_object_arg(G_OBJECT(webrtc_), "bundle-policy", "max-bundle");

  // ICE servers, local addresses (libnice skips loopback unless told) and port range.
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
  GstWebRTCICE* ice = nullptr;
  g_object_get(webrtc_, "ice-agent", &ice, nullptr);
  if (ice) {
    for (const auto& ip : cfg_.local_ips) {
      gboolean ok = FALSE;
      g_signal_emit_by_name(ice, "add-local-ip-address", ip.c_str(), &ok);
    }
    if (cfg_.udp_port_min > 0 && cfg_.udp_port_max >= cfg_.udp_port_min) {
      g_object_set(ice, "min-rtp-port", guint(cfg_.udp_port_min), "max-rtp-port", guint(cfg_.udp_port_max), nullptr);
    }
    gst_object_unref(ice);
  }

  gst_bin_add_many(GST_BIN(bin_), q, pay, setter, webrtc_, nullptr);
  if (!gst_element_link_many(q, pay, setter, nullptr)) return fail("cannot link the viewer branch");
  GstPad* qsink = gst_element_get_static_pad(q, "sink");
  gst_element_add_pad(bin_, gst_ghost_pad_new("sink", qsink));
  // PLI/FIR from this browser: swallow the event here and ask the stream for a keyframe
  // (rate-limited, shared by all viewers) instead of letting every request through.
  gst_pad_add_probe(
      qsink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      [](GstPad*, GstPadProbeInfo* info, gpointer ud) -> GstPadProbeReturn {
        GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
        if (!gst_video_event_is_force_key_unit(ev)) return GST_PAD_PROBE_OK;
        auto w = static_cast<Weak*>(ud)->lock();
        if (w) {
          w->key_requests_.fetch_add(1, std::memory_order_relaxed);
          w->stream_->request_keyframe();
        }
        return GST_PAD_PROBE_DROP;
      },
      new Weak(weak_from_this()), free_weak1);
  if (stream_->has_gop_cache()) {
    // Last-GOP replay (sources that cannot be asked for a keyframe): see replay_gop().
    // The probe removes itself once it has replayed: no per-buffer cost afterwards.
    gst_pad_add_probe(
        qsink, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad* pad, GstPadProbeInfo* info, gpointer ud) -> GstPadProbeReturn {
          auto s = static_cast<Weak*>(ud)->lock();
          if (!s || s->replaying_ || !s->replay_armed_.exchange(false)) return GST_PAD_PROBE_OK;
          s->replay_gop(pad, GST_PAD_PROBE_INFO_BUFFER(info));
          return GST_PAD_PROBE_REMOVE;
        },
        new Weak(weak_from_this()), free_weak1);
  }
  gst_object_unref(qsink);

  GstPadTemplate* templ = gst_element_get_pad_template(webrtc_, "sink_%u");
  GstCaps* caps = gst_caps_from_string(rtp_caps(payload_type_, twcc_ext_id_).c_str());
  GstPad* wsink = gst_element_request_pad(webrtc_, templ, "sink_0", caps);
  if (!wsink) {
    gst_caps_unref(caps);
    return fail("webrtcbin refused a sink pad");
  }
  GstWebRTCRTPTransceiver* trans = nullptr;
  g_object_get(wsink, "transceiver", &trans, nullptr);
  if (trans) {
    g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "codec-preferences", caps, nullptr);
    gst_object_unref(trans);
  }
  gst_caps_unref(caps);
  GstPad* setsrc = gst_element_get_static_pad(setter, "src");
  // Until the peer connection is up, webrtcbin's sink pad has no target and a push
  // returns NOT_LINKED — which would pause the queue's task for good. Drop media (not
  // events) here until then; nothing sent earlier could be decrypted anyway.
  gst_pad_add_probe(
      setsrc, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo*, gpointer ud) -> GstPadProbeReturn {
        auto s = static_cast<Weak*>(ud)->lock();
        return s && s->media_ready_.load(std::memory_order_relaxed) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
      },
      new Weak(weak_from_this()), free_weak1);
  GstPadLinkReturn lr = gst_pad_link(setsrc, wsink);
  gst_object_unref(setsrc);
  gst_object_unref(wsink);
  if (lr != GST_PAD_LINK_OK) return fail("cannot link the payloader to webrtcbin");

  g_signal_connect_data(webrtc_, "on-ice-candidate",
                        G_CALLBACK(+[](GstElement*, guint mline, gchar* cand, gpointer ud) {
                          if (auto s = static_cast<Weak*>(ud)->lock()) s->on_ice_candidate_cb(mline, cand);
                        }),
                        new Weak(weak_from_this()), free_weak, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::connection-state",
                        G_CALLBACK(+[](GstElement* e, GParamSpec*, gpointer ud) {
                          auto s = static_cast<Weak*>(ud)->lock();
                          if (!s) return;
                          GstWebRTCPeerConnectionState st;
                          g_object_get(e, "connection-state", &st, nullptr);
                          {
                            std::lock_guard lk(s->mu_);
                            s->stats_.connection_state = conn_state_name(st);
                          }
                          if (st == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
                            if (!s->media_ready_ && s->stream_->has_gop_cache()) s->replay_armed_ = true;
                            s->media_ready_ = true;
                            // A keyframe now, and again shortly after in case the first
                            // one is lost while the browser's receiver is still settling.
                            s->stream_->request_keyframe();
                            for (unsigned delay : {700u, 1500u}) {
                              s->stream_->loop().post_delayed(delay, [w = std::weak_ptr<WebrtcViewer>(s)] {
                                if (auto v = w.lock(); v && !v->stopped_) v->stream_->request_keyframe();
                              });
                            }
                          }
                          if (s->cb_.on_connection_state) s->cb_.on_connection_state(conn_state_name(st));
                        }),
                        new Weak(weak_from_this()), free_weak, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::ice-connection-state",
                        G_CALLBACK(+[](GstElement* e, GParamSpec*, gpointer ud) {
                          auto s = static_cast<Weak*>(ud)->lock();
                          if (!s) return;
                          GstWebRTCICEConnectionState st;
                          g_object_get(e, "ice-connection-state", &st, nullptr);
                          std::lock_guard lk(s->mu_);
                          s->stats_.ice_state = ice_state_name(st);
                        }),
                        new Weak(weak_from_this()), free_weak, GConnectFlags(0));
  g_signal_connect_data(webrtc_, "notify::ice-gathering-state",
                        G_CALLBACK(+[](GstElement* e, GParamSpec*, gpointer ud) {
                          auto s = static_cast<Weak*>(ud)->lock();
                          if (!s) return;
                          GstWebRTCICEGatheringState st;
                          g_object_get(e, "ice-gathering-state", &st, nullptr);
                          if (st != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
                          {
                            std::lock_guard lk(s->mu_);
                            s->gathering_done_ = true;
                          }
                          s->maybe_send_answer();
                        }),
                        new Weak(weak_from_this()), free_weak, GConnectFlags(0));

  tee_pad_ = attach_branch(pipeline, tee, bin_);
  if (!tee_pad_) return fail("cannot attach the viewer to the stream");

  // RTCP liveness and TWCC figures live on the rtpbin session inside webrtcbin.
  GstIterator* it = gst_bin_iterate_elements(GST_BIN(webrtc_));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    GstElement* child = GST_ELEMENT(g_value_get_object(&item));
    GstElementFactory* f = gst_element_get_factory(child);
    if (f && g_str_equal(GST_OBJECT_NAME(f), "rtpbin")) {
      GObject* session = nullptr;
      g_signal_emit_by_name(child, "get-internal-session", 0u, &session);
      rtp_session_ = session;
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  if (rtp_session_) {
    g_signal_connect_data(rtp_session_, "on-receiving-rtcp",
                          G_CALLBACK(+[](GObject*, GstBuffer*, gpointer ud) {
                            if (auto s = static_cast<Weak*>(ud)->lock()) {
                              s->last_rtcp_ms_.store(mono_now_ms(), std::memory_order_relaxed);
                            }
                          }),
                          new Weak(weak_from_this()), free_weak, GConnectFlags(0));
  }

  poll_stats();

  if (opts_.remote_offer.empty()) {
    create_offer();
  } else {
    answer_remote_offer();
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
  std::vector<GstBuffer*> gop = stream_->gop_snapshot();
  // The stream cached `live` before the tee pushed it here: it is the newest entry.
  if (!gop.empty() && gop.back() == live) {
    gst_buffer_unref(gop.back());
    gop.pop_back();
  }
  const GstClockTime t = GST_BUFFER_DTS_OR_PTS(live);
  if (gop.empty() || !GST_CLOCK_TIME_IS_VALID(t)) {
    for (GstBuffer* b : gop) gst_buffer_unref(b);
    return;
  }
  const GstClockTime n = gop.size();
  // The gap between the previous frame (the newest cached one) and `live`.
  const GstClockTime prev = GST_BUFFER_DTS_OR_PTS(gop.back());
  const GstClockTime floor = GST_CLOCK_TIME_IS_VALID(prev) && prev < t ? prev : 0;
  const GstClockTime step = std::min<GstClockTime>(kReplaySpacing, (t - floor) / (n + 1));
  // Room for the whole replay in the leaky queue (it would drop the keyframe first).
  guint cap = 0;
  g_object_get(queue_, "max-size-buffers", &cap, nullptr);
  if (cap < n + kQueueBuffers) g_object_set(queue_, "max-size-buffers", guint(n + kQueueBuffers), nullptr);
  replaying_ = true;
  GstFlowReturn flow = GST_FLOW_OK;
  std::uint64_t sent = 0;
  for (GstClockTime i = 0; i < n; ++i) {
    GstBuffer* b = gop[i];
    if (flow == GST_FLOW_OK) {
      GstBuffer* copy = gst_buffer_copy(b);  // shares the memory; own timestamps
      GST_BUFFER_PTS(copy) = GST_BUFFER_DTS(copy) = t - (n - i) * step;
      GST_BUFFER_DURATION(copy) = step;
      flow = gst_pad_chain(pad, copy);  // takes `copy`; our probe lets it through
      if (flow == GST_FLOW_OK) ++sent;
    }
    gst_buffer_unref(b);
  }
  replaying_ = false;
  replayed_.fetch_add(sent, std::memory_order_relaxed);
  lg()->debug("viewer {}: replayed {} of {} cached frame(s) of the current GOP", opts_.id, sent, n);
}

void WebrtcViewer::create_offer() {
  auto* p = gst_promise_new_with_change_func(
      [](GstPromise* p, gpointer ud) {
        if (auto s = static_cast<Weak*>(ud)->lock()) s->on_offer_created(p);
        gst_promise_unref(p);
      },
      new Weak(weak_from_this()), free_weak1);
  g_signal_emit_by_name(webrtc_, "create-offer", nullptr, p);
}

void WebrtcViewer::on_offer_created(GstPromise* p) {
  if (auto err = promise_error(p); !err.empty()) return fail("create-offer: " + err);
  GstWebRTCSessionDescription* offer = nullptr;
  gst_structure_get(gst_promise_get_reply(p), "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
  if (!offer) return fail("create-offer returned nothing");
  g_signal_emit_by_name(webrtc_, "set-local-description", offer, nullptr);
  gchar* text = gst_sdp_message_as_text(offer->sdp);
  std::string sdp = text;
  g_free(text);
  gst_webrtc_session_description_free(offer);
  // Trickle ICE: the offer goes out at once; candidates follow one by one. Candidates
  // gathered before this point were held back so they cannot overtake the offer.
  std::lock_guard lk(mu_);
  if (cb_.on_local_description) cb_.on_local_description(std::move(sdp));
  offer_sent_ = true;
  if (cb_.on_ice_candidate) {
    for (const auto& [m, c] : local_candidates_) cb_.on_ice_candidate(m, c);
  }
}

void WebrtcViewer::answer_remote_offer() {
  GstSDPMessage* msg = nullptr;
  if (gst_sdp_message_new_from_text(opts_.remote_offer.c_str(), &msg) != GST_SDP_OK || !msg ||
      gst_sdp_message_medias_len(msg) == 0) {
    if (msg) gst_sdp_message_free(msg);
    return fail("the offer is not a valid SDP");
  }
  auto* desc = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, msg);
  auto* p = gst_promise_new_with_change_func(
      [](GstPromise* p, gpointer ud) {
        auto s = static_cast<Weak*>(ud)->lock();
        if (s) {
          if (auto err = promise_error(p); !err.empty()) {
            s->fail("set-remote-description: " + err);
          } else {
            auto* p2 = gst_promise_new_with_change_func(
                [](GstPromise* p2, gpointer ud2) {
                  if (auto s2 = static_cast<Weak*>(ud2)->lock()) s2->on_answer_created(p2);
                  gst_promise_unref(p2);
                },
                new Weak(s), free_weak1);
            g_signal_emit_by_name(s->webrtc_, "create-answer", nullptr, p2);
          }
        }
        gst_promise_unref(p);
      },
      new Weak(weak_from_this()), free_weak1);
  g_signal_emit_by_name(webrtc_, "set-remote-description", desc, p);
  gst_webrtc_session_description_free(desc);
}

void WebrtcViewer::on_answer_created(GstPromise* p) {
  if (auto err = promise_error(p); !err.empty()) return fail("create-answer: " + err);
  GstWebRTCSessionDescription* answer = nullptr;
  gst_structure_get(gst_promise_get_reply(p), "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
  if (!answer) return fail("create-answer returned nothing");
  gchar* text = gst_sdp_message_as_text(answer->sdp);
  {
    std::lock_guard lk(mu_);
    pending_answer_sdp_ = text;
  }
  g_free(text);
  if (pending_answer_sdp_.find("m=video 0 ") != std::string::npos) {
    gst_webrtc_session_description_free(answer);
    return fail("the browser rejected every H.264 profile we can send");
  }
  g_signal_emit_by_name(webrtc_, "set-local-description", answer, nullptr);
  gst_webrtc_session_description_free(answer);
  // WHEP has no server-to-client trickle: answer once gathering is complete (fast on a
  // LAN), or after a bound with whatever was gathered.
  auto w = weak_from_this();
  stream_->loop().post([w] {
    auto s = w.lock();
    if (!s || s->stopped_) return;
    s->gather_timer_ = s->stream_->loop().post_delayed(kGatherTimeoutMs, [w] {
      if (auto s2 = w.lock()) {
        s2->gather_timer_ = 0;
        {
          std::lock_guard lk(s2->mu_);
          s2->gathering_done_ = true;
        }
        s2->maybe_send_answer();
      }
    });
  });
  maybe_send_answer();
}

void WebrtcViewer::maybe_send_answer() {
  std::string sdp;
  {
    std::lock_guard lk(mu_);
    if (answer_sent_ || !gathering_done_ || pending_answer_sdp_.empty()) return;
    answer_sent_ = true;
    sdp = add_candidates_to_sdp(pending_answer_sdp_, local_candidates_);
  }
  if (cb_.on_local_description) cb_.on_local_description(std::move(sdp));
}

void WebrtcViewer::on_ice_candidate_cb(unsigned mline, const char* cand) {
  if (!cand || !*cand) return;
  std::string c = cand;
  if (c.rfind("a=", 0) == 0) c = c.substr(2);
  std::lock_guard lk(mu_);
  const bool first = local_candidates_.empty();
  for (auto& variant : announce_candidates(c, cfg_.announced_ips)) {
    local_candidates_.emplace_back(mline, variant);
    if (opts_.remote_offer.empty() && offer_sent_ && cb_.on_ice_candidate) cb_.on_ice_candidate(mline, variant);
  }
  if (first && !opts_.remote_offer.empty() && cfg_.ice_servers.empty()) {
    stream_->loop().post_delayed(kHostCandidatesGraceMs, [w = weak_from_this()] {
      auto s = w.lock();
      if (!s) return;
      {
        std::lock_guard lk2(s->mu_);
        s->gathering_done_ = true;
      }
      s->maybe_send_answer();
    });
  }
}

void WebrtcViewer::set_remote_answer(std::string sdp) {
  stream_->loop().post([self = shared_from_this(), sdp = std::move(sdp)] {
    if (self->stopped_ || !self->webrtc_) return;
    GstSDPMessage* msg = nullptr;
    if (sdp.rfind("v=0", 0) != 0 || gst_sdp_message_new_from_text(sdp.c_str(), &msg) != GST_SDP_OK ||
        !msg || gst_sdp_message_medias_len(msg) == 0) {
      if (msg) gst_sdp_message_free(msg);
      return self->fail("the answer is not a valid SDP");
    }
    auto* desc = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
    auto* p = gst_promise_new_with_change_func(
        [](GstPromise* p, gpointer ud) {
          if (auto s = static_cast<Weak*>(ud)->lock()) {
            if (auto err = promise_error(p); !err.empty()) s->fail("set-remote-description: " + err);
          }
          gst_promise_unref(p);
        },
        new Weak(self), free_weak1);
    g_signal_emit_by_name(self->webrtc_, "set-remote-description", desc, p);
    gst_webrtc_session_description_free(desc);
  });
}

void WebrtcViewer::add_ice_candidate(unsigned mline, std::string cand) {
  stream_->loop().post([self = shared_from_this(), mline, cand = std::move(cand)] {
    if (self->stopped_ || !self->webrtc_) return;
    std::string c = cand;
    if (c.rfind("a=", 0) == 0) c = c.substr(2);
    if (c.empty()) return;  // end of candidates: nothing to do for libnice
    g_signal_emit_by_name(self->webrtc_, "add-ice-candidate", mline, c.c_str());
  });
}

void WebrtcViewer::stop(std::function<void()> done) {
  stream_->loop().post([self = shared_from_this(), done = std::move(done)]() mutable {
    if (self->stopped_) {
      if (done) done();
      return;
    }
    self->stopped_ = true;
    if (self->stats_timer_) self->stream_->loop().cancel(self->stats_timer_);
    if (self->gather_timer_) self->stream_->loop().cancel(self->gather_timer_);
    self->stats_timer_ = self->gather_timer_ = 0;
    GstElement* pipeline = self->stream_->pipeline();
    if (self->tee_pad_ && pipeline && self->stream_->tee()) {
      GstPad* pad = std::exchange(self->tee_pad_, nullptr);
      detach_branch(self->stream_->loop(), pipeline, self->stream_->tee(), pad, self->bin_,
                    [self, done = std::move(done)] {
                      lg()->debug("viewer {}: released", self->opts_.id);
                      if (done) done();
                    });
      return;
    }
    // The pipeline is gone (stream stopped first) or we never attached.
    if (self->bin_ && !GST_OBJECT_PARENT(self->bin_)) gst_element_set_state(self->bin_, GST_STATE_NULL);
    if (self->tee_pad_) gst_object_unref(std::exchange(self->tee_pad_, nullptr));
    if (done) done();
  });
}

}  // namespace camrelay::media
