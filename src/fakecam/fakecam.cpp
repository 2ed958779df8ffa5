#include "fakecam.hpp"

#include <gio/gio.h>
#include <gst/rtp/gstrtcpbuffer.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "camrelay/camera/messages.hpp"
#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "remb.hpp"

namespace camrelay::fakecam {
namespace {
auto lg() {
  static auto l = log::get("fakecam");
  return l;
}

gst::Ptr<GSocket> bind_any_udp() {
  GError* err = nullptr;
  auto s = gst::Ptr<GSocket>::adopt(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err));
  gst::ErrorPtr e(err);
  if (!s) throw std::runtime_error(e ? e->message : "socket");
  auto any = gst::Ptr<GInetAddress>::adopt(g_inet_address_new_any(G_SOCKET_FAMILY_IPV4));
  auto sa = gst::Ptr<GSocketAddress>::adopt(g_inet_socket_address_new(any.get(), 0));
  if (!g_socket_bind(s.get(), sa.get(), FALSE, &err)) {
    gst::ErrorPtr be(err);
    throw std::runtime_error(be ? be->message : "bind");
  }
  return s;
}

int local_port(GSocket* s) {
  auto a = gst::Ptr<GSocketAddress>::adopt(g_socket_get_local_address(s, nullptr));
  return a ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(a.get())) : 0;
}

// Adds a new element to `bin` (which owns it from then on) and returns it; throws when
// GStreamer has no such element.
GstElement* add(GstElement* bin, const char* factory) {
  gst::ElementPtr e = gst::make_element(factory);
  gst_bin_add(GST_BIN(bin), e.get());
  return e.get();
}

struct Call {
  std::function<void()> fn;
};
}  // namespace

FakeCam::FakeCam(Options o, GMainContext* ctx) : o_(std::move(o)), ctx_(ctx) {
  config::Mqtt m;
  m.topic_prefix = o_.topic_prefix;
  topics_ = camera::camera_topics(m, o_.camera_id);
  o_.mqtt.will = camera::MqttMessage{topics_.status, camera::to_json(camera::StatusMessage{false}), 1, true};
  mqtt_ = std::make_unique<camera::MqttClient>(o_.mqtt);
}

FakeCam::~FakeCam() {
  *alive_ = false;
  stop_streaming("shutting down");
}

void FakeCam::post(std::function<void()> fn) {
  std::weak_ptr<bool> alive = alive_;
  auto* c = new Call{[alive, fn = std::move(fn)] {
    if (auto a = alive.lock(); a && *a) fn();
  }};
  // Always queued to the loop's thread (g_main_context_invoke would run it right here on
  // Paho's thread whenever the loop is not running, e.g. during shutdown).
  GSource* src = g_idle_source_new();
  g_source_set_callback(
      src,
      [](gpointer p) -> gboolean {
        static_cast<Call*>(p)->fn();
        return G_SOURCE_REMOVE;
      },
      c, [](gpointer p) { delete static_cast<Call*>(p); });
  g_source_attach(src, ctx_);
  g_source_unref(src);
}

void FakeCam::start() {
  mqtt_->on_connected([this] {
    // Retained, so that the daemon learns it whenever it subscribes.
    mqtt_->publish(topics_.status, camera::to_json(camera::StatusMessage{true}), 1, true);
    lg()->info("connected to the broker; status online on {}", topics_.status);
  });
  mqtt_->subscribe(topics_.offer, 1, [this](const std::string&, const std::string& p) {
    post([this, p] { on_offer(p); });
  });
  mqtt_->subscribe(topics_.stop, 1, [this](const std::string&, const std::string& p) {
    post([this, p] { on_stop(p); });
  });
  mqtt_->subscribe(topics_.keepalive, 1, [this](const std::string&, const std::string& p) {
    post([this, p] {
      try {
        auto k = camera::parse_keepalive(p);
        ++keepalives_;
        lg()->debug("keepalive {} seq {}", k.session_id, k.seq);
      } catch (const std::exception& e) {
        lg()->warn("bad keepalive: {}", e.what());
      }
    });
  });
  mqtt_->start();
  // The tick's data: the camera, valid while `alive` says so (both live on this thread).
  struct Tick {
    std::weak_ptr<bool> alive;
    FakeCam* cam;
  };
  GSource* t = g_timeout_source_new(250);
  g_source_set_callback(
      t,
      [](gpointer p) -> gboolean {
        auto* tk = static_cast<Tick*>(p);
        auto a = tk->alive.lock();
        return a && *a ? tk->cam->on_tick() : G_SOURCE_REMOVE;
      },
      new Tick{alive_, this}, [](gpointer p) { delete static_cast<Tick*>(p); });
  tick_ = g_source_attach(t, ctx_);
  g_source_unref(t);
  lg()->info("camera {}: waiting for offers on {} (REMB timeout {} s)", o_.camera_id, topics_.offer,
             o_.remb_timeout_s);
}

