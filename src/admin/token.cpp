#include "admin/token.h"

#include <cstddef>

namespace sgeventd::admin {

bool constantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the longer one is read, and the length difference folds into the same accumulator.
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned char>(x ^ y);
  }
  // Keeps the compiler from ending the loop at the first difference.
  volatile unsigned char result = diff;
  return result == 0;
}

std::optional<std::string> checkAuthorization(const TokenRule& rule, bool mutating,
                                              const std::optional<std::string>& authorization) {
  if (!rule.required(mutating)) {
    return std::nullopt;
  }
  if (!authorization) {
    return std::string(mutating
                           ? "this call changes the daemon: send Authorization: Bearer <token>"
                           : "the admin API listens beyond loopback: send Authorization: Bearer <token>");
  }
  constexpr std::string_view kScheme = "Bearer ";
  const std::string_view header(*authorization);
  if (header.size() < kScheme.size() || header.substr(0, kScheme.size()) != kScheme) {
    return std::string("the Authorization header is not \"Bearer <token>\"");
  }
  if (!constantTimeEquals(header.substr(kScheme.size()), rule.token)) {
    return std::string("the token is wrong");
  }
  return std::nullopt;
}

}  // namespace sgeventd::admin
