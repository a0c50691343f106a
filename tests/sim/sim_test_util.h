#pragma once
// Shared helpers for the sim tests: a site with a small project, and wire-form filter builders.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "sim/site.h"

namespace sgeventd::sim::testing {

inline Json cond(const std::string& path, const std::string& relation, Json values) {
  if (!values.is_array()) {
    values = Json::array({values});
  }
  return Json{{"path", path}, {"relation", relation}, {"values", values}};
}

inline Json all(Json conditions) {
  return Json{{"logical_operator", "and"}, {"conditions", std::move(conditions)}};
}
inline Json any(Json conditions) {
  return Json{{"logical_operator", "or"}, {"conditions", std::move(conditions)}};
}
inline Json link(const std::string& type, std::int64_t id) { return Json{{"type", type}, {"id", id}}; }

inline std::unique_ptr<Site> openSite(SiteOptions options = {}) {
  auto site = Site::open(std::move(options));
  EXPECT_TRUE(site) << (site ? "" : site.error().message);
  return std::move(*site);
}

inline std::int64_t idOf(const ApiResult<Json>& created) {
  EXPECT_TRUE(created) << (created ? "" : created.error().message);
  return created ? (*created)["id"].get<std::int64_t>() : 0;
}

// The ids a read returns, in order.
inline std::vector<std::int64_t> ids(const Json& readResult) {
  std::vector<std::int64_t> out;
  for (const auto& e : readResult["entities"]) {
    out.push_back(e["id"].get<std::int64_t>());
  }
  return out;
}

inline Json readParams(const std::string& type, Json filters, Json fields = Json::array({"id"})) {
  return Json{{"type", type},
              {"filters", std::move(filters)},
              {"return_fields", std::move(fields)},
              {"return_only", "active"},
              {"paging", {{"entities_per_page", 500}, {"current_page", 1}}}};
}

// The daemon's event query (protocol doc §1.5).
inline Json eventQuery(std::int64_t after, int perPage = 500) {
  return Json{{"type", "EventLogEntry"},
              {"return_fields",
               {"id", "event_type", "attribute_name", "meta", "entity", "user", "project", "session_uuid",
                "created_at"}},
              {"filters", all(Json::array({cond("id", "greater_than", after)}))},
              {"return_only", "active"},
              {"paging", {{"entities_per_page", perPage}, {"current_page", 1}}},
              {"sorts", Json::array({{{"field_name", "id"}, {"direction", "asc"}}})},
              {"api_return_image_urls", true},
              {"return_paging_info_without_counts", false}};
}

}  // namespace sgeventd::sim::testing

namespace sgeventd::sim::testing {

// A clock tests set by hand.
class ManualClock final : public core::Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point t) : now_(t) {}
  std::chrono::system_clock::time_point now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  std::chrono::steady_clock::time_point steadyNow() const override {
    return std::chrono::steady_clock::now();
  }
  void advance(std::chrono::seconds d) {
    std::lock_guard lock(mutex_);
    now_ += d;
  }

 private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point now_;
};

// 2024-01-12T12:00:00Z, a Friday.
inline std::chrono::system_clock::time_point fixedNow() {
  using namespace std::chrono;
  return sys_days{year{2024} / 1 / 12} + hours{12};
}

}  // namespace sgeventd::sim::testing