void FakeCam::stop() {
  *alive_ = false;  // callbacks still queued from MQTT threads are dropped
  if (tick_) {
    if (GSource* s = g_main_context_find_source_by_id(ctx_, tick_)) g_source_destroy(s);
    tick_ = 0;
  }
  stop_streaming("shutting down");
  if (mqtt_->connected()) {
    mqtt_->publish(topics_.status, camera::to_json(camera::StatusMessage{false}), 1, true);
  }
  mqtt_->stop();
}

void FakeCam::on_offer(const std::string& payload) {
  camera::SdpMessage msg;
  camera::SessionDescription offer;
  try {
    msg = camera::parse_sdp_message(payload);
    offer = camera::parse_sdp(msg.sdp);
    const auto* v = offer.find("video");
    if (!v || v->port == 0) throw std::invalid_argument("no usable m=video line");
    if (v->address.empty()) throw std::invalid_argument("no c= address");
  } catch (const std::exception& e) {
    lg()->warn("ignoring offer: {}", e.what());
    return;
  }
  lg()->info("offer {}: send RTP to {}:{}, RTCP to {}:{}", msg.session_id, offer.find("video")->address,
             offer.find("video")->port, offer.find("video")->rtcp_address, offer.find("video")->rtcp_port);
  stop_streaming("a new offer replaces the session");
  try {
    start_streaming(offer, msg.session_id);
  } catch (const std::exception& e) {
    lg()->error("cannot stream: {}", e.what());
    stop_streaming("error");
  }
}

void FakeCam::on_stop(const std::string& payload) {
  try {
    auto s = camera::parse_stop(payload);
    if (s.session_id != session_id_) {
      lg()->info("stop for {} ignored (current session {})", s.session_id, session_id_.empty() ? "none" : session_id_);
      return;
    }
    stop_streaming("the daemon sent stop");
  } catch (const std::exception& e) {
    lg()->warn("bad stop message: {}", e.what());
  }
}

