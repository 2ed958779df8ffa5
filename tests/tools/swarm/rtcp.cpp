// RTP header parsing and RTCP packets of a receiver (rtcp.hpp).
#include "rtcp.hpp"

#include <algorithm>
#include <cstring>

namespace swarm::rtcp {

namespace {

constexpr uint8_t kSr = 200, kRr = 201, kSdes = 202, kRtpfb = 205, kPsfb = 206;

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, uint16_t(v >> 16));
  put16(p + 2, uint16_t(v));
}
// The common header: version 2, `count` (RC, SC or FMT), `pt`, length of `bytes` in words - 1.
void header(uint8_t* p, uint8_t count, uint8_t pt, size_t bytes) {
  p[0] = uint8_t(0x80 | count);
  p[1] = pt;
  put16(p + 2, uint16_t(bytes / 4 - 1));
}

// The end of the NACK entry that starts at seqs[i]: the index after the last number within
// 16 of it.
size_t nack_run_end(const uint16_t* seqs, size_t n, size_t i, uint16_t* blp) {
  const uint16_t pid = seqs[i];
  *blp = 0;
  size_t j = i + 1;
  for (; j < n; ++j) {
    const uint16_t d = uint16_t(seqs[j] - pid);
    if (d > 16) break;
    if (d > 0) *blp = uint16_t(*blp | 1u << (d - 1));
  }
  return j;
}

}  // namespace

std::optional<RtpHeader> parse_rtp(const uint8_t* p, size_t n) {
  if (n < 12 || (p[0] >> 6) != 2) return std::nullopt;
  RtpHeader h;
  h.marker = p[1] & 0x80;
  h.pt = p[1] & 0x7f;
  h.seq = be16(p + 2);
  h.timestamp = be32(p + 4);
  h.ssrc = be32(p + 8);
  size_t off = 12 + 4 * size_t(p[0] & 0x0f);
  if (p[0] & 0x10) {
    if (off + 4 > n) return std::nullopt;
    off += 4 + 4 * size_t(be16(p + off + 2));
  }
  if (off > n) return std::nullopt;
  size_t pad = (p[0] & 0x20) ? p[n - 1] : 0;
  if (pad > n - off) return std::nullopt;
  h.payload = off;
  h.payload_len = n - off - pad;
  return h;
}

uint8_t* Writer::reserve(size_t n) {
  if (!ok_ || cap_ - len_ < n) {
    ok_ = false;
    return nullptr;
  }
  uint8_t* p = buf_ + len_;
  len_ += n;
  return p;
}

void Writer::receiver_report(uint32_t ssrc, const ReportBlock* b) {
  const size_t bytes = 8 + (b ? 24 : 0);
  uint8_t* p = reserve(bytes);
  if (!p) return;
  header(p, b ? 1 : 0, kRr, bytes);
  put32(p + 4, ssrc);
  if (!b) return;
  put32(p + 8, b->ssrc);
  const int32_t lost = std::clamp<int32_t>(b->cumulative_lost, -0x800000, 0x7fffff);
  put32(p + 12, uint32_t(b->fraction_lost) << 24 | (uint32_t(lost) & 0xffffff));
  put32(p + 16, b->ext_highest_seq);
  put32(p + 20, b->jitter);
  put32(p + 24, b->lsr);
  put32(p + 28, b->dlsr);
}

void Writer::sdes_cname(uint32_t ssrc, std::string_view cname) {
  cname = cname.substr(0, 255);
  // Chunk: SSRC, CNAME item (type 1, length, text), then at least one zero byte ending the
  // item list, up to a multiple of 4.
  const size_t chunk = (4 + 2 + cname.size() + 1 + 3) / 4 * 4;
  const size_t bytes = 4 + chunk;
  uint8_t* p = reserve(bytes);
  if (!p) return;
  std::memset(p, 0, bytes);
  header(p, 1, kSdes, bytes);
  put32(p + 4, ssrc);
  p[8] = 1;
  p[9] = uint8_t(cname.size());
  std::memcpy(p + 10, cname.data(), cname.size());
}

void Writer::nack(uint32_t ssrc, uint32_t media_ssrc, const uint16_t* seqs, size_t n) {
  if (n == 0) return;
  size_t entries = 0;
  uint16_t blp = 0;
  for (size_t i = 0; i < n; i = nack_run_end(seqs, n, i, &blp)) ++entries;
  const size_t bytes = 12 + 4 * entries;
  uint8_t* p = reserve(bytes);
  if (!p) return;
  header(p, 1, kRtpfb, bytes);
  put32(p + 4, ssrc);
  put32(p + 8, media_ssrc);
  uint8_t* e = p + 12;
  for (size_t i = 0; i < n;) {
    const size_t next = nack_run_end(seqs, n, i, &blp);
    put16(e, seqs[i]);
    put16(e + 2, blp);
    e += 4;
    i = next;
  }
}

void Writer::pli(uint32_t ssrc, uint32_t media_ssrc) {
  uint8_t* p = reserve(12);
  if (!p) return;
  header(p, 1, kPsfb, 12);
  put32(p + 4, ssrc);
  put32(p + 8, media_ssrc);
}

std::optional<SenderReport> find_sender_report(const uint8_t* p, size_t n) {
  for (size_t off = 0; off + 4 <= n;) {
    if ((p[off] >> 6) != 2) return std::nullopt;
    const size_t len = (size_t(be16(p + off + 2)) + 1) * 4;
    if (off + len > n) return std::nullopt;
    if (p[off + 1] == kSr && len >= 28) return SenderReport{be32(p + off + 4), be32(p + off + 10)};
    off += len;
  }
  return std::nullopt;
}

}  // namespace swarm::rtcp
