#pragma once
// RTCP REMB (draft-alvestrand-rmcat-remb): a payload-specific feedback packet (PT 206,
// FMT 15) whose FCI is "REMB", the SSRC count, a 6-bit exponent + 18-bit mantissa bitrate
// (bps = mantissa << exponent) and the SSRCs it applies to. Pure functions, no GStreamer.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// |V=2|P| FMT=15  |   PT=206      |             length            |
// |                  SSRC of packet sender                        |
// |                  SSRC of media source (0)                     |
// |  'R' 'E' 'M' 'B'                                              |
// |  Num SSRC     | BR Exp    |  BR Mantissa                      |
// |   SSRC feedback ... (Num SSRC times)                          |
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace camrelay::media {

struct RembBitrate {
  std::uint8_t exponent = 0;    // 0..63
  std::uint32_t mantissa = 0;   // 0..2^18-1
  std::uint64_t bps() const { return static_cast<std::uint64_t>(mantissa) << exponent; }
};

// The smallest exponent whose mantissa fits 18 bits (rounds down: never above `bps`).
RembBitrate remb_encode_bitrate(std::uint64_t bps);

// The FCI: "REMB", num SSRC, exp/mantissa, SSRCs (8 + 4n bytes). At most 255 SSRCs.
std::vector<std::uint8_t> build_remb_fci(std::uint64_t bps, const std::vector<std::uint32_t>& ssrcs);

// A whole RTCP packet (header + sender SSRC + media SSRC 0 + FCI).
std::vector<std::uint8_t> build_remb_packet(std::uint32_t sender_ssrc, std::uint64_t bps,
                                            const std::vector<std::uint32_t>& ssrcs);

struct Remb {
  std::uint32_t sender_ssrc = 0;
  std::uint64_t bitrate_bps = 0;
  std::vector<std::uint32_t> ssrcs;
};

// Parses an FCI (as returned by gst_rtcp_packet_fb_get_fci); nullopt if it is not a REMB.
std::optional<Remb> parse_remb_fci(const std::uint8_t* fci, std::size_t len);
// Parses one RTCP packet; nullopt if it is not a well-formed REMB.
std::optional<Remb> parse_remb_packet(const std::uint8_t* data, std::size_t len);
// Finds the first REMB in a compound RTCP packet.
std::optional<Remb> find_remb(const std::uint8_t* data, std::size_t len);

}  // namespace camrelay::media
