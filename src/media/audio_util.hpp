#pragma once
// Audio helpers of the media module (pure, no GStreamer): depayloaded caps → AudioInfo
// fields, AAC AudioSpecificConfig, RTP encoding names → depayloaders.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace camrelay::media::audio {

// The AudioInfo codec name of a depayloaded caps name: audio/x-opus → "opus",
// audio/x-mulaw → "pcmu", audio/x-alaw → "pcma", audio/mpeg (mpegversion 4) → "aac";
// "" for anything else.
inline std::string codec_of_caps(std::string_view caps_name, int mpegversion) {
  if (caps_name == "audio/x-opus") return "opus";
  if (caps_name == "audio/x-mulaw") return "pcmu";
  if (caps_name == "audio/x-alaw") return "pcma";
  if (caps_name == "audio/mpeg" && (mpegversion == 4 || mpegversion == 2)) return "aac";
  return "";
}

// Sample rate and channel count from an AAC AudioSpecificConfig (ISO 14496-3 1.6.2.1).
// False if it is too short or uses a reserved index.
inline bool parse_aac_config(const std::uint8_t* d, std::size_t n, int& rate, int& channels) {
  static constexpr int kRates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                   22050, 16000, 12000, 11025, 8000,  7350};
  std::size_t bit = 0;
  auto bits = [&](int count) -> std::int64_t {
    std::int64_t v = 0;
    for (int i = 0; i < count; ++i, ++bit) {
      if (bit / 8 >= n) return -1;
      v = (v << 1) | ((d[bit / 8] >> (7 - bit % 8)) & 1);
    }
    return v;
  };
  std::int64_t object = bits(5);
  if (object == 31) object = 32 + bits(6);
  if (object < 0) return false;
  const std::int64_t idx = bits(4);
  std::int64_t r = 0;
  if (idx == 15) {
    r = bits(24);
  } else if (idx >= 0 && idx < 13) {
    r = kRates[idx];
  } else {
    return false;
  }
  const std::int64_t ch = bits(4);
  if (r <= 0 || ch < 0) return false;
  rate = static_cast<int>(r);
  channels = ch == 7 ? 8 : static_cast<int>(ch);
  return true;
}

// The depayloader for an RTP audio encoding name (case-insensitive), or nullptr when the
// encoding is not relayed: MPEG4-GENERIC → rtpmp4gdepay, MP4A-LATM → rtpmp4adepay,
// PCMU → rtppcmudepay, PCMA → rtppcmadepay, OPUS → rtpopusdepay.
inline const char* depayloader_for(std::string_view encoding) {
  auto eq = [&](std::string_view b) {
    if (encoding.size() != b.size()) return false;
    for (std::size_t i = 0; i < b.size(); ++i) {
      char c = encoding[i];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (c != b[i]) return false;
    }
    return true;
  };
  if (eq("MPEG4-GENERIC")) return "rtpmp4gdepay";
  if (eq("MP4A-LATM")) return "rtpmp4adepay";
  if (eq("PCMU")) return "rtppcmudepay";
  if (eq("PCMA")) return "rtppcmadepay";
  if (eq("OPUS")) return "rtpopusdepay";
  return nullptr;
}

}  // namespace camrelay::media::audio
