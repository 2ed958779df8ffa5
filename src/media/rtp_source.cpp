// Plain RTP camera (BCGH / static): the camera pushes H.264 RTP to our UDP ports; we
// receive it through rtpbin (jitter buffer, RTCP) and send RTCP receiver reports plus REMB
// back so that the camera keeps sending (docs/mqtt.md, "REMB").
// Audio (camera `audio` on, and static `audio_port` or mqtt `audio: true`) is rtpbin's
// session 1: udpsrc(audio_port) → recv_rtp_sink_1, udpsrc(audio_port+1) → recv_rtcp_sink_1,
// recv_rtp_src_1_<ssrc>_<pt> → a depayloader for its encoding → funnel → the stream's
// audio-in. Payload types map to caps through request-pt-map: static → the config's
// audio_*; mqtt → the answer's audio (a=rtpmap), else what the offer lists. REMB and our
// RTCP go to the video session only; the "no RTP" watchdog counts video packets only.
//
//   udpsrc(video_port, caps H264 + rtcp-fb) ─▶ rtpbin.recv_rtp_sink_0
//   udpsrc(video_port+1)                     ─▶ rtpbin.recv_rtcp_sink_0
//   rtpbin.recv_rtp_src_0_<ssrc>_<pt> ─▶ funnel ─▶ rtph264depay ─▶ the stream's h264parse
//   rtpbin.send_rtcp_src_0 ─▶ multiudpsink(socket = the RTCP socket) ─▶ the camera's RTCP address
//
// One UDP socket per port is shared by the receiving udpsrc and the sending multiudpsink,
// so our RTCP leaves from the port announced in the offer (symmetric RTCP).
// REMB: `on-sending-rtcp` of rtpbin's internal session appends a PSFB/FMT 15 packet to
// every RTCP compound packet (rtcp-min-interval 1 s, AVPF profile for immediate FIR/PLI).
// Where RTCP goes: negotiation "mqtt" → the answer's RTCP address (a=rtcp: or port+1);
// "static" (or an answer without a usable address) → learned: the source address of the
// camera's own RTCP packets if it sends any, else the RTP source address with port+1.
#include <gio/gio.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/rtp_link.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "rtp_state.hpp"
#include "source.hpp"
#include "video_codec.hpp"

namespace camrelay::media {
namespace {
using namespace rtp;
auto lg() {
  static auto l = log::get("rtp");
  return l;
}

constexpr unsigned kTickMs = 500;
constexpr guint64 kRtcpMinInterval = GST_SECOND;  // REMB about once a second

using SocketPtr = gst::Ptr<GSocket>;

// A UDP socket bound to 0.0.0.0:port. Throws Error(unavailable) naming the port.
SocketPtr bind_udp(int port) {
  GError* raw_err = nullptr;
  auto s = SocketPtr::adopt(
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &raw_err));
  gst::ErrorPtr err(raw_err);
  if (!s) {
    throw Error(Errc::unavailable,
                std::string("cannot create a UDP socket: ") + (err ? err->message : "unknown error"));
  }
  auto any = gst::Ptr<GInetAddress>::adopt(g_inet_address_new_any(G_SOCKET_FAMILY_IPV4));
  auto sa = gst::Ptr<GSocketAddress>::adopt(g_inet_socket_address_new(any.get(), static_cast<guint16>(port)));
  raw_err = nullptr;
  const gboolean ok = g_socket_bind(s.get(), sa.get(), FALSE, &raw_err);
  err.reset(raw_err);
  if (!ok) {
    throw Error(Errc::unavailable,
                fmt::format("cannot listen on UDP port {}: {}", port, err ? err->message : "unknown error"));
  }
  return s;
}

// The udpsrc probes' types: udpsrc may push buffer lists.
constexpr auto kBuffers = GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST);

