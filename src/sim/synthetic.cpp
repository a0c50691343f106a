// Synthetic event appends: realistic shapes, fast enough to build a million-event log in seconds.
#include <array>
#include <chrono>
#include <random>

#include "sim/site_state.h"

namespace sgeventd::sim {
namespace {

constexpr std::array<const char*, 4> kStatuses{"wtg", "ip", "rev", "fin"};
constexpr std::array<const char*, 6> kTaskNames{"Layout", "Anim", "FX", "Lighting", "Comp", "Roto"};
// Synthetic entities live far above the ids the write path hands out, so the two never collide.
constexpr std::int64_t kSyntheticIdBase = 1'000'000'000;

std::string statusMeta(const char* type, std::int64_t id, const char* oldValue, const char* newValue) {
  std::string m;
  m.reserve(200);
  m += R"({"attribute_name":"sg_status_list","entity_id":)";
  m += std::to_string(id);
  m += R"(,"entity_type":")";
  m += type;
  m += R"(","field_data_type":"status_list","new_value":")";
  m += newValue;
  m += R"(","old_value":")";
  m += oldValue;
  m += R"(","type":"attribute_change"})";
  return m;
}

std::string newMeta(const char* type, std::int64_t id) {
  return std::string(R"({"entity_id":)") + std::to_string(id) + R"(,"entity_type":")" + type +
         R"(","type":"new_entity"})";
}

}  // namespace

IdRange Site::appendSyntheticEvents(std::int64_t n, const SyntheticOptions& options) {
  State& st = *state_;
  std::unique_lock lock(st.mutex);
  IdRange range{st.nextEventId, st.nextEventId + n - 1};
  if (n <= 0) {
    return IdRange{st.nextEventId, st.nextEventId - 1};
  }
  std::mt19937_64 rng(options.seed);
  const std::int64_t createdAt =
      options.createdAt
          ? std::chrono::duration_cast<std::chrono::seconds>(options.createdAt->time_since_epoch()).count()
          : st.nowSeconds();
  NewEvent::Link user{"ApiUser", st.scripts.front().apiUserId, st.scripts.front().script.name};
  NewEvent::Link project{"Project", 1, "sim"};
  if (auto projects = st.tables.find("Project");
      projects != st.tables.end() && !projects->second.rows.empty()) {
    const auto& first = projects->second.rows.begin()->second;
    project = toEventLink(st.linkFor("Project", first.id));
  }
  st.events.reserve(st.events.size() + static_cast<std::size_t>(n));
  NewEvent e;
  e.createdAt = createdAt;
  e.sessionUuid = options.sessionUuid;
  e.user = user;
  e.project = project;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto roll = rng() % 100;
    const auto from = rng() % 3;
    if (roll < 40) {
      const std::int64_t id = kSyntheticIdBase + static_cast<std::int64_t>(rng() % 500);
      e.eventType = "Shotgun_Shot_Change";
      e.attributeName = "sg_status_list";
      e.entity = NewEvent::Link{"Shot", id, "sh" + std::to_string(id % 10000)};
      e.metaJson = statusMeta("Shot", id, kStatuses[from], kStatuses[from + 1]);
    } else if (roll < 70) {
      const std::int64_t id = kSyntheticIdBase + static_cast<std::int64_t>(rng() % 3000);
      e.eventType = "Shotgun_Task_Change";
      e.attributeName = "sg_status_list";
      e.entity = NewEvent::Link{"Task", id, kTaskNames[id % kTaskNames.size()]};
      e.metaJson = statusMeta("Task", id, kStatuses[from], kStatuses[from + 1]);
    } else if (roll < 85) {
      const std::int64_t id = kSyntheticIdBase + range.first + i;
      e.eventType = "Shotgun_Version_New";
      e.attributeName.reset();
      e.entity = NewEvent::Link{"Version", id, "v" + std::to_string(id % 100000)};
      e.metaJson = newMeta("Version", id);
    } else {
      const std::int64_t id = kSyntheticIdBase + range.first + i;
      e.eventType = "Shotgun_Note_New";
      e.attributeName.reset();
      e.entity = NewEvent::Link{"Note", id, "Note " + std::to_string(id % 100000)};
      e.metaJson = newMeta("Note", id);
    }
    st.logEvent(e);
  }
  st.persistLocked();
  return range;
}

}  // namespace sgeventd::sim
