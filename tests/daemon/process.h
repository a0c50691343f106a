#pragma once
// Child processes for tests: spawn with arguments and extra environment, read what they print, signal
// them, wait with a deadline. The destructor kills what is still running.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sgeventd::testing {

class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
          const std::string& stderrFile = "/dev/null");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // The next line on stdout, or nullopt at EOF or after the timeout.
  std::optional<std::string> readLine(std::chrono::milliseconds timeout);
  void signal(int sig) const;
  // The exit code (128+N for signal N), or nullopt if still running at the deadline.
  std::optional<int> wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

// Runs to completion; returns the exit code and fills `output` with stdout and stderr.
int runCommand(const std::vector<std::string>& argv, std::string& output,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace sgeventd::testing
