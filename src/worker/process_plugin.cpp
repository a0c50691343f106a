#include "worker/process_plugin.h"

namespace sgeventd::worker {

ProcessPlugin::ProcessPlugin(plugins::PluginId id, std::shared_ptr<WorkerProcess> worker,
                             LoadedVersion version)
    : id_(std::move(id)), worker_(std::move(worker)), version_(std::move(version)) {}

ProcessPlugin::~ProcessPlugin() {
  endRun();
  worker_->unload(version_.handle);
}

void ProcessPlugin::offer(const std::vector<core::EventPtr>& upcoming) {
  offered_.clear();
  for (const auto& e : upcoming) {
    if (e->id > lastSent_) {
      offered_.push_back(e);
    }
  }
  if (run_ == 0) {
    sendRun();
  }
}

void ProcessPlugin::sendRun() {
  if (offered_.empty()) {
    return;
  }
  const std::size_t n = std::min(offered_.size(), kRunLength);
  std::vector<core::EventPtr> events(offered_.begin(), offered_.begin() + static_cast<std::ptrdiff_t>(n));
  offered_.erase(offered_.begin(), offered_.begin() + static_cast<std::ptrdiff_t>(n));
  run_ = worker_->startRun(version_.handle, events);
  cancelled_ = false;
  if (run_ == 0) {
    offered_.clear();  // no worker now: one by one, with invoke()'s restart and its errors
    return;
  }
  lastSent_ = events.back()->id;
}

void ProcessPlugin::withdrawOffer() {
  offered_.clear();
  if (run_ != 0 && !cancelled_) {
    worker_->cancelRun(run_);  // it stops after the event it runs: the request waits one event, not a run
    cancelled_ = true;
  }
}

void ProcessPlugin::endRun() {
  if (run_ != 0) {
    worker_->endRun(run_);
    run_ = 0;
  }
  peeked_.reset();
}

bool ProcessPlugin::ranAhead() {
  using Kind = WorkerProcess::RunItem::Kind;
  if (peeked_) {
    return peeked_->kind == Kind::Result;
  }
  if (run_ == 0) {
    return false;
  }
  if (!cancelled_) {
    return worker_->runOwes(run_);
  }
  // Asked to stop: the worker either finishes the event it runs (one more result) or ends the run. Wait
  // for which, so the lane neither forgets a result nor runs one more event on this version.
  plugins::Deadline deadline;
  if (timeout_) {
    deadline = std::chrono::steady_clock::now() + *timeout_;
  }
  auto item = worker_->nextOfRun(run_, deadline);
  if (item.kind == Kind::Result) {
    peeked_ = std::move(item);
    return true;
  }
  endRun();
  offered_.clear();
  lastSent_ = lastTaken_;  // what it did not reach is offered again
  return false;
}

plugins::PluginKind ProcessPlugin::kind() const {
  return id_.path.extension() == ".so" ? plugins::PluginKind::Native : plugins::PluginKind::Python;
}

plugins::InvokeResult ProcessPlugin::invoke(std::size_t index, const core::Event& event,
                                            plugins::Deadline deadline) {
  using Kind = WorkerProcess::RunItem::Kind;
  if (deadline) {
    timeout_ = *deadline - std::chrono::steady_clock::now();
  }
  while (run_ != 0) {
    auto item = peeked_ ? std::move(*peeked_) : worker_->nextOfRun(run_, deadline);
    peeked_.reset();
    if (item.kind == Kind::Result) {
      if (item.eventId == event.id && item.callback == index) {
        lastTaken_ = event.id;
        return std::move(item.result);
      }
      if (item.eventId > event.id || (item.eventId == event.id && item.callback > index)) {
        peeked_ = std::move(item);  // the run did not run what is asked: asked alone, the rest waits
        break;
      }
      continue;  // ran for an attempt the lane no longer makes (cannot be undone, nothing to answer)
    }
    const bool completed = item.kind == Kind::Ended && item.completed;
    endRun();
    if (item.kind == Kind::Died) {
      // What the run had not reached is offered again with the lane's next batch.
      offered_.clear();
      lastSent_ = event.id;
      return std::move(item.result);
    }
    if (!completed) {
      offered_.clear();  // it stopped at a failure the lane has already been told of
      lastSent_ = event.id - 1;
      break;
    }
    sendRun();
  }
  return worker_->invoke(version_.handle, index, event, deadline);
}

}  // namespace sgeventd::worker
