#pragma once
// Broker workers as an operator runs them: a nats-server of the test's own, the site's stream, events
// published with broker::Publisher, and `sgeventd -c CONF worker --broker` processes running copies of the
// record fixture plugin (fixtures/record.cpp), each line of whose output is "<event id> <pid>".
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../daemon/process.h"
#include "../support/slurp.h"
#include "../support/temp_dir.h"
#include "../support/wait.h"
#include "broker/publisher.h"
#include "broker/stream.h"
#include "nats_server.h"
#include "stream_reader.h"

namespace sgeventd::testing {

namespace fs = std::filesystem;

struct Call {
  std::int64_t id = 0;
  long pid = 0;
};

// Complete lines only: a line being written is not a call yet.
inline std::vector<Call> readCalls(const fs::path& path) {
  std::vector<Call> calls;
  const std::string text = slurp(path);
  std::size_t start = 0;
  for (auto end = text.find('\n'); end != std::string::npos; start = end + 1, end = text.find('\n', start)) {
    Call call;
    if (std::sscanf(text.c_str() + start, "%ld %ld", &call.id, &call.pid) == 2) {
      calls.push_back(call);
    }
  }
  return calls;
}

inline std::size_t lineCount(const fs::path& path) {
  const std::string text = slurp(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

class WorkerFixture : public ::testing::Test {
 public:
  static constexpr const char* kSite = "studio";
  static constexpr const char* kStream = "SGEVENTS";

 protected:
  void SetUp() override {
    ASSERT_TRUE(server.start()) << "nats-server did not start; its log: " << server.log();
    auto c = broker::Connection::connect(server.options());
    ASSERT_TRUE(c) << c.error().message;
    connection = broker::ConnectionPtr(std::move(*c));
    auto stream = broker::ensureStream(*connection, broker::StreamSettings{.name = kStream, .site = kSite});
    ASSERT_TRUE(stream) << stream.error().message;
    fs::create_directories(dir.path() / "out");
    env["SGEVENTD_RECORD_OUT"] = (dir.path() / "out").string();
  }

  // A copy of the record plugin named `name` in the folder `folder` (under the test's folder).
  void addPlugin(const std::string& folder, const std::string& name, const std::string& mode = "",
                 const std::string& match = "") {
    fs::create_directories(dir.path() / folder);
    fs::copy_file(fs::path(SGEVENTD_BUILD_DIR) / "test-plugins/record.so",
                  dir.path() / folder / (name + ".so"), fs::copy_options::overwrite_existing);
    env["SGEVENTD_RECORD_" + name] = mode;
    if (!match.empty()) {
      env["SGEVENTD_RECORD_MATCH_" + name] = match;
    }
  }

  // A worker with a config of its own (its own log folder) on the plugin folder `folder`.
  Process& startWorker(const std::string& worker, const std::string& folder,
                       const std::string& brokerKeys = "", const std::string& daemonKeys = "") {
    const fs::path conf = dir.path() / (worker + ".conf");
    std::ofstream(conf)
        << "[daemon]\npidFile: " << worker << ".pid\neventIdFile: " << worker
        << ".id\nstate_database: " << worker << ".sqlite\n"
        << "logMode: 0\nlogPath: logs-" << worker
        << "\nlogFile: shotgunEventDaemon\nlogging: 20\n"
           "conn_retry_sleep: 1\nmax_conn_retries: 3\nfetch_interval: 0.1\n"
           "retry_attempts: 3\nretry_backoff: 0.05\n"
        << daemonKeys
        << "[shotgun]\nserver: http://127.0.0.1:9\nname: sgeventd\nkey: key\nuse_session_uuid: False\n"
           "[plugins]\npaths: "
        << folder << "\n[emails]\nenabled: False\n[admin]\nlisten:\n"
        << "[broker]\nurl: " << (brokerUrls.empty() ? server.url() : brokerUrls) << "\nsite: " << kSite
        << "\nstream: " << kStream << "\nnew_consumer_start: all\n"
        << brokerKeys;
    workers[worker] = std::make_unique<Process>(
        std::vector<std::string>{SGEVENTD_BINARY, "-c", conf.string(), "worker", "--broker"}, env,
        (dir.path() / (worker + ".stderr")).string());
    return *workers[worker];
  }
  std::string workerLog(const std::string& worker) const {
    return slurp(dir.path() / ("logs-" + worker) / "shotgunEventDaemon");
  }
  // Waits until the worker's log says `what` (`times` times).
  bool logged(const std::string& worker, const std::string& what, std::size_t times = 1,
              std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    return waitUntil(
        [&] {
          const std::string text = workerLog(worker);
          std::size_t n = 0;
          for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
            ++n;
          }
          return n >= times;
        },
        timeout);
  }
  // SIGTERM: the worker finishes its callbacks in flight and exits 0.
  void stopWorker(const std::string& worker) {
    workers[worker]->signal(SIGTERM);
    EXPECT_EQ(workers[worker]->wait(std::chrono::seconds(20)).value_or(-1), 0)
        << slurp(dir.path() / (worker + ".stderr"));
  }

  fs::path out(const std::string& plugin) const { return dir.path() / "out" / (plugin + ".txt"); }
  bool linesReach(const std::string& plugin, std::size_t n, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (lineCount(out(plugin)) >= n) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // each look reads the whole file
    }
    return lineCount(out(plugin)) >= n;
  }

  // Every plugin has run `count` distinct events.
  bool allRan(const std::vector<std::string>& plugins, std::size_t count,
              std::chrono::milliseconds timeout) const {
    return waitUntil(
        [&] {
          for (const auto& plugin : plugins) {
            std::set<std::int64_t> ids;
            for (const auto& call : readCalls(out(plugin))) {
              ids.insert(call.id);
            }
            if (ids.size() < count) {
              return false;
            }
          }
          return true;
        },
        timeout);
  }
  // After an outage: each plugin ran every event from `first` to `last` in order, and ran again only the
  // few (at most two) whose acknowledgement the outage lost.
  void expectOnceBarLostAcks(const std::vector<std::string>& plugins, std::int64_t first,
                             std::int64_t last) const;

  void publish(std::int64_t first, std::int64_t last) {
    auto publisher = broker::Publisher::start(
        connection, broker::PublisherOptions{.stream = kStream, .site = kSite, .maxPendingAcks = 1024});
    ASSERT_TRUE(publisher) << publisher.error().message;
    for (std::int64_t id = first; id <= last; ++id) {
      auto done = (*publisher)->publish(makeEvent(id));
      ASSERT_TRUE(done) << id << ": " << done.error().message;
    }
    ASSERT_TRUE((*publisher)->flush(std::chrono::seconds(30)));
  }

  NatsServer server;
  std::string brokerUrls;  // the workers' [broker] url when not `server` (a cluster's)
  TempDir dir;
  broker::ConnectionPtr connection;
  std::map<std::string, std::string> env;
  std::map<std::string, std::unique_ptr<Process>> workers;
};

// Every id from `first` to `last` at least once, first seen in id order; an id seen again only right
// after itself (a redelivery of the event in flight), and only the ids in `again`.
inline void expectInOrder(const std::vector<Call>& calls, std::int64_t first, std::int64_t last,
                          const std::set<std::int64_t>& again) {
  std::int64_t next = first;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].id == next) {
      ++next;
      continue;
    }
    ASSERT_TRUE(calls[i].id == next - 1 && again.count(calls[i].id) == 1)
        << "call " << i << ": event " << calls[i].id << " where " << next << " was due";
  }
  ASSERT_EQ(next, last + 1) << "events after " << next - 1 << " never ran";
}

// The ids run twice in a row: each an event whose callback ran and whose ack was lost (a worker killed,
// a server gone) before it was delivered again.
inline std::set<std::int64_t> repeatedIds(const std::vector<Call>& calls) {
  std::set<std::int64_t> again;
  for (std::size_t i = 1; i < calls.size(); ++i) {
    if (calls[i].id == calls[i - 1].id) {
      again.insert(calls[i].id);
    }
  }
  return again;
}

inline void WorkerFixture::expectOnceBarLostAcks(const std::vector<std::string>& plugins, std::int64_t first,
                                                 std::int64_t last) const {
  for (const auto& plugin : plugins) {
    const auto calls = readCalls(out(plugin));
    const auto again = repeatedIds(calls);
    EXPECT_LE(again.size(), 2U) << plugin;
    ASSERT_NO_FATAL_FAILURE(expectInOrder(calls, first, last, again)) << plugin;
  }
}

}  // namespace sgeventd::testing
