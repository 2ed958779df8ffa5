// The webrtcbin receiver (webrtcbin_viewer.hpp).
#include "webrtcbin_viewer.hpp"

#include <gst/rtp/gstrtpbuffer.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace swarm {

namespace gst = camrelay::gst;
using Weak = gst::Weak<WebrtcbinViewer>;

namespace {
// fn(GstElement*) for every element inside `bin` at any depth, until fn returns true.
template <class Fn>
bool for_each_descendant(GstBin* bin, Fn&& fn) {
  bool stop = false;
  gst::for_each_child(bin, [&](GstElement* e) {
    stop = fn(e) || (GST_IS_BIN(e) && for_each_descendant(GST_BIN(e), fn));
    return stop;
  });
  return stop;
}

// rtpbin's jitter buffers inside `bin`, each once (an iteration restarted by a concurrent
// change may show one twice).
std::vector<gst::ElementPtr> jitter_buffers(GstBin* bin) {
  std::vector<gst::ElementPtr> jbs;
  for_each_descendant(bin, [&](GstElement* e) {
    GstElementFactory* f = gst_element_get_factory(e);  // borrowed
    const bool seen = std::any_of(jbs.begin(), jbs.end(), [e](const gst::ElementPtr& j) { return j.get() == e; });
    if (!seen && f && g_strcmp0(GST_OBJECT_NAME(f), "rtpjitterbuffer") == 0) jbs.push_back(gst::ElementPtr::ref(e));
    return false;
  });
  return jbs;
}
}  // namespace

namespace {

// What the offer asks for: H.264 constrained baseline, packetization-mode 1, with the
// feedback a browser announces (nack, nack pli, ccm fir, goog-remb).
constexpr const char* kOfferCaps =
    "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000,"
    "packetization-mode=(string)1,profile-level-id=(string)42e01f,level-asymmetry-allowed=(string)1,"
    "rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true,"
    "rtcp-fb-goog-remb=(boolean)true";

constexpr auto kGatherTimeout = std::chrono::seconds(10);

// Runs a webrtcbin action that answers through a promise and waits for the reply.
gst::PromisePtr run_promise(GstElement* webrtc, const char* action, GstWebRTCSessionDescription* desc) {
  auto p = gst::PromisePtr::adopt(gst_promise_new());
  if (desc) {
    g_signal_emit_by_name(webrtc, action, desc, p.get());
  } else {
    g_signal_emit_by_name(webrtc, action, nullptr, p.get());
  }
  if (gst_promise_wait(p.get()) != GST_PROMISE_RESULT_REPLIED) {
    throw std::runtime_error(std::string("webrtcbin ") + action + ": no reply");
  }
  const GstStructure* r = gst_promise_get_reply(p.get());
  if (r && gst_structure_has_field(r, "error")) {
    GError* err = nullptr;
    gst_structure_get(r, "error", G_TYPE_ERROR, &err, nullptr);
    gst::ErrorPtr e(err);
    throw std::runtime_error(std::string("webrtcbin ") + action + ": " + (e ? e->message : "error"));
  }
  return p;
}

struct DescFree {
  void operator()(GstWebRTCSessionDescription* d) const { gst_webrtc_session_description_free(d); }
};
using DescPtr = std::unique_ptr<GstWebRTCSessionDescription, DescFree>;

DescPtr parse_desc(GstWebRTCSDPType type, const std::string& text) {
  GstSDPMessage* msg = nullptr;
  gst_sdp_message_new(&msg);
  if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(text.data()), guint(text.size()), msg) != GST_SDP_OK) {
    gst_sdp_message_free(msg);
    throw std::runtime_error("unparsable SDP");
  }
  return DescPtr(gst_webrtc_session_description_new(type, msg));
}

DescPtr take_desc(const gst::PromisePtr& p, const char* field) {
  GstWebRTCSessionDescription* d = nullptr;
  gst_structure_get(gst_promise_get_reply(p.get()), field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &d, nullptr);
  if (!d) throw std::runtime_error(std::string("webrtcbin gave no ") + field);
  return DescPtr(d);
}

}  // namespace

WebrtcbinViewer::WebrtcbinViewer(int id, GstElement* pipeline) : id_(id), pipeline_(gst::ElementPtr::ref(pipeline)) {}

std::shared_ptr<WebrtcbinViewer> WebrtcbinViewer::create(int id, GstElement* pipeline, const std::string& local_ip) {
  std::shared_ptr<WebrtcbinViewer> v(new WebrtcbinViewer(id, pipeline));
  v->setup(local_ip);
  return v;
}

WebrtcbinViewer::~WebrtcbinViewer() = default;