void FakeCam::start_streaming(const camera::SessionDescription& offer, const std::string& session_id) {
  const camera::SdpMedia& v = *offer.find("video");
  const int pt = v.payload_types.empty() ? 96 : v.payload_types.front();
  rtp_sock_ = bind_any_udp();
  rtcp_sock_ = bind_any_udp();

  pipeline_ = gst::ElementPtr::ref_sink(gst_pipeline_new("fakecam"));
  GstElement* pipe = pipeline_.get();
  auto session = std::make_shared<Session>();
  GstElement* src = add(pipe, "videotestsrc");
  g_object_set(src, "is-live", TRUE, nullptr);
  gst_util_set_object_arg(G_OBJECT(src), "pattern", o_.pattern.c_str());
  GstElement* raw = add(pipe, "capsfilter");
  gst::set_caps(raw, fmt::format("video/x-raw,format=I420,width={},height={},framerate={}/1", o_.width, o_.height, o_.fps));
  GstElement* overlay = add(pipe, "clockoverlay");
  g_object_set(overlay, "time-format", "fakecam %H:%M:%S", nullptr);
  GstElement* encoder = add(pipe, "x264enc");
  session->encoder = gst::ElementPtr::ref(encoder);
  const int kbps = encoder_kbps_ > 0 ? encoder_kbps_ : o_.bitrate_kbps;
  session->encoder_kbps = kbps;
  g_object_set(encoder, "bitrate", guint(kbps), "key-int-max",
               guint(std::max(1.0, std::round(o_.keyframe_interval_s * o_.fps))), "bframes", 0u, "threads",
               1u, nullptr);
  gst_util_set_object_arg(G_OBJECT(encoder), "tune", "zerolatency");
  gst_util_set_object_arg(G_OBJECT(encoder), "speed-preset", "ultrafast");
  GstElement* h264caps = add(pipe, "capsfilter");
  gst::set_caps(h264caps, "video/x-h264,profile=constrained-baseline");
  GstElement* pay = add(pipe, "rtph264pay");
  g_object_set(pay, "pt", guint(pt), "config-interval", -1, "mtu", 1200u, nullptr);
  gst_util_set_object_arg(G_OBJECT(pay), "aggregate-mode", "zero-latency");
  GstElement* rtpbin = add(pipe, "rtpbin");
  gst_util_set_object_arg(G_OBJECT(rtpbin), "rtp-profile", "avpf");
  GstElement* rtp_sink = add(pipe, "udpsink");
  g_object_set(rtp_sink, "socket", rtp_sock_.get(), "close-socket", FALSE, "host", v.address.c_str(), "port", v.port,
               "sync", FALSE, "async", FALSE, nullptr);
  GstElement* rtcp_sink = add(pipe, "udpsink");
  g_object_set(rtcp_sink, "socket", rtcp_sock_.get(), "close-socket", FALSE, "host", v.rtcp_address.c_str(), "port",
               v.rtcp_port, "sync", FALSE, "async", FALSE, nullptr);
  GstElement* rtcp_src = add(pipe, "udpsrc");
  g_object_set(rtcp_src, "socket", rtcp_sock_.get(), "close-socket", FALSE, nullptr);
  gst::set_caps(rtcp_src, "application/x-rtcp");

  if (!gst_element_link_many(src, raw, overlay, encoder, h264caps, pay, nullptr) ||
      !gst_element_link_pads(pay, "src", rtpbin, "send_rtp_sink_0") ||
      !gst_element_link_pads(rtpbin, "send_rtp_src_0", rtp_sink, "sink") ||
      !gst_element_link_pads(rtpbin, "send_rtcp_src_0", rtcp_sink, "sink") ||
      !gst_element_link_pads(rtcp_src, "src", rtpbin, "recv_rtcp_sink_0")) {
    throw std::runtime_error("cannot link the pipeline");
  }
  gst::add_probe(gst::static_pad(rtcp_src, "src").get(), GST_PAD_PROBE_TYPE_BUFFER, session,
                 [](std::shared_ptr<Session>& s, GstPad*, GstPadProbeInfo* info) {
                   on_rtcp(*s, GST_PAD_PROBE_INFO_BUFFER(info));
                   return GST_PAD_PROBE_OK;
                 });

  // Audio: an offered m=audio with Opus (pt 111) gets a sine tone on rtpbin session 1.
  const camera::SdpMedia* au = offer.find("audio");
  const bool audio = o_.audio && au && au->port != 0 && !au->address.empty() &&
                     std::find(au->payload_types.begin(), au->payload_types.end(), 111) != au->payload_types.end();
  if (audio) {
    audio_sock_ = bind_any_udp();
    audio_rtcp_sock_ = bind_any_udp();
    GstElement* asrc = add(pipe, "audiotestsrc");
    g_object_set(asrc, "is-live", TRUE, "freq", 440.0, "volume", 0.3, nullptr);
    gst_util_set_object_arg(G_OBJECT(asrc), "wave", "sine");
    GstElement* conv = add(pipe, "audioconvert");
    GstElement* res = add(pipe, "audioresample");
    GstElement* raw48 = add(pipe, "capsfilter");
    gst::set_caps(raw48, "audio/x-raw,rate=48000,channels=1");
    GstElement* enc = add(pipe, "opusenc");
    GstElement* apay = add(pipe, "rtpopuspay");
    g_object_set(apay, "pt", 111u, nullptr);
    GstElement* artp_sink = add(pipe, "udpsink");
    g_object_set(artp_sink, "socket", audio_sock_.get(), "close-socket", FALSE, "host", au->address.c_str(), "port",
                 au->port, "sync", FALSE, "async", FALSE, nullptr);
    GstElement* artcp_sink = add(pipe, "udpsink");
    g_object_set(artcp_sink, "socket", audio_rtcp_sock_.get(), "close-socket", FALSE, "host", au->rtcp_address.c_str(),
                 "port", au->rtcp_port, "sync", FALSE, "async", FALSE, nullptr);
    if (!gst_element_link_many(asrc, conv, res, raw48, enc, apay, nullptr) ||
        !gst_element_link_pads(apay, "src", rtpbin, "send_rtp_sink_1") ||
        !gst_element_link_pads(rtpbin, "send_rtp_src_1", artp_sink, "sink") ||
        !gst_element_link_pads(rtpbin, "send_rtcp_src_1", artcp_sink, "sink")) {
      throw std::runtime_error("cannot link the audio branch");
    }
  } else if (au && au->port != 0) {
    lg()->info("offer {}: audio refused ({})", session_id, o_.audio ? "no Opus pt 111 offered" : "--no-audio");
  }

  // Answer: where we send from, where we want RTCP.
  camera::AnswerParams ap;
  ap.origin_id = static_cast<std::uint64_t>(unix_now_ms());
  ap.address = !o_.ip.empty() ? o_.ip : camera::local_address_toward(v.address);
  ap.video_port = local_port(rtp_sock_.get());
  ap.rtcp_port = local_port(rtcp_sock_.get());
  ap.payload_type = pt;
  if (audio) {
    ap.audio_port = local_port(audio_sock_.get());
    ap.audio_rtcp_port = local_port(audio_rtcp_sock_.get());
    ap.audio_payload_type = 111;
  }
  const std::string answer = camera::build_answer(ap, offer);
  session_id_ = session_id;
  session_ = session;
  if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    throw std::runtime_error("the pipeline refused to start");
  }
  streaming_since_ms_ = mono_now_ms();
  mqtt_->publish(topics_.answer, camera::to_json(camera::SdpMessage{session_id, answer}), 1, false);
  lg()->info("answered {}: streaming {}x{}@{} H.264 from {}:{} (RTCP {}) at {} kbps", session_id, o_.width, o_.height,
             o_.fps, ap.address, ap.video_port, ap.rtcp_port, kbps);
  if (audio) {
    lg()->info("answered {}: streaming Opus audio (pt 111) from {}:{} to {}:{}", session_id, ap.address, ap.audio_port,
               au->address, au->port);
  }
}

