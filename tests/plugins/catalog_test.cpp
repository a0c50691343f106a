#include "plugins/catalog.h"

#include <gtest/gtest.h>

#include <map>

#include "plugins/native/native_loader.h"
#include "test_support.h"

namespace sgeventd::plugins {
namespace {

using testing::TempDir;
using testing::TestHost;
using testing::writeFile;

class FakePlugin final : public Plugin {
 public:
  explicit FakePlugin(PluginId id) : id_(std::move(id)) {}
  const PluginId& id() const override { return id_; }
  PluginKind kind() const override { return PluginKind::Python; }
  const std::vector<CallbackInfo>& callbacks() const override { return callbacks_; }
  InvokeResult invoke(std::size_t, const core::Event&, Deadline) override { return {}; }

 private:
  PluginId id_;
  std::vector<CallbackInfo> callbacks_;
};

// Loads any file with its extension; a file whose content starts with "fail" fails to load.
class FakeLoader final : public PluginLoader {
 public:
  FakeLoader(std::string extension, std::map<std::string, int>& loads)
      : extension_(std::move(extension)), loads_(loads) {}
  bool handles(const std::filesystem::path& file) const override { return file.extension() == extension_; }
  Expected<PluginPtr> load(const PluginId& id, const HostContext&) override {
    ++loads_[id.path.filename().string()];
    std::ifstream in(id.path);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (content.rfind("fail", 0) == 0) {
      return fail("Traceback: " + content, static_cast<int>(LoadErrorKind::Load));
    }
    return PluginPtr(std::make_shared<FakePlugin>(id));
  }

 private:
  std::string extension_;
  std::map<std::string, int>& loads_;
};

class CatalogTest : public ::testing::Test {
 protected:
  PluginCatalog makeCatalog(std::vector<std::filesystem::path> folders) {
    std::vector<PluginPath> paths;
    for (const auto& folder : folders) {
      paths.push_back({"written:" + folder.filename().string(), folder});
    }
    std::vector<PluginLoaderPtr> loaders;
    loaders.push_back(std::make_unique<FakeLoader>(".so", loads_));
    loaders.push_back(std::make_unique<FakeLoader>(".py", loads_));
    return PluginCatalog(std::move(paths), std::move(loaders), host_.context());
  }
  static std::vector<std::string> names(const std::vector<PluginSlot>& slots) {
    std::vector<std::string> out;
    for (const auto& slot : slots) {
      out.push_back(slot.id.name);
    }
    return out;
  }
  static void setMtime(const std::filesystem::path& file, std::filesystem::file_time_type time) {
    std::filesystem::last_write_time(file, time);
  }

