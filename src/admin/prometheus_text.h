#pragma once
// The Prometheus text exposition format (version 0.0.4) of a metrics snapshot, written by us because
// Debian has no prometheus-cpp: HELP and TYPE lines, escaped label values, histograms as cumulative
// _bucket series with `le`, then _sum and _count.
#include <string>
#include <vector>

#include "core/metrics_registry.h"

namespace sgeventd::admin {

// The content type Prometheus expects for this format.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// Families in the order given; each family's name is written as is (counters already end in _total).
std::string encodePrometheus(const std::vector<core::MetricFamily>& families);

// A label value with backslash, double quote and newline escaped, as the format requires.
std::string escapeLabelValue(const std::string& value);

// A sample value: integers without a fraction, "+Inf", "-Inf", "NaN".
std::string formatSampleValue(double value);

}  // namespace sgeventd::admin