void WebrtcbinViewer::setup(const std::string& local_ip) {
  std::string name = "viewer" + std::to_string(id_);
  bin_ = gst::ElementPtr::ref_sink(gst_bin_new(name.c_str()));
  webrtc_ = gst::make_element("webrtcbin");
  sink_ = gst::make_element("fakesink");
  g_object_set(sink_.get(), "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, nullptr);
  gst_util_set_object_arg(G_OBJECT(webrtc_.get()), "bundle-policy", "max-bundle");
  // libnice skips loopback interfaces unless an address is given.
  GstWebRTCICE* ice_raw = nullptr;
  g_object_get(webrtc_.get(), "ice-agent", &ice_raw, nullptr);
  if (auto ice = gst::Ptr<GstWebRTCICE>::adopt(ice_raw)) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(ice.get(), "add-local-ip-address", local_ip.c_str(), &ok);
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice.get()), "agent")) {
      GObject* agent = nullptr;
      g_object_get(ice.get(), "agent", &agent, nullptr);
      // No UPnP discovery and no ICE-TCP candidates (a listening socket per viewer): UDP on
      // loopback is all a swarm viewer needs.
      if (auto a = gst::Ptr<GObject>::adopt(agent)) g_object_set(a.get(), "upnp", FALSE, "ice-tcp", FALSE, nullptr);
    }
  }
  gst::connect<void(GstElement*, GstPad*)>(webrtc_.get(), "pad-added", Weak(weak_from_this()),
                                           [](Weak& w, GstElement*, GstPad* pad) {
                                             if (auto v = w.lock()) v->on_pad_added(pad);
                                           });
  // Transceivers the remote offer creates (Janus) get NACK too.
  gst::connect<void(GstElement*, GstWebRTCRTPTransceiver*)>(
      webrtc_.get(), "on-new-transceiver", 0,
      [](int&, GstElement*, GstWebRTCRTPTransceiver* t) { g_object_set(t, "do-nack", TRUE, nullptr); });
  for (const char* prop : {"notify::ice-gathering-state", "notify::connection-state"}) {
    gst::connect<void(GstElement*, GParamSpec*)>(webrtc_.get(), prop, Weak(weak_from_this()),
                                                 [](Weak& w, GstElement*, GParamSpec*) {
                                                   if (auto v = w.lock()) v->on_state_change();
                                                 });
  }
  gst_bin_add_many(GST_BIN(bin_.get()), webrtc_.get(), sink_.get(), nullptr);
  gst_bin_add(GST_BIN(pipeline_.get()), bin_.get());
  if (!gst_element_sync_state_with_parent(bin_.get())) throw std::runtime_error("viewer bin does not start");
}

void WebrtcbinViewer::on_state_change() {
  GstWebRTCICEGatheringState g{};
  GstWebRTCPeerConnectionState s{};
  g_object_get(webrtc_.get(), "ice-gathering-state", &g, "connection-state", &s, nullptr);
  std::lock_guard lk(mu_);
  conn_state_ = int(s);
  if (s == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !c_.connected) c_.connected = Clock::now();
  if (s == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) c_.failed = true;
  if (g == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) gathered_ = true;
  cv_.notify_all();
}

void WebrtcbinViewer::on_pad_added(GstPad* pad) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  gst::PadPtr sinkpad = gst::static_pad(sink_.get(), "sink");
  if (gst_pad_is_linked(sinkpad.get())) return;  // one video stream per viewer
  gst::add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, Weak(weak_from_this()),
                 [](Weak& w, GstPad* p, GstPadProbeInfo* info) -> GstPadProbeReturn {
                   if (auto v = w.lock()) v->on_delivered(GST_PAD_PROBE_INFO_BUFFER(info), p);
                   return GST_PAD_PROBE_OK;
                 });
  if (gst_pad_link(pad, sinkpad.get()) != GST_PAD_LINK_OK) g_printerr("viewer %d: cannot link the RTP pad\n", id_);
  probe_jitterbuffer();
}

// rtpbin's jitter buffers (one per received SSRC: the video's, and with RTX possibly one
// more): arrivals are counted at each one's input, the video's is the busiest.
void WebrtcbinViewer::probe_jitterbuffer() {
  const std::vector<gst::ElementPtr> jbs = jitter_buffers(GST_BIN(webrtc_.get()));
  if (jbs.empty()) g_printerr("viewer %d: no jitter buffer found, arrivals not counted\n", id_);
  for (const auto& jb : jbs) {
    // NACK like a browser: for sequence gaps only, not for "the next packet is due by now"
    // (the jitter buffer's default estimate fires on every late burst, e.g. each keyframe).
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(jb.get()), "rtx-next-seqnum")) {
      g_object_set(jb.get(), "rtx-next-seqnum", FALSE, nullptr);
    }
    gst::PadPtr sink = gst::static_pad(jb.get(), "sink");
    const auto key = reinterpret_cast<std::uintptr_t>(jb.get());
    gst::add_probe(sink.get(), GST_PAD_PROBE_TYPE_BUFFER, std::make_pair(Weak(weak_from_this()), key),
                   [](std::pair<Weak, std::uintptr_t>& w, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
                     if (auto v = w.first.lock()) v->on_arrived(GST_PAD_PROBE_INFO_BUFFER(info), w.second);
                     return GST_PAD_PROBE_OK;
                   });
  }
}

