#pragma once
// Rows of the recordings table (docs/recording.md): one row per MP4 file.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace camrelay::store {

struct RecordingRow {
  std::int64_t id = 0;
  std::string camera_id;
  std::string session_id;  // the stream session it was recorded from
  std::string path;        // absolute file path
  std::string reason;      // manual | continuous | duration
  std::string status;      // recording | complete | recovered (closed after a crash) | missing
  std::int64_t start_ms = 0;           // unix ms of the first frame
  std::optional<std::int64_t> end_ms;  // unix ms; nullopt while the file is written
  std::int64_t duration_ms = 0;
  std::int64_t bytes = 0;
};

// A page of GET /recordings: newest first (by start, then id).
struct RecordingQuery {
  std::string camera_id;                     // "" = every camera
  std::optional<std::vector<std::string>> only_cameras;  // the caller may see only these
  std::optional<std::int64_t> from_ms;       // recordings that end at or after this
  std::optional<std::int64_t> to_ms;         // recordings that start before this
  std::int64_t before_start_ms = 0;          // paging cursor (0 = from the newest)
  std::int64_t before_id = 0;
  int limit = 100;
};

}  // namespace camrelay::store