class RtpSource final : public Source {
 public:
  RtpSource(const config::Config& cfg, const config::Camera& cam, config::RtpSource c)
      : c_(std::move(c)), st_(std::make_shared<State>()), jitter_ms_(config::jitter_buffer_ms(cam)) {
    st_->camera_id = cam.id;
    st_->mqtt = c_.negotiation == "mqtt";
    st_->remb_enabled = cfg.rtp.remb_enabled;
    st_->video_port = c_.video_port;
    st_->fallback_kbps = cam.bandwidth.max_kbps;
    audio_ = cam.audio && (st_->mqtt ? c_.audio : c_.audio_port > 0);
    audio_port_ = st_->mqtt ? 0 : c_.audio_port;  // mqtt: video_port + 2, known at build()
  }

  ~RtpSource() override {
    if (loop_ && timer_) loop_->cancel(timer_);
    if (link_) link_->set_listener(nullptr);
    // (The holders drop the sockets and the session.)
  }

  void set_rtp_link(std::shared_ptr<RtpLink> link) override { link_ = std::move(link); }

  void build(GstBin* pipe, GstElement* sink, GstElement* audio_sink) override {
    if (c_.video_port <= 0 || c_.video_port >= 65535) {
      throw Error(Errc::internal, fmt::format("camera {}: no RTP port assigned", st_->camera_id));
    }
    if (c_.codec != "H264" && c_.codec != "H265") {
      throw Error(Errc::invalid_argument, "rtp source: rtp.codec must be H264 or H265 (got " + c_.codec + ")");
    }
    const VideoCodecNames& codec = video_codec_names(c_.codec);
    GSocket* rtp_sock = own(bind_udp(c_.video_port));
    GSocket* rtcp_sock = own(bind_udp(c_.video_port + 1));

    auto rtp_src = gst::make_element("udpsrc");
    const std::string caps = fmt::format(
        "application/x-rtp,media=video,clock-rate={},encoding-name={},payload={},"
        "rtcp-fb-nack-pli=true,rtcp-fb-ccm-fir=true,rtcp-fb-goog-remb=true",
        c_.clock_rate, codec.name, c_.payload_type);
    gst::set_caps(rtp_src.get(), caps);
    st_->video_caps = caps;
    st_->video_pt = c_.payload_type;
    g_object_set(rtp_src.get(), "socket", rtp_sock, "close-socket", FALSE, "buffer-size", 4 * 1024 * 1024,
                 nullptr);
    auto rtcp_src = gst::make_element("udpsrc");
    gst::set_caps(rtcp_src.get(), "application/x-rtcp");
    g_object_set(rtcp_src.get(), "socket", rtcp_sock, "close-socket", FALSE, nullptr);

    auto rtpbin = gst::make_element("rtpbin");
    g_object_set(rtpbin.get(), "latency", guint(jitter_ms_), "autoremove", TRUE, "do-lost", TRUE, nullptr);
    gst_util_set_object_arg(G_OBJECT(rtpbin.get()), "rtp-profile", "avpf");
    // Timestamps from the camera's RTP timestamps, not from arrival times: viewers get an
    // even 3000-tick step per frame at 30 fps instead of the network's jitter (which the
    // browser's jitter buffer would turn into delay). Nothing downstream syncs to a clock.
    gst_util_set_object_arg(G_OBJECT(rtpbin.get()), "buffer-mode", "none");

    auto rtcp_sink = gst::make_element("multiudpsink");
    g_object_set(rtcp_sink.get(), "socket", rtcp_sock, "close-socket", FALSE, "sync", FALSE, "async", FALSE,
                 nullptr);
    {
      std::lock_guard lk(st_->mu);
      st_->rtcp_sink = rtcp_sink;
    }

    auto funnel = gst::make_element("funnel");
    auto depay = gst::make_element(codec.depay);
    auto avc = gst::make_element("capsfilter");
    gst::set_caps(avc.get(), codec.depayed_caps);
    // Packet loss → a PLI/FIR to the camera at once, and no broken pictures until the
    // keyframe (rtph264depay; GStreamer 1.22's rtph265depay has neither property).
    for (const char* prop : {"request-keyframe", "wait-for-keyframe"}) {
      if (g_object_class_find_property(G_OBJECT_GET_CLASS(depay.get()), prop)) g_object_set(depay.get(), prop, TRUE, nullptr);
    }

    for (GstElement* e : {rtp_src.get(), rtcp_src.get(), rtpbin.get(), rtcp_sink.get(), funnel.get(), depay.get(), avc.get()}) {
      gst_bin_add(pipe, e);
    }
    st_->funnel = funnel;
    if (!gst_element_link_pads(rtp_src.get(), "src", rtpbin.get(), "recv_rtp_sink_0") ||
        !gst_element_link_pads(rtcp_src.get(), "src", rtpbin.get(), "recv_rtcp_sink_0") ||
        !gst_element_link_pads(rtpbin.get(), "send_rtcp_src_0", rtcp_sink.get(), "sink") ||
        !gst_element_link_many(funnel.get(), depay.get(), avc.get(), sink, nullptr)) {
      throw Error(Errc::internal, "rtp source: cannot link rtpbin");
    }
    // The callbacks share the state (see rtp_state.hpp), held by value.
    using StatePtr = std::shared_ptr<State>;
    gst::connect<void(GstElement*, GstPad*)>(
        rtpbin.get(), "pad-added", st_, [](StatePtr& st, GstElement*, GstPad* pad) { rtp::on_pad_added(*st, pad); });
    gst::connect<void(GstElement*, GstPad*)>(
        rtpbin.get(), "pad-removed", st_,
        [](StatePtr& st, GstElement*, GstPad* pad) { rtp::on_pad_removed(*st, pad); });
    gst::connect<GstCaps*(GstElement*, guint, guint)>(
        rtpbin.get(), "request-pt-map", st_, [](StatePtr& st, GstElement*, guint session, guint pt) {
          return rtp::on_request_pt_map(*st, session, pt).release();  // rtpbin takes the caps (transfer full)
        });

    // The internal RTP session: RTCP interval and the REMB hook.
    GObject* session = nullptr;
    g_signal_emit_by_name(rtpbin.get(), "get-internal-session", 0u, &session);
    session_ = gst::Ptr<GObject>::adopt(session);  // a new reference
    if (!session_) throw Error(Errc::internal, "rtp source: rtpbin has no internal session");
    g_object_set(session_.get(), "rtcp-min-interval", kRtcpMinInterval, nullptr);
    gst::connect<gboolean(GObject*, GstBuffer*, gboolean)>(
        session_.get(), "on-sending-rtcp", st_,
        [](StatePtr& st, GObject*, GstBuffer* buf, gboolean early) { return rtp::on_sending_rtcp(*st, buf, early); });

    gst::add_probe(gst::static_pad(rtp_src.get(), "src").get(), kBuffers, st_,
                   [](StatePtr& st, GstPad*, GstPadProbeInfo* info) { return rtp::on_rtp(*st, info); });
    gst::add_probe(gst::static_pad(rtcp_src.get(), "src").get(), kBuffers, st_,
                   [](StatePtr& st, GstPad*, GstPadProbeInfo* info) { return rtp::on_rtcp(*st, info); });

    if (!audio_sink) audio_ = false;  // the camera's audio is off
    if (audio_) build_audio(pipe, rtpbin.get(), audio_sink);

    // Where RTCP goes.
    const std::int64_t now = mono_now_ms();
    if (st_->mqtt && link_) {
      std::weak_ptr<State> w = st_;
      link_->set_listener([w](const RtpLink::Endpoint& e) {
        auto st = w.lock();
        if (!st) return;
        // A new answer may map the audio payload types differently.
        if (auto rtpbin = st->audio ? st->rtpbin.get() : gst::ElementPtr()) {
          g_signal_emit_by_name(rtpbin.get(), "clear-pt-map");
        }
        st->clock_start_ms = mono_now_ms();  // the camera gets rtp_timeout_s from the answer on
        if (!unknown_host(e.host) && e.port > 0) st->set_remote(e.host, e.port, "answer", true);
      });
      if (auto r = link_->camera_rtcp()) {
        st_->clock_start_ms = now;
        if (!unknown_host(r->host) && r->port > 0) st_->set_remote(r->host, r->port, "answer", true);
      }
    } else {
      st_->clock_start_ms = now;  // static: the camera should already be sending
    }

    timer_ = loop_->post_delayed(kTickMs, [this] { tick(); });
    lg()->info("camera {}: listening for RTP on UDP {} (RTCP {}){}, REMB {}", st_->camera_id, c_.video_port,
               c_.video_port + 1, audio_ ? fmt::format(", audio {} (RTCP {})", audio_port_, audio_port_ + 1) : "",
               st_->remb_enabled ? "on" : "OFF (rtp.remb_enabled=false)");
  }