  TestHost host_;
  std::map<std::string, int> loads_;
  TempDir dir_;
};

TEST_F(CatalogTest, NamingAndCodepointOrdering) {
  for (const char* name :
       {"b.so", "B.so", "_x.so", "a.so", "my.plugin.so", "a.py", ".hidden.so", "readme.txt"}) {
    writeFile(dir_.path() / name, "x");
  }
  auto catalog = makeCatalog({dir_.path()});
  auto slots = catalog.refresh();
  // Sorted by basename with extension: 'B' (0x42) < '_' (0x5F) < lowercase; "a.py" < "a.so".
  EXPECT_EQ(names(slots), (std::vector<std::string>{"B", "_x", "a", "a", "b", "my.plugin"}));
  EXPECT_EQ(slots[2].id.path.filename(), "a.py");
  EXPECT_EQ(slots[5].id.path, dir_.path() / "my.plugin.so");
  EXPECT_EQ(slots[5].id.collection, "written:" + dir_.path().filename().string());
  for (const auto& slot : slots) {
    EXPECT_NE(slot.plugin, nullptr);
    EXPECT_NE(slot.generation, 0u);
  }
  EXPECT_EQ(host_.count("Loading plugin at " + (dir_.path() / "b.so").string()), 1u);
}

TEST_F(CatalogTest, FoldersKeepConfigOrder) {
  TempDir second;
  writeFile(dir_.path() / "z.so", "x");
  writeFile(second.path() / "a.so", "x");
  auto catalog = makeCatalog({dir_.path(), second.path()});
  EXPECT_EQ(names(catalog.refresh()), (std::vector<std::string>{"z", "a"}));
}

TEST_F(CatalogTest, DirectoryNamedLikeAPluginAndPackageMarkerAreSkippedAndLoggedOnce) {
  std::filesystem::create_directory(dir_.path() / "x.so");
  writeFile(dir_.path() / "__init__.py", "");
  writeFile(dir_.path() / "real.so", "x");
  auto catalog = makeCatalog({dir_.path()});
  EXPECT_EQ(names(catalog.refresh()), std::vector<std::string>{"real"});
  EXPECT_EQ(names(catalog.refresh()), std::vector<std::string>{"real"});
  EXPECT_EQ(host_.count("x.so: not a regular file"), 1u);
  EXPECT_EQ(host_.count("__init__.py: a package marker is not a plugin"), 1u);
}

TEST_F(CatalogTest, UnchangedFileIsNotReloaded) {
  writeFile(dir_.path() / "p.so", "x");
  auto catalog = makeCatalog({dir_.path()});
  auto first = catalog.refresh();
  auto second = catalog.refresh();
  EXPECT_EQ(first[0].generation, second[0].generation);
  EXPECT_EQ(first[0].plugin, second[0].plugin);
  EXPECT_EQ(loads_["p.so"], 1);
}

TEST_F(CatalogTest, ReloadsOnMtimeChange) {
  const auto file = dir_.path() / "p.so";
  writeFile(file, "x");
  auto catalog = makeCatalog({dir_.path()});
  auto first = catalog.refresh();
  setMtime(file, std::filesystem::last_write_time(file) + std::chrono::seconds(10));
  auto second = catalog.refresh();
  EXPECT_NE(first[0].generation, second[0].generation);
  EXPECT_NE(first[0].plugin, second[0].plugin);
  EXPECT_EQ(host_.count("Reloading plugin at " + file.string()), 1u);
}

TEST_F(CatalogTest, ReloadsOnSizeChangeWithTheSameMtime) {
  const auto file = dir_.path() / "p.so";
  writeFile(file, "x");
  auto catalog = makeCatalog({dir_.path()});
  auto first = catalog.refresh();
  const auto mtime = std::filesystem::last_write_time(file);
  writeFile(file, "xy");
  setMtime(file, mtime);
  auto second = catalog.refresh();
  EXPECT_NE(first[0].generation, second[0].generation);
  EXPECT_EQ(loads_["p.so"], 2);
}

TEST_F(CatalogTest, ReloadsWhenReplacedByAnOlderCopy) {
  const auto file = dir_.path() / "p.so";
  writeFile(file, "x");
  auto catalog = makeCatalog({dir_.path()});
  auto first = catalog.refresh();
  TempDir staging;
  const auto older = staging.path() / "p.so";
  writeFile(older, "y");  // same size
  setMtime(older, std::filesystem::last_write_time(file) - std::chrono::hours(24));
  std::filesystem::rename(older, file);  // the original's strictly-newer test misses this (issue #22)
  auto second = catalog.refresh();
  EXPECT_NE(first[0].generation, second[0].generation);
  EXPECT_EQ(loads_["p.so"], 2);
}

TEST_F(CatalogTest, ForceReloadReloadsEverything) {
  writeFile(dir_.path() / "a.so", "x");
  writeFile(dir_.path() / "b.py", "x");
  auto catalog = makeCatalog({dir_.path()});
  auto first = catalog.refresh();
  auto second = catalog.forceReload();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_NE(first[0].generation, second[0].generation);
  EXPECT_NE(first[1].generation, second[1].generation);
  EXPECT_EQ(loads_["a.so"], 2);
  EXPECT_EQ(loads_["b.py"], 2);
}

TEST_F(CatalogTest, RemovedFileDisappears) {
  writeFile(dir_.path() / "a.so", "x");
  writeFile(dir_.path() / "b.so", "x");
  auto catalog = makeCatalog({dir_.path()});
  ASSERT_EQ(catalog.refresh().size(), 2u);
  std::filesystem::remove(dir_.path() / "a.so");
  EXPECT_EQ(names(catalog.refresh()), std::vector<std::string>{"b"});
  EXPECT_EQ(names(catalog.current()), std::vector<std::string>{"b"});
}

TEST_F(CatalogTest, LoadFailureIsASlotWithTheReasonAndIsRetriedWhenTheFileChanges) {
  const auto file = dir_.path() / "p.so";
  writeFile(file, "fail: SyntaxError");
  auto catalog = makeCatalog({dir_.path()});
  auto first = catalog.refresh();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].plugin, nullptr);
  EXPECT_EQ(first[0].loadError, "Traceback: fail: SyntaxError");
  auto logged = host_.logs->sink().matching("Could not load the plugin at " + file.string() +
                                            ".\n\nTraceback: fail: SyntaxError");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].logger, "plugin.p");
  EXPECT_EQ(logged[0].level, core::LogLevel::Error);

  EXPECT_EQ(catalog.refresh()[0].generation, first[0].generation);  // not retried while unchanged
  writeFile(file, "fixed now");
  auto second = catalog.refresh();
  EXPECT_NE(second[0].plugin, nullptr);
  EXPECT_TRUE(second[0].loadError.empty());
}

