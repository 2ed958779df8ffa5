// A camera's totals since the daemon started (path_counters.hpp).
#include "path_counters.hpp"

namespace camrelay::service {

PathCounters::StreamPart PathCounters::read(const model::StreamStats& stats, const model::SourceFigures& source) {
  StreamPart p;
  p.frames = stats.frames;
  p.keyframes = stats.keyframes;
  p.bytes = stats.bytes;
  p.drops = stats.dropped_sink_buffers;
  p.restarts = source.restarts;
  if (const auto* rtsp = std::get_if<model::RtspFigures>(&source.source)) p.restarts += rtsp->reconnects;
  if (const auto* rtp = std::get_if<model::RtpFigures>(&source.source)) {
    p.key_requests = rtp->plis_sent + rtp->firs_sent;
    p.rembs = rtp->rembs_sent;
  }
  return p;
}

void PathCounters::sample(const model::StreamStats& stats, const model::SourceFigures& source) {
  const StreamPart p = read(stats, source);
  frames_.update(p.frames);
  keyframes_.update(p.keyframes);
  bytes_.update(p.bytes);
  drops_.update(p.drops);
  // Restarts and RTCP counts: the source's own figures start again when it is rebuilt,
  // while the stream's restart count goes on; their sum may dip once and is banked then.
  restarts_.update(p.restarts);
  key_requests_.update(p.key_requests);
  rembs_.update(p.rembs);
}

void PathCounters::pipeline_ended(const model::StreamStats& stats, const model::SourceFigures& source) {
  sample(stats, source);
  for (auto* m : {&frames_, &keyframes_, &bytes_, &drops_, &restarts_, &key_requests_, &rembs_}) m->end();
}

void PathCounters::reader_joined(ReaderKind kind) { ++readers_.readers_joined[std::string(protocol_of(kind))]; }

void PathCounters::reader_left(const ViewerInfo& last) { add_reader_figures(readers_, last); }

void add_reader_figures(model::StreamCounters& c, const ViewerInfo& v) {
  const std::string proto(protocol_of(v.kind));
  if (v.kind == ReaderKind::webrtc || v.kind == ReaderKind::whep) {
    c.bytes_out[proto] += v.stats.bytes_sent;
    c.reader_drops += v.stats.dropped_buffers;
    c.keyframe_requests_from_viewers += v.stats.keyframe_requests;
  } else {
    c.bytes_out[proto] += v.http.bytes_sent;
    c.reader_drops += v.http.frames_skipped;
  }
}

model::StreamCounters since(const model::StreamCounters& now, const model::StreamCounters& base) {
  model::StreamCounters d = now;
  d.frames_in -= base.frames_in;
  d.keyframes_in -= base.keyframes_in;
  d.bytes_in -= base.bytes_in;
  d.pipeline_drops -= base.pipeline_drops;
  d.reader_drops -= base.reader_drops;
  d.keyframe_requests_from_viewers -= base.keyframe_requests_from_viewers;
  d.keyframe_requests_to_camera -= base.keyframe_requests_to_camera;
  d.rembs_sent -= base.rembs_sent;
  d.source_restarts -= base.source_restarts;
  auto minus = [](std::map<std::string, std::uint64_t>& m, const std::map<std::string, std::uint64_t>& b) {
    for (auto& [proto, v] : m) {
      if (auto it = b.find(proto); it != b.end()) v -= it->second;
    }
  };
  minus(d.bytes_out, base.bytes_out);
  minus(d.readers_joined, base.readers_joined);
  return d;
}

model::StreamCounters PathCounters::total(const model::StreamStats* stats, const model::SourceFigures* source,
                                          const std::map<std::string, ViewerInfo>& readers) const {
  const StreamPart p = stats && source ? read(*stats, *source) : StreamPart{};
  model::StreamCounters c = readers_;
  c.frames_in = frames_.value(p.frames);
  c.keyframes_in = keyframes_.value(p.keyframes);
  c.bytes_in = bytes_.value(p.bytes);
  c.pipeline_drops = drops_.value(p.drops);
  c.source_restarts = restarts_.value(p.restarts);
  c.keyframe_requests_to_camera = key_requests_.value(p.key_requests);
  c.rembs_sent = rembs_.value(p.rembs);
  for (const auto& [id, v] : readers) add_reader_figures(c, v);
  return c;
}

}  // namespace camrelay::service
