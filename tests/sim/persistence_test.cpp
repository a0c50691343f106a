// The site survives a restart with --data; and the activity generator writes real events.
#include <filesystem>
#include <random>

#include "sim/activity.h"
#include "sim_test_util.h"

namespace sgeventd::sim {
namespace {

using namespace testing;

class TempDir {
 public:
  TempDir() {
    path_ =
        std::filesystem::temp_directory_path() / ("sgeventd-sim-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

TEST(PersistenceTest, EverythingSurvivesAReopen) {
  TempDir dir;
  SiteOptions options;
  options.dataFile = dir.file("site.sqlite");
  options.scripts = {{"daemon", "k1"}};
  std::int64_t shot = 0, lastEvent = 0;
  Json before;
  {
    auto site = openSite(options);
    const auto project = idOf(site->create("Project", {{"name", "Bunny"}}));
    shot = idOf(
        site->create("Shot", {{"code", "sh010"}, {"project", link("Project", project)}, {"sg_custom", 1.5}}));
    idOf(site->create("Shot", {{"code", "gone"}}));
    ASSERT_TRUE(site->retire("Shot", 2));
    ASSERT_TRUE(site->update("Shot", shot, {{"sg_status_list", "ip"}}));
    site->appendSyntheticEvents(1000);
    lastEvent = site->lastEventId();
    before = site->call("read", eventQuery(0))["results"];
    ASSERT_TRUE(site->lastPersistError());
  }
  auto site = openSite(options);
  EXPECT_EQ(site->lastEventId(), lastEvent);
  EXPECT_EQ(site->nextEventId(), lastEvent + 1);
  EXPECT_EQ(site->call("read", eventQuery(0))["results"], before);
  auto shots =
      site->read(readParams("Shot", all(Json::array()), {"code", "sg_status_list", "sg_custom", "project"}));
  ASSERT_TRUE(shots);
  ASSERT_EQ((*shots)["entities"].size(), 1u);
  EXPECT_EQ((*shots)["entities"][0]["sg_status_list"], "ip");
  EXPECT_EQ((*shots)["entities"][0]["sg_custom"], 1.5);
  EXPECT_EQ((*shots)["entities"][0]["project"]["name"], "Bunny");
  const Json field = site->call("schema_field_read", {{"type", "Shot"}, {"field_name", "sg_custom"}});
  EXPECT_EQ(field["results"]["sg_custom"]["data_type"]["value"], "float");
  // Id counters continue; the script's ApiUser is the same row.
  EXPECT_EQ(idOf(site->create("Shot", {{"code", "sh030"}})), 3);
  EXPECT_EQ(site->lastEventId(), lastEvent + 2);
  EXPECT_EQ(site->scriptActor().user["id"], 1);
}

TEST(PersistenceTest, BadDataFileIsAnError) {
  SiteOptions options;
  options.dataFile = "/nonexistent-dir/x/site.sqlite";
  EXPECT_FALSE(Site::open(options));
}

TEST(ActivityTest, ArtistsWriteRealEvents) {
  auto site = openSite();
  ActivityGenerator activity(*site, 1000.0, 7);
  ASSERT_TRUE(activity.seedDemoProject());
  const auto seeded = site->lastEventId();
  EXPECT_GT(seeded, 50);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(activity.step());
  }
  const Json events = site->call("read", eventQuery(seeded))["results"]["entities"];
  ASSERT_FALSE(events.empty());
  std::set<std::string> kinds;
  for (const auto& e : events) {
    kinds.insert(e["event_type"].get<std::string>());
    EXPECT_EQ(e["user"]["type"], "HumanUser");
    EXPECT_EQ(e["project"]["name"], "Demo Project");
  }
  EXPECT_TRUE(kinds.count("Shotgun_Task_Change"));
  EXPECT_TRUE(kinds.count("Shotgun_Version_New"));

  // The thread runs and stops cleanly.
  ASSERT_TRUE(activity.start());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (activity.actions() < 60 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  activity.stop();
  EXPECT_GE(activity.actions(), 60);
}

}  // namespace
}  // namespace sgeventd::sim
