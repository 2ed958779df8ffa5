#include "rtp_state.hpp"

#include <gio/gio.h>
#include <gst/net/gstnetaddressmeta.h>
#include <gst/rtp/gstrtcpbuffer.h>

#include <cstring>

#include <fmt/format.h>

#include "audio_util.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "remb.hpp"

namespace camrelay::media::rtp {
namespace {
auto lg() {
  static auto l = log::get("rtp");
  return l;
}

// The sender of a buffer received by udpsrc, or false.
bool sender_of(GstBuffer* buf, std::string& host, int& port) {
  GstNetAddressMeta* meta = gst_buffer_get_net_address_meta(buf);
  if (!meta || !G_IS_INET_SOCKET_ADDRESS(meta->addr)) return false;
  auto* isa = G_INET_SOCKET_ADDRESS(meta->addr);
  host = gst::take_string(g_inet_address_to_string(g_inet_socket_address_get_address(isa)));
  port = g_inet_socket_address_get_port(isa);
  return !host.empty();
}


void count_rtp(State& st, GstBuffer* buf) {
  const std::int64_t now = mono_now_ms();
  st.last_rtp_ms.store(now, std::memory_order_relaxed);
  st.packets.fetch_add(1, std::memory_order_relaxed);
  st.bytes.fetch_add(gst_buffer_get_size(buf), std::memory_order_relaxed);
  guint8 h[12];
  if (gst_buffer_extract(buf, 0, h, sizeof h) == sizeof h && (h[0] >> 6) == 2) {
    const std::uint32_t ssrc = (std::uint32_t(h[8]) << 24) | (std::uint32_t(h[9]) << 16) |
                               (std::uint32_t(h[10]) << 8) | h[11];
    if (!st.have_ssrc || st.ssrc != ssrc) {
      if (st.have_ssrc) st.ssrc_changes.fetch_add(1);
      st.ssrc = ssrc;
      st.have_ssrc = true;
      st.rtp_sender_known = false;  // a new stream: look at its address again
      lg()->info("camera {}: RTP from SSRC {:08x}", st.camera_id, ssrc);
    }
  }
  if (!st.rtp_sender_known) {
    std::string host;
    int port = 0;
    if (sender_of(buf, host, port)) {
      st.rtp_sender_known = true;
      {
        std::lock_guard lk(st.mu);
        st.rtp_from_host = host;
        st.rtp_from_port = port;
      }
      lg()->info("camera {}: RTP comes from {}:{}", st.camera_id, host, port);
      if (!st.rtcp_sender_known && port < 65535) st.set_remote(host, port + 1, "learned from RTP: port+1", false);
    }
  }
}

}  // namespace

bool unknown_host(const std::string& h) { return h.empty() || h == "0.0.0.0" || h == "::"; }


void State::set_remote(const std::string& host, int port, const char* origin, bool from_answer) {
  std::lock_guard lk(mu);
  if (!from_answer && remote_from_answer) return;  // the answer wins over learning
  if (host == remote_host && port == remote_port) return;
  remote_host = host;
  remote_port = port;
  remote_origin = origin;
  remote_from_answer = from_answer;
  if (rtcp_sink) {
    g_signal_emit_by_name(rtcp_sink.get(), "clear");
    g_signal_emit_by_name(rtcp_sink.get(), "add", host.c_str(), port);
  }
  remote_known = true;
  lg()->info("camera {}: RTCP (receiver reports{}) → {}:{} ({})", camera_id, remb_enabled ? " + REMB" : "", host,
             port, origin);
}

GstPadProbeReturn on_rtp(State& st, GstPadProbeInfo* info) {
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    count_rtp(st, GST_PAD_PROBE_INFO_BUFFER(info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList* l = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    for (guint i = 0; i < gst_buffer_list_length(l); ++i) count_rtp(st, gst_buffer_list_get(l, i));
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn on_rtcp(State& st, GstPadProbeInfo* info) {
  if (!(info->type & GST_PAD_PROBE_TYPE_BUFFER)) return GST_PAD_PROBE_OK;
  st.rtcp_received.fetch_add(1, std::memory_order_relaxed);
  if (!st.rtcp_sender_known) {
    std::string host;
    int port = 0;
    if (sender_of(GST_PAD_PROBE_INFO_BUFFER(info), host, port)) {
      st.rtcp_sender_known = true;
      st.set_remote(host, port, "learned from the camera's RTCP", false);
    }
  }
  return GST_PAD_PROBE_OK;
}

// rtpbin's internal session is about to send an RTCP compound packet: count FIR/PLI and
// append the REMB (docs/mqtt.md, "REMB"). Runs on rtpbin's RTCP thread, without session locks.
gboolean on_sending_rtcp(State& st, GstBuffer* buf, gboolean /*early*/) {
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  if (!gst_rtcp_buffer_map(buf, GST_MAP_READWRITE, &rtcp)) return FALSE;
  GstRTCPPacket pkt;
  guint32 our_ssrc = 0;
  if (gst_rtcp_buffer_get_first_packet(&rtcp, &pkt)) {
    do {
      switch (gst_rtcp_packet_get_type(&pkt)) {
        case GST_RTCP_TYPE_RR:
          if (!our_ssrc) our_ssrc = gst_rtcp_packet_rr_get_ssrc(&pkt);
          break;
        case GST_RTCP_TYPE_SR:
          if (!our_ssrc) gst_rtcp_packet_sr_get_sender_info(&pkt, &our_ssrc, nullptr, nullptr, nullptr, nullptr);
          break;
        case GST_RTCP_TYPE_PSFB: {
          if (!our_ssrc) our_ssrc = gst_rtcp_packet_fb_get_sender_ssrc(&pkt);
          const auto t = gst_rtcp_packet_fb_get_type(&pkt);
          if (t == GST_RTCP_PSFB_TYPE_PLI) st.plis_sent.fetch_add(1);
          if (t == GST_RTCP_PSFB_TYPE_FIR) st.firs_sent.fetch_add(1);
          break;
        }
        default:
          break;
      }
    } while (gst_rtcp_packet_move_to_next(&pkt));
  }
  bool added = false;
  int kbps = st.target_kbps.load();
  if (kbps <= 0) kbps = st.fallback_kbps;
  if (st.remb_enabled && st.have_ssrc && kbps > 0 && gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_PSFB, &pkt)) {
    gst_rtcp_packet_fb_set_type(&pkt, GST_RTCP_PSFB_TYPE_AFB);
    gst_rtcp_packet_fb_set_sender_ssrc(&pkt, our_ssrc);
    gst_rtcp_packet_fb_set_media_ssrc(&pkt, 0);
    const auto fci = build_remb_fci(static_cast<std::uint64_t>(kbps) * 1000, {st.ssrc.load()});
    if (gst_rtcp_packet_fb_set_fci_length(&pkt, static_cast<guint16>(fci.size() / 4))) {
      std::memcpy(gst_rtcp_packet_fb_get_fci(&pkt), fci.data(), fci.size());
      added = true;
    } else {
      gst_rtcp_packet_remove(&pkt);
    }
  }
  gst_rtcp_buffer_unmap(&rtcp);
  if (added && st.remote_known) {
    st.rembs_sent.fetch_add(1);
    st.last_remb_kbps = kbps;
  }
  return added ? TRUE : FALSE;
}

std::string audio_caps_string(const RtpLink::AudioFormat& f) {
  std::string caps = fmt::format("application/x-rtp,media=audio,clock-rate={},encoding-name={},payload={}",
                                 f.clock_rate, f.codec, f.payload_type);
  if (f.codec == "OPUS") caps += ",encoding-params=(string)2";
  return caps;
}

gst::CapsPtr State::audio_caps(int pt) {
  std::optional<RtpLink::AudioFormat> f;
  if (audio_static) {
    if (audio_static->payload_type == pt) f = audio_static;
  } else {
    if (link) {
      if (auto a = link->audio_format(); a && a->payload_type == pt) f = a;
    }
    if (!f) {
      // What the offer lists (camera/sdp.cpp build_offer).
      if (pt == 111) f = RtpLink::AudioFormat{111, "OPUS", 48000, 2};
      if (pt == 0) f = RtpLink::AudioFormat{0, "PCMU", 8000, 1};
      if (pt == 8) f = RtpLink::AudioFormat{8, "PCMA", 8000, 1};
    }
  }
  if (!f) {
    lg()->debug("camera {}: audio payload type {} is not expected; dropped", camera_id, pt);
    return {};
  }
  return gst::caps_from_string(audio_caps_string(*f));
}

gst::CapsPtr on_request_pt_map(State& st, guint session, guint pt) {
  // The video session too: "clear-pt-map" (a new answer) clears every session's map, and a
  // jitter buffer that already had the video's caps asks again — without an answer it drops
  // every later packet (the camera streamed before its answer was handled: video stalled).
  if (session == 0) {
    if (static_cast<int>(pt) != st.video_pt || st.video_caps.empty()) return {};
    return gst::caps_from_string(st.video_caps);
  }
  if (session != 1 || !st.audio) return {};
  return st.audio_caps(static_cast<int>(pt));
}

namespace {
// rtpbin's recv_rtp_src_1_<ssrc>_<pt>: a depayloader for its encoding, into the audio
// funnel. On rtpbin's streaming thread: linked at once (an unlinked pad is not-linked).
void audio_pad_added(State& st, GstPad* pad) {
  std::string encoding;
  {
    auto caps = gst::CapsPtr::adopt(gst_pad_get_current_caps(pad));
    if (!caps) caps = gst::CapsPtr::adopt(gst_pad_query_caps(pad, nullptr));
    const GstStructure* s = caps && gst_caps_get_size(caps.get()) ? gst_caps_get_structure(caps.get(), 0) : nullptr;
    const char* enc = s ? gst_structure_get_string(s, "encoding-name") : nullptr;
    encoding = enc ? enc : "?";
  }
  const char* factory = audio::depayloader_for(encoding);
  gst::ElementPtr depay = factory ? gst::try_make_element(factory) : gst::ElementPtr();
  if (!depay) {
    lg()->warn("camera {}: cannot depayload the camera's {} audio; ignored", st.camera_id, encoding);
    if (gst::ElementPtr sink = gst::try_make_element("fakesink")) {
      g_object_set(sink.get(), "sync", FALSE, "async", FALSE, nullptr);
      gst_bin_add(st.pipe, sink.get());
      gst_element_sync_state_with_parent(sink.get());
      gst_pad_link(pad, gst::static_pad(sink.get(), "sink").get());
    }
    return;
  }
  gst_bin_add(st.pipe, depay.get());
  // The funnel keeps the pad (and the depayloader its place) until the pipeline goes.
  auto fsink = gst::PadPtr::adopt(gst_element_request_pad_simple(st.audio_funnel.get(), "sink_%u"));
  gst::PadPtr dsrc = gst::static_pad(depay.get(), "src");
  gst::PadPtr dsink = gst::static_pad(depay.get(), "sink");
  const bool ok = gst_pad_link(dsrc.get(), fsink.get()) == GST_PAD_LINK_OK &&
                  gst_element_sync_state_with_parent(depay.get()) && gst_pad_link(pad, dsink.get()) == GST_PAD_LINK_OK;
  if (!ok) {
    lg()->error("camera {}: cannot link the camera's {} audio", st.camera_id, encoding);
    return;
  }
  {
    std::lock_guard lk(st.audio_mu);
    st.audio_depays[pad] = depay.get();  // borrowed: the pipeline holds it
    st.audio_codec = encoding;
  }
  lg()->info("camera {}: audio {} → {}", st.camera_id, encoding, factory);
}

bool has_prefix(GstPad* pad, const char* prefix) {
  return gst::take_string(gst_pad_get_name(pad)).rfind(prefix, 0) == 0;
}
}  // namespace

// A new SSRC/payload stream from rtpbin: into the funnel (an SSRC change after a camera
// restart simply adds a pad; the old one is removed when rtpbin times it out).
void on_pad_added(State& st, GstPad* pad) {
  const bool rtp_out = has_prefix(pad, "recv_rtp_src_0_");
  const bool audio_out = has_prefix(pad, "recv_rtp_src_1_");
  if (audio_out && st.audio && st.audio_funnel) return audio_pad_added(st, pad);
  if (!rtp_out) return;
  // Requested for as long as rtpbin has this pad (released in on_pad_removed).
  auto fsink = gst::PadPtr::adopt(gst_element_request_pad_simple(st.funnel.get(), "sink_%u"));
  if (gst_pad_link(pad, fsink.get()) != GST_PAD_LINK_OK) {
    lg()->error("camera {}: cannot link the RTP stream to the depayloader", st.camera_id);
    gst_element_release_request_pad(st.funnel.get(), fsink.get());
  }
}

void on_pad_removed(State& st, GstPad* pad) {
  const bool audio_out = has_prefix(pad, "recv_rtp_src_1_");
  if (audio_out) {
    // The depayloader stays (idle, still on the funnel) until the pipeline is released:
    // removing elements from a streaming thread could deadlock, and SSRC changes are rare.
    std::lock_guard lk(st.audio_mu);
    st.audio_depays.erase(pad);
    if (auto peer = gst::PadPtr::adopt(gst_pad_get_peer(pad))) gst_pad_unlink(pad, peer.get());
    return;
  }
  if (auto peer = gst::PadPtr::adopt(gst_pad_get_peer(pad))) {
    gst_pad_unlink(pad, peer.get());
    gst_element_release_request_pad(st.funnel.get(), peer.get());
  }
}

GstPadProbeReturn on_audio(State& st, GstPadProbeInfo*) {
  st.audio_packets.fetch_add(1, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

}  // namespace camrelay::media::rtp
