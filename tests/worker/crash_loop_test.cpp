// Crash loops in thread mode: a plugin in the daemon's own threads that segfaults on one event takes the
// daemon down; the fatal-signal handler notes who it was, and the next start counts the crash against that
// plugin, until after retry_attempts crashes it is deactivated (or, with on_crash = isolate, moved to a
// worker process). And callback_timeout in thread mode: a callback past it is reported stuck. The pieces
// (the note, the handler, the counter, the start-up's recovery) first, then the real daemon against
// `sgeventd sim`, restarted each time it dies as systemd would.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../daemon/process.h"
#include "../daemon/sim_fixture.h"
#include "../support/temp_dir.h"
#include "../support/wait.h"
#include "app/crash_handler.h"
#include "app/crash_recovery.h"
#include "core/memory_log.h"
#include "engine/crash_note.h"
#include "store/state_store.h"

using namespace std::chrono_literals;
using nlohmann::json;
using sgeventd::testing::Process;
using sgeventd::testing::runCommand;
using sgeventd::testing::SimProcess;
using sgeventd::testing::slurp;
using sgeventd::testing::TempDir;
using sgeventd::testing::waitUntil;
namespace fs = std::filesystem;
namespace crash_note = sgeventd::engine::crash_note;
namespace store = sgeventd::store;

namespace {

crash_note::Note sampleNote() {
  return {"/srv/plugins", "crasher", "/srv/plugins/crasher.so", "onEvent", 42, SIGSEGV};
}

// ---- the note -------------------------------------------------------------------------------------

TEST(CrashNote, FormatsAndReadsBackWithNewlinesAndBackslashesEscaped) {
  auto note = sampleNote();
  note.collection = "/srv/odd\\folder\nwith a newline";
  const auto text = crash_note::format(note);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 7) << text;
  auto back = crash_note::parse(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, note);
  EXPECT_EQ(crash_note::format(sampleNote()),
            "sgeventd-crash-note 1\ncollection /srv/plugins\nplugin crasher\npath /srv/plugins/crasher.so\n"
            "callback onEvent\nevent 42\nsignal 11\n");
}

TEST(CrashNote, ATextThatIsNotACompleteNoteIsRefused) {
  const auto text = crash_note::format(sampleNote());
  EXPECT_FALSE(crash_note::parse(""));
  EXPECT_FALSE(crash_note::parse("hello\n"));
  EXPECT_FALSE(crash_note::parse(text.substr(0, text.size() - 1)));  // its last line cut short
  EXPECT_FALSE(
      crash_note::parse(crash_note::format(sampleNote(), false)));  // no signal: the handler never ran
  auto noEvent = text;
  noEvent.replace(noEvent.find("event 42"), 8, "event x");
  EXPECT_FALSE(crash_note::parse(noEvent));
}

TEST(CrashNote, AThreadHasARecordOnlyWhileInACallbackAndOnlyWhenArmed) {
  const sgeventd::plugins::PluginId id{"/srv/plugins", "crasher", "/srv/plugins/crasher.so"};
  {
    const crash_note::InCallback unarmed(id, "onEvent", 42);
    EXPECT_TRUE(crash_note::finishRecord(SIGSEGV).empty());
  }
  crash_note::arm(true);
  {
    const crash_note::InCallback marked(id, "onEvent", 42);
    EXPECT_EQ(crash_note::finishRecord(SIGSEGV), crash_note::format(sampleNote()));
    std::string other;
    std::thread([&] { other = std::string(crash_note::finishRecord(SIGSEGV)); }).join();
    EXPECT_EQ(other, "") << "the record is the thread's own";
  }
  EXPECT_TRUE(crash_note::finishRecord(SIGSEGV).empty());
  {
    const sgeventd::plugins::PluginId huge{std::string(20000, 'x'), "crasher", "/p"};
    const crash_note::InCallback tooLong(huge, "onEvent", 1);
    EXPECT_TRUE(crash_note::finishRecord(SIGSEGV).empty()) << "a record that does not fit is not noted";
  }
  crash_note::arm(false);
}

