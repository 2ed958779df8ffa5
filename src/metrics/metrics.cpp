#include "camrelay/metrics/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace camrelay::metrics {
namespace {
// Seconds: API calls are milliseconds (a WHEP offer waits for ICE gathering: up to seconds).
const prometheus::Histogram::BucketBoundaries kHttpBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                              0.1,   0.25,   0.5,   1,    2.5,   5, 10};
// A stream start: the pipeline, the camera's connection and its first keyframe.
const prometheus::Histogram::BucketBoundaries kStartBuckets = {0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20};
}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  http_requests_ = &prometheus::BuildCounter()
                        .Name("camrelay_http_requests_total")
                        .Help("HTTP requests answered, by route pattern, method and status code")
                        .Register(*registry_);
  http_seconds_ = &prometheus::BuildHistogram()
                       .Name("camrelay_http_request_duration_seconds")
                       .Help("Time from a request's arrival to its response, by route pattern and method")
                       .Register(*registry_);
  start_seconds_ = &prometheus::BuildHistogram()
                        .Name("camrelay_stream_start_seconds")
                        .Help("Time from a stream's start to its first frame, by source type")
                        .Register(*registry_);
}

void Metrics::observe_http(std::string_view method, std::string_view route, int status, double seconds) {
  const std::string m(method), r(route);
  http_requests_->Add({{"method", m}, {"route", r}, {"status", std::to_string(status)}}).Increment();
  http_seconds_->Add({{"method", m}, {"route", r}}, kHttpBuckets).Observe(seconds);
}

void Metrics::observe_stream_start(std::string_view source_type, double seconds) {
  start_seconds_->Add({{"source", std::string(source_type)}}, kStartBuckets).Observe(seconds);
}

std::vector<prometheus::MetricFamily> Metrics::collect() const { return registry_->Collect(); }

prometheus::MetricFamily gauge(std::string name, std::string help) {
  return {std::move(name), std::move(help), prometheus::MetricType::Gauge, {}};
}

prometheus::MetricFamily counter(std::string name, std::string help) {
  return {std::move(name), std::move(help), prometheus::MetricType::Counter, {}};
}

void add(prometheus::MetricFamily& f, Labels labels, double value) {
  prometheus::ClientMetric m;
  for (const auto& [k, v] : labels) m.label.push_back({std::string(k), std::string(v)});
  if (f.type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

std::string serialize(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace camrelay::metrics
