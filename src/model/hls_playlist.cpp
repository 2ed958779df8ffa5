// Pure HLS playlist text functions (include/camrelay/model/hls_playlist.hpp), unit-tested.
#include "camrelay/model/hls_playlist.hpp"

namespace camrelay::model {

namespace {

bool numbered(std::string_view n, std::string_view suf) noexcept {
  constexpr std::string_view pre = "segment";
  if (n.size() < pre.size() + 1 + suf.size() || n.size() > pre.size() + 9 + suf.size()) return false;
  if (!n.starts_with(pre) || !n.ends_with(suf)) return false;
  for (char c : n.substr(pre.size(), n.size() - pre.size() - suf.size())) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool is_fmp4_segment_name(std::string_view n) noexcept {
  return n == "init.mp4" || numbered(n, ".m4s") || parse_hls_part_name(n).has_value();
}

std::string hls_part_name(unsigned long long msn, int index) {
  std::string digits = std::to_string(msn);
  if (digits.size() < 5) digits.insert(0, 5 - digits.size(), '0');
  return "part" + digits + "." + std::to_string(index) + ".m4s";
}

std::optional<HlsPartRef> parse_hls_part_name(std::string_view n) noexcept {
  constexpr std::string_view pre = "part", suf = ".m4s";
  if (!n.starts_with(pre) || !n.ends_with(suf)) return std::nullopt;
  n = n.substr(pre.size(), n.size() - pre.size() - suf.size());
  const std::size_t dot = n.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view a = n.substr(0, dot), b = n.substr(dot + 1);
  if (a.empty() || a.size() > 9 || b.empty() || b.size() > 3) return std::nullopt;
  HlsPartRef r;
  for (char c : a) {
    if (c < '0' || c > '9') return std::nullopt;
    r.msn = r.msn * 10 + (c - '0');
  }
  for (char c : b) {
    if (c < '0' || c > '9') return std::nullopt;
    r.index = r.index * 10 + (c - '0');
  }
  return r;
}

bool valid_hls_segment_name(std::string_view n) noexcept { return numbered(n, ".ts") || is_fmp4_segment_name(n); }

std::string prefix_playlist_uris(std::string_view playlist, std::string_view prefix) {
  std::string out;
  out.reserve(playlist.size() + 64);
  std::size_t i = 0;
  while (i < playlist.size()) {
    std::size_t j = playlist.find('\n', i);
    std::size_t end = j == std::string_view::npos ? playlist.size() : j + 1;
    std::string_view line = playlist.substr(i, end - i);
    std::string_view body = line;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
    if (!body.empty() && body.front() != '#') out += prefix;
    out += line;
    i = end;
  }
  return out;
}

HlsLiveEdge hls_live_edge(std::string_view playlist) {
  HlsLiveEdge e;
  long long first = 0;
  long long whole = 0;  // EXTINF lines
  int parts = 0;        // EXT-X-PART lines since the last whole segment
  std::size_t i = 0;
  while (i < playlist.size()) {
    std::size_t j = playlist.find('\n', i);
    if (j == std::string_view::npos) j = playlist.size();
    std::string_view line = playlist.substr(i, j - i);
    constexpr std::string_view kSeq = "#EXT-X-MEDIA-SEQUENCE:";
    if (line.starts_with(kSeq)) {
      for (char c : line.substr(kSeq.size())) {
        if (c < '0' || c > '9' || first > 1'000'000'000'000LL) break;
        first = first * 10 + (c - '0');
      }
    } else if (line.starts_with("#EXTINF:")) {
      ++whole;
      parts = 0;
    } else if (line.starts_with("#EXT-X-PART:")) {
      ++parts;
    }
    i = j + 1;
  }
  if (whole > 0) e.last_msn = first + whole - 1;
  e.open_msn = first + whole;
  e.open_parts = parts;
  return e;
}

bool hls_edge_reached(const HlsLiveEdge& edge, long long msn, std::optional<int> part) noexcept {
  if (edge.last_msn && msn <= *edge.last_msn) return true;
  return part && msn == edge.open_msn && *part < edge.open_parts;
}

std::string add_blocking_reload(std::string_view playlist) {
  constexpr std::string_view kHead = "#EXTM3U";
  constexpr std::string_view kTag = "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES";
  if (!playlist.starts_with(kHead) || playlist.find(kTag) != std::string_view::npos) {
    return std::string(playlist);
  }
  std::size_t eol = playlist.find('\n');
  if (eol == std::string_view::npos) return std::string(playlist) + "\n" + std::string(kTag) + "\n";
  return std::string(playlist.substr(0, eol + 1)) + std::string(kTag) + "\n" +
         std::string(playlist.substr(eol + 1));
}

std::string render_multivariant_playlist(const std::vector<HlsVariant>& variants) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  for (const auto& v : variants) {
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(v.bandwidth_bps) + ",CODECS=\"" + v.codecs + "\"";
    if (v.width > 0 && v.height > 0) out += ",RESOLUTION=" + std::to_string(v.width) + "x" + std::to_string(v.height);
    out += "\n" + v.uri + "\n";
  }
  return out;
}

namespace {
long long luma(int w, int h) { return (w > 0 && h > 0) ? (long long)w * h : 1280LL * 720; }
}  // namespace

std::string hevc_codecs(std::string_view profile, int width, int height) {
  // general_profile_idc and its compatibility flags (bit-reversed, hex; ISO/IEC 14496-15 E.3).
  const char* prof = profile == "main-10" ? "2.4" : profile == "main-still-picture" ? "3.8" : "1.6";
  const long long n = luma(width, height);
  // general_level_idc = 30 × level (H.265 A.4.1: max luma picture size per level).
  const int level = n <= 983040 ? 93 : n <= 2228224 ? 123 : n <= 8912896 ? 153 : 183;
  return std::string("hvc1.") + prof + ".L" + std::to_string(level) + ".B0";
}

std::string avc_baseline_codecs(int width, int height) {
  const long long n = luma(width, height);
  // profile_idc 66 (0x42), constraint_set1 (0xe0: constrained baseline), level_idc.
  const char* level = n <= 921600 ? "1f" : n <= 2097152 ? "28" : "33";
  return std::string("avc1.42e0") + level;
}

}  // namespace camrelay::model
