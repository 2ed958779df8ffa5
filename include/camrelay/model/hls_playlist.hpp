#pragma once
// Pure HLS playlist text functions, shared by the segmenter (media) and the HLS routes
// (http). No GStreamer.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace camrelay::model {

// segment<1..9 digits>.ts, segment<1..9 digits>.m4s, part<1..9 digits>.<1..3 digits>.m4s
// (a low-latency partial segment: its segment's number, its index in that segment) and
// init.mp4 — the only names the HLS endpoints serve.
bool valid_hls_segment_name(std::string_view name) noexcept;
// The fMP4 ones (segment….m4s, part….m4s, init.mp4): the fMP4 output's files.
bool is_fmp4_segment_name(std::string_view name) noexcept;
// A partial segment's name: part<msn>.<index>.m4s.
std::string hls_part_name(unsigned long long msn, int index);
// The segment number and index of a partial segment's name; nullopt for other names.
struct HlsPartRef {
  long long msn = 0;
  int index = 0;
};
std::optional<HlsPartRef> parse_hls_part_name(std::string_view name) noexcept;

// Where a live playlist ends: the last whole segment (nullopt: none yet) and, in a
// low-latency playlist, how many parts of the next segment (number last_msn + 1, or
// EXT-X-MEDIA-SEQUENCE when no segment is whole yet) are listed after it.
struct HlsLiveEdge {
  std::optional<long long> last_msn;
  long long open_msn = 0;
  int open_parts = 0;
};
HlsLiveEdge hls_live_edge(std::string_view playlist);
// Whether a playlist ending at `edge` answers a blocking reload for segment `msn` (part
// `part` of it when given): the segment is whole, or that part of it is listed.
bool hls_edge_reached(const HlsLiveEdge& edge, long long msn, std::optional<int> part) noexcept;
// Rewrites the URI lines of a playlist (lines not starting with '#') as prefix + line.
std::string prefix_playlist_uris(std::string_view playlist, std::string_view prefix);
// Adds "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES" after the #EXTM3U line: players may
// ask for the next segment's playlist (?_HLS_msn=N) and get it the moment it exists.
std::string add_blocking_reload(std::string_view playlist);

// One variant of a multivariant ("master") playlist.
struct HlsVariant {
  std::string uri;
  long long bandwidth_bps = 0;
  std::string codecs;      // RFC 6381, e.g. hvc1.1.6.L93.B0
  int width = 0, height = 0;  // 0: RESOLUTION left out (not known yet)
};
// #EXTM3U, version 7, EXT-X-INDEPENDENT-SEGMENTS and one EXT-X-STREAM-INF per variant, in
// order (players take the first one they can decode when the rest is equal).
std::string render_multivariant_playlist(const std::vector<HlsVariant>& variants);
// The CODECS of an H.265 stream of this profile ("main", "main-10", … from the caps; other
// or unknown: Main) and size: a level that allows the picture size (3.1 up to 720p, 4.1
// up to 1080p, 5.1 up to 4K, else 6.1), Main tier.
std::string hevc_codecs(std::string_view profile, int width, int height);
// The CODECS of H.264 constrained baseline at a level that allows the picture size (3.1,
// 4.0 up to 1080p, 5.1 above).
std::string avc_baseline_codecs(int width, int height);

}  // namespace camrelay::model
