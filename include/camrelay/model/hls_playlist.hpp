#pragma once
// Pure HLS playlist text functions, shared by the segmenter (media) and the HLS routes
// (http). No GStreamer.
#include <optional>
#include <string>
#include <string_view>

namespace camrelay::model {

// segment<1..9 digits>.ts — the only names the HLS endpoints serve.
bool valid_hls_segment_name(std::string_view name) noexcept;
// Rewrites the URI lines of a playlist (lines not starting with '#') as prefix + line.
std::string prefix_playlist_uris(std::string_view playlist, std::string_view prefix);
// Media sequence number of the last segment listed (EXT-X-MEDIA-SEQUENCE + segments - 1);
// nullopt when no segment is listed.
std::optional<long long> playlist_last_msn(std::string_view playlist);
// Adds "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES" after the #EXTM3U line: players may
// ask for the next segment's playlist (?_HLS_msn=N) and get it the moment it exists.
std::string add_blocking_reload(std::string_view playlist);

}  // namespace camrelay::model
