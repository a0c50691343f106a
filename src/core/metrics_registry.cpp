#include "core/metrics_registry.h"

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace sgeventd::core {
namespace {

void atomicAdd(std::atomic<double>& target, double by) { target.fetch_add(by, std::memory_order_relaxed); }

class NullCounter final : public Counter {
 public:
  void inc(double) override {}
};
class NullGauge final : public Gauge {
 public:
  void set(double) override {}
  void add(double) override {}
};
class NullHistogram final : public Histogram {
 public:
  void observe(double) override {}
};

class DiscardMetrics final : public Metrics {
 public:
  CounterPtr counter(const std::string&, const std::string&, const MetricLabels&) override {
    return counter_;
  }
  GaugePtr gauge(const std::string&, const std::string&, const MetricLabels&) override { return gauge_; }
  HistogramPtr histogram(const std::string&, const std::string&, const std::vector<double>&,
                         const MetricLabels&) override {
    return histogram_;
  }

 private:
  CounterPtr counter_ = std::make_shared<NullCounter>();
  GaugePtr gauge_ = std::make_shared<NullGauge>();
  HistogramPtr histogram_ = std::make_shared<NullHistogram>();
};

}  // namespace

MetricsPtr discardMetrics() { return std::make_shared<DiscardMetrics>(); }

const std::vector<double>& durationBuckets() {
  static const std::vector<double> bounds{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60};
  return bounds;
}

// One series: whichever of the three roles its family has. Values are atomics, so recording never locks.
struct MetricsRegistry::Series final : Counter, Gauge, Histogram {
  explicit Series(std::vector<double> b) : bounds(std::move(b)), buckets(bounds.size() + 1) {}

  void inc(double by) override { atomicAdd(value, by); }
  void set(double v) override { value.store(v, std::memory_order_relaxed); }
  void add(double by) override { atomicAdd(value, by); }
  void observe(double v) override {
    const auto at = std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin();
    buckets[static_cast<std::size_t>(at)].fetch_add(1, std::memory_order_relaxed);
    atomicAdd(sum, v);
    count.fetch_add(1, std::memory_order_relaxed);
  }

  std::vector<double> bounds;
  std::atomic<double> value{0};
  std::vector<std::atomic<std::uint64_t>> buckets;  // not cumulative; the snapshot accumulates
  std::atomic<double> sum{0};
  std::atomic<std::uint64_t> count{0};
};

std::shared_ptr<MetricsRegistry::Series> MetricsRegistry::find(const std::string& name,
                                                               const std::string& help, MetricType type,
                                                               const std::vector<double>& bounds,
                                                               const MetricLabels& labels) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = families_.try_emplace(name, Family{help, type, bounds, {}});
  if (!inserted && it->second.type != type) {
    // Two rooms disagreeing on a metric's type is a programming error, caught by the first test that runs it.
    throw std::logic_error("metric " + name + " registered with two types");
  }
  auto& series = it->second.series[labels];
  if (!series) {
    series = std::make_shared<Series>(it->second.bounds);
  }
  return series;
}

CounterPtr MetricsRegistry::counter(const std::string& name, const std::string& help,
                                    const MetricLabels& labels) {
  return find(name, help, MetricType::Counter, {}, labels);
}

GaugePtr MetricsRegistry::gauge(const std::string& name, const std::string& help,
                                const MetricLabels& labels) {
  return find(name, help, MetricType::Gauge, {}, labels);
}

HistogramPtr MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                        const std::vector<double>& bounds, const MetricLabels& labels) {
  return find(name, help, MetricType::Histogram, bounds, labels);
}

std::vector<MetricFamily> MetricsRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<MetricFamily> out;
  for (const auto& [name, family] : families_) {
    MetricFamily f{name, family.help, family.type, family.bounds, {}};
    for (const auto& [labels, series] : family.series) {
      MetricSample sample;
      sample.labels = labels;
      sample.value = series->value.load(std::memory_order_relaxed);
      if (family.type == MetricType::Histogram) {
        double running = 0;
        for (const auto& bucket : series->buckets) {
          running += static_cast<double>(bucket.load(std::memory_order_relaxed));
          sample.bucketCounts.push_back(running);
        }
        sample.sum = series->sum.load(std::memory_order_relaxed);
        sample.count = static_cast<double>(series->count.load(std::memory_order_relaxed));
      }
      f.samples.push_back(std::move(sample));
    }
    out.push_back(std::move(f));
  }
  return out;
}

double MetricsRegistry::value(const std::string& name, const MetricLabels& labels) const {
  std::lock_guard lock(mutex_);
  auto family = families_.find(name);
  if (family == families_.end()) {
    return 0;
  }
  auto series = family->second.series.find(labels);
  if (series == family->second.series.end()) {
    return 0;
  }
  if (family->second.type == MetricType::Histogram) {
    return static_cast<double>(series->second->count.load(std::memory_order_relaxed));
  }
  return series->second->value.load(std::memory_order_relaxed);
}

}  // namespace sgeventd::core
