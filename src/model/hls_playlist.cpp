// Pure HLS playlist text functions (include/camrelay/model/hls_playlist.hpp), unit-tested.
#include "camrelay/model/hls_playlist.hpp"

namespace camrelay::model {

bool valid_hls_segment_name(std::string_view n) noexcept {
  constexpr std::string_view pre = "segment", suf = ".ts";
  if (n.size() < pre.size() + 1 + suf.size() || n.size() > pre.size() + 9 + suf.size()) return false;
  if (!n.starts_with(pre) || !n.ends_with(suf)) return false;
  for (char c : n.substr(pre.size(), n.size() - pre.size() - suf.size())) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

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

std::optional<long long> playlist_last_msn(std::string_view playlist) {
  long long first = 0;
  long long count = 0;
  std::size_t i = 0;
  while (i < playlist.size()) {
    std::size_t j = playlist.find('\n', i);
    if (j == std::string_view::npos) j = playlist.size();
    std::string_view line = playlist.substr(i, j - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    constexpr std::string_view kSeq = "#EXT-X-MEDIA-SEQUENCE:";
    if (line.starts_with(kSeq)) {
      first = 0;
      for (char c : line.substr(kSeq.size())) {
        if (c < '0' || c > '9' || first > 1'000'000'000'000LL) break;
        first = first * 10 + (c - '0');
      }
    } else if (line.starts_with("#EXTINF:")) {
      ++count;
    }
    i = j + 1;
  }
  if (count == 0) return std::nullopt;
  return first + count - 1;
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

}  // namespace camrelay::model
