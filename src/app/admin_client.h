#pragma once
// The command line's client of a running daemon's admin API (libcurl): where the daemon listens (the
// address file it wrote, else [admin] listen) and the token from [admin] token or token_file.
#include <optional>
#include <string>

#include "config/daemon_config.h"
#include "core/expected.h"

namespace sgeventd::app {

// A live sgeventd holds the lock of this configuration's state database.
bool daemonRuns(const config::DaemonConfig& c);

// Beside the state database: the URL the daemon's admin server bound, one line.
std::string adminAddressFile(const config::DaemonConfig& c);

struct AdminReply {
  long status = 0;
  std::string body;
};

class AdminClient {
 public:
  // nullopt when [admin] listen is empty (the daemon has no API).
  static std::optional<AdminClient> forConfig(const config::DaemonConfig& c);

  // An error only when no answer came (nothing listens, a timeout); any HTTP status is a reply.
  Expected<AdminReply> get(const std::string& path) const;
  Expected<AdminReply> post(const std::string& path, const std::string& body = "{}") const;
  const std::string& baseUrl() const { return base_; }

  // A path segment with everything but unreserved characters percent-encoded.
  static std::string escape(const std::string& segment);

 private:
  AdminClient(std::string base, std::string token) : base_(std::move(base)), token_(std::move(token)) {}
  Expected<AdminReply> request(const std::string& method, const std::string& path,
                               const std::string* body) const;
  std::string base_;
  std::string token_;
};

// The "error" of a JSON error reply, else the body as it came.
std::string replyError(const AdminReply& reply);

}  // namespace sgeventd::app
