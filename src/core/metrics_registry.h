#pragma once
// The in-process metrics store: every series lives here, and a snapshot of all of them is what the
// Prometheus exposition (the admin API) and the tests read.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/metrics.h"

namespace sgeventd::core {

enum class MetricType { Counter, Gauge, Histogram };

struct MetricSample {
  MetricLabels labels;
  double value = 0;                  // counter and gauge
  std::vector<double> bucketCounts;  // histogram: cumulative count per bound, then +Inf
  double sum = 0;                    // histogram
  double count = 0;                  // histogram
};

struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::Counter;
  std::vector<double> bounds;  // histogram
  std::vector<MetricSample> samples;
};

class MetricsRegistry final : public Metrics {
 public:
  CounterPtr counter(const std::string& name, const std::string& help,
                     const MetricLabels& labels = {}) override;
  GaugePtr gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {}) override;
  HistogramPtr histogram(const std::string& name, const std::string& help, const std::vector<double>& bounds,
                         const MetricLabels& labels = {}) override;

  // Every family sorted by name, each with its series sorted by labels.
  std::vector<MetricFamily> snapshot() const;
  // One series' value (a counter or gauge); 0 when it does not exist. For tests and status lines.
  double value(const std::string& name, const MetricLabels& labels = {}) const;

 private:
  struct Series;
  struct Family {
    std::string help;
    MetricType type;
    std::vector<double> bounds;
    std::map<MetricLabels, std::shared_ptr<Series>> series;
  };
  std::shared_ptr<Series> find(const std::string& name, const std::string& help, MetricType type,
                               const std::vector<double>& bounds, const MetricLabels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

}  // namespace sgeventd::core
