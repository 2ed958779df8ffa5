// A camera's totals since the daemon started (src/service/path_counters.hpp): never
// backwards when a source's own figures start again, a pipeline ends, or a reader leaves.
#include <gtest/gtest.h>

#include "path_counters.hpp"

using namespace camrelay;
using namespace camrelay::service;

namespace {

model::SourceFigures rtsp(std::uint64_t stream_restarts, std::uint64_t reconnects) {
  model::SourceFigures f;
  f.restarts = stream_restarts;
  model::RtspFigures r;
  r.reconnects = reconnects;
  f.source = r;
  return f;
}

TEST(Monotonic, ARawCounterThatStartsAgainIsBanked) {
  Monotonic m;
  m.update(5);
  EXPECT_EQ(m.value(7), 7u);
  m.update(7);
  EXPECT_EQ(m.value(2), 9u);  // reset to 0 and counted 2 since
  m.update(2);
  EXPECT_EQ(m.value(3), 10u);
  m.end();
  EXPECT_EQ(m.value(0), 9u);  // ended at 2 (the last update): 7 + 2
}

TEST(PathCounters, ARebuiltSourceDoesNotTakeItsReconnectsAlong) {
  PathCounters c;
  model::StreamStats s;
  s.frames = 100;
  c.sample(s, rtsp(0, 3));  // three RTSP reconnects inside the first source
  std::map<std::string, ViewerInfo> none;
  // Without a running pipeline's figures: what was last sampled.
  EXPECT_EQ(c.total(nullptr, nullptr, none).source_restarts, 3u);
  EXPECT_EQ(c.total(nullptr, nullptr, none).frames_in, 100u);
  const auto src1 = rtsp(0, 3);
  EXPECT_EQ(c.total(&s, &src1, none).source_restarts, 3u);
  // The stream rebuilds the source: its restart count goes to 1, the new source has 0 reconnects.
  const auto src2 = rtsp(1, 0);
  s.frames = 150;
  c.sample(s, src2);
  EXPECT_EQ(c.total(&s, &src2, none).source_restarts, 4u);
  // The pipeline ends; a new one starts from zero frames.
  c.pipeline_ended(s, src2);
  model::StreamStats fresh;
  fresh.frames = 10;
  const auto src3 = rtsp(0, 0);
  const auto t = c.total(&fresh, &src3, none);
  EXPECT_EQ(t.frames_in, 160u);
  EXPECT_EQ(t.source_restarts, 4u);
}

TEST(PathCounters, ReadersBankTheirFiguresWhenTheyLeave) {
  PathCounters c;
  ViewerInfo w;
  w.kind = ReaderKind::whep;
  w.stats.bytes_sent = 1000;
  w.stats.dropped_buffers = 4;
  w.stats.keyframe_requests = 2;
  ViewerInfo mj;
  mj.kind = ReaderKind::mjpeg;
  mj.http.bytes_sent = 500;
  mj.http.frames_skipped = 3;
  c.reader_joined(ReaderKind::whep);
  c.reader_joined(ReaderKind::mjpeg);
  std::map<std::string, ViewerInfo> present{{"w", w}, {"m", mj}};
  auto t = c.total(nullptr, nullptr, present);
  EXPECT_EQ(t.bytes_out.at("webrtc"), 1000u);
  EXPECT_EQ(t.bytes_out.at("mjpeg"), 500u);
  EXPECT_EQ(t.reader_drops, 7u);
  EXPECT_EQ(t.keyframe_requests_from_viewers, 2u);
  EXPECT_EQ(t.readers_joined.at("webrtc"), 1u);
  c.reader_left(w);
  present.erase("w");
  t = c.total(nullptr, nullptr, present);
  EXPECT_EQ(t.bytes_out.at("webrtc"), 1000u);
  EXPECT_EQ(t.reader_drops, 7u);
}

}  // namespace
