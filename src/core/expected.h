#pragma once
// Errors at module boundaries are values. tl::expected stands in for std::expected, which g++ 12
// offers only under -std=c++2b; the alias keeps the switch a one-line change.
#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace sgeventd {

// The generic error of a module boundary: a message fit for an operator, plus an optional code.
struct Error {
  std::string message;
  int code = 0;
};

template <class T, class E = Error>
using Expected = tl::expected<T, E>;

template <class E>
[[nodiscard]] auto unexpected(E&& e) {
  return tl::unexpected<std::decay_t<E>>(std::forward<E>(e));
}

[[nodiscard]] inline tl::unexpected<Error> fail(std::string message, int code = 0) {
  return tl::unexpected<Error>(Error{std::move(message), code});
}

}  // namespace sgeventd

// Propagates the error of an Expected-returning expression; evaluates to nothing on success.
#define SGEVENTD_TRY(expr)                                 \
  do {                                                     \
    auto&& sgeventd_try_result_ = (expr);                  \
    if (!sgeventd_try_result_) {                           \
      return tl::unexpected(sgeventd_try_result_.error()); \
    }                                                      \
  } while (0)
