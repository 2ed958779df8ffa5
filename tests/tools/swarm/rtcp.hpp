#pragma once
// RTP and RTCP wire formats for the lite receiver: the RTP fixed header (RFC 3550), the
// RTP/RTCP demultiplexing rule of rtcp-mux (RFC 5761 / RFC 7983), the RTCP packets a
// receiver sends — receiver report, SDES CNAME, generic NACK (RFC 4585, PT 205 FMT 1), PLI
// (PT 206 FMT 1) — written into a caller's buffer without allocating, and the sender report
// a receiver reads (for LSR/DLSR). Pure functions over bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace swarm::rtcp {

struct RtpHeader {
  uint8_t pt = 0;
  bool marker = false;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  size_t payload = 0;      // offset of the payload
  size_t payload_len = 0;  // without padding
};

// The header of an RTP packet (CSRCs, extension and padding skipped); nullopt if malformed.
std::optional<RtpHeader> parse_rtp(const uint8_t* p, size_t n);

// rtcp-mux: an RTCP packet has a packet type 192–223 in its second byte, where RTP has
// the marker bit and payload type (RFC 5761 4).
inline bool is_rtcp(const uint8_t* p, size_t n) {
  return n >= 2 && (p[1] & 0x7f) >= 64 && (p[1] & 0x7f) <= 95;
}

// One report block of a receiver report (RFC 3550 6.4.2).
struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;  // clamped to 24 bits signed when written
  uint32_t ext_highest_seq = 0;
  uint32_t jitter = 0;
  uint32_t lsr = 0;
  uint32_t dlsr = 0;
};

// Appends RTCP packets to a compound packet in `buf`; an append that does not fit leaves
// the packet as it was and makes ok() false.
class Writer {
 public:
  Writer(uint8_t* buf, size_t cap) : buf_(buf), cap_(cap) {}
  // Receiver report from `ssrc`, with `block` or none.
  void receiver_report(uint32_t ssrc, const ReportBlock* block);
  // SDES with one chunk: `ssrc`'s CNAME (at most 255 bytes).
  void sdes_cname(uint32_t ssrc, std::string_view cname);
  // Generic NACK for `seqs` (in sending order, increasing modulo 2^16): one PID+BLP entry per
  // run of up to 17 numbers.
  void nack(uint32_t ssrc, uint32_t media_ssrc, const uint16_t* seqs, size_t n);
  // Picture loss indication.
  void pli(uint32_t ssrc, uint32_t media_ssrc);
  size_t size() const { return len_; }
  bool ok() const { return ok_; }

 private:
  uint8_t* reserve(size_t n);
  uint8_t* buf_;
  size_t cap_;
  size_t len_ = 0;
  bool ok_ = true;
};

// A sender report's identity and NTP time: what LSR needs.
struct SenderReport {
  uint32_t ssrc = 0;
  uint32_t ntp_mid = 0;  // the middle 32 bits of its NTP timestamp
};

// The first sender report of a compound RTCP packet; nullopt when there is none or the
// packet is malformed.
std::optional<SenderReport> find_sender_report(const uint8_t* p, size_t n);

}  // namespace swarm::rtcp
