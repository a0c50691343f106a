#include "engine/member.h"

namespace sgeventd::engine {

MemberMetrics MemberMetrics::create(core::Metrics& metrics, const plugins::PluginId& id) {
  const core::MetricLabels labels{{"plugin", id.name}};
  return MemberMetrics{
      metrics.counter("sgeventd_plugin_events_processed_total", "Events a plugin finished.", labels),
      metrics.counter("sgeventd_plugin_callback_failures_total", "Failed callback attempts.", labels),
      metrics.counter("sgeventd_plugin_callback_retries_total", "Failed callback attempts tried again.",
                      labels),
      metrics.counter("sgeventd_plugin_events_skipped_total",
                      "Events given up on after failing with stopOnError off.", labels),
      metrics.histogram("sgeventd_plugin_callback_duration_seconds", "Time spent in one callback attempt.",
                        core::durationBuckets(), labels),
      metrics.gauge("sgeventd_plugin_lag_events", "Events between the head and the plugin's position.",
                    labels),
      metrics.gauge("sgeventd_plugin_lag_seconds",
                    "created_at of the head minus that of the plugin's last event.", labels),
  };
}

}  // namespace sgeventd::engine
