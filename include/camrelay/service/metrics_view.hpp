#pragma once
// The cameras' figures as Prometheus metric families (GET /metrics), read at scrape time
// from the streams' snapshots; the names, units and labels are listed in
// docs/observability.md.
#include <prometheus/metric_family.h>

#include <vector>

#include "camrelay/service/stream_manager.hpp"

namespace camrelay::service {

std::vector<prometheus::MetricFamily> metric_families(const std::vector<StreamInfo>& streams,
                                                      const HealthInfo& health);

}  // namespace camrelay::service
