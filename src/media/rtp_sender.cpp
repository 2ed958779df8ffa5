// One viewer's video sent beside webrtcbin (see rtp_sender.hpp).
#include "rtp_sender.hpp"

#include <gst/rtp/rtp.h>
#include <nice/agent.h>
#include <srtp2/srtp.h>

#include <cstring>

#include "camrelay/util/ids.hpp"

namespace camrelay::media {
namespace {
// A NACKed packet older than this is too late for a live player: not sent again.
constexpr std::int64_t kHistoryMs = 500;
constexpr std::uint64_t kNtpUnixOffset = 2208988800ULL;


// Length of an RTP header with its CSRCs and extension; 0 if `len` bytes are not RTP.
std::size_t rtp_header_len(const std::uint8_t* d, std::size_t len) {
  if (len < 12 || (d[0] >> 6) != 2) return 0;
  std::size_t n = 12 + 4 * std::size_t(d[0] & 0x0f);
  if (d[0] & 0x10) {
    if (len < n + 4) return 0;
    n += 4 + 4 * ((std::size_t(d[n + 2]) << 8) | d[n + 3]);
  }
  return n <= len ? n : 0;
}

// NTP time now: seconds since 1900 (high 32 bits) and fraction (low 32 bits).
std::uint64_t ntp_now() {
  const std::int64_t us = g_get_real_time();
  const std::uint64_t sec = std::uint64_t(us / 1000000) + kNtpUnixOffset;
  const std::uint64_t frac = (std::uint64_t(us % 1000000) << 32) / 1000000;
  return (sec << 32) | frac;
}
std::uint32_t ntp_mid(std::uint64_t ntp) { return std::uint32_t(ntp >> 16); }

// The SRTP policy of one viewer's outbound stream: AES-CM-128 with an 80-bit HMAC-SHA1 tag
// (32 bits on RTP if negotiated; RFC 5764 4.1.2: SRTCP keeps 80), `key` (master key+salt).
srtp_policy_t outbound_policy(const std::uint8_t* key, bool auth_tag_32) {
  srtp_policy_t p;
  std::memset(&p, 0, sizeof p);
  if (auth_tag_32) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
  }
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  p.ssrc.type = ssrc_any_outbound;
  p.key = const_cast<std::uint8_t*>(key);  // libsrtp only reads it
  p.window_size = 1024;
  return p;
}
}  // namespace

void warm_up_srtp() {
  // Once, whichever thread comes first (the others wait). GStreamer's srtp plugin may have
  // initialised libsrtp already: a second srtp_init() then fails on its debug module, with
  // the crypto kernel ready; srtp_create() is what tells whether libsrtp works. Debian's
  // libsrtp2 starts NSS (its crypto) on the first session and packet: ~35 ms, far more on
  // a busy machine, that would otherwise fall on the first viewer's join.
  static const bool warm [[maybe_unused]] = [] {
    srtp_init();
    const std::uint8_t key[SRTP_AES_ICM_128_KEY_LEN_WSALT] = {};
    srtp_policy_t p = outbound_policy(key, false);
    srtp_t session = nullptr;
    if (srtp_create(&session, &p) == srtp_err_status_ok) {
      std::uint8_t pkt[12 + 16 + SRTP_MAX_TRAILER_LEN] = {0x80, 96};
      int len = 12 + 16;
      srtp_protect(session, pkt, &len);
      srtp_dealloc(session);
    }
    // And OpenSSL's AES and HMAC providers, fetched on first use.
    std::string error;
    if (auto tx = SrtpRtpTx::create(key, 10, error)) {
      std::uint8_t pkt[12 + 16 + SrtpRtpTx::kMaxTrailer] = {0x80, 96};
      tx->protect(pkt, 12 + 16, 12);
    }
    return true;
  }();
}

std::shared_ptr<RtpSender> RtpSender::create(RtpSenderSetup setup, std::string& error) {
  warm_up_srtp();
  if (setup.master_key.size() != SRTP_AES_ICM_128_KEY_LEN_WSALT) {
    error = "the DTLS handshake gave an SRTP key of " + std::to_string(setup.master_key.size()) + " bytes";
    return nullptr;
  }
  if (!setup.agent && !setup.transport) {
    error = "no ICE agent to send with";
    return nullptr;
  }
  std::shared_ptr<RtpSender> s(new RtpSender(std::move(setup)));
  srtp_policy_t p = outbound_policy(s->setup_.master_key.data(), s->setup_.auth_tag_32);
  if (srtp_create(&s->srtp_, &p) != srtp_err_status_ok) {
    error = "libsrtp refused the DTLS key (is libsrtp initialised?)";
    return nullptr;
  }
  s->rtp_tx_ = SrtpRtpTx::create(s->setup_.master_key.data(), s->setup_.auth_tag_32 ? 4 : 10, error);
  if (!s->rtp_tx_) return nullptr;
  return s;
}

