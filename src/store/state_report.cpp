#include "store/state_report.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

namespace sgeventd::store {

namespace {

using Row = std::vector<std::string>;

std::string renderTable(const Row& header, const std::vector<Row>& rows) {
  std::vector<std::size_t> widths(header.size(), 0);
  auto measure = [&](const Row& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  measure(header);
  std::for_each(rows.begin(), rows.end(), measure);
  std::ostringstream out;
  auto print = [&](const Row& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line += std::string(widths[i] - row[i].size() + 2, ' ');
      }
    }
    out << line << '\n';
  };
  print(header);
  std::for_each(rows.begin(), rows.end(), print);
  return out.str();
}

std::string gapText(const GapRange& gap, TimePoint now) {
  std::string ids = gap.first == gap.last ? std::to_string(gap.first)
                                          : std::to_string(gap.first) + "-" + std::to_string(gap.last);
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(gap.expires - now);
  return ids + (left.count() > 0 ? " (expires in " + shortDuration(left) + ")" : " (expired)");
}

// 500,000 ranges on one line is 41 MB nobody reads: past kGapRangesListed, the count of ranges and ids,
// then the first and last three.
std::string gapsText(const std::vector<GapRange>& gaps, TimePoint now, bool all) {
  std::string out;
  const auto join = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      out += (i == from ? "" : ", ") + gapText(gaps[i], now);
    }
  };
  if (all || gaps.size() <= kGapRangesListed) {
    join(0, gaps.size());
    return out;
  }
  std::uint64_t ids = 0;
  for (const auto& gap : gaps) {
    ids += static_cast<std::uint64_t>(gap.last - gap.first) + 1;
  }
  const std::size_t edge = kGapRangesListed / 2;
  out = std::to_string(gaps.size()) + " ranges, " + std::to_string(ids) + " ids: ";
  join(0, edge);
  out += ", ... ";
  join(gaps.size() - edge, gaps.size());
  return out + " (--all-gaps lists every one)";
}

std::string localTime(TimePoint t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::string oneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  constexpr std::size_t kMax = 100;
  if (text.size() > kMax) {
    text = text.substr(0, kMax - 3) + "...";
  }
  return text;
}

}  // namespace

std::string shortDuration(std::chrono::seconds duration) {
  long long s = std::max<long long>(0, duration.count());
  auto two = [](long long v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  if (s < 60) {
    return std::to_string(s) + "s";
  }
  if (s < 3600) {
    return std::to_string(s / 60) + "m" + two(s % 60) + "s";
  }
  if (s < 86400) {
    return std::to_string(s / 3600) + "h" + two(s % 3600 / 60) + "m";
  }
  return std::to_string(s / 86400) + "d" + two(s % 86400 / 3600) + "h";
}

Expected<std::string> renderStateTable(StateStore& store, TimePoint now, const StateTableOptions& options) {
  auto checkpoints = store.loadCheckpoints();
  if (!checkpoints) {
    return tl::unexpected(checkpoints.error());
  }
  auto statuses = store.pluginStatuses();
  if (!statuses) {
    return tl::unexpected(statuses.error());
  }
  auto head = store.head();
  if (!head) {
    return tl::unexpected(head.error());
  }
  using Key = std::pair<std::string, std::string>;
  std::map<Key, const Checkpoint*> byPlugin;
  std::map<Key, const PluginStatus*> statusByPlugin;
  for (const auto& checkpoint : *checkpoints) {
    byPlugin[{checkpoint.collection, checkpoint.plugin}] = &checkpoint;
  }
  for (const auto& status : *statuses) {
    statusByPlugin[{status.collection, status.plugin}] = &status;
    byPlugin.try_emplace({status.collection, status.plugin}, nullptr);
  }
  std::vector<Row> rows;
  for (const auto& [key, checkpoint] : byPlugin) {
    Row row{key.first, key.second, "-", "-", "-", "active"};
    if (checkpoint != nullptr) {
      row[2] = std::to_string(checkpoint->cursor);
      if (*head) {
        row[3] = std::to_string(**head - checkpoint->cursor);
      }
      if (!checkpoint->gaps.empty()) {
        row[4] = gapsText(checkpoint->gaps, now, options.allGaps);
      }
    }
    if (auto it = statusByPlugin.find(key); it != statusByPlugin.end()) {
      const auto& status = *it->second;
      row[5] = std::string(pluginStateName(status.state));
      if (status.state != PluginState::Active && !status.reason.empty()) {
        row[5] += ": " + oneLine(status.reason);
      }
    }
    if (options.fileExists && options.fileExists(key.first, key.second) == std::optional<bool>(false)) {
      row[5] = "removed: no plugin file in its folder (was " + row[5] + ")";
    }
    rows.push_back(std::move(row));
  }
  std::string text = "state database: " + store.path() + "\n";
  text += "fetcher head: " + (*head ? std::to_string(**head) : std::string("unknown")) + "\n";
  if (rows.empty()) {
    return text + "no plugin state recorded yet\n";
  }
  return text + renderTable({"COLLECTION", "PLUGIN", "CURSOR", "LAG", "OPEN GAPS", "STATUS"}, rows);
}

Expected<std::string> renderFailures(StateStore& store, const std::optional<std::string>& plugin, int limit) {
  auto records = store.failures(plugin, limit);
  if (!records) {
    return tl::unexpected(records.error());
  }
  if (records->empty()) {
    return std::string(plugin ? "no failures recorded for plugin " + *plugin + "\n"
                              : "no failures recorded\n");
  }
  std::vector<Row> rows;
  for (const auto& record : *records) {
    rows.push_back(Row{localTime(record.at), record.collection, record.plugin, record.callback,
                       std::to_string(record.eventId), std::to_string(record.attempts),
                       record.final ? "yes" : "no", oneLine(record.error)});
  }
  return renderTable({"AT", "COLLECTION", "PLUGIN", "CALLBACK", "EVENT", "ATTEMPTS", "FINAL", "ERROR"}, rows);
}

Expected<std::string> setPluginCursor(StateStore& store, const std::string& plugin, std::int64_t cursor,
                                      const std::optional<std::string>& collection) {
  auto checkpoints = store.loadCheckpoints();
  if (!checkpoints) {
    return tl::unexpected(checkpoints.error());
  }
  std::vector<const Checkpoint*> matches;
  for (const auto& checkpoint : *checkpoints) {
    if (checkpoint.plugin == plugin && (!collection || checkpoint.collection == *collection)) {
      matches.push_back(&checkpoint);
    }
  }
  if (matches.size() > 1) {
    std::string names;
    for (const auto* match : matches) {
      names += "\n  " + match->collection;
    }
    return fail("plugin " + plugin + " exists in several collections; choose one with --collection:" + names);
  }
  if (matches.empty() && !collection) {
    return fail("no checkpoint for plugin " + plugin + " in " + store.path() +
                "; give --collection to create one");
  }
  const std::string where = matches.empty() ? *collection : matches.front()->collection;
  SGEVENTD_TRY(store.setCursor(where, plugin, cursor));
  std::string line = "plugin " + plugin + " in " + where + ": cursor ";
  if (matches.empty()) {
    line += "set to " + std::to_string(cursor) + " (new checkpoint)";
  } else {
    line += std::to_string(matches.front()->cursor) + " -> " + std::to_string(cursor);
    if (!matches.front()->gaps.empty()) {
      line += " (" + std::to_string(matches.front()->gaps.size()) + " open gap range(s) cleared)";
    }
  }
  return line + "\n";
}

}  // namespace sgeventd::store
