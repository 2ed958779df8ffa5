#pragma once
// Reading the few ISO BMFF (fragmented MP4) boxes the HLS segmenter needs from mp4mux's
// fragmented output: where each top-level box ends, the track's timescale and default
// sample flags and duration (moov), and each fragment's decode time, duration and whether it
// starts with a sync sample (moof). Pure functions on bytes; no GStreamer. ISO/IEC 14496-12.
#include <cstdint>
#include <optional>
#include <string_view>

namespace camrelay::media::fmp4 {

struct Box {
  std::string_view type;   // four characters
  std::string_view whole;  // header and body
  std::string_view body;
};

// The box at the start of `data`: nullopt while it is incomplete. A header that cannot be
// a box (size below its header) sets *malformed (and returns nullopt).
std::optional<Box> first_box(std::string_view data, bool* malformed);

// The first child of `type` in a box body (or a run of boxes); nullopt if absent.
std::optional<Box> find_child(std::string_view body, std::string_view type);

struct Track {
  std::uint32_t timescale = 0;              // mdhd of the first trak (0: not found)
  std::optional<std::uint32_t> trex_flags;  // mvex/trex default_sample_flags
  std::optional<std::uint32_t> trex_duration;  // mvex/trex default_sample_duration
};
Track read_moov(std::string_view moov_body);

struct Fragment {
  std::optional<std::uint64_t> decode_time;  // tfdt baseMediaDecodeTime, in the track's timescale
  bool starts_with_sync = false;             // its first sample is a sync sample (a keyframe)
  // The sum of its samples' durations (trun, else tfhd's or trex's default), in the track's
  // timescale; nullopt when a sample has no duration anywhere.
  std::optional<std::uint64_t> duration;
};
Fragment read_moof(std::string_view moof_body, const Track& track);

}  // namespace camrelay::media::fmp4