RtpSender::RtpSender(RtpSenderSetup setup) : setup_(std::move(setup)) {
  seq_ = std::uint16_t(g_random_int());
  rtx_seq_ = std::uint16_t(g_random_int());
}

RtpSender::~RtpSender() {
  if (srtp_) srtp_dealloc(srtp_);
}

void RtpSender::protect_and_send(std::size_t len, std::size_t header_len) {
  if (header_len) {
    len = rtp_tx_->protect(out_.data(), len, header_len);  // a NACKed packet again: its own index
  } else {
    int n = int(len);
    len = srtp_protect_rtcp(srtp_, out_.data(), &n) == srtp_err_status_ok ? std::size_t(n) : 0;
  }
  const bool sent =
      len > 0 && (setup_.transport ? setup_.transport(out_.data(), len)
                                   : nice_agent_send(NICE_AGENT(setup_.agent.get()), setup_.stream_id,
                                                     setup_.component_id, guint(len),
                                                     reinterpret_cast<const gchar*>(out_.data())) >= 0);
  if (!sent) {
    ++fig_.send_errors;  // a full socket buffer or a transport being closed: the packet is lost
  }
}

void RtpSender::send(GstBuffer* packet, bool keep_ts, std::uint32_t timestamp) {
  GstMapInfo m;
  if (!gst_buffer_map(packet, &m, GST_MAP_READ)) return;
  send(packet, m.data, m.size, keep_ts, timestamp);
  gst_buffer_unmap(packet, &m);
}

void RtpSender::send(GstBuffer* packet, const std::uint8_t* data, std::size_t len, bool keep_ts,
                     std::uint32_t timestamp) {
  const std::size_t hlen = rtp_header_len(data, len);
  if (!hlen || len + SRTP_MAX_TRAILER_LEN > out_.size()) return;
  std::lock_guard lk(mu_);
  std::memcpy(out_.data(), data, len);
  const std::uint32_t ts = keep_ts ? GST_READ_UINT32_BE(data + 4) : timestamp;
  out_[1] = std::uint8_t((out_[1] & 0x80) | (setup_.pt & 0x7f));  // keep the marker bit
  const std::uint16_t seq = seq_++;
  GST_WRITE_UINT16_BE(out_.data() + 2, seq);
  GST_WRITE_UINT32_BE(out_.data() + 4, ts);
  GST_WRITE_UINT32_BE(out_.data() + 8, setup_.ssrc);
  history_[seq % kHistory] = Sent{gst::BufferPtr::ref(packet), seq, ts, mono_now_ms()};
  protect_and_send(len, hlen);
  ++fig_.packets;
  fig_.bytes += len;
  sent_any_ = true;
  last_ts_ = ts;
  last_ts_mono_us_ = g_get_monotonic_time();
}

void RtpSender::retransmit(std::uint16_t seq) {
  Sent& s = history_[seq % kHistory];
  if (!s.packet || s.seq != seq || mono_now_ms() - s.sent_ms > kHistoryMs) return;
  GstMapInfo m;
  if (!gst_buffer_map(s.packet.get(), &m, GST_MAP_READ)) return;
  const std::size_t hlen = rtp_header_len(m.data, m.size);
  const std::size_t extra = setup_.rtx_pt ? 2 : 0;  // RTX: the original sequence number first
  if (!hlen || m.size + extra + SRTP_MAX_TRAILER_LEN > out_.size()) {
    gst_buffer_unmap(s.packet.get(), &m);
    return;
  }
  std::memcpy(out_.data(), m.data, hlen);
  std::memcpy(out_.data() + hlen + extra, m.data + hlen, m.size - hlen);
  const std::size_t len = m.size + extra;
  gst_buffer_unmap(s.packet.get(), &m);
  GST_WRITE_UINT32_BE(out_.data() + 4, s.ts);
  if (setup_.rtx_pt) {
    out_[1] = std::uint8_t((out_[1] & 0x80) | (setup_.rtx_pt & 0x7f));
    GST_WRITE_UINT16_BE(out_.data() + 2, rtx_seq_++);
    GST_WRITE_UINT32_BE(out_.data() + 8, setup_.rtx_ssrc);
    GST_WRITE_UINT16_BE(out_.data() + hlen, seq);
  } else {
    out_[1] = std::uint8_t((out_[1] & 0x80) | (setup_.pt & 0x7f));
    GST_WRITE_UINT16_BE(out_.data() + 2, seq);
    GST_WRITE_UINT32_BE(out_.data() + 8, setup_.ssrc);
  }
  protect_and_send(len, hlen);
  ++fig_.retransmitted;
}

