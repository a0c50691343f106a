#include "sim/activity.h"

#include <algorithm>
#include <cctype>
#include <chrono>

namespace sgeventd::sim {
namespace {

Json link(const char* type, std::int64_t id) { return Json{{"type", type}, {"id", id}}; }

Json whereIs(const std::string& path, const Json& value) {
  Json condition{{"path", path}, {"relation", "is"}, {"values", Json::array({value})}};
  return Json{{"logical_operator", "and"}, {"conditions", Json::array({condition})}};
}

std::string nextStatus(const std::string& status) {
  if (status == "wtg") return "ip";
  if (status == "ip") return "rev";
  if (status == "rev") return "fin";
  return "ip";  // a finished task comes back for rework
}

std::vector<std::int64_t> idsOf(Site& site, const std::string& type, std::int64_t projectId) {
  Json filters =
      projectId != 0 && type != "HumanUser" ? whereIs("project", link("Project", projectId)) : Json(nullptr);
  std::vector<std::int64_t> ids;
  for (int page = 1;; ++page) {
    auto r = site.read(Json{{"type", type},
                            {"filters", filters},
                            {"paging", {{"entities_per_page", 500}, {"current_page", page}}}});
    if (!r || (*r)["entities"].empty()) {
      return ids;
    }
    for (const auto& e : (*r)["entities"]) {
      ids.push_back(e["id"].get<std::int64_t>());
    }
  }
}

}  // namespace

ActivityGenerator::ActivityGenerator(Site& site, double eventsPerSecond, std::uint64_t seed)
    : site_(site), rate_(std::max(eventsPerSecond, 0.001)), rng_(seed) {}

ActivityGenerator::~ActivityGenerator() { stop(); }

Expected<void> ActivityGenerator::seedDemoProject() {
  if (projectId_ != 0) {
    return {};
  }
  auto fail104 = [](const ApiError& e) { return fail("demo project: " + e.message, e.code); };
  auto existing = site_.read(Json{{"type", "Project"}, {"filters", whereIs("name", "Demo Project")}});
  if (existing && !(*existing)["entities"].empty()) {
    projectId_ = (*existing)["entities"][0]["id"].get<std::int64_t>();
    users_ = idsOf(site_, "HumanUser", 0);
    shots_ = idsOf(site_, "Shot", projectId_);
    tasks_ = idsOf(site_, "Task", projectId_);
    if (!users_.empty() && !tasks_.empty()) {
      return {};
    }
  }
  auto project = site_.create("Project", {{"name", "Demo Project"}, {"sg_status", "Active"}});
  if (!project) return fail104(project.error());
  projectId_ = (*project)["id"].get<std::int64_t>();
  const Json proj = link("Project", projectId_);
  users_.clear();
  for (const char* name :
       {"Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov"}) {
    std::string login(name);
    std::transform(login.begin(), login.end(), login.begin(),
                   [](unsigned char c) { return c == ' ' ? '.' : std::tolower(c); });
    auto u = site_.create(
        "HumanUser", {{"name", name}, {"login", login}, {"sg_status_list", "act"}, {"projects", {proj}}});
    if (!u) return fail104(u.error());
    users_.push_back((*u)["id"].get<std::int64_t>());
  }
  std::vector<std::int64_t> steps;
  for (const char* step : {"Layout", "Anim", "Comp"}) {
    auto s = site_.create(
        "Step", {{"code", step}, {"short_name", std::string(step).substr(0, 3)}, {"entity_type", "Shot"}});
    if (!s) return fail104(s.error());
    steps.push_back((*s)["id"].get<std::int64_t>());
  }
  for (const char* asset : {"hero", "villain", "forest"}) {
    auto a = site_.create(
        "Asset",
        {{"code", asset}, {"project", proj}, {"sg_asset_type", "Character"}, {"sg_status_list", "ip"}});
    if (!a) return fail104(a.error());
  }
  for (int seq = 1; seq <= 2; ++seq) {
    auto s = site_.create(
        "Sequence", {{"code", "sq" + std::to_string(seq * 10)}, {"project", proj}, {"sg_status_list", "ip"}});
    if (!s) return fail104(s.error());
    for (int shot = 1; shot <= 3; ++shot) {
      const std::string code = "sq" + std::to_string(seq * 10) + "_sh" + std::to_string(shot * 10);
      auto sh = site_.create("Shot", {{"code", code},
                                      {"project", proj},
                                      {"sg_sequence", link("Sequence", (*s)["id"])},
                                      {"sg_status_list", "wtg"},
                                      {"sg_cut_in", 1001},
                                      {"sg_cut_out", 1001 + 24 * shot}});
      if (!sh) return fail104(sh.error());
      const auto shotId = (*sh)["id"].get<std::int64_t>();
      shots_.push_back(shotId);
      for (std::size_t k = 0; k < steps.size(); ++k) {
        const char* names[] = {"Layout", "Animation", "Comp"};
        auto t = site_.create(
            "Task", {{"content", names[k]},
                     {"project", proj},
                     {"entity", link("Shot", shotId)},
                     {"step", link("Step", steps[k])},
                     {"sg_status_list", "wtg"},
                     {"task_assignees", {link("HumanUser", users_[(shotId + k) % users_.size()])}}});
        if (!t) return fail104(t.error());
        tasks_.push_back((*t)["id"].get<std::int64_t>());
      }
    }
  }
  return {};
}

Actor ActivityGenerator::artist() {
  return Actor{link("HumanUser", users_[rng_() % users_.size()]), std::nullopt};
}

Expected<void> ActivityGenerator::step() {
  SGEVENTD_TRY(seedDemoProject());
  if (tasks_.empty() || shots_.empty() || users_.empty()) {
    return fail("the demo project has no tasks");
  }
  const auto roll = rng_() % 100;
  const std::int64_t task = tasks_[rng_() % tasks_.size()];
  const Actor who = artist();
  ApiResult<Json> result = Json(nullptr);
  if (roll < 50) {
    auto current = site_.read(Json{{"type", "Task"},
                                   {"return_fields", Json::array({"sg_status_list"})},
                                   {"filters", whereIs("id", task)}});
    std::string status = "wtg";
    if (current && !(*current)["entities"].empty() &&
        (*current)["entities"][0]["sg_status_list"].is_string()) {
      status = (*current)["entities"][0]["sg_status_list"].get<std::string>();
    }
    result = site_.update("Task", task, {{"sg_status_list", nextStatus(status)}}, nullptr, who);
  } else if (roll < 70) {
    const std::int64_t shot = shots_[rng_() % shots_.size()];
    result = site_.create("Version",
                          {{"code", "v" + std::to_string(++versionCounter_)},
                           {"project", link("Project", projectId_)},
                           {"entity", link("Shot", shot)},
                           {"sg_task", link("Task", task)},
                           {"user", who.user},
                           {"sg_status_list", "rev"}},
                          who);
  } else if (roll < 85) {
    const std::int64_t shot = shots_[rng_() % shots_.size()];
    result = site_.create("Note",
                          {{"subject", "Feedback " + std::to_string(rng_() % 1000)},
                           {"content", "Looks good, tweak the timing."},
                           {"project", link("Project", projectId_)},
                           {"note_links", {link("Shot", shot)}},
                           {"user", who.user}},
                          who);
  } else {
    const std::string mode = rng_() % 2 == 0 ? "add" : "remove";
    result =
        site_.update("Task", task, {{"task_assignees", {who.user}}}, Json{{"task_assignees", mode}}, who);
  }
  if (!result) {
    return fail(result.error().message, result.error().code);
  }
  ++actions_;
  return {};
}

Expected<void> ActivityGenerator::start() {
  if (thread_.joinable()) {
    return {};
  }
  SGEVENTD_TRY(seedDemoProject());
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
  return {};
}

void ActivityGenerator::run() {
  // Each action logs about 1.5 events on average.
  const auto interval = std::chrono::duration<double>(1.5 / rate_);
  auto next = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
    if (cv_.wait_until(lock, next, [this] { return stopping_; })) {
      break;
    }
    lock.unlock();
    (void)step();  // a refused write (e.g. an injected fault elsewhere) just skips this action
    lock.lock();
  }
}

void ActivityGenerator::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace sgeventd::sim