  // A keyframe request becomes a FIR to the camera, but a camera may ignore it (or answer
  // late): the stream keeps the last GOP for new viewers instead of relying on it.
  bool honours_keyframe_requests() const override { return false; }

  std::string describe() const override {
    std::string audio;
    if (audio_ && st_->audio_static) {
      audio = fmt::format(", audio {}/{} pt {} on UDP {}/{}", c_.audio_codec, c_.audio_clock_rate,
                          c_.audio_payload_type, audio_port_, audio_port_ + 1);
    } else if (audio_) {
      audio = fmt::format(", audio (as answered) on UDP {}/{}", audio_port_, audio_port_ + 1);
    }
    return fmt::format("rtp ({}) {}/{} pt {} on UDP {}/{}{}, jitter buffer {} ms", c_.negotiation, c_.codec,
                       c_.clock_rate, c_.payload_type, c_.video_port, c_.video_port + 1, audio, jitter_ms_);
  }

  void set_target_bitrate(int kbps) override { st_->target_kbps = kbps; }

 private:
  // Keeps a bound socket for the source's life (udpsrc and multiudpsink share it).
  GSocket* own(SocketPtr s) {
    sockets_.push_back(std::move(s));
    return sockets_.back().get();
  }

  // rtpbin session 1 on audio_port / audio_port+1 (see the top of the file).
  void build_audio(GstBin* pipe, GstElement* rtpbin, GstElement* audio_sink) {
    if (st_->mqtt) audio_port_ = c_.video_port + 2;  // the ports the manager allocated
    if (audio_port_ <= 0 || audio_port_ >= 65535) {
      throw Error(Errc::internal, fmt::format("camera {}: no audio port assigned", st_->camera_id));
    }
    st_->audio = true;
    st_->pipe = pipe;
    st_->rtpbin.set(rtpbin);
    if (!st_->mqtt) {
      st_->audio_static = RtpLink::AudioFormat{c_.audio_payload_type, c_.audio_codec, c_.audio_clock_rate,
                                               c_.audio_codec == "OPUS" ? 2 : 1};
    } else {
      st_->link = link_;
    }
    GSocket* rtp_sock = own(bind_udp(audio_port_));
    GSocket* rtcp_sock = own(bind_udp(audio_port_ + 1));
    auto rtp_src = gst::make_element("udpsrc");
    // Static: the configured format; mqtt: request-pt-map answers per payload type.
    gst::set_caps(rtp_src.get(), st_->audio_static ? rtp::audio_caps_string(*st_->audio_static)
                                                   : std::string("application/x-rtp,media=audio"));
    g_object_set(rtp_src.get(), "socket", rtp_sock, "close-socket", FALSE, nullptr);
    auto rtcp_src = gst::make_element("udpsrc");
    gst::set_caps(rtcp_src.get(), "application/x-rtcp");
    g_object_set(rtcp_src.get(), "socket", rtcp_sock, "close-socket", FALSE, nullptr);
    auto funnel = gst::make_element("funnel", "audio-funnel");
    for (GstElement* e : {rtp_src.get(), rtcp_src.get(), funnel.get()}) gst_bin_add(pipe, e);
    st_->audio_funnel = funnel;
    const bool linked =
        gst_pad_link(gst::static_pad(funnel.get(), "src").get(), gst::static_pad(audio_sink, "sink").get()) ==
        GST_PAD_LINK_OK;
    if (!linked || !gst_element_link_pads(rtp_src.get(), "src", rtpbin, "recv_rtp_sink_1") ||
        !gst_element_link_pads(rtcp_src.get(), "src", rtpbin, "recv_rtcp_sink_1")) {
      throw Error(Errc::internal, "rtp source: cannot link the audio session");
    }
    gst::add_probe(gst::static_pad(rtp_src.get(), "src").get(), GST_PAD_PROBE_TYPE_BUFFER, st_,
                   [](std::shared_ptr<State>& st, GstPad*, GstPadProbeInfo* info) {
                     return rtp::on_audio(*st, info);  // shares the state (see rtp_state.hpp)
                   });
  }