void RtpSender::on_nack(const std::uint8_t* fci, std::size_t len) {
  std::lock_guard lk(mu_);
  for (std::size_t i = 0; i + 4 <= len; i += 4) {
    const std::uint16_t pid = std::uint16_t((fci[i] << 8) | fci[i + 1]);
    const std::uint16_t blp = std::uint16_t((fci[i + 2] << 8) | fci[i + 3]);
    ++fig_.nacked;
    retransmit(pid);
    for (int b = 0; b < 16; ++b) {
      if (blp & (1u << b)) {
        ++fig_.nacked;
        retransmit(std::uint16_t(pid + b + 1));
      }
    }
  }
}

void RtpSender::on_rtcp(GstBuffer* compound) {
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  if (!gst_rtcp_buffer_map(compound, GST_MAP_READ, &rtcp)) return;
  GstRTCPPacket p;
  const std::uint32_t now_mid = ntp_mid(ntp_now());
  for (gboolean more = gst_rtcp_buffer_get_first_packet(&rtcp, &p); more; more = gst_rtcp_packet_move_to_next(&p)) {
    const GstRTCPType type = gst_rtcp_packet_get_type(&p);
    if (type != GST_RTCP_TYPE_RR && type != GST_RTCP_TYPE_SR) continue;
    for (guint i = 0; i < gst_rtcp_packet_get_rb_count(&p); ++i) {
      guint32 ssrc = 0, exthighest = 0, jitter = 0, lsr = 0, dlsr = 0;
      guint8 fraction = 0;
      gint32 lost = 0;
      gst_rtcp_packet_get_rb(&p, i, &ssrc, &fraction, &lost, &exthighest, &jitter, &lsr, &dlsr);
      if (ssrc != setup_.ssrc) continue;
      std::lock_guard lk(mu_);
      fig_.have_report = true;
      fig_.fraction_lost = fraction / 256.0;
      fig_.packets_lost = lost;
      fig_.jitter_ms = double(jitter) * 1000.0 / setup_.clock_rate;
      // RFC 3550 6.4.1: round trip = arrival − LSR − DLSR, in 1/65536 s.
      if (lsr != 0 && lsr == last_sr_ntp_mid_) {
        const std::uint32_t rtt = now_mid - lsr - dlsr;
        if (rtt < (10u << 16)) fig_.rtt_ms = double(rtt) * 1000.0 / 65536.0;
      }
    }
  }
  gst_rtcp_buffer_unmap(&rtcp);
}

void RtpSender::send_sender_report() {
  std::lock_guard lk(mu_);
  if (!sent_any_) return;
  const std::uint64_t ntp = ntp_now();
  const std::int64_t since_us = g_get_monotonic_time() - last_ts_mono_us_;
  const std::uint32_t rtp_ts = last_ts_ + std::uint32_t(since_us * std::int64_t(setup_.clock_rate) / 1000000);
  std::uint8_t* o = out_.data();
  // SR (RFC 3550 6.4.1), no report blocks.
  o[0] = 0x80;
  o[1] = 200;
  GST_WRITE_UINT16_BE(o + 2, 6);
  GST_WRITE_UINT32_BE(o + 4, setup_.ssrc);
  GST_WRITE_UINT32_BE(o + 8, std::uint32_t(ntp >> 32));
  GST_WRITE_UINT32_BE(o + 12, std::uint32_t(ntp));
  GST_WRITE_UINT32_BE(o + 16, rtp_ts);
  GST_WRITE_UINT32_BE(o + 20, std::uint32_t(fig_.packets));
  GST_WRITE_UINT32_BE(o + 24, std::uint32_t(fig_.bytes - 12 * fig_.packets));  // payload octets
  std::size_t n = 28;
  // SDES with the CNAME (RFC 3550 6.5): an RTCP compound packet carries one.
  const std::size_t cname = std::min<std::size_t>(setup_.cname.size(), 255);
  const std::size_t chunk = 4 + 2 + cname + 1;  // SSRC, type+length, text, end
  const std::size_t padded = (chunk + 3) & ~std::size_t(3);
  std::uint8_t* s = o + n;
  std::memset(s, 0, 4 + padded);
  s[0] = 0x81;
  s[1] = 202;
  GST_WRITE_UINT16_BE(s + 2, std::uint16_t(padded / 4));
  GST_WRITE_UINT32_BE(s + 4, setup_.ssrc);
  s[8] = 1;  // CNAME
  s[9] = std::uint8_t(cname);
  std::memcpy(s + 10, setup_.cname.data(), cname);
  n += 4 + padded;
  last_sr_ntp_mid_ = ntp_mid(ntp);
  protect_and_send(n, 0);
}

RtpSenderFigures RtpSender::figures() const {
  std::lock_guard lk(mu_);
  return fig_;
}

}  // namespace camrelay::media