TEST(CrashNote, EachRecordNamesItsOwnCallbackWhenCallbacksAlternate) {
  // The record keeps its text between callbacks of the same plugin and callback, and rewrites it on any
  // change, even one of the same length or at the same address.
  sgeventd::plugins::PluginId id{"/srv/plugins", "crasher", "/srv/plugins/crasher.so"};
  crash_note::arm(true);
  auto noted = [&](std::string_view callback, std::int64_t eventId) {
    const crash_note::InCallback marked(id, callback, eventId);
    return std::string(crash_note::finishRecord(SIGSEGV));
  };
  auto expected = [&](std::string callback, std::int64_t eventId) {
    return crash_note::format(
        {id.collection, id.name, id.path.native(), std::move(callback), eventId, SIGSEGV});
  };
  EXPECT_EQ(noted("onEvent", 1), expected("onEvent", 1));
  EXPECT_EQ(noted("onEvent", 123456789), expected("onEvent", 123456789));
  EXPECT_EQ(noted("onEvent", 2), expected("onEvent", 2)) << "a shorter event id leaves nothing behind";
  EXPECT_EQ(noted("onOther", 3), expected("onOther", 3));
  EXPECT_EQ(noted("onEvent", 4), expected("onEvent", 4));
  id.name = "crashe2";  // the same string object, the same length
  EXPECT_EQ(noted("onEvent", 5), expected("onEvent", 5));
  id.path = "/srv/plugins/new\\line\n.so";
  EXPECT_EQ(noted("onEvent", 6), expected("onEvent", 6));
  EXPECT_EQ(noted("onEvent", 7), expected("onEvent", 7));
  crash_note::arm(false);
}
// ---- the handler, in a child process --------------------------------------------------------------

[[gnu::noinline]] std::size_t overflow(std::size_t depth) {
  volatile char pad[4096];
  pad[0] = static_cast<char>(depth);
  if (depth == static_cast<std::size_t>(-1)) {
    return 0;
  }
  return overflow(depth + 1) + static_cast<std::size_t>(pad[0]);
}

// Killed by `sig`, or under AddressSanitizer (which reports the signal itself, then exits with an error
// or, with abort_on_error, aborts) by either.
auto diedOf(int sig) {
  return [sig](int status) {
#if defined(__SANITIZE_ADDRESS__)
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) {
      return true;
    }
#endif
    return WIFSIGNALED(status) ? WTERMSIG(status) == sig : WIFEXITED(status) && WEXITSTATUS(status) != 0;
  };
}

void crashInCallback(const fs::path& note, const std::function<void()>& how) {
  auto handler = sgeventd::app::CrashHandler::install(note);
  if (!handler) {
    std::_Exit(0);  // the parent then finds no note
  }
  std::thread([&] {
    const crash_note::InCallback marked({"/srv/plugins", "crasher", "/srv/plugins/crasher.so"}, "onEvent",
                                        42);
    how();
  }).join();
}

TEST(CrashHandlerDeathTest, AStackOverflowInACallbackIsNotedFromTheAlternateStack) {
  TempDir dir;
  const auto note = dir.path() / "state.sqlite.crash";
  EXPECT_EXIT(crashInCallback(note, [] { overflow(0); }), diedOf(SIGSEGV), "");
  auto read = crash_note::parse(slurp(note));
  ASSERT_TRUE(read) << read.error().message << ": " << slurp(note);
  EXPECT_EQ(*read, sampleNote());
}

TEST(CrashHandlerDeathTest, AnAbortIsNotedWithItsSignalAndTheProcessDiesOfIt) {
  TempDir dir;
  const auto note = dir.path() / "state.sqlite.crash";
  EXPECT_EXIT(crashInCallback(note, [] { std::abort(); }), ::testing::KilledBySignal(SIGABRT), "");
  auto read = crash_note::parse(slurp(note));
  ASSERT_TRUE(read) << slurp(note);
  EXPECT_EQ(read->signal, SIGABRT);
  EXPECT_EQ(read->plugin, "crasher");
}