TEST_F(CatalogTest, MissingFolderIsLoggedOnceAndRetried) {
  const auto folder = dir_.path() / "later";
  auto catalog = makeCatalog({folder});
  EXPECT_TRUE(catalog.refresh().empty());
  EXPECT_TRUE(catalog.refresh().empty());
  EXPECT_EQ(host_.count("Could not read the plugin folder " + folder.string()), 1u);
  std::filesystem::create_directory(folder);
  writeFile(folder / "p.so", "x");
  EXPECT_EQ(names(catalog.refresh()), std::vector<std::string>{"p"});
  EXPECT_EQ(host_.count("is readable again"), 1u);
}

TEST_F(CatalogTest, FolderThatBecomesUnreadableKeepsItsPlugins) {
  const auto folder = dir_.path() / "nfs";
  std::filesystem::create_directory(folder);
  writeFile(folder / "p.so", "x");
  auto catalog = makeCatalog({folder});
  auto first = catalog.refresh();
  ASSERT_EQ(first.size(), 1u);
  std::filesystem::rename(folder, dir_.path() / "nfs-gone");
  auto second = catalog.refresh();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].plugin, first[0].plugin);
}

TEST(CatalogNative, ReloadsARealLibraryAndOldVersionKeepsWorking) {
  TestHost host;
  TempDir dir;
  TempDir staging;
  const auto file = dir.path() / "hot.so";
  std::filesystem::copy_file(FIXTURE_VERSION_A, file);
  std::vector<PluginLoaderPtr> loaders;
  loaders.push_back(native::makeNativeLoader());
  PluginCatalog catalog({{"plugins", dir.path()}}, std::move(loaders), host.context());
  auto first = catalog.refresh();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_NE(first[0].plugin, nullptr) << first[0].loadError;
  EXPECT_EQ(first[0].plugin->callbacks().size(), 1u);
  PluginPtr old = first[0].plugin;

  std::filesystem::copy_file(FIXTURE_VERSION_B, staging.path() / "hot.so");
  std::filesystem::rename(staging.path() / "hot.so", file);  // install by rename
  auto second = catalog.refresh();
  ASSERT_NE(second[0].plugin, nullptr) << second[0].loadError;
  EXPECT_EQ(second[0].plugin->callbacks().size(), 2u);
  EXPECT_TRUE(old->invoke(0, testing::makeEvent(1), {}).ok());
  EXPECT_TRUE(second[0].plugin->invoke(0, testing::makeEvent(2), {}).ok());
  EXPECT_EQ(host.count("tag A"), 1u);
  EXPECT_EQ(host.count("tag B"), 1u);
}

TEST(CatalogNative, RegistrationFailureIsLoggedOnTheEngineAsTheOriginalDoes) {
  TestHost host;
  TempDir dir;
  std::filesystem::copy_file(FIXTURE_REGISTER_ERROR, dir.path() / "broken.so");
  std::filesystem::copy_file(FIXTURE_NO_ENTRY, dir.path() / "other.so");
  std::vector<PluginLoaderPtr> loaders;
  loaders.push_back(native::makeNativeLoader());
  PluginCatalog catalog({{"plugins", dir.path()}}, std::move(loaders), host.context());
  auto slots = catalog.refresh();
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(slots[0].plugin, nullptr);
  EXPECT_EQ(slots[1].plugin, nullptr);
  auto registration = host.logs->sink().matching("Error running register callback function from plugin at " +
                                                 (dir.path() / "broken.so").string() + ".\n\n");
  ASSERT_EQ(registration.size(), 1u);
  EXPECT_EQ(registration[0].logger, "engine");
  EXPECT_EQ(registration[0].level, core::LogLevel::Critical);
  EXPECT_EQ(host.count("Did not find a registerCallbacks function in plugin at " +
                       (dir.path() / "other.so").string()),
            1u);
}

}  // namespace
}  // namespace sgeventd::plugins
