// The metrics module: instruments, families built at scrape time, the process's figures
// and the text format.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "camrelay/metrics/metrics.hpp"

using namespace camrelay;
using ::testing::HasSubstr;

namespace {

const prometheus::MetricFamily* find(const std::vector<prometheus::MetricFamily>& fs, const std::string& name) {
  for (const auto& f : fs) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(Metrics, HttpRequestsAreCountedByRouteMethodAndStatusFromManyThreads) {
  metrics::Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 250; ++i) m.observe_http("GET", "/streams/{id}", 200, 0.002);
    });
  }
  for (auto& t : threads) t.join();
  m.observe_http("POST", "/streams/{id}/start", 404, 0.5);
  const std::string text = metrics::serialize(m.collect());
  EXPECT_THAT(text, HasSubstr("camrelay_http_requests_total{method=\"GET\",route=\"/streams/{id}\",status=\"200\"} 1000"));
  EXPECT_THAT(text, HasSubstr("camrelay_http_requests_total{method=\"POST\",route=\"/streams/{id}/start\",status=\"404\"} 1"));
  EXPECT_THAT(text, HasSubstr("camrelay_http_request_duration_seconds_count{method=\"GET\",route=\"/streams/{id}\"} 1000"));
  EXPECT_THAT(text, HasSubstr("camrelay_http_request_duration_seconds_bucket{method=\"POST\",route=\"/streams/{id}/start\",le=\"0.25\"} 0"));
  EXPECT_THAT(text, HasSubstr("camrelay_http_request_duration_seconds_bucket{method=\"POST\",route=\"/streams/{id}/start\",le=\"0.5\"} 1"));
  EXPECT_THAT(text, HasSubstr("# TYPE camrelay_http_request_duration_seconds histogram"));
}

TEST(Metrics, StreamStartLatencyHistogram) {
  metrics::Metrics m;
  m.observe_stream_start("rtsp", 1.5);
  m.observe_stream_start("rtsp", 0.2);
  const auto fs = m.collect();
  const auto* f = find(fs, "camrelay_stream_start_seconds");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->metric.size(), 1u);
  EXPECT_EQ(f->metric[0].histogram.sample_count, 2u);
  EXPECT_DOUBLE_EQ(f->metric[0].histogram.sample_sum, 1.7);
}

TEST(Metrics, FamiliesBuiltAtScrapeTimeKeepTheirTypeAndLabels) {
  auto g = metrics::gauge("camrelay_viewers", "Readers");
  metrics::add(g, {{"camera", "a\"b"}, {"protocol", "hls"}}, 2);
  auto c = metrics::counter("camrelay_stream_frames_total", "Frames");
  metrics::add(c, {{"camera", "a"}}, 12345);
  const std::string text = metrics::serialize({g, c});
  EXPECT_THAT(text, HasSubstr("# TYPE camrelay_viewers gauge"));
  EXPECT_THAT(text, HasSubstr("camrelay_viewers{camera=\"a\\\"b\",protocol=\"hls\"} 2"));  // escaped quote
  EXPECT_THAT(text, HasSubstr("# TYPE camrelay_stream_frames_total counter"));
  EXPECT_THAT(text, HasSubstr("camrelay_stream_frames_total{camera=\"a\"} 12345"));
}

TEST(Metrics, ProcessFiguresComeFromProc) {
  const auto fs = metrics::process_families();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_threads", "process_start_time_seconds", "process_open_fds", "process_max_fds"}) {
    const auto* f = find(fs, name);
    ASSERT_NE(f, nullptr) << name;
    ASSERT_EQ(f->metric.size(), 1u) << name;
  }
  EXPECT_GT(find(fs, "process_resident_memory_bytes")->metric[0].gauge.value, 1e5);
  EXPECT_GE(find(fs, "process_threads")->metric[0].gauge.value, 1);
  EXPECT_GE(find(fs, "process_open_fds")->metric[0].gauge.value, 3);  // stdin, stdout, stderr
  // Started in the last day (unix seconds, not seconds since boot).
  const double start = find(fs, "process_start_time_seconds")->metric[0].gauge.value;
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 86400);
}

}  // namespace