TEST(CrashHandlerDeathTest, AFaultOutsideACallbackBlamesNobody) {
  TempDir dir;
  const auto note = dir.path() / "state.sqlite.crash";
  EXPECT_EXIT(
      {
        auto handler = sgeventd::app::CrashHandler::install(note);
        std::raise(SIGSEGV);
      },
      diedOf(SIGSEGV), "");
  ASSERT_TRUE(fs::exists(note));
  EXPECT_EQ(slurp(note), "");
}

TEST(CrashHandler, ACleanEndRemovesTheNoteAndPutsThePreviousHandlerBack) {
  TempDir dir;
  const auto note = dir.path() / "state.sqlite.crash";
  struct sigaction before {};
  ::sigaction(SIGSEGV, nullptr, &before);
  {
    auto handler = sgeventd::app::CrashHandler::install(note);
    ASSERT_TRUE(handler) << handler.error().message;
    EXPECT_TRUE(fs::exists(note));
    EXPECT_TRUE(crash_note::armed());
    EXPECT_FALSE(sgeventd::app::CrashHandler::install(note)) << "one at a time";
  }
  EXPECT_FALSE(fs::exists(note));
  EXPECT_FALSE(crash_note::armed());
  struct sigaction after {};
  ::sigaction(SIGSEGV, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

// ---- the counter and the start-up's recovery ----------------------------------------------------------

class CrashRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.stateDatabase = dir_.file("state.sqlite");
    config_.retry.attempts = 2;
    reopen();
    std::ofstream(dir_.file("crasher.so")) << "version 1";
  }
  void reopen() {
    store_.reset();
    auto opened = store::StateStore::open(config_.stateDatabase, store::OpenMode::Daemon);
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }
  // The previous run died in crasher's callback on `event`.
  std::shared_ptr<sgeventd::app::CrashIsolated> crashOn(std::int64_t event) {
    auto note = sampleNote();
    note.path = dir_.file("crasher.so");
    note.eventId = event;
    std::ofstream(sgeventd::app::crashNotePath(config_)) << crash_note::format(note);
    return recover();
  }
  std::shared_ptr<sgeventd::app::CrashIsolated> recover() {
    return sgeventd::app::recoverFromCrash(config_, *store_, logs_->get("engine"));
  }
  std::optional<store::PluginStatus> status() {
    const auto statuses = store_->pluginStatuses().value();
    for (const auto& s : statuses) {
      if (s.plugin == "crasher") {
        return s;
      }
    }
    return std::nullopt;
  }
  std::size_t logged(const std::string& what) { return logs_->sink().count(what); }

  TempDir dir_;
  sgeventd::config::DaemonConfig config_;
  store::StateStorePtr store_;
  std::shared_ptr<sgeventd::core::MemoryLogFactory> logs_ =
      std::make_shared<sgeventd::core::MemoryLogFactory>();
};

TEST_F(CrashRecoveryTest, CountsCrashesOnOneEventAcrossRestartsAndStartsAgainOnAnother) {
  const auto now = std::chrono::system_clock::now();
  store::CrashCount crash{"c", "p", 42, "onEvent", 0, SIGSEGV, now};
  EXPECT_EQ(store_->countCrash(crash).value().crashes, 1);
  EXPECT_EQ(store_->countCrash(crash).value().crashes, 2);
  reopen();
  EXPECT_EQ(store_->countCrash(crash).value().crashes, 3);
  crash.eventId = 43;
  EXPECT_EQ(store_->countCrash(crash).value().crashes, 1) << "a crash on another event starts anew";
  ASSERT_EQ(store_->crashCounts().value().size(), 1u);
  EXPECT_EQ(store_->crashCounts().value().front().eventId, 43);
  ASSERT_TRUE(store_->clearCrashCount("c", "p"));
  EXPECT_TRUE(store_->crashCounts().value().empty());
}

