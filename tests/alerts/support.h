#pragma once
// Test helpers for the e-mail alerts: a clock moved by hand, a transport that records what it is given,
// and the real SMTP server (smtp_server.py, aiosmtpd) run as a child process on 127.0.0.1.
#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../daemon/process.h"
#include "../support/manual_clock.h"
#include "../support/wait.h"
#include "alerts/smtp_transport.h"
#include "core/clock.h"

namespace sgeventd::alerts::testing {

using ::sgeventd::testing::ManualClock;
// The alert tests' clock starts at 23:00 on 1 December 2026, the time their expectations are written for.
inline std::shared_ptr<ManualClock> eveningClock() {
  return std::make_shared<ManualClock>(std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} +
                                       std::chrono::hours(23));
}

// Answers with the results it is told to (Sent once the script runs out) and keeps every mail.
class FakeTransport final : public MailTransport {
 public:
  struct State {
    std::mutex mutex;
    std::deque<SendResult> script;
    std::vector<OutgoingMail> mails;  // every attempt, sent or not
    std::vector<std::chrono::milliseconds> timeouts;
  };
  explicit FakeTransport(std::shared_ptr<State> state) : state_(std::move(state)) {}
  SendResult send(const OutgoingMail& mail, std::chrono::milliseconds timeout) override {
    std::lock_guard lock(state_->mutex);
    state_->mails.push_back(mail);
    state_->timeouts.push_back(timeout);
    if (state_->script.empty()) {
      return {SendResult::Kind::Sent, ""};
    }
    auto result = state_->script.front();
    state_->script.pop_front();
    return result;
  }

 private:
  std::shared_ptr<State> state_;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The body of a message as the server received it (after the blank line), with CRLF made LF.
inline std::string bodyOf(const std::string& data) {
  auto at = data.find("\r\n\r\n");
  std::string body = at == std::string::npos ? "" : data.substr(at + 4);
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') {
      continue;
    }
    out.push_back(body[i]);
  }
  return out;
}

// The value of header `name` in raw message data ("" when absent).
inline std::string headerOf(const std::string& data, const std::string& name) {
  std::istringstream in(data.substr(0, data.find("\r\n\r\n")));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.rfind(name + ": ", 0) == 0) {
      return line.substr(name.size() + 2);
    }
  }
  return "";
}

class SmtpServer {
 public:
  // `options`: extra smtp_server.py arguments (--cert, --auth, --reject-rcpt, --delay, --port).
  explicit SmtpServer(std::filesystem::path dir, std::vector<std::string> options = {})
      : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    std::vector<std::string> argv{"/usr/bin/python3", SGEVENTD_SMTP_SERVER, "--dir", dir_.string()};
    argv.insert(argv.end(), options.begin(), options.end());
    process_ = std::make_unique<sgeventd::testing::Process>(argv, std::map<std::string, std::string>{},
                                                            (dir_ / "server.stderr").string());
    if (auto line = process_->readLine(std::chrono::seconds(20)); line && line->rfind("PORT ", 0) == 0) {
      port_ = std::stoi(line->substr(5));
    }
  }
  ~SmtpServer() { stop(); }
  void stop() {
    if (process_) {
      process_->signal(SIGTERM);
      process_->wait(std::chrono::seconds(10));
      process_.reset();
    }
  }
  int port() const { return port_; }
  std::string stderrText() const { return slurp(dir_ / "server.stderr"); }

  std::vector<nlohmann::json> messages() const {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      const auto name = entry.path().filename().string();
      if (name.rfind("msg-", 0) == 0 && entry.path().extension() == ".json") {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    std::vector<nlohmann::json> out;
    for (const auto& file : files) {
      out.push_back(nlohmann::json::parse(slurp(file)));
    }
    return out;
  }
  bool waitForMessages(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    return sgeventd::testing::waitUntil([&] { return messages().size() >= n; }, timeout);
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<sgeventd::testing::Process> process_;
  int port_ = 0;
};

}  // namespace sgeventd::alerts::testing