namespace {
bool read_rtp(GstBuffer* buf, uint16_t& seq, bool& marker) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp)) return false;
  seq = gst_rtp_buffer_get_seq(&rtp);
  marker = gst_rtp_buffer_get_marker(&rtp);
  gst_rtp_buffer_unmap(&rtp);
  return true;
}
}  // namespace

void WebrtcbinViewer::on_arrived(GstBuffer* buf, std::uintptr_t jb) {
  uint16_t seq = 0;
  bool marker = false;
  if (!read_rtp(buf, seq, marker)) return;
  std::lock_guard lk(mu_);
  arrived_[jb].add(seq, marker);
}

void WebrtcbinViewer::on_delivered(GstBuffer* buf, GstPad* pad) {
  uint16_t seq = 0;
  bool marker = false;
  if (!read_rtp(buf, seq, marker)) return;
  bool send_pli = false;
  {
    std::lock_guard lk(mu_);
    auto now = Clock::now();
    if (!c_.first_packet) c_.first_packet = now;
    if (c_.delivered.add(seq, marker) && now - last_pli_ >= std::chrono::seconds(1)) {
      last_pli_ = now;
      send_pli = true;
      ++c_.plis_sent;
    }
  }
  // Upstream through webrtcbin: rtpssrcdemux names the SSRC, rtpsession sends a PLI.
  if (send_pli) gst_pad_send_event(pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
}

void WebrtcbinViewer::wait_gathered() {
  std::unique_lock lk(mu_);
  if (!cv_.wait_for(lk, kGatherTimeout, [this] { return gathered_; })) {
    throw std::runtime_error("ICE gathering not complete within 10 s");
  }
  c_.local_sdp_ready = Clock::now();
}

std::string WebrtcbinViewer::local_sdp() {
  GstWebRTCSessionDescription* d = nullptr;
  g_object_get(webrtc_.get(), "local-description", &d, nullptr);
  DescPtr desc(d);
  if (!desc) throw std::runtime_error("no local description");
  gst::CharPtr text(gst_sdp_message_as_text(desc->sdp));
  return text.get();
}

std::string WebrtcbinViewer::make_offer() {
  gst::CapsPtr caps = gst::caps_from_string(kOfferCaps);
  GstWebRTCRTPTransceiver* t = nullptr;
  g_signal_emit_by_name(webrtc_.get(), "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps.get(), &t);
  auto trans = gst::Ptr<GstWebRTCRTPTransceiver>::adopt(t);
  if (!trans) throw std::runtime_error("webrtcbin refused the transceiver");
  g_object_set(trans.get(), "do-nack", TRUE, nullptr);
  auto p = run_promise(webrtc_.get(), "create-offer", nullptr);
  DescPtr offer = take_desc(p, "offer");
  run_promise(webrtc_.get(), "set-local-description", offer.get());
  wait_gathered();
  return local_sdp();
}

void WebrtcbinViewer::set_remote_answer(const std::string& sdp) {
  DescPtr answer = parse_desc(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  run_promise(webrtc_.get(), "set-remote-description", answer.get());
}

std::string WebrtcbinViewer::answer_offer(const std::string& sdp) {
  DescPtr offer = parse_desc(GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  run_promise(webrtc_.get(), "set-remote-description", offer.get());
  auto p = run_promise(webrtc_.get(), "create-answer", nullptr);
  DescPtr answer = take_desc(p, "answer");
  run_promise(webrtc_.get(), "set-local-description", answer.get());
  wait_gathered();
  return local_sdp();
}

Counters WebrtcbinViewer::counters() const {
  std::lock_guard lk(mu_);
  Counters c = c_;
  for (const auto& [jb, count] : arrived_) {
    if (count.packets > c.arrived.packets) c.arrived = count;
  }
  return c;
}

std::string WebrtcbinViewer::connection_state() const {
  static const char* names[] = {"new", "connecting", "connected", "disconnected", "failed", "closed"};
  std::lock_guard lk(mu_);
  return conn_state_ >= 0 && conn_state_ < 6 ? names[conn_state_] : "unknown";
}

Viewer::JitterStats WebrtcbinViewer::jitter_stats() const {
  JitterStats n;
  const std::vector<gst::ElementPtr> jbs = jitter_buffers(GST_BIN(webrtc_.get()));
  for (const auto& jb : jbs) {
    GstStructure* s = nullptr;
    g_object_get(jb.get(), "stats", &s, nullptr);
    gst::StructurePtr stats(s);
    auto add = [&](const char* field, uint64_t& to) {
      guint64 x = 0;
      if (stats && gst_structure_get_uint64(stats.get(), field, &x)) to += x;
    };
    add("rtx-count", n.nacks_sent);
    add("rtx-success-count", n.rtx_success);
    add("num-lost", n.lost);
    add("num-late", n.late);
  }
  return n;
}

void WebrtcbinViewer::stop() {
  if (!bin_) return;
  gst_element_set_locked_state(bin_.get(), TRUE);
  gst_element_set_state(bin_.get(), GST_STATE_NULL);
  gst_bin_remove(GST_BIN(pipeline_.get()), bin_.get());
}

}  // namespace swarm
