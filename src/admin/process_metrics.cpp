#include "admin/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sgeventd::admin {
namespace {

core::MetricFamily family(std::string name, std::string help, core::MetricType type, double value) {
  core::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  core::MetricSample sample;
  sample.value = value;
  f.samples.push_back(std::move(sample));
  return f;
}

// System boot in seconds since the epoch: /proc/<pid>/stat counts the start time from boot.
double bootTime() {
  std::ifstream in("/proc/stat");
  std::string word;
  while (in >> word) {
    if (word == "btime") {
      double value = 0;
      in >> value;
      return value;
    }
  }
  return 0;
}

}  // namespace

std::vector<core::MetricFamily> processMetricFamilies() {
  std::vector<core::MetricFamily> out;
  using core::MetricType;
  std::ifstream statFile("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const auto close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    for (std::string field; fields >> field;) {
      f.push_back(field);
    }
    // f[0] is field 3 (state): field N is f[N - 3].
    if (f.size() > 21) {
      const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
      const double cpu = (std::stod(f[14 - 3]) + std::stod(f[15 - 3])) / ticks;
      out.push_back(family("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
                           MetricType::Counter, cpu));
      out.push_back(family("process_start_time_seconds",
                           "Start time of the process since the Unix epoch, in seconds.", MetricType::Gauge,
                           bootTime() + std::stod(f[22 - 3]) / ticks));
      out.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
                           std::stod(f[23 - 3])));
      out.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.",
                           MetricType::Gauge,
                           std::stod(f[24 - 3]) * static_cast<double>(::sysconf(_SC_PAGESIZE))));
    }
  }
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  if (!ec) {
    out.push_back(family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds));
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(family("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
                         static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

}  // namespace sgeventd::admin
