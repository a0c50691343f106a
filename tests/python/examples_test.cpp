// The example plugins of examples/plugins/python against the simulated site: the test makes the
// triggering writes, feeds the resulting events to the plugins as the engine would, and checks the
// plugins' writes.
#include <gtest/gtest.h>

#include "python_support.h"

namespace sgeventd::plugins::python {
namespace {

using namespace testing;
using shotgrid::Json;

class PythonExamples : public ::testing::Test {
 protected:
  void SetUp() override {
    loader_ = makeLoader();
    host_.factory = sim_.factory();
    for (const char* name : {"task_status_rollup", "version_status_to_task", "version_description_note"}) {
      auto file = std::filesystem::path(SGEVENTD_PYTHON_EXAMPLES) / (std::string(name) + ".py");
      auto loaded = loader_->load(idFor(file, "examples"), host_.context());
      ASSERT_TRUE(loaded.has_value()) << name << ": " << errorOf(loaded);
      plugins_.push_back(*loaded);
    }
    project_ = sim_.site->create("Project", {{"name", "Examples"}}).value();
    cursor_ = sim_.site->lastEventId();
  }

  // Delivers every new event to every plugin until no more events appear (plugins' writes included).
  void drain() {
    for (int round = 0; round < 10; ++round) {
      auto events = sim_.eventsAfter(cursor_);
      if (events.empty()) {
        return;
      }
      for (const auto& event : events) {
        cursor_ = event.id;
        for (const auto& plugin : plugins_) {
          for (const auto& outcome : dispatch(*plugin, event)) {
            EXPECT_TRUE(outcome.ok()) << outcome.message;
          }
        }
      }
    }
    ADD_FAILURE() << "events kept coming";
  }

  Json read(const std::string& type, std::int64_t id, const std::vector<std::string>& fields) {
    auto found = sim_.client()->findOne(type, Json::array({{"id", "is", id}}), fields);
    EXPECT_TRUE(found.has_value());
    return found ? *found : Json();
  }

  SimSite sim_;
  Host host_;
  PluginLoaderPtr loader_;
  std::vector<PluginPtr> plugins_;
  Json project_;
  std::int64_t cursor_ = 0;
};

TEST_F(PythonExamples, TaskStatusesRollUpToTheShot) {
  const Json projectLink = {{"type", "Project"}, {"id", project_["id"]}};
  auto shot =
      sim_.site->create("Shot", {{"code", "ex010"}, {"project", projectLink}, {"sg_status_list", "ip"}})
          .value();
  const Json shotLink = {{"type", "Shot"}, {"id", shot["id"]}};
  auto a = sim_.site->create("Task", {{"content", "anim"}, {"entity", shotLink}, {"project", projectLink}})
               .value();
  auto b = sim_.site->create("Task", {{"content", "comp"}, {"entity", shotLink}, {"project", projectLink}})
               .value();
  drain();
  sim_.site->update("Task", a["id"], {{"sg_status_list", "fin"}});
  drain();
  EXPECT_EQ(read("Shot", shot["id"], {"sg_status_list"})["sg_status_list"], "ip");
  sim_.site->update("Task", b["id"], {{"sg_status_list", "fin"}});
  drain();
  EXPECT_EQ(read("Shot", shot["id"], {"sg_status_list"})["sg_status_list"], "fin");
  sim_.site->update("Task", b["id"], {{"sg_status_list", "ip"}});
  drain();
  EXPECT_EQ(read("Shot", shot["id"], {"sg_status_list"})["sg_status_list"], "ip");
}

TEST_F(PythonExamples, VersionStatusIsCopiedToItsTaskAndRollsUp) {
  const Json projectLink = {{"type", "Project"}, {"id", project_["id"]}};
  auto shot =
      sim_.site->create("Shot", {{"code", "ex020"}, {"project", projectLink}, {"sg_status_list", "ip"}})
          .value();
  const Json shotLink = {{"type", "Shot"}, {"id", shot["id"]}};
  auto task =
      sim_.site->create("Task", {{"content", "light"}, {"entity", shotLink}, {"project", projectLink}})
          .value();
  auto version = sim_.site
                     ->create("Version", {{"code", "ex020_v001"},
                                          {"project", projectLink},
                                          {"entity", shotLink},
                                          {"sg_task", {{"type", "Task"}, {"id", task["id"]}}}})
                     .value();
  drain();
  sim_.site->update("Version", version["id"], {{"sg_status_list", "rev"}});
  drain();
  EXPECT_EQ(read("Task", task["id"], {"sg_status_list"})["sg_status_list"], "rev");
  sim_.site->update("Version", version["id"], {{"sg_status_list", "apr"}});
  drain();
  EXPECT_EQ(read("Task", task["id"], {"sg_status_list"})["sg_status_list"], "fin");
  EXPECT_EQ(read("Shot", shot["id"], {"sg_status_list"})["sg_status_list"], "fin");  // the chain continued
}

TEST_F(PythonExamples, VersionDescriptionChangeCreatesANote) {
  const Json projectLink = {{"type", "Project"}, {"id", project_["id"]}};
  auto version = sim_.site->create("Version", {{"code", "ex030_v002"}, {"project", projectLink}}).value();
  drain();
  sim_.site->update("Version", version["id"], {{"description", "new grade, warmer"}});
  drain();
  auto notes = sim_.client()->find(
      "Note", Json::array({{"note_links", "is", {{"type", "Version"}, {"id", version["id"]}}}}),
      {"subject", "content"});
  ASSERT_TRUE(notes.has_value()) << notes.error().describe();
  ASSERT_EQ(notes->size(), 1u) << notes->dump();
  EXPECT_EQ((*notes)[0]["content"], "new grade, warmer");
  EXPECT_EQ((*notes)[0]["subject"], "Description of ex030_v002 changed");
}

}  // namespace
}  // namespace sgeventd::plugins::python
