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

TEST_F(CatalogTest, ReloadOfOneKeyLoadsOnlyThatPlugin) {
  writeFile(dir_.path() / "a.so", "x");
  writeFile(dir_.path() / "b.py", "x");
  auto catalog = makeCatalog({dir_.path()});
  auto first = catalog.refresh();
  auto second = catalog.reload(first[0].id.key());
  ASSERT_EQ(second.size(), 2u);
  EXPECT_NE(first[0].generation, second[0].generation);
  EXPECT_EQ(first[1].generation, second[1].generation);
  EXPECT_EQ(loads_["a.so"], 2);
  EXPECT_EQ(loads_["b.py"], 1);
  EXPECT_EQ(catalog.reload("no::such").size(), 2u);  // an unknown key is a plain rescan
  EXPECT_EQ(loads_["b.py"], 1);
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

TEST_F(CatalogTest, BrokenEditKeepsThePreviousVersionRunningUntilTheFileIsFixed) {
  const auto file = dir_.path() / "p.so";
  writeFile(file, "x");
  auto catalog = makeCatalog({dir_.path()});
  auto first = catalog.refresh();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_NE(first[0].plugin, nullptr);

  writeFile(file, "fail: SyntaxError in the edit");
  auto broken = catalog.refresh();
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_EQ(broken[0].plugin, first[0].plugin);  // the working version stays, as it was
  EXPECT_EQ(broken[0].generation, first[0].generation);
  EXPECT_TRUE(broken[0].loadError.empty());
  EXPECT_EQ(broken[0].reloadError, "Traceback: fail: SyntaxError in the edit");
  EXPECT_EQ(loads_["p.so"], 2);
  const auto keeps = host_.logs->sink().matching(
      "Plugin p keeps running its previous version; fix the file "
      "to reload it.");
  ASSERT_EQ(keeps.size(), 1u);
  EXPECT_EQ(keeps[0].logger, "engine");
  EXPECT_EQ(keeps[0].level, core::LogLevel::Warning);
  const std::string error =
      "Could not load the plugin at " + file.string() + ".\n\nTraceback: fail: SyntaxError";
  EXPECT_EQ(host_.count(error), 1u);

  // Rescans of the unchanged broken file neither reload nor log again.
  for (int i = 0; i < 3; ++i) {
    auto again = catalog.refresh();
    EXPECT_EQ(again[0].plugin, first[0].plugin);
    EXPECT_EQ(again[0].generation, first[0].generation);
  }
  EXPECT_EQ(loads_["p.so"], 2);
  EXPECT_EQ(host_.count(error), 1u);
  EXPECT_EQ(host_.count("keeps running its previous version"), 1u);
  EXPECT_EQ(catalog.current()[0].reloadError, "Traceback: fail: SyntaxError in the edit");

  writeFile(file, "fixed now, with a longer body than the broken edit had");
  auto fixed = catalog.refresh();
  ASSERT_NE(fixed[0].plugin, nullptr);
  EXPECT_NE(fixed[0].plugin, first[0].plugin);
  EXPECT_NE(fixed[0].generation, first[0].generation);
  EXPECT_TRUE(fixed[0].reloadError.empty());
  EXPECT_TRUE(fixed[0].loadError.empty());
}

TEST_F(CatalogTest, ForcedReloadThatFailsKeepsThePreviousVersionAndDoesNotRepeatTheTraceback) {
  const auto file = dir_.path() / "p.so";
  writeFile(file, "x");
  auto catalog = makeCatalog({dir_.path()});
  auto first = catalog.refresh();
  ASSERT_NE(first[0].plugin, nullptr);
  writeFile(file, "fail: broken");
  auto broken = catalog.forceReload();  // SIGHUP right after a broken edit
  EXPECT_EQ(broken[0].plugin, first[0].plugin);
  EXPECT_EQ(broken[0].generation, first[0].generation);
  EXPECT_EQ(broken[0].reloadError, "Traceback: fail: broken");
  EXPECT_EQ(host_.count("Could not load the plugin at " + file.string()), 1u);

  auto again = catalog.forceReload();  // the same file version fails the same way
  EXPECT_EQ(loads_["p.so"], 3);
  EXPECT_EQ(again[0].plugin, first[0].plugin);
  EXPECT_EQ(again[0].generation, first[0].generation);
  EXPECT_EQ(host_.count("Could not load the plugin at " + file.string()), 1u);
  EXPECT_EQ(host_.count("keeps running its previous version; fix the file"), 1u);
  const auto still = host_.logs->sink().matching("Plugin at " + file.string() + " still fails to load");
  ASSERT_EQ(still.size(), 1u);
  EXPECT_EQ(still[0].level, core::LogLevel::Warning);
  EXPECT_NE(still[0].message.find("its previous version keeps running"), std::string::npos);
}

TEST_F(CatalogTest, LoadFailureIsLoggedOncePerFileVersion) {
  const auto file = dir_.path() / "p.py";
  writeFile(file, "fail: first");
  auto catalog = makeCatalog({dir_.path()});
  auto first = catalog.refresh();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(catalog.refresh()[0].generation, first[0].generation);
  }
  EXPECT_EQ(loads_["p.py"], 1);
  EXPECT_EQ(host_.count("Could not load the plugin at " + file.string()), 1u);

  writeFile(file, "fail: second version");  // a new version that fails too: logged once more
  auto second = catalog.refresh();
  EXPECT_EQ(second[0].plugin, nullptr);
  EXPECT_NE(second[0].generation, first[0].generation);
  EXPECT_EQ(second[0].loadError, "Traceback: fail: second version");
  EXPECT_TRUE(second[0].reloadError.empty());  // nothing runs, so this is the slot's loadError
  for (int i = 0; i < 4; ++i) {
    catalog.refresh();
  }
  EXPECT_EQ(host_.count("Could not load the plugin at " + file.string()), 2u);

  auto forced = catalog.forceReload();  // retried (the cause may be outside the file), not re-logged
  EXPECT_EQ(loads_["p.py"], 3);
  EXPECT_EQ(forced[0].generation, second[0].generation);
  EXPECT_EQ(host_.count("Could not load the plugin at " + file.string()), 2u);
  EXPECT_EQ(host_.count("Plugin at " + file.string() +
                        " still fails to load; the file is unchanged since its "
                        "error was logged."),
            1u);
  EXPECT_EQ(host_.count("keeps running"), 0u);
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

TEST(CatalogNative, ABrokenLibraryDoesNotReplaceTheRunningVersion) {
  TestHost host;
  TempDir dir;
  TempDir staging;
  const auto file = dir.path() / "hot.so";
  std::filesystem::copy_file(FIXTURE_VERSION_A, file);
  std::vector<PluginLoaderPtr> loaders;
  loaders.push_back(native::makeNativeLoader());
  PluginCatalog catalog({{"plugins", dir.path()}}, std::move(loaders), host.context());
  auto first = catalog.refresh();
  ASSERT_NE(first[0].plugin, nullptr) << first[0].loadError;

  std::filesystem::copy_file(FIXTURE_REGISTER_ERROR, staging.path() / "hot.so");
  std::filesystem::rename(staging.path() / "hot.so", file);
  auto broken = catalog.refresh();
  ASSERT_EQ(broken[0].plugin, first[0].plugin);
  EXPECT_EQ(broken[0].generation, first[0].generation);
  EXPECT_NE(broken[0].reloadError.find("missing SGDAEMON_TEST_KEY"), std::string::npos)
      << broken[0].reloadError;
  EXPECT_TRUE(broken[0].plugin->invoke(0, testing::makeEvent(1), {}).ok());  // version A still runs
  EXPECT_EQ(host.count("tag A"), 1u);
  EXPECT_EQ(host.count("Plugin hot keeps running its previous version; fix the file to reload it."), 1u);

  std::filesystem::copy_file(FIXTURE_VERSION_B, staging.path() / "hot.so");
  std::filesystem::rename(staging.path() / "hot.so", file);
  auto fixed = catalog.refresh();
  ASSERT_NE(fixed[0].plugin, nullptr);
  EXPECT_NE(fixed[0].generation, first[0].generation);
  EXPECT_EQ(fixed[0].plugin->callbacks().size(), 2u);
  EXPECT_TRUE(fixed[0].reloadError.empty());
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
