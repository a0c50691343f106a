#include "app/plugin_policy.h"

#include "app/process_isolation.h"

namespace sgeventd::app {

namespace {

engine::RetryOn retryOn(config::RetryOn value) {
  switch (value) {
    case config::RetryOn::Any:
      return engine::RetryOn::Any;
    case config::RetryOn::Never:
      return engine::RetryOn::Never;
    case config::RetryOn::Transient:
      break;
  }
  return engine::RetryOn::Transient;
}

}  // namespace

engine::FailurePolicy failurePolicyFor(const config::DaemonConfig& c, const std::string& pluginName) {
  const auto ov = c.pluginOverrides.find(pluginName);
  const bool has = ov != c.pluginOverrides.end();
  const config::RetrySettings& retry = has && ov->second.retry ? *ov->second.retry : c.retry;
  engine::FailurePolicy p;
  p.attempts = retry.attempts;
  p.backoff = {retry.backoffBase, retry.backoffCap};
  p.retryOn = retryOn(retry.retryOn);
  p.reactivateAfter = has && ov->second.reactivateAfter ? *ov->second.reactivateAfter : c.reactivateAfter;
  p.stopOnError = has ? ov->second.stopOnError : std::nullopt;
  const auto& isolation = isolationOf(c, pluginName);
  p.callbackTimeout = isolation.callbackTimeout;
  p.inWorkerProcess = isolation.process;
  return p;
}

}  // namespace sgeventd::app
