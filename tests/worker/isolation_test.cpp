// Plugins in worker processes, as an operator runs them: the real daemon against `sgeventd sim`, with
// plugins that segfault, abort, exit, hang, allocate too much, leak, get killed from outside or reloaded
// mid-callback. In every test the other plugins receive every event, and nothing is lost.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../daemon/process.h"
#include "../daemon/sim_fixture.h"
#include "../support/wait.h"

using namespace std::chrono_literals;
using sgeventd::testing::Process;
using sgeventd::testing::SimProcess;
using sgeventd::testing::slurp;
using sgeventd::testing::waitUntil;
namespace fs = std::filesystem;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;  // ASan reserves terabytes of address space: RLIMIT_AS cannot apply
#else
constexpr bool kSanitized = false;
#endif

// One "<event id> <pid>" line per call, as misbehave.so and the Python plugins below write them.
struct Call {
  std::int64_t id;
  long pid;
};

std::vector<Call> calls(const fs::path& file) {
  std::vector<Call> out;
  std::ifstream in(file);
  Call c{};
  while (in >> c.id >> c.pid) {
    out.push_back(c);
  }
  return out;
}

std::vector<std::int64_t> ids(const std::vector<Call>& cs) {
  std::vector<std::int64_t> out;
  for (const auto& c : cs) {
    out.push_back(c.id);
  }
  return out;
}

// A Python plugin writing the same lines, that does `action` on event `bad`.
std::string pythonPlugin(const std::string& name, const std::string& action, std::int64_t bad) {
  return "import logging, os\n"
         "def registerCallbacks(reg):\n"
         "    reg.registerCallback('sgeventd', 'sim-key', onEvent, None, None)\n"
         "    reg.logger.info('" +
         name +
         " registered in process %d', os.getpid())\n"
         "def onEvent(sg, logger, event, args):\n"
         "    with open(os.path.join(os.environ['SGEVENTD_MISBEHAVE_OUT'], '" +
         name +
         ".txt'), 'a') as f:\n"
         "        f.write('%d %d\\n' % (event['id'], os.getpid()))\n"
         "        f.flush()\n"
         "        os.fsync(f.fileno())\n"
         "    if event['id'] == " +
         std::to_string(bad) +
         ":\n"
         "        logger.info('" +
         name +
         " misbehaves on event %d', event['id'])\n"
         "        " +
         action + "\n";
}

class IsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sgeventd-isolation-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "plugins");
    fs::create_directories(dir_ / "out");
    ASSERT_NO_FATAL_FAILURE(sim_.start(dir_));
  }
  void TearDown() override {
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
  void addPython(const std::string& name, const std::string& action, std::int64_t bad) {
    std::ofstream(dir_ / "plugins" / (name + ".py")) << pythonPlugin(name, action, bad);
  }

  // `sections` follows [daemon]'s keys: [plugin:NAME] sections and their keys.
  void start(const std::string& daemonKeys, const std::string& sections, std::size_t plugins) {
    std::ofstream conf(dir_ / "shotgunEventDaemon.conf");
    conf << "[daemon]\npidFile: sgeventd.pid\neventIdFile: shotgunEventDaemon.id\nstate_database: "
            "state.sqlite\n"
            "logMode: 0\nlogPath: logs\nlogFile: shotgunEventDaemon\nlogging: 20\n"
            "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.1\nmax_event_batch_size: 50\n"
            "retry_attempts: 2\nretry_backoff: 0.1\nshutdown_timeout: 10\n"
         << daemonKeys << "[shotgun]\nserver: http://127.0.0.1:" << sim_.port()
         << "\nname: sgeventd\nkey: sim-key\nuse_session_uuid: False\nrequest_timeout: 5\n"
            "[plugins]\npaths: plugins\n[emails]\nenabled: False\n[admin]\nlisten:\n"
         << sections;
    conf.close();
    env_["SGEVENTD_MISBEHAVE_OUT"] = (dir_ / "out").string();
    daemon_ = std::make_unique<Process>(
        std::vector<std::string>{SGEVENTD_BINARY, "-c", (dir_ / "shotgunEventDaemon.conf").string(),
                                 "foreground"},
        env_, (dir_ / "daemon.stderr").string());
    // Events come once every plugin has its place (a first start begins after the newest event).
    ASSERT_TRUE(waitUntil([&] { return count(log(), "it starts after event") >= plugins; }, 30s)) << log();
  }

  std::string log() const { return slurp(dir_ / "logs/shotgunEventDaemon"); }
  static std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
      ++n;
    }
    return n;
  }
  std::vector<Call> out(const std::string& name) const { return calls(dir_ / "out" / (name + ".txt")); }
  std::int64_t append(int n) { return sim_.post("/sim/events", {{"count", n}})["last"].get<std::int64_t>(); }
  bool reached(const std::string& name, std::size_t n) const { return out(name).size() >= n; }
  void stopDaemon() {
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(30s).value_or(-1), 0) << slurp(dir_ / "daemon.stderr");
  }

  fs::path dir_;
  SimProcess sim_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Process> daemon_;
};

