#pragma once
// One WebRTC viewer's video as it leaves the daemon, beside webrtcbin rather than through it.
// The stream's shared payloader (rtp_fanout.hpp) makes each RTP packet once; per viewer this
// only rewrites the header (payload type, SSRC, sequence number, timestamp), protects the
// packet with the viewer's SRTP key (from webrtcbin's DTLS handshake; RTP on OpenSSL,
// srtp_rtp_tx.hpp, RTCP with libsrtp2) and hands it to the viewer's ICE transport
// (webrtcbin's libnice agent, one sendmsg). webrtcbin keeps SDP, ICE, DTLS, audio and the
// incoming RTCP; this class answers what that RTCP asks of the video: NACKs (retransmissions
// from a 500 ms history, RTX per RFC 4588 when negotiated), and it sends the video's RTCP
// sender reports and reads the browser's receiver reports.
//
// Thread-safe: packets come from the fanout's streaming thread, NACKs and receiver reports
// from webrtcbin's RTCP thread, sender reports from the GLib thread (one mutex; a packet
// holds it for one SRTP transform and one send).
#include <gst/gst.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "camrelay/gst/ptr.hpp"
#include "srtp_rtp_tx.hpp"

typedef struct srtp_ctx_t_ srtp_ctx_t;

namespace camrelay::media {

struct RtpSenderSetup {
  std::uint32_t ssrc = 0;      // ours, announced in the SDP
  std::uint8_t pt = 0;         // the negotiated payload type
  std::uint32_t rtx_ssrc = 0;  // 0: no RTX negotiated (NACKed packets are sent again as they were)
  std::uint8_t rtx_pt = 0;
  std::uint32_t clock_rate = 90000;
  gst::Ptr<GObject> agent;     // webrtcbin's NiceAgent (a reference: it outlives a late send)
  unsigned stream_id = 0, component_id = 0;
  std::vector<std::uint8_t> master_key;  // SRTP master key + salt (30 bytes) from DTLS
  bool auth_tag_32 = false;              // SRTP_AES128_CM_HMAC_SHA1_32 (else _80)
  std::string cname;                     // RTCP SDES CNAME
  // Where protected packets go instead of the agent (tests); true = sent.
  std::function<bool(const std::uint8_t* data, std::size_t len)> transport;
};

// What the sender did and what the browser's receiver reports said about the video.
struct RtpSenderFigures {
  std::uint64_t packets = 0, bytes = 0;  // RTP payload + header bytes sent (not SRTP overhead)
  std::uint64_t retransmitted = 0, nacked = 0, send_errors = 0;
  bool have_report = false;              // a receiver report about our SSRC arrived
  std::int64_t packets_lost = 0;         // cumulative, from the last report
  double fraction_lost = 0;              // 0..1, from the last report
  double jitter_ms = 0;
  double rtt_ms = -1;                    // -1: not known (no report that refers to our SR yet)
};

// Initialises libsrtp (RTCP) and OpenSSL's SRTP ciphers (RTP) once (any thread;
// RtpSender::create does it too). Called at start-up so that the first viewer's join does
// not pay for it.
void warm_up_srtp();

class RtpSender {
 public:
  // Sets up SRTP; nullptr with `error` set if libsrtp or OpenSSL refuses the key.
  static std::shared_ptr<RtpSender> create(RtpSenderSetup setup, std::string& error);
  ~RtpSender();
  RtpSender(const RtpSender&) = delete;
  RtpSender& operator=(const RtpSender&) = delete;

  // One packet of the shared payloader (header of the stream's own SSRC/sequence), sent
  // with this viewer's header; `keep_ts` false: with `timestamp` instead of its own (a
  // replayed frame). Streaming thread of the fanout.
  void send(GstBuffer* packet, bool keep_ts = true, std::uint32_t timestamp = 0);
  // The same with `packet` already mapped (`data`, `len`): the fanout maps each packet once
  // for all its viewers.
  void send(GstBuffer* packet, const std::uint8_t* data, std::size_t len, bool keep_ts = true,
            std::uint32_t timestamp = 0);
  // RTCP from the browser (webrtcbin's RTCP thread): a generic NACK's FCI about our SSRC.
  void on_nack(const std::uint8_t* fci, std::size_t len);
  // A decrypted RTCP compound packet: receiver report blocks about our SSRC.
  void on_rtcp(GstBuffer* compound);
  // An RTCP sender report (with SDES CNAME) for the video; nothing before the first packet.
  void send_sender_report();
  RtpSenderFigures figures() const;

 private:
  explicit RtpSender(RtpSenderSetup setup);
  // Protects `len` bytes in out_ (room for the SRTP trailer) and sends them; caller holds mu_.
  // `header_len`: of an RTP packet; 0: RTCP.
  void protect_and_send(std::size_t len, std::size_t header_len);
  void retransmit(std::uint16_t seq);  // caller holds mu_

  struct Sent {
    gst::BufferPtr packet;  // the shared payloader's packet (its memory, shared by all viewers)
    std::uint16_t seq = 0;  // the sequence number this viewer got it with
    std::uint32_t ts = 0;   // and the timestamp
    std::int64_t sent_ms = 0;  // mono_now_ms()
  };
  static constexpr std::size_t kHistory = 512;  // > 500 ms of a 8 Mbit/s camera's packets

  RtpSenderSetup setup_;
  mutable std::mutex mu_;
  srtp_ctx_t* srtp_ = nullptr;       // RTCP
  std::unique_ptr<SrtpRtpTx> rtp_tx_;  // RTP
  std::array<std::uint8_t, 1500> out_{};
  std::uint16_t seq_ = 0, rtx_seq_ = 0;
  bool sent_any_ = false;
  std::uint32_t last_ts_ = 0;
  std::int64_t last_ts_mono_us_ = 0;
  std::array<Sent, kHistory> history_{};
  std::uint32_t last_sr_ntp_mid_ = 0;  // the middle 32 bits of our last SR's NTP time
  RtpSenderFigures fig_;
};

}  // namespace camrelay::media
