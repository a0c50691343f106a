// A daemon killed mid-stream must lose no commit that returned: the child reports each returned commit
// through a pipe, the parent kills it and reopens the database.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <thread>

#include "store/state_store.h"
#include "temp_dir.h"

namespace sgeventd::store {
namespace {

struct Report {
  std::int32_t thread;
  std::int32_t cursor;
};

[[noreturn]] void commitForever(const std::string& path, int writeFd, int threads) {
  auto store = StateStore::open(path, OpenMode::Daemon);
  if (!store) {
    ::_exit(3);
  }
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string plugin = "p" + std::to_string(t);
      for (std::int32_t j = 1;; ++j) {
        // Two plugins in one call: after the crash both must show the same cursor (atomicity).
        if (!(*store)->commit({{"c", plugin, j, {}}, {"mirror", plugin, j, {{j + 1, j + 1, {}}}}})) {
          ::_exit(4);
        }
        const Report report{t, j};
        if (::write(writeFd, &report, sizeof report) != sizeof report) {
          ::_exit(5);
        }
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  ::_exit(0);
}

void checkAfterCrash(const std::string& path, const std::array<std::int32_t, 4>& returned, int threads) {
  // The lock died with the child, so a daemon may open at once.
  auto store = StateStore::open(path, OpenMode::Daemon);
  ASSERT_TRUE(store) << store.error().message;
  for (int t = 0; t < threads; ++t) {
    const std::string plugin = "p" + std::to_string(t);
    auto main = (*store)->loadCheckpoint("c", plugin);
    auto mirror = (*store)->loadCheckpoint("mirror", plugin);
    ASSERT_TRUE(main && *main && mirror && *mirror) << plugin;
    EXPECT_GE((*main)->cursor, returned[static_cast<std::size_t>(t)]) << plugin;
    EXPECT_EQ((*main)->cursor, (*mirror)->cursor) << plugin;
    ASSERT_EQ((*mirror)->gaps.size(), 1u);
    EXPECT_EQ((*mirror)->gaps[0].first, (*mirror)->cursor + 1);
  }
}

TEST(StateStoreCrash, SigkillMidStreamLosesNoReturnedCommit) {
  testing::TempDir dir;
  const auto path = dir.file("s.sqlite");
  constexpr int kThreads = 4;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    commitForever(path, fds[1], kThreads);
  }
  ::close(fds[1]);
  std::array<std::int32_t, 4> returned{};
  int reports = 0;
  Report report{};
  while (reports < 400 && ::read(fds[0], &report, sizeof report) == sizeof report) {
    returned[static_cast<std::size_t>(report.thread)] =
        std::max(returned[static_cast<std::size_t>(report.thread)], report.cursor);
    ++reports;
  }
  ASSERT_EQ(reports, 400) << "the child stopped early";
  ::kill(child, SIGKILL);
  // Reports already in the pipe belong to commits that returned before the kill.
  while (::read(fds[0], &report, sizeof report) == sizeof report) {
    returned[static_cast<std::size_t>(report.thread)] =
        std::max(returned[static_cast<std::size_t>(report.thread)], report.cursor);
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  checkAfterCrash(path, returned, kThreads);
}

TEST(StateStoreCrash, ExitWithoutClosingKeepsEverything) {
  testing::TempDir dir;
  const auto path = dir.file("s.sqlite");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = StateStore::open(path, OpenMode::Daemon);
    for (int j = 1; store && j <= 100; ++j) {
      if (!(*store)->commit({{"c", "p0", j, {}}, {"mirror", "p0", j, {{j + 1, j + 1, {}}}}})) {
        ::_exit(4);
      }
    }
    ::_exit(store ? 0 : 3);  // no destructor runs: the connection is never closed
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  checkAfterCrash(path, {100, 0, 0, 0}, 1);
  auto store = StateStore::open(path, OpenMode::ReadOnly);
  ASSERT_TRUE(store);
  EXPECT_EQ((*(*store)->loadCheckpoint("c", "p0"))->cursor, 100);
}

}  // namespace
}  // namespace sgeventd::store
