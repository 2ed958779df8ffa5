#pragma once
// Private to the service. A camera's totals since the daemon started (GET /metrics), kept
// by its CameraPath: they never go backwards although pipelines end, sources are rebuilt
// inside a pipeline (their own figures start again from zero) and readers leave.
//   - the stream's figures (frames, bytes, drops, restarts, RTCP sent to the camera):
//     sampled once a second and when the pipeline ends; a figure that went down was reset
//     (a new pipeline or source), so what it had reached is banked;
//   - the readers' figures (bytes out, drops, keyframe requests): a leaving reader's last
//     figures are banked.
// All on the path's strand.
#include <cstdint>
#include <map>
#include <string>

#include "camrelay/model/figures.hpp"
#include "camrelay/model/source_figures.hpp"
#include "camrelay/service/stream_manager.hpp"

namespace camrelay::service {

// A counter read from something that may start again from zero.
class Monotonic {
 public:
  std::uint64_t value(std::uint64_t raw) const { return raw >= last_ ? base_ + raw : base_ + last_ + raw; }
  void update(std::uint64_t raw) {
    if (raw < last_) base_ += last_;
    last_ = raw;
  }
  void end() {  // the thing counted is gone: the next reading starts from zero
    base_ += last_;
    last_ = 0;
  }

 private:
  std::uint64_t base_ = 0, last_ = 0;
};

class PathCounters {
 public:
  // `stats`/`source`: the running pipeline's figures (nullptr: none running).
  void sample(const model::StreamStats& stats, const model::SourceFigures& source);
  void pipeline_ended(const model::StreamStats& stats, const model::SourceFigures& source);
  void reader_joined(ReaderKind kind);
  void reader_left(const ViewerInfo& last);
  // The totals: banked figures plus the running pipeline's (if any) and the present readers'.
  model::StreamCounters total(const model::StreamStats* stats, const model::SourceFigures* source,
                              const std::map<std::string, ViewerInfo>& readers) const;

 private:
  struct StreamPart {
    std::uint64_t frames = 0, keyframes = 0, bytes = 0, drops = 0, restarts = 0, key_requests = 0, rembs = 0;
  };
  static StreamPart read(const model::StreamStats& stats, const model::SourceFigures& source);
  Monotonic frames_, keyframes_, bytes_, drops_, restarts_, key_requests_, rembs_;
  model::StreamCounters readers_;  // banked figures of readers that left (+ joins)
};

// A reader's share of the totals (bytes out, drops, keyframe requests), by its kind.
void add_reader_figures(model::StreamCounters& c, const ViewerInfo& v);

// What the totals grew by since `base` was taken (a session's figures).
model::StreamCounters since(const model::StreamCounters& now, const model::StreamCounters& base);

}  // namespace camrelay::service