// Every id once, except `again` twice (the crashed attempt and its retry).
void expectOnceEach(const std::vector<std::int64_t>& got, std::int64_t last,
                    std::set<std::int64_t> again = {}) {
  std::vector<std::int64_t> want;
  for (std::int64_t i = 1; i <= last; ++i) {
    want.push_back(i);
    if (again.count(i) != 0) {
      want.push_back(i);
    }
  }
  EXPECT_EQ(got, want);
}

}  // namespace

TEST_F(IsolationTest, NativeSegfaultAndAbortEndOnlyTheirOwnWorker) {
  addNative("seg", "segv:3");
  addNative("abrt", "abort:4");
  addNative("healthy");
  start("",
        "[plugin:seg]\nisolation: process\nstop_on_error: false\n[plugin:abrt]\nisolation: "
        "process\nstop_on_error: false\n",
        3);
  const auto last = append(8);
  ASSERT_TRUE(
      waitUntil([&] { return reached("seg", 9) && reached("abrt", 9) && reached("healthy", 8); }, 60s))
      << log();
  std::this_thread::sleep_for(300ms);  // nothing more comes
  expectOnceEach(ids(out("healthy")), last);
  expectOnceEach(ids(out("seg")), last, {3});  // two attempts of event 3, then it is skipped
  expectOnceEach(ids(out("abrt")), last, {4});
  const auto text = log();
  EXPECT_EQ(count(text, "WARNING - The worker process"), 4u) << text;  // one line per death
  if (!kSanitized) {  // ASan reports a SEGV itself and aborts
    EXPECT_NE(text.find("of plugin seg killed by signal 11 (Segmentation fault)"), std::string::npos) << text;
  }
  EXPECT_NE(text.find("of plugin abrt killed by signal 6 (Aborted)"), std::string::npos) << text;
  EXPECT_NE(text.find("crashed"), std::string::npos);
  // The healthy plugin ran in the daemon itself, the others each in workers of their own, restarted.
  const long daemonPid = daemon_->pid();
  for (const auto& c : out("healthy")) {
    EXPECT_EQ(c.pid, daemonPid);
  }
  std::set<long> segPids;
  for (const auto& c : out("seg")) {
    EXPECT_NE(c.pid, daemonPid);
    segPids.insert(c.pid);
  }
  EXPECT_EQ(segPids.size(), 3u) << "a worker before each crash and one after";
  stopDaemon();
}

TEST_F(IsolationTest, PythonExitAndAnEndlessLoopPastCallbackTimeout) {
  addPython("exiter", "os._exit(3)", 2);
  addPython("looper", "while True: pass", 3);
  addNative("healthy");
  start("",
        "[plugin:exiter]\nisolation: process\nstop_on_error: false\n"
        "[plugin:looper]\nisolation: process\nstop_on_error: false\ncallback_timeout: 1\n",
        3);
  const auto last = append(5);
  ASSERT_TRUE(
      waitUntil([&] { return reached("exiter", 6) && reached("looper", 6) && reached("healthy", 5); }, 60s))
      << log();
  std::this_thread::sleep_for(300ms);
  expectOnceEach(ids(out("healthy")), last);
  expectOnceEach(ids(out("exiter")), last, {2});
  expectOnceEach(ids(out("looper")), last, {3});
  const auto text = log();
  EXPECT_NE(text.find("of plugin exiter exited with status 3"), std::string::npos) << text;
  EXPECT_NE(text.find("ran past its callback_timeout"), std::string::npos) << text;
  EXPECT_NE(text.find("timed-out"), std::string::npos) << text;
  // Records logged in the worker reach the daemon's log, as in thread mode.
  EXPECT_NE(text.find("looper misbehaves on event 3"), std::string::npos) << text;
  EXPECT_NE(text.find("exiter registered in process"), std::string::npos) << text;
  stopDaemon();
}

TEST_F(IsolationTest, AnAllocationPastTheMemoryLimitFailsInsideTheWorker) {
  if (kSanitized) {
    GTEST_SKIP() << "RLIMIT_AS cannot apply to a process under AddressSanitizer";
  }
  addNative("hog", "alloc:2");
  addNative("healthy");
  start("", "[plugin:hog]\nisolation: process\nstop_on_error: false\nworker_memory_limit: 512M\n", 2);
  const auto last = append(4);
  ASSERT_TRUE(waitUntil([&] { return reached("hog", 4) && reached("healthy", 4); }, 60s)) << log();
  std::this_thread::sleep_for(300ms);
  expectOnceEach(ids(out("healthy")), last);
  expectOnceEach(ids(out("hog")), last);  // an Error, not a crash: recorded, skipped, not retried
  std::set<long> pids;
  for (const auto& c : out("hog")) {
    pids.insert(c.pid);
  }
  EXPECT_EQ(pids.size(), 1u) << "the worker survived its plugin's failed allocation";
  EXPECT_NE(log().find("bad_alloc"), std::string::npos) << log();
  stopDaemon();
}

