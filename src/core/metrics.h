#pragma once
// The metrics interface every room records into, injected like the LogFactory. Names follow Prometheus'
// conventions (base units, `_total` counters, an `sgeventd_` prefix); the admin API exposes them.
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sgeventd::core {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  virtual ~Counter() = default;
  virtual void inc(double by = 1) = 0;
};

class Gauge {
 public:
  virtual ~Gauge() = default;
  virtual void set(double value) = 0;
  virtual void add(double by) = 0;
};

class Histogram {
 public:
  virtual ~Histogram() = default;
  virtual void observe(double value) = 0;
};

using CounterPtr = std::shared_ptr<Counter>;
using GaugePtr = std::shared_ptr<Gauge>;
using HistogramPtr = std::shared_ptr<Histogram>;

// Asking twice for the same name and labels returns the same series, so a component that restarts (a
// reloaded plugin's lane) keeps counting where it was. Series are looked up once and kept: recording is
// then a relaxed atomic add, cheap enough for the per-event path.
class Metrics {
 public:
  virtual ~Metrics() = default;
  virtual CounterPtr counter(const std::string& name, const std::string& help,
                             const MetricLabels& labels = {}) = 0;
  virtual GaugePtr gauge(const std::string& name, const std::string& help,
                         const MetricLabels& labels = {}) = 0;
  // `bounds`: the upper bounds of the buckets, ascending (a +Inf bucket is implied).
  virtual HistogramPtr histogram(const std::string& name, const std::string& help,
                                 const std::vector<double>& bounds, const MetricLabels& labels = {}) = 0;
};
using MetricsPtr = std::shared_ptr<Metrics>;

// Records nothing: for tools and tests that do not look at metrics.
MetricsPtr discardMetrics();

// Bucket bounds for callback durations in seconds, from 1 ms to a minute.
const std::vector<double>& durationBuckets();

}  // namespace sgeventd::core
