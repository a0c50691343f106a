#pragma once
// The process_* families Prometheus' client libraries export by convention (resident memory, CPU
// seconds, open and maximum fds, start time), read from /proc at each scrape.
#include <vector>

#include "core/metrics_registry.h"

namespace sgeventd::admin {

// Empty families are left out (a /proc file that cannot be read).
std::vector<core::MetricFamily> processMetricFamilies();

}  // namespace sgeventd::admin
