// The text exposition: exact output for each metric type, escaping, and Prometheus' own parser
// (`promtool check metrics`) on the /metrics of a server with every kind of series in it.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "../support/temp_dir.h"
#include "admin/process_metrics.h"
#include "admin/prometheus_text.h"
#include "support.h"

using sgeventd::admin::encodePrometheus;
using sgeventd::admin::escapeLabelValue;
using sgeventd::admin::formatSampleValue;

namespace {

// Runs promtool with `input` on stdin; its exit code, and what it printed in `output`.
int promtool(const std::string& args, const std::string& input, std::string& output) {
  sgeventd::testing::TempDir dir;
  const std::string in = dir.file("in.txt");
  std::ofstream(in) << input;
  const std::string command = "/usr/bin/promtool " + args + " < " + in + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return -1;
  }
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    output += buffer;
  }
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST(PrometheusText, CounterGaugeAndHistogram) {
  sgeventd::core::MetricsRegistry registry;
  registry.counter("sgeventd_events_fetched_total", "Events read.")->inc(3);
  registry.gauge("sgeventd_queue_depth_events", "Held events.")->set(2.5);
  auto h = registry.histogram("sgeventd_plugin_callback_duration_seconds", "Callback time.", {0.1, 1},
                              {{"plugin", "a"}});
  h->observe(0.05);
  h->observe(0.5);
  h->observe(5);
  EXPECT_EQ(encodePrometheus(registry.snapshot()),
            "# HELP sgeventd_events_fetched_total Events read.\n"
            "# TYPE sgeventd_events_fetched_total counter\n"
            "sgeventd_events_fetched_total 3\n"
            "# HELP sgeventd_plugin_callback_duration_seconds Callback time.\n"
            "# TYPE sgeventd_plugin_callback_duration_seconds histogram\n"
            "sgeventd_plugin_callback_duration_seconds_bucket{plugin=\"a\",le=\"0.1\"} 1\n"
            "sgeventd_plugin_callback_duration_seconds_bucket{plugin=\"a\",le=\"1\"} 2\n"
            "sgeventd_plugin_callback_duration_seconds_bucket{plugin=\"a\",le=\"+Inf\"} 3\n"
            "sgeventd_plugin_callback_duration_seconds_sum{plugin=\"a\"} 5.55\n"
            "sgeventd_plugin_callback_duration_seconds_count{plugin=\"a\"} 3\n"
            "# HELP sgeventd_queue_depth_events Held events.\n"
            "# TYPE sgeventd_queue_depth_events gauge\n"
            "sgeventd_queue_depth_events 2.5\n");
}

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  sgeventd::core::MetricsRegistry registry;
  registry.counter("sgeventd_x_total", "line one\nback\\slash \"quoted\"", {{"plugin", "we\"ird\\name\n"}})
      ->inc();
  EXPECT_EQ(encodePrometheus(registry.snapshot()),
            "# HELP sgeventd_x_total line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE sgeventd_x_total counter\n"
            "sgeventd_x_total{plugin=\"we\\\"ird\\\\name\\n\"} 1\n");
}

TEST(PrometheusText, SampleValues) {
  EXPECT_EQ(formatSampleValue(0), "0");
  EXPECT_EQ(formatSampleValue(1234567890123.0), "1234567890123");
  EXPECT_EQ(formatSampleValue(0.25), "0.25");
  EXPECT_EQ(formatSampleValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(formatSampleValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(formatSampleValue(0.0 / 0.0), "NaN");
}

TEST(PrometheusText, ProcessMetricsAreRead) {
  const auto families = sgeventd::admin::processMetricFamilies();
  std::map<std::string, double> values;
  for (const auto& f : families) {
    ASSERT_EQ(f.samples.size(), 1U);
    values[f.name] = f.samples[0].value;
  }
  EXPECT_GT(values["process_resident_memory_bytes"], 1e6);
  EXPECT_GT(values["process_open_fds"], 2);
  EXPECT_GT(values["process_max_fds"], 0);
  EXPECT_GE(values["process_cpu_seconds_total"], 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(values["process_start_time_seconds"], now, 3600);
}

TEST(PrometheusText, PromtoolAcceptsTheServersMetrics) {
  sgeventd::testing::FakeDaemon d;
  auto& m = d.metrics();
  m.counter("sgeventd_events_fetched_total", "Events read from the site's event log.")->inc(10);
  m.counter("sgeventd_plugin_events_processed_total", "Events a plugin finished.", {{"plugin", "alpha"}})
      ->inc(4);
  m.histogram("sgeventd_plugin_callback_duration_seconds", "Time spent in one callback attempt.",
              sgeventd::core::durationBuckets(), {{"plugin", "alpha"}})
      ->observe(0.02);
  m.gauge("sgeventd_plugin_lag_seconds", "created_at of the head minus that of the plugin's last event.",
          {{"plugin", "we\"ird"}})
      ->set(1.5);
  auto r = d.http().Get("/metrics");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  std::string output;
  EXPECT_EQ(promtool("check metrics", r->body, output), 0) << output << "\n" << r->body;
  for (const char* family :
       {"sgeventd_ready 1", "sgeventd_build_info{version=\"9.9.9\"} 1",
        "sgeventd_plugin_active{plugin=\"alpha\"} 1", "sgeventd_plugin_active{plugin=\"beta\"} 0",
        "sgeventd_plugin_state{plugin=\"beta\",state=\"disabled\"} 1",
        "sgeventd_plugin_in_callback_seconds{plugin=\"alpha\"} 0", "process_resident_memory_bytes ",
        "process_cpu_seconds_total ", "process_open_fds ", "process_start_time_seconds ",
        "sgeventd_site_last_contact_timestamp_seconds 1796119200", "sgeventd_events_fetched_total 10"}) {
    EXPECT_NE(r->body.find(family), std::string::npos) << family << "\n" << r->body;
  }
}

TEST(PrometheusText, PromtoolAcceptsTheDocumentedAlertRules) {
  sgeventd::testing::TempDir dir;
  // The rules in docs/operations.md, between the markers, exactly as an operator copies them.
  std::ifstream doc(std::string(SGEVENTD_SOURCE_DIR) + "/docs/operations.md");
  ASSERT_TRUE(doc) << "docs/operations.md";
  std::string line;
  std::string rules;
  bool inside = false;
  while (std::getline(doc, line)) {
    if (line.find("<!-- alert rules begin -->") != std::string::npos) {
      inside = true;
      continue;
    }
    if (line.find("<!-- alert rules end -->") != std::string::npos) {
      break;
    }
    if (inside && line.rfind("```", 0) != 0) {
      rules += line + "\n";
    }
  }
  ASSERT_FALSE(rules.empty()) << "no alert rules between the markers";
  const std::string file = dir.file("rules.yml");
  std::ofstream(file) << rules;
  std::string output;
  EXPECT_EQ(promtool("check rules " + file, "", output), 0) << output << "\n" << rules;
}
