#pragma once
// Reading what a fragmented MP4 file (a recording) really holds, without decoding it: its
// video track's length summed over the complete moof/mdat fragments. A file cut short by a
// crash or a power cut counts up to its last complete fragment — what a player can play.
#include <cstdint>
#include <filesystem>
#include <optional>

namespace camrelay::model {

struct Mp4Extent {
  std::int64_t duration_ms = 0;  // video track (or the first track when there is no video)
  std::uint64_t fragments = 0;   // complete moof + mdat pairs
  std::uint64_t samples = 0;     // video samples (frames) in them
  std::uint64_t playable_bytes = 0;  // the file up to the end of its last complete fragment
};

// nullopt: not an MP4 this reader understands (no moov, or not readable).
std::optional<Mp4Extent> probe_fragmented_mp4(const std::filesystem::path& file);

}  // namespace camrelay::model