TEST_F(CrashRecoveryTest, TheRetryAttemptsThCrashDeactivatesThePluginAtThatEventAndCallback) {
  crashOn(42);
  EXPECT_EQ(
      logged("Plugin crasher crashed the daemon with signal 11 (Segmentation fault) in callback onEvent on "
             "event 42; crash 1 of 2 on this event. It runs event 42 again now."),
      1u);
  EXPECT_FALSE(fs::exists(sgeventd::app::crashNotePath(config_))) << "a note is handled once";
  EXPECT_FALSE(status());
  recover();  // no note: nothing counted
  EXPECT_EQ(store_->crashCounts().value().front().crashes, 1);

  crashOn(42);
  EXPECT_EQ(
      logged("crash 2 of 2 on this event. It is deactivated; it resumes at event 42 (callback onEvent)"), 1u);
  const auto s = status();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, store::PluginState::Inactive);
  EXPECT_EQ(s->resumeEvent, 42);
  EXPECT_EQ(s->resumeCallback, "onEvent");
  EXPECT_NE(s->reason.find("crashed the daemon with signal 11"), std::string::npos) << s->reason;
  EXPECT_TRUE(store_->crashCounts().value().empty()) << "an operator's enable gets retry_attempts again";
  const auto failures = store_->failures(std::string("crasher"), 10).value();
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_TRUE(failures.front().final);
  EXPECT_EQ(failures.front().eventJson, "") << "not replayable: it would crash the daemon again";
}

TEST_F(CrashRecoveryTest, ACountEndsOnceThePluginIsPastItsEvent) {
  crashOn(42);
  ASSERT_TRUE(store_->commit({{"/srv/plugins", "crasher", 41, {}}}));
  recover();
  EXPECT_EQ(store_->crashCounts().value().size(), 1u) << "still before it";
  const auto later = std::chrono::system_clock::now() + 1h;
  ASSERT_TRUE(store_->commit({{"/srv/plugins", "crasher", 50, {{42, 42, later}}}}));
  recover();
  EXPECT_EQ(store_->crashCounts().value().size(), 1u) << "42 is still awaited as a late event";
  ASSERT_TRUE(store_->commit({{"/srv/plugins", "crasher", 50, {}}}));
  recover();
  EXPECT_TRUE(store_->crashCounts().value().empty());
  crashOn(42);
  EXPECT_EQ(logged("crash 1 of 2"), 2u);
}

TEST_F(CrashRecoveryTest, WithOnCrashIsolateThePluginRunsInAWorkerProcessUntilItsFileChanges) {
  config_.isolation.isolateOnCrash = true;
  EXPECT_FALSE(crashOn(42)->contains("crasher"));
  auto isolated = crashOn(42);
  EXPECT_TRUE(isolated->contains("crasher"));
  EXPECT_FALSE(isolated->contains("healthy"));
  EXPECT_EQ(logged("on_crash is isolate: from now on it runs in a worker process"), 1u);
  EXPECT_FALSE(status()) << "not deactivated";
  reopen();
  isolated = recover();
  EXPECT_TRUE(isolated->contains("crasher")) << "it outlives a restart";
  EXPECT_EQ(isolated->names(), std::vector<std::string>{"crasher"});
  // Said at each start (the one that moved it, and this one).
  EXPECT_EQ(logged("Plugin crasher runs in a worker process: it crashed the daemon"), 2u);
  std::this_thread::sleep_for(10ms);
  std::ofstream(dir_.file("crasher.so")) << "version 2, fixed";
  EXPECT_FALSE(isolated->contains("crasher"));
  EXPECT_EQ(logged("it runs in the daemon's threads again"), 1u);
  EXPECT_TRUE(store_->crashIsolations().value().empty());
}

TEST_F(CrashRecoveryTest, AnUnreadableNoteBlamesNobodyAndAnEmptyOneSaysNothing) {
  std::ofstream(sgeventd::app::crashNotePath(config_)) << "sgeventd-crash-note 1\nplugin crash";
  recover();
  EXPECT_EQ(logged("cannot be read"), 1u);
  std::ofstream{sgeventd::app::crashNotePath(config_)};
  recover();
  EXPECT_EQ(logs_->sink().records().size(), 1u);
  EXPECT_TRUE(store_->crashCounts().value().empty());
  EXPECT_FALSE(fs::exists(sgeventd::app::crashNotePath(config_)));
}

