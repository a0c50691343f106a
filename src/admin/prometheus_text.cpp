#include "admin/prometheus_text.h"

#include <fmt/format.h>

#include <cmath>

namespace sgeventd::admin {
namespace {

std::string_view typeName(core::MetricType type) {
  switch (type) {
    case core::MetricType::Counter:
      return "counter";
    case core::MetricType::Gauge:
      return "gauge";
    case core::MetricType::Histogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes only backslash and newline (quotes stay as they are there).
std::string escapeHelp(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void writeLabels(std::string& out, const core::MetricLabels& labels, const char* extraName = nullptr,
                 const std::string& extraValue = {}) {
  if (labels.empty() && extraName == nullptr) {
    return;
  }
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += name;
    out += "=\"";
    out += escapeLabelValue(value);
    out += '"';
  }
  if (extraName != nullptr) {
    if (!first) {
      out += ',';
    }
    out += extraName;
    out += "=\"";
    out += extraValue;
    out += '"';
  }
  out += '}';
}

void writeSample(std::string& out, const std::string& name, const core::MetricLabels& labels, double value,
                 const char* extraName = nullptr, const std::string& extraValue = {}) {
  out += name;
  writeLabels(out, labels, extraName, extraValue);
  out += ' ';
  out += formatSampleValue(value);
  out += '\n';
}

}  // namespace

std::string escapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string formatSampleValue(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  // Counts and ids up to 2^53 are written whole; "{}" would write 1e+16 for some of them.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return fmt::format("{}", static_cast<long long>(value));
  }
  return fmt::format("{}", value);
}

std::string encodePrometheus(const std::vector<core::MetricFamily>& families) {
  std::string out;
  out.reserve(families.size() * 256);
  for (const auto& family : families) {
    if (!family.help.empty()) {
      out += "# HELP " + family.name + ' ' + escapeHelp(family.help) + '\n';
    }
    out += "# TYPE " + family.name + ' ' + std::string(typeName(family.type)) + '\n';
    for (const auto& sample : family.samples) {
      if (family.type != core::MetricType::Histogram) {
        writeSample(out, family.name, sample.labels, sample.value);
        continue;
      }
      const std::string bucket = family.name + "_bucket";
      for (std::size_t i = 0; i < sample.bucketCounts.size(); ++i) {
        const std::string le = i < family.bounds.size() ? formatSampleValue(family.bounds[i]) : "+Inf";
        writeSample(out, bucket, sample.labels, sample.bucketCounts[i], "le", le);
      }
      if (sample.bucketCounts.size() <= family.bounds.size()) {
        // Every histogram has a +Inf bucket, equal to its count.
        writeSample(out, bucket, sample.labels, sample.count, "le", "+Inf");
      }
      writeSample(out, family.name + "_sum", sample.labels, sample.sum);
      writeSample(out, family.name + "_count", sample.labels, sample.count);
    }
  }
  return out;
}

}  // namespace sgeventd::admin
