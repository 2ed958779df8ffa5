#pragma once
// Cuts a muxed stream into HLS segments at keyframes and keeps the playlist: an MPEG-TS
// byte stream (mpegtsmux output, one buffer per access unit: push()) or fragmented MP4
// (mp4mux with fragment-duration: push_fmp4(); init.mp4 + segmentNNNNN.m4s, playlist
// version 7 with EXT-X-MAP). Segments close the moment the next keyframe arrives —
// hlssink2 (splitmuxsink) first collects the whole next GOP, which costs one extra
// keyframe interval of latency. Not thread-safe: one streaming thread.
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fmp4.hpp"

namespace camrelay::media {

// True if a video PES starts in `ts` (188-byte packets) at a random access point
// (adaptation field random_access_indicator), i.e. the data begins a keyframe.
bool ts_has_random_access(std::string_view ts) noexcept;
// True if the first packet of `ts` is a PAT (PID 0).
bool ts_starts_with_pat(std::string_view ts) noexcept;

// A low-latency partial segment: one fMP4 fragment (moof + mdat).
struct HlsPart {
  std::string name;  // part%05d.K.m4s
  double duration_s = 0;
  bool independent = false;  // starts with a keyframe
};

struct HlsSegment {
  std::uint64_t seq = 0;
  double duration_s = 0;
  std::string name;  // segment%05d.ts | segment%05d.m4s
  std::vector<HlsPart> parts;  // low-latency fMP4: the parts it was published as
};

// What a low-latency (LL-HLS) playlist adds: EXT-X-PART-INF, PART-HOLD-BACK, the parts of
// the last segments (those within three target durations of the end) and of the segment
// being collected, and a preload hint for the next part.
struct HlsLowLatency {
  double part_target_s = 0;
  double part_hold_back_s = 0;
  const std::vector<HlsPart>* open_parts = nullptr;  // of the segment being collected
  std::string preload_hint;                          // the next part's name
};

// An HLS media playlist for `segs` (oldest first): version 3, or with `map_uri` (fMP4's
// initialization segment) version 7 with EXT-X-MAP; with `ll`, low-latency HLS.
std::string render_hls_playlist(const std::deque<HlsSegment>& segs, int target_duration_s,
                                std::string_view map_uri = {}, const HlsLowLatency* ll = nullptr);

class HlsSegmenter {
 public:
  struct Options {
    std::filesystem::path dir;
    double target_duration_s = 1.0;
    int playlist_length = 3;
    int max_files = 6;
    // fMP4 only: > 0 publishes every fragment as a partial segment (LL-HLS) with this
    // EXT-X-PART-INF PART-TARGET (raised if a fragment is longer) and PART-HOLD-BACK.
    double part_target_s = 0;
    double part_hold_back_s = 0;
  };
  explicit HlsSegmenter(Options o);

  // Stream headers (PAT/PMT from the muxer caps) written at the start of every segment.
  void set_headers(std::string headers) { headers_ = std::move(headers); }
  // One muxer output buffer; pts_ns may be -1 (unknown: the arrival time is used).
  // Returns true when a segment was completed (and the playlist rewritten).
  bool push(std::string_view ts, std::int64_t pts_ns, std::int64_t now_ns);
  // Fragmented MP4 bytes as mp4mux writes them (any buffer boundaries): ftyp + moov become
  // init.mp4, each moof + mdat a fragment; a segment starts at a fragment that begins with a
  // keyframe (mp4mux starts a fragment at every keyframe). Times come from the fragments'
  // decode times. Returns true when the playlist changed: a segment was completed, or with
  // parts on, a part was published. Malformed input: last_error().
  bool push_fmp4(std::string_view bytes, std::int64_t now_ns);

  std::uint64_t segments_written() const { return next_seq_; }
  // The playlist as last written (empty before the first segment).
  const std::string& playlist() const { return playlist_; }
  const std::string& last_error() const { return error_; }

 private:
  // One unit (a TS access unit, an fMP4 fragment) at time t_ns; key: it starts at a keyframe.
  bool push_unit(std::string_view data, bool key, std::int64_t t_ns, std::string_view prefix);
  bool fmp4_box(const fmp4::Box& box, std::int64_t now_ns);
  // A fragment of the open segment published as a part; false if it cannot be written.
  bool add_part(std::string_view data, double duration_s, bool independent);
  void finish(std::int64_t end_ns);
  void render();
  bool write_atomically(const std::filesystem::path& p, std::string_view data);

  Options o_;
  std::string headers_;
  std::string current_;
  bool open_ = false;          // a segment (starting at a keyframe) is being collected
  std::int64_t start_ns_ = 0;  // its first timestamp
  std::int64_t last_ns_ = -1;
  std::uint64_t next_seq_ = 0;
  std::deque<HlsSegment> listed_;  // in the playlist
  std::deque<HlsSegment> on_disk_;
  int target_ = 1;  // EXT-X-TARGETDURATION, never decreases
  std::string playlist_;
  std::string error_;
  // fMP4 only.
  bool fmp4_ = false;
  std::string pending_;  // bytes not yet a whole top-level box
  std::string init_;     // ftyp + moov
  fmp4::Track track_;
  std::string moof_;     // the fragment's moof, waiting for its mdat
  fmp4::Fragment fragment_;
  std::vector<HlsPart> open_parts_;  // of the segment being collected (number next_seq_)
  double part_target_ = 0;           // EXT-X-PART-INF PART-TARGET, never decreases
};

}  // namespace camrelay::media