void FakeCam::stop_streaming(const std::string& why) {
  if (!pipeline_) return;
  gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
  pipeline_.reset();
  for (auto* s : {&rtp_sock_, &rtcp_sock_, &audio_sock_, &audio_rtcp_sock_}) s->reset();
  std::shared_ptr<Session> ended = std::exchange(session_, nullptr);
  if (ended) {
    encoder_kbps_ = ended->encoder_kbps;
    lg()->info("stopped streaming session {}: {} ({} REMBs, {} FIR, {} PLI received)", session_id_, why,
               ended->rembs.load(), ended->firs.load(), ended->plis.load());
  }
  session_id_.clear();
  streaming_since_ms_ = 0;
}

gboolean FakeCam::on_tick() {
  const std::int64_t now = mono_now_ms();
  if (pipeline_ && session_) {
    const Session& ss = *session_;
    const std::int64_t last = ss.last_remb_ms.load();
    const std::int64_t since = last ? last : streaming_since_ms_;
    const auto limit = static_cast<std::int64_t>(o_.remb_timeout_s * 1000);
    if (now - since > limit) {
      stop_streaming(fmt::format("no REMB received for {} s (a BCGH camera stops sending without REMB)",
                                 o_.remb_timeout_s));
    } else if (now - last_status_ms_ >= 5000) {
      last_status_ms_ = now;
      lg()->info("streaming {}: {} RTCP packets in, {} REMBs (last {} kbps), encoder {} kbps, {} FIR, {} PLI, {} "
                 "keepalives",
                 session_id_, ss.rtcp_packets.load(), ss.rembs.load(), ss.last_remb_kbps.load(),
                 ss.encoder_kbps.load(), ss.firs.load(), ss.plis.load(), keepalives_);
    }
  }
  return G_SOURCE_CONTINUE;
}

void FakeCam::on_rtcp(Session& s, GstBuffer* buf) {
  s.rtcp_packets.fetch_add(1);
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return;
  const std::uint8_t* d = map.data;
  const std::size_t len = map.size;
  // Walk the compound packet: REMB (PSFB FMT 15), PLI (PSFB FMT 1), FIR (PSFB FMT 4).
  for (std::size_t off = 0; off + 4 <= len;) {
    const std::size_t plen = (std::size_t(d[off + 2]) << 8 | d[off + 3]) * 4 + 4;
    if ((d[off] >> 6) != 2 || off + plen > len) break;
    if (d[off + 1] == 206) {
      const int fmt = d[off] & 0x1f;
      if (fmt == 1) {
        s.plis.fetch_add(1);
        lg()->info("PLI received: sending a keyframe");
      } else if (fmt == 4) {
        s.firs.fetch_add(1);
        lg()->info("FIR received: sending a keyframe");
      } else if (auto r = media::parse_remb_packet(d + off, plen)) {
        const int kbps = static_cast<int>(r->bitrate_bps / 1000);
        if (s.rembs.fetch_add(1) == 0) lg()->info("first REMB: {} kbps", kbps);
        s.last_remb_ms = mono_now_ms();
        s.last_remb_kbps = kbps;
        // Follow REMB: the encoder's bitrate (x264enc reconfigures while playing).
        const int target = std::clamp(kbps, 50, 20000);
        const int cur = s.encoder_kbps.load();
        if (s.encoder && std::abs(target - cur) * 20 > cur) {
          s.encoder_kbps = target;
          g_object_set(s.encoder.get(), "bitrate", guint(target), nullptr);
          lg()->info("REMB {} kbps: encoder bitrate {} -> {} kbps", kbps, cur, target);
        }
      }
    }
    off += plen;
  }
  gst_buffer_unmap(buf, &map);
}

}  // namespace camrelay::fakecam