// ---- the real daemon ----------------------------------------------------------------------------------

// One "<event id> <pid>" line per call, as misbehave.so writes them.
struct Call {
  std::int64_t id;
  long pid;
};

class CrashLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sgeventd-crashloop-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "plugins");
    fs::create_directories(dir_ / "out");
    ASSERT_NO_FATAL_FAILURE(sim_.start(dir_));
  }
  void TearDown() override {
    http_.reset();
    daemon_.reset();
    sim_.stop();
    if (!HasFailure()) {
      fs::remove_all(dir_);
    }
  }

  void addNative(const std::string& name, const std::string& mode = "") {
    fs::copy_file(fs::path(SGEVENTD_BUILD_DIR) / "test-plugins/misbehave.so",
                  dir_ / "plugins" / (name + ".so"), fs::copy_options::overwrite_existing);
    env_["SGEVENTD_MISBEHAVE_" + name] = mode;
  }

  // `admin`: the [admin] section's keys (none: no admin server).
  void writeConfig(const std::string& daemonKeys, const std::string& sections,
                   const std::string& admin = "listen:\n") {
    std::ofstream conf(dir_ / "shotgunEventDaemon.conf");
    conf << "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\nstate_database: "
            "state.sqlite\n"
            "logMode: 0\nlogPath: logs\nlogFile: shotgunEventDaemon\nlogging: 20\n"
            "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.1\nmax_event_batch_size: 50\n"
            "retry_attempts: 2\nretry_backoff: 0.1\nshutdown_timeout: 10\n"
         << daemonKeys << "[shotgun]\nserver: http://127.0.0.1:" << sim_.port()
         << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\nrequest_timeout: 5\n"
            "[plugins]\npaths: plugins\n[emails]\nenabled: False\n[admin]\n"
         << admin << sections;
    env_["SGEVENTD_MISBEHAVE_OUT"] = (dir_ / "out").string();
  }
  // Starts the daemon (again: as systemd's Restart= would).
  void runDaemon() {
    http_.reset();
    daemon_ = std::make_unique<Process>(
        std::vector<std::string>{SGEVENTD_BINARY, "-c", (dir_ / "shotgunEventDaemon.conf").string(),
                                 "foreground"},
        env_, (dir_ / "daemon.stderr").string());
    pids_.push_back(daemon_->pid());
  }
  // The first start: every plugin has its place (after the newest event, 0 on a fresh sim).
  void startFirst(std::size_t plugins) {
    runDaemon();
    ASSERT_TRUE(waitUntil([&] { return count(log(), "it starts after event") >= plugins; }, 30s)) << log();
  }
  // Restarts the daemon each time it dies, until `done` holds (or `restarts` are used up); the daemon
  // that made `done` true is left running.
  void restartUntil(const std::function<bool()>& done, int restarts) {
    for (int i = 0; i <= restarts; ++i) {
      const bool finished = waitUntil([&] { return done() || !alive(); }, 60s);
      ASSERT_TRUE(finished) << "neither done nor dead\n" << log();
      if (alive() && done()) {
        return;
      }
      const auto code = daemon_->wait(10s);
      ASSERT_TRUE(code) << log();
      exits_.push_back(*code);
      if (done()) {
        return;
      }
      runDaemon();
    }
    FAIL() << "still not done after " << restarts << " restarts\n" << log();
  }
  // Whether the daemon still runs; a peek that leaves a dead one for Process::wait to reap.
  bool alive() const {
    siginfo_t info{};
    return daemon_ &&
           ::waitid(P_PID, static_cast<id_t>(daemon_->pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == 0;
  }
  // Whether a line of the log matches `pattern` (line by line: the log grows long).
  bool logHas(const std::string& pattern) const {
    const std::regex re(pattern);
    std::istringstream in(log());
    for (std::string line; std::getline(in, line);) {
      if (std::regex_search(line, re)) {
        return true;
      }
    }
    return false;
  }

  std::string log() const { return slurp(dir_ / "logs/shotgunEventDaemon"); }
  static std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
      ++n;
    }
    return n;
  }
  std::vector<Call> out(const std::string& name) const {
    std::vector<Call> calls;
    std::ifstream in(dir_ / "out" / (name + ".txt"));
    Call c{};
    while (in >> c.id >> c.pid) {
      calls.push_back(c);
    }
    return calls;
  }
  static std::vector<std::int64_t> ids(const std::vector<Call>& calls) {
    std::vector<std::int64_t> out;
    for (const auto& c : calls) {
      out.push_back(c.id);
    }
    return out;
  }
  std::int64_t append(int n) { return sim_.post("/sim/events", {{"count", n}})["last"].get<std::int64_t>(); }
  void stopDaemon() {
    http_.reset();
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(30s).value_or(-1), 0) << slurp(dir_ / "daemon.stderr");
  }
  // The admin server's client, once the daemon wrote its address.
  httplib::Client& admin() {
    if (!http_) {
      const auto file = dir_ / "state.sqlite.admin-url";
      EXPECT_TRUE(waitUntil([&] { return fs::exists(file); }, 30s)) << log();
      std::string url;
      std::ifstream(file) >> url;
      std::smatch m;
      EXPECT_TRUE(std::regex_match(url, m, std::regex(R"(http://127\.0\.0\.1:(\d+))"))) << url;
      http_ = std::make_unique<httplib::Client>("127.0.0.1", std::stoi(m[1]));
      http_->set_read_timeout(10, 0);
    }
    return *http_;
  }

  // Every event once to the healthy plugin, but for at most one repeat per crash (the event it was in
  // when the daemon died), next to itself: in order, nothing lost.
  void expectDeliveredOnce(const std::string& plugin, std::int64_t last, std::size_t crashes) {
    const auto got = ids(out(plugin));
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end())) << ::testing::PrintToString(got);
    EXPECT_EQ(std::set<std::int64_t>(got.begin(), got.end()).size(), static_cast<std::size_t>(last))
        << ::testing::PrintToString(got);
    EXPECT_EQ(got.front(), 1);
    EXPECT_EQ(got.back(), last);
    EXPECT_LE(got.size(), static_cast<std::size_t>(last) + crashes) << ::testing::PrintToString(got);
  }

  fs::path dir_;
  SimProcess sim_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Process> daemon_;
  std::unique_ptr<httplib::Client> http_;
  std::vector<long> pids_;
  std::vector<int> exits_;
};

