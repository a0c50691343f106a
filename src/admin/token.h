#pragma once
// The bearer-token rule of the admin API. The comparison takes the same time wherever the first wrong
// byte is, so the token cannot be guessed byte by byte from response times.
#include <optional>
#include <string>
#include <string_view>

namespace sgeventd::admin {

bool constantTimeEquals(std::string_view a, std::string_view b);

// Who may make a call: every call needs the token when the server listens beyond loopback; a call that
// changes something needs it whenever a token is configured.
struct TokenRule {
  std::string token;  // empty: none configured
  bool loopback = true;
  bool required(bool mutating) const { return !token.empty() && (mutating || !loopback); }
};

// nullopt when the Authorization header grants the call; otherwise the reason for the 401.
std::optional<std::string> checkAuthorization(const TokenRule& rule, bool mutating,
                                              const std::optional<std::string>& authorization);

}  // namespace sgeventd::admin
