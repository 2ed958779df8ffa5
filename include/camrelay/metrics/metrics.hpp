#pragma once
// The daemon's own instruments for GET /metrics (Prometheus text exposition format, with
// the prometheus-cpp core library): what can only be measured as it happens — HTTP requests
// by route, method and status with their latency, and how long streams take to start.
// Everything else (streams, readers, bytes, frames, REMB, the process) is read at scrape
// time from its owner (service/metrics_view.hpp, process_families() below).
// Thread-safe: observed from any thread.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace camrelay::metrics {

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered request: `route` is the router's pattern ("/streams/{id}"), never the raw
  // path (the label set stays small); "unmatched" for paths no route serves.
  void observe_http(std::string_view method, std::string_view route, int status, double seconds);
  // A stream's first frame reached its tee this long after the start was asked for.
  void observe_stream_start(std::string_view source_type, double seconds);

  std::vector<prometheus::MetricFamily> collect() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Family<prometheus::Histogram>* http_seconds_;
  prometheus::Family<prometheus::Histogram>* start_seconds_;
};

// Families filled at scrape time: one per name, samples added with their labels.
using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;
prometheus::MetricFamily gauge(std::string name, std::string help);
prometheus::MetricFamily counter(std::string name, std::string help);
void add(prometheus::MetricFamily& f, Labels labels, double value);

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds, process_threads — the
// names every Prometheus client library uses — read from /proc/self.
std::vector<prometheus::MetricFamily> process_families();

// The text exposition format (version 0.0.4).
std::string serialize(const std::vector<prometheus::MetricFamily>& families);
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace camrelay::metrics