constexpr std::int64_t kBad = 5;

TEST_F(CrashLoopTest, APluginThatSegfaultsOnOneEventIsDeactivatedAfterRetryAttemptsCrashes) {
  addNative("crasher", "segv:" + std::to_string(kBad));
  addNative("healthy");
  writeConfig("", "");
  ASSERT_NO_FATAL_FAILURE(startFirst(2));
  const auto last = append(10);
  ASSERT_NO_FATAL_FAILURE(restartUntil(
      [&] {
        return count(log(), "Plugin crasher is deactivated since before the restart") > 0 &&
               out("healthy").size() >= 10;
      },
      4));
  ASSERT_TRUE(waitUntil([&] { return ids(out("healthy")).back() == last; }, 30s)) << log();
  std::this_thread::sleep_for(300ms);  // nothing more comes
  ASSERT_TRUE(alive()) << log();
  EXPECT_EQ(exits_.size(), 2u) << "one death per crash, retry_attempts = 2";
  for (const int code : exits_) {
    EXPECT_NE(code, 0);  // SIGSEGV (128 + 11), or AddressSanitizer's exit code: its report comes first
  }
  const auto text = log();
  // The signal is the one the note holds: 11, even under AddressSanitizer, whose report comes after it.
  EXPECT_TRUE(
      logHas("CRITICAL.*Plugin crasher crashed the daemon with signal \\d+ \\(.*\\) in callback misbehave "
             "on event 5; crash 1 of 2 on this event. It runs event 5 again now."))
      << text;
  EXPECT_TRUE(logHas(
      "CRITICAL.*Plugin crasher crashed the daemon with signal \\d+ .* on event 5; crash 2 of 2 on this "
      "event. It is deactivated; it resumes at event 5 \\(callback misbehave\\)"))
      << text;
  EXPECT_EQ(count(text, "crashed the daemon with signal"), 2u + 1u)
      << "two crashes, and the deactivation's reason";
  // The crasher got every event before the bad one once, and the bad one once per crash.
  EXPECT_EQ(ids(out("crasher")), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 5}));
  expectDeliveredOnce("healthy", last, exits_.size());
  // Deactivated as by its failures: the state says so and why.
  std::string state;
  EXPECT_EQ(runCommand({SGEVENTD_BINARY, "-c", (dir_ / "shotgunEventDaemon.conf").string(), "state", "show"},
                       state),
            0)
      << state;
  EXPECT_NE(state.find("crashed the daemon"), std::string::npos) << state;
  // Another restart, a clean one this time: it stays deactivated, no crash is counted.
  stopDaemon();
  runDaemon();
  ASSERT_TRUE(waitUntil(
      [&] { return count(log(), "Plugin crasher is deactivated since before the restart") >= 2; }, 30s))
      << log();
  append(2);
  ASSERT_TRUE(waitUntil([&] { return ids(out("healthy")).back() == last + 2; }, 30s)) << log();
  EXPECT_EQ(count(log(), "crash 1 of 2"), 1u);
  EXPECT_EQ(ids(out("crasher")).size(), 6u);
  stopDaemon();
}

