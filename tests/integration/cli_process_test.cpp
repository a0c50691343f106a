// `sgeventd sim` started as a process on port 0, driven by `sgeventd sg` processes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace sgeventd::integration {
namespace {

using Json = nlohmann::json;

struct ProcessOutput {
  int exitCode = -1;
  std::string out;
};

// Runs a shell command line; stdout captured, stderr to /dev/null.
ProcessOutput runCommand(const std::string& command) {
  ProcessOutput result;
  FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    result.out.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A child process whose stdout is read until it names its port; killed and reaped on destruction.
class SimProcess {
 public:
  SimProcess() {
    int fds[2];
    if (::pipe(fds) != 0) {
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(fds[1], STDERR_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execl(SGEVENTD_BINARY, SGEVENTD_BINARY, "sim", "--port", "0", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }
  ~SimProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      int status = 0;
      while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &status, 0);
          break;
        }
        ::usleep(10000);
      }
    }
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  // The first "127.0.0.1:PORT" the process prints, within `timeout`; 0 when none.
  int waitForPort(std::chrono::milliseconds timeout) {
    static const std::regex kPort(R"(127\.0\.0\.1:(\d+))");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fd_ >= 0 && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        continue;
      }
      char buffer[1024];
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) {
        break;
      }
      output_.append(buffer, static_cast<size_t>(n));
      std::smatch m;
      if (std::regex_search(output_, m, kPort)) {
        return std::stoi(m[1]);
      }
    }
    return 0;
  }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

TEST(CliProcess, SgDrivesASimProcess) {
  if (runCommand(std::string(SGEVENTD_BINARY) + " sim --help").exitCode != 0) {
    GTEST_SKIP() << "this build has no `sgeventd sim` command yet";
  }
  SimProcess sim;
  const int port = sim.waitForPort(std::chrono::seconds(15));
  ASSERT_GT(port, 0) << "sim printed: " << sim.output();
  const std::string sg = std::string(SGEVENTD_BINARY) +
                         " sg --server http://127.0.0.1:" + std::to_string(port) +
                         " --script-name sgeventd --script-key sim-key ";

  const auto info = runCommand(sg + "info");
  ASSERT_EQ(info.exitCode, 0) << info.out;
  EXPECT_TRUE(Json::parse(info.out)["version"].is_array());

  const auto created = runCommand(sg + "create Shot " + quote(R"({"code":"cli010"})") + " --fields code");
  ASSERT_EQ(created.exitCode, 0) << created.out;
  const Json shot = Json::parse(created.out);
  EXPECT_EQ(shot["code"], "cli010");
  const std::string id = std::to_string(shot["id"].get<std::int64_t>());

  const auto updated = runCommand(sg + "update Shot " + id + " " + quote(R"({"code":"cli020"})"));
  ASSERT_EQ(updated.exitCode, 0) << updated.out;

  const auto found = runCommand(sg + "find Shot " + quote(R"([["id","is",)" + id + "]]") + " --fields code");
  ASSERT_EQ(found.exitCode, 0) << found.out;
  const Json list = Json::parse(found.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["code"], "cli020");
  EXPECT_NE(found.out.find("\n  "), std::string::npos);  // pretty-printed

  const auto removed = runCommand(sg + "delete Shot " + id);
  ASSERT_EQ(removed.exitCode, 0);
  EXPECT_EQ(Json::parse(removed.out), true);

  const auto retired =
      runCommand(sg + "find Shot " + quote(R"([["id","is",)" + id + "]]") + " --retired-only");
  ASSERT_EQ(retired.exitCode, 0);
  EXPECT_EQ(Json::parse(retired.out).size(), 1u);

  const auto summary = runCommand(sg + "summarize Shot '[]' " + quote(R"([{"field":"id","type":"count"}])"));
  ASSERT_EQ(summary.exitCode, 0) << summary.out;
  EXPECT_TRUE(Json::parse(summary.out).contains("summaries"));

  const auto events = runCommand(sg + "find EventLogEntry '[]' --fields event_type --limit 3");
  ASSERT_EQ(events.exitCode, 0);
  EXPECT_EQ(Json::parse(events.out).size(), 3u);

  // Errors: a bad key exits 1, bad JSON is a usage error (2).
  EXPECT_EQ(runCommand(std::string(SGEVENTD_BINARY) + " sg --server http://127.0.0.1:" +
                       std::to_string(port) + " --script-name sgeventd --script-key nope find Shot '[]'")
                .exitCode,
            1);
  EXPECT_EQ(runCommand(sg + "find Shot 'not json'").exitCode, 2);
}

TEST(CliProcess, EnvironmentGivesTheServerAndScript) {
  // No server at all: a usage error, whatever the environment of the test run says.
  EXPECT_EQ(runCommand("env -u SG_SERVER -u SG_SCRIPT_NAME -u SG_SCRIPT_KEY " + std::string(SGEVENTD_BINARY) +
                       " sg info")
                .exitCode,
            2);
  // The environment fills the flags: a refused port gives a connection error (1), not a usage error.
  EXPECT_EQ(runCommand("SG_SERVER=http://127.0.0.1:9 SG_SCRIPT_NAME=a SG_SCRIPT_KEY=b " +
                       std::string(SGEVENTD_BINARY) + " sg --timeout 2 info")
                .exitCode,
            1);
}

}  // namespace
}  // namespace sgeventd::integration