  // ---- GLib thread ----
  void tick() {
    timer_ = loop_->post_delayed(kTickMs, [this] { tick(); });
    const std::int64_t now = mono_now_ms();
    const std::int64_t start = st_->clock_start_ms.load();
    const std::int64_t last = st_->last_rtp_ms.load();
    const std::int64_t ref = std::max(start, last);
    const std::int64_t limit = std::int64_t(c_.rtp_timeout_s) * 1000;
    if (!lost_ && start > 0 && now - ref > limit) {
      lost_ = true;
      lost_since_ = now;
      const std::string why = last > 0 && last >= start
                                  ? fmt::format("no RTP from the camera for {} s", c_.rtp_timeout_s)
                                  : fmt::format("no RTP from the camera within {} s", c_.rtp_timeout_s);
      lg()->warn("camera {}: {}", st_->camera_id, why);
      if (events_.reconnecting) events_.reconnecting(why);
    } else if (lost_ && last > lost_since_ && now - last < 1000) {
      lost_ = false;
      lg()->info("camera {}: RTP flows again", st_->camera_id);
      if (events_.recovered) events_.recovered();
    }
    if (++ticks_ % 2 == 0) publish_stats();
  }

  void publish_stats() {
    if (!events_.stats) return;
    model::RtpFigures f;
    f.negotiation = c_.negotiation;
    f.video_port = c_.video_port;
    f.rtcp_port = c_.video_port + 1;
    f.packets = st_->packets.load();
    f.bytes = st_->bytes.load();
    f.rtcp_received = st_->rtcp_received.load();
    f.remb_enabled = st_->remb_enabled;
    f.rembs_sent = st_->rembs_sent.load();
    f.last_remb_kbps = st_->last_remb_kbps.load();
    f.target_kbps = st_->target_kbps.load();
    f.firs_sent = st_->firs_sent.load();
    f.plis_sent = st_->plis_sent.load();
    f.ssrc_changes = st_->ssrc_changes.load();
    f.receiving = !lost_ && st_->last_rtp_ms.load() > 0;
    if (st_->have_ssrc) f.camera_ssrc = fmt::format("{:08x}", st_->ssrc.load());
    if (const std::int64_t last = st_->last_rtp_ms.load()) f.last_rtp_ms_ago = mono_now_ms() - last;
    if (audio_) {
      f.audio = true;
      f.audio_port = audio_port_;
      f.audio_packets = st_->audio_packets.load();
      std::lock_guard lk(st_->audio_mu);
      if (!st_->audio_codec.empty()) f.audio_encoding = st_->audio_codec;
    }
    {
      std::lock_guard lk(st_->mu);
      if (!st_->rtp_from_host.empty()) f.rtp_from = fmt::format("{}:{}", st_->rtp_from_host, st_->rtp_from_port);
      if (!st_->remote_host.empty()) f.rtcp_to = fmt::format("{}:{}", st_->remote_host, st_->remote_port);
      f.rtcp_to_origin = st_->remote_origin;
    }
    events_.stats(std::move(f));
  }

  config::RtpSource c_;
  std::shared_ptr<State> st_;
  int jitter_ms_;  // the jitter buffer: the camera's latency_mode, else kRtpJitterBufferMs
  std::shared_ptr<RtpLink> link_;
  bool audio_ = false;
  int audio_port_ = 0;
  std::vector<SocketPtr> sockets_;
  gst::Ptr<GObject> session_;  // rtpbin's internal session 0
  guint timer_ = 0;
  unsigned ticks_ = 0;
  bool lost_ = false;
  std::int64_t lost_since_ = 0;
};

}  // namespace

std::unique_ptr<Source> make_rtp_source(const config::Config& cfg, const config::Camera& cam,
                                        const config::RtpSource& c) {
  return std::make_unique<RtpSource>(cfg, cam, c);
}

}  // namespace camrelay::media