TEST_F(IsolationTest, WorkerMaxEventsContainsALeak) {
  addNative("leaky", "leak:8388608");  // 8 MiB per event, touched
  addNative("healthy");
  start("", "[plugin:leaky]\nisolation: process\nworker_max_events: 5\n", 2);
  const auto last = append(22);
  ASSERT_TRUE(waitUntil([&] { return reached("leaky", 22) && reached("healthy", 22); }, 60s)) << log();
  expectOnceEach(ids(out("leaky")), last);
  expectOnceEach(ids(out("healthy")), last);
  std::map<long, int> perPid;
  for (const auto& c : out("leaky")) {
    ++perPid[c.pid];
  }
  EXPECT_EQ(perPid.size(), 5u);  // 5 + 5 + 5 + 5 + 2
  for (const auto& [pid, n] : perPid) {
    EXPECT_LE(n, 5) << pid;
  }
  EXPECT_NE(log().find("(worker_max_events): it is replaced"), std::string::npos);
  stopDaemon();
}

TEST_F(IsolationTest, AWorkerKilledFromOutsideLosesNothing) {
  addNative("slow", "sleep:150");
  addNative("healthy");
  start("", "[plugin:slow]\nisolation: process\n", 2);
  const auto last = append(12);
  ASSERT_TRUE(waitUntil([&] { return reached("slow", 3); }, 30s)) << log();
  const long victim = out("slow").back().pid;
  ASSERT_EQ(::kill(static_cast<pid_t>(victim), SIGKILL), 0);  // most likely mid-callback: it sleeps
  ASSERT_TRUE(waitUntil([&] { return reached("healthy", 12); }, 60s)) << log();
  ASSERT_TRUE(waitUntil(
      [&] {
        const auto seen = ids(out("slow"));
        return std::set<std::int64_t>(seen.begin(), seen.end()).size() == 12;
      },
      60s))
      << log();
  std::this_thread::sleep_for(300ms);
  expectOnceEach(ids(out("healthy")), last);
  const auto slow = ids(out("slow"));
  EXPECT_LE(slow.size(), 13u) << "at most the event in flight ran twice";
  EXPECT_TRUE(std::is_sorted(slow.begin(), slow.end())) << "in order, the repeat next to itself";
  EXPECT_NE(log().find("killed by signal 9 (Killed)"), std::string::npos) << log();
  stopDaemon();
}

TEST_F(IsolationTest, AReloadDuringACallbackSwapsWorkersBetweenEvents) {
  // Long enough for the new version's worker to start and register (slower under AddressSanitizer).
  addNative("slow", "sleep:3000");
  start("", "[plugin:slow]\nisolation: process\n", 1);
  const auto last = append(3);
  ASSERT_TRUE(waitUntil([&] { return reached("slow", 1); }, 30s)) << log();
  const long before = out("slow").front().pid;
  // A new file version while event 1's callback runs: loaded in a new worker, swapped between events.
  std::this_thread::sleep_for(100ms);
  addNative("slow", "sleep:10");
  ASSERT_TRUE(waitUntil([&] { return reached("slow", 3); }, 60s)) << log();
  std::this_thread::sleep_for(300ms);
  const auto all = out("slow");
  expectOnceEach(ids(all), last);
  EXPECT_EQ(all.front().pid, before) << "the callback in flight finished in the old worker";
  EXPECT_NE(all.back().pid, before) << "the new version runs in a new worker";
  EXPECT_TRUE(waitUntil([&] { return ::kill(static_cast<pid_t>(before), 0) == -1; }, 10s))
      << "the old worker stopped";
  stopDaemon();
}

TEST_F(IsolationTest, AWorkerGroupSharesOneProcess) {
  addNative("a");
  addNative("b");
  addNative("solo");
  start("",
        "[plugin:a]\nisolation: process\nworker_group: small\n[plugin:b]\nisolation: process\nworker_group: "
        "small\n"
        "[plugin:solo]\nisolation: process\n",
        3);
  const auto last = append(4);
  ASSERT_TRUE(waitUntil([&] { return reached("a", 4) && reached("b", 4) && reached("solo", 4); }, 30s))
      << log();
  expectOnceEach(ids(out("a")), last);
  expectOnceEach(ids(out("b")), last);
  EXPECT_EQ(out("a").front().pid, out("b").front().pid);
  EXPECT_NE(out("a").front().pid, out("solo").front().pid);
  EXPECT_NE(out("a").front().pid, daemon_->pid());
  stopDaemon();
}