TEST_F(CrashLoopTest, WithOnCrashIsolateThePluginMovesToAWorkerProcessAndTheDaemonStaysUp) {
  addNative("crasher", "segv:" + std::to_string(kBad));
  addNative("healthy");
  writeConfig("", "[plugin:crasher]\non_crash: isolate\nstop_on_error: false\n");
  ASSERT_NO_FATAL_FAILURE(startFirst(2));
  const auto last = append(10);
  // In its worker it crashes on the bad event again (each time a worker dies, not the daemon), is
  // retried, then skipped (stop_on_error off), and goes on with the events after it.
  ASSERT_NO_FATAL_FAILURE(restartUntil(
      [&] {
        const auto got = ids(out("crasher"));
        return !got.empty() && got.back() == last && out("healthy").size() >= 10;
      },
      4));
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(alive()) << log();
  EXPECT_EQ(exits_.size(), 2u);
  const auto text = log();
  EXPECT_NE(
      text.find("crash 2 of 2 on this event. on_crash is isolate: from now on it runs in a worker process"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("Plugin crasher runs in a worker process: it crashed the daemon with signal"),
            std::string::npos)
      << text;
  const long daemonPid = daemon_->pid();
  const auto calls = out("crasher");
  std::vector<std::int64_t> inDaemon;
  for (const auto& c : calls) {
    if (c.id > kBad) {
      EXPECT_NE(c.pid, daemonPid) << "event " << c.id << " ran in the daemon";
      EXPECT_EQ(std::count(pids_.begin(), pids_.end(), c.pid), 0) << "event " << c.id << " ran in a daemon";
    } else if (c.id < kBad) {
      inDaemon.push_back(c.id);
      EXPECT_EQ(c.pid, pids_.front()) << "before the crash it ran in the daemon's threads";
    }
  }
  EXPECT_EQ(inDaemon, (std::vector<std::int64_t>{1, 2, 3, 4}));
  std::vector<std::int64_t> after;
  for (const auto id : ids(calls)) {
    if (id > kBad) {
      after.push_back(id);
    }
  }
  EXPECT_EQ(after, (std::vector<std::int64_t>{6, 7, 8, 9, 10}));
  // The bad event: twice in the daemon (two crashes), then its attempts in the worker.
  const auto all = ids(calls);
  EXPECT_EQ(std::count(all.begin(), all.end(), kBad), 2 + 2) << ::testing::PrintToString(all);
  expectDeliveredOnce("healthy", last, exits_.size());
  for (const auto& c : out("healthy")) {
    EXPECT_NE(std::find(pids_.begin(), pids_.end(), c.pid), pids_.end())
        << "the healthy plugin stays in the daemon";
  }
  stopDaemon();
}

TEST_F(CrashLoopTest, AKillFromOutsideBlamesNobody) {
  addNative("slow", "sleep:200");
  writeConfig("", "");
  ASSERT_NO_FATAL_FAILURE(startFirst(1));
  const auto last = append(6);
  ASSERT_TRUE(waitUntil([&] { return out("slow").size() >= 2; }, 30s)) << log();
  daemon_->signal(SIGKILL);  // most likely mid-callback: it sleeps
  ASSERT_TRUE(daemon_->wait(10s));
  runDaemon();
  ASSERT_TRUE(waitUntil([&] { return !out("slow").empty() && out("slow").back().id == last; }, 30s)) << log();
  const auto text = log();
  EXPECT_EQ(text.find("crashed the daemon"), std::string::npos) << text;
  EXPECT_EQ(text.find("crash note"), std::string::npos) << text;
  stopDaemon();
}

TEST_F(CrashLoopTest, AThreadModeCallbackPastItsCallbackTimeoutIsReportedStuckOnceAndRecovers) {
  addNative("sleeper", "sleep:5000");
  addNative("healthy");
  writeConfig("", "[plugin:sleeper]\ncallback_timeout: 1\n", "listen: 127.0.0.1:0\n");
  ASSERT_NO_FATAL_FAILURE(startFirst(2));
  ASSERT_TRUE(waitUntil([&] { return admin().Get("/readyz") && admin().Get("/readyz")->status == 200; }, 30s))
      << log();
  append(1);
  ASSERT_TRUE(waitUntil([&] { return count(log(), "Plugin sleeper is stuck") > 0; }, 10s)) << log();
  EXPECT_TRUE(
      logHas("WARNING.*Plugin sleeper is stuck: callback misbehave has been running on event 1 for "
             "\\d+\\.\\d s, past its callback_timeout of 1 s"))
      << log();
  auto ready = admin().Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_NE(ready->body.find("plugin sleeper is stuck: callback misbehave has been running on event 1"),
            std::string::npos)
      << ready->body;
  auto status = admin().Get("/api/v1/plugins/sleeper");
  ASSERT_TRUE(status && status->status == 200);
  const auto plugin = json::parse(status->body);
  EXPECT_TRUE(plugin["stuck"].get<bool>()) << plugin.dump();
  EXPECT_EQ(plugin["in_callback"]["event_id"], 1) << plugin.dump();
  EXPECT_EQ(plugin["stuck_after"], 1.0) << plugin.dump();
  std::string cli;
  EXPECT_EQ(runCommand({SGEVENTD_BINARY, "-c", (dir_ / "shotgunEventDaemon.conf").string(), "status"}, cli),
            0);
  EXPECT_TRUE(std::regex_search(cli, std::regex("sleeper +stuck .*in callback misbehave on event 1"))) << cli;
  // The healthy plugin is not held up, and is not stuck.
  ASSERT_TRUE(waitUntil([&] { return out("healthy").size() == 1; }, 10s)) << log();
  EXPECT_FALSE(json::parse(admin().Get("/api/v1/plugins/healthy")->body)["stuck"].get<bool>());
  // It returns: ready again, one warning in all, and a line saying it is over.
  ASSERT_TRUE(waitUntil([&] { return count(log(), "it is no longer stuck") > 0; }, 10s)) << log();
  ASSERT_TRUE(waitUntil([&] { return admin().Get("/readyz") && admin().Get("/readyz")->status == 200; }, 10s))
      << admin().Get("/readyz")->body;
  EXPECT_FALSE(json::parse(admin().Get("/api/v1/plugins/sleeper")->body)["stuck"].get<bool>());
  EXPECT_EQ(count(log(), "Plugin sleeper is stuck"), 1u) << log();
  stopDaemon();
}

}  // namespace
