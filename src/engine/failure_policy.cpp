#include "engine/failure_policy.h"

#include <algorithm>

namespace sgeventd::engine {

bool FailureHandling::retryable(const plugins::InvokeResult& result) const {
  switch (policy_.retryOn) {
    case RetryOn::Any:
      return true;
    case RetryOn::Never:
      return false;
    case RetryOn::Transient:
      break;
  }
  return result.transient();
}

FailureDecision FailureHandling::decide(const plugins::InvokeResult& result, int attempt,
                                        bool callbackStopOnError) {
  if (retryable(result) && attempt < std::max(policy_.attempts, 1)) {
    return {FailureDecision::Kind::RetryLater, backoff_.delay(attempt)};
  }
  const bool stopOnError = policy_.stopOnError.value_or(callbackStopOnError);
  return {stopOnError ? FailureDecision::Kind::Deactivate : FailureDecision::Kind::Skip, {}};
}

}  // namespace sgeventd::engine
