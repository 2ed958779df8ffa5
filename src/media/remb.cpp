#include "remb.hpp"

namespace camrelay::media {
namespace {
constexpr std::uint32_t kMantissaMax = (1u << 18) - 1;

void put32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  v.push_back(static_cast<std::uint8_t>(x >> 24));
  v.push_back(static_cast<std::uint8_t>(x >> 16));
  v.push_back(static_cast<std::uint8_t>(x >> 8));
  v.push_back(static_cast<std::uint8_t>(x));
}
std::uint32_t get32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
}  // namespace

RembBitrate remb_encode_bitrate(std::uint64_t bps) {
  RembBitrate b;
  while ((bps >> b.exponent) > kMantissaMax && b.exponent < 63) ++b.exponent;
  const std::uint64_t m = bps >> b.exponent;
  b.mantissa = static_cast<std::uint32_t>(m > kMantissaMax ? kMantissaMax : m);
  return b;
}

std::vector<std::uint8_t> build_remb_fci(std::uint64_t bps, const std::vector<std::uint32_t>& ssrcs) {
  const RembBitrate b = remb_encode_bitrate(bps);
  const std::size_t n = ssrcs.size() > 255 ? 255 : ssrcs.size();
  std::vector<std::uint8_t> v = {'R', 'E', 'M', 'B'};
  v.push_back(static_cast<std::uint8_t>(n));
  v.push_back(static_cast<std::uint8_t>((b.exponent << 2) | ((b.mantissa >> 16) & 0x3)));
  v.push_back(static_cast<std::uint8_t>(b.mantissa >> 8));
  v.push_back(static_cast<std::uint8_t>(b.mantissa));
  for (std::size_t i = 0; i < n; ++i) put32(v, ssrcs[i]);
  return v;
}

std::vector<std::uint8_t> build_remb_packet(std::uint32_t sender_ssrc, std::uint64_t bps,
                                            const std::vector<std::uint32_t>& ssrcs) {
  const auto fci = build_remb_fci(bps, ssrcs);
  const std::size_t total = 12 + fci.size();  // header + 2 SSRCs + FCI
  std::vector<std::uint8_t> v;
  v.reserve(total);
  v.push_back(0x80 | 15);  // V=2, P=0, FMT=15
  v.push_back(206);        // PSFB
  const std::size_t words = total / 4 - 1;
  v.push_back(static_cast<std::uint8_t>(words >> 8));
  v.push_back(static_cast<std::uint8_t>(words));
  put32(v, sender_ssrc);
  put32(v, 0);  // media source SSRC: unused for REMB
  v.insert(v.end(), fci.begin(), fci.end());
  return v;
}

std::optional<Remb> parse_remb_fci(const std::uint8_t* fci, std::size_t len) {
  if (!fci || len < 8 || fci[0] != 'R' || fci[1] != 'E' || fci[2] != 'M' || fci[3] != 'B') return std::nullopt;
  const std::size_t n = fci[4];
  if (len < 8 + 4 * n) return std::nullopt;
  Remb r;
  RembBitrate b;
  b.exponent = fci[5] >> 2;
  b.mantissa = (std::uint32_t(fci[5] & 0x3) << 16) | (std::uint32_t(fci[6]) << 8) | fci[7];
  r.bitrate_bps = b.bps();
  for (std::size_t i = 0; i < n; ++i) r.ssrcs.push_back(get32(fci + 8 + 4 * i));
  return r;
}

std::optional<Remb> parse_remb_packet(const std::uint8_t* d, std::size_t len) {
  if (!d || len < 12 || (d[0] >> 6) != 2 || (d[0] & 0x1f) != 15 || d[1] != 206) return std::nullopt;
  const std::size_t plen = (std::size_t(d[2]) << 8 | d[3]) * 4 + 4;
  if (plen > len || plen < 12) return std::nullopt;
  auto r = parse_remb_fci(d + 12, plen - 12);
  if (r) r->sender_ssrc = get32(d + 4);
  return r;
}

std::optional<Remb> find_remb(const std::uint8_t* d, std::size_t len) {
  std::size_t off = 0;
  while (d && off + 4 <= len) {
    const std::size_t plen = (std::size_t(d[off + 2]) << 8 | d[off + 3]) * 4 + 4;
    if ((d[off] >> 6) != 2 || off + plen > len) return std::nullopt;
    if (auto r = parse_remb_packet(d + off, plen)) return r;
    off += plen;
  }
  return std::nullopt;
}

}  // namespace camrelay::media
