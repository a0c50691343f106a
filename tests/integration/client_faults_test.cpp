// Every fault the simulated site can inject is survived by a client read; a write is never duplicated.
#include "sim_fixture.h"

namespace sgeventd::integration {
namespace {

using shotgrid::Json;

std::vector<sim::FaultSpec> transientFaults() {
  std::vector<sim::FaultSpec> faults;
  for (int status : {502, 503, 504}) {
    sim::FaultSpec f;
    f.kind = sim::FaultKind::HttpStatus;
    f.httpStatus = status;
    faults.push_back(f);
  }
  sim::FaultSpec tooMany;
  tooMany.kind = sim::FaultKind::TooManyRequests;
  tooMany.retryAfterSeconds = 1;
  faults.push_back(tooMany);
  sim::FaultSpec slow;
  slow.kind = sim::FaultKind::Slow;
  slow.delayMs = 3000;
  faults.push_back(slow);
  sim::FaultSpec reset;
  reset.kind = sim::FaultKind::ConnectionReset;
  faults.push_back(reset);
  sim::FaultSpec truncated;
  truncated.kind = sim::FaultKind::TruncatedJson;
  faults.push_back(truncated);
  return faults;
}

class ClientFaults : public SimSite {};

TEST_F(ClientFaults, ReadsSurviveEveryTransientFault) {
  const auto range = site->appendSyntheticEvents(10);
  for (auto fault : transientFaults()) {
    auto options = clientOptions();
    options.totalTimeout = std::chrono::milliseconds(1000);  // the Slow fault must time out
    shotgrid::Client client(options);
    site->resetCounters();
    fault.count = 2;
    fault.method = "read";
    site->injectFault(fault);
    auto events = client.findEvents(Json::array({{"id", "greater_than", range.first - 1}}), 10);
    ASSERT_TRUE(events.has_value()) << static_cast<int>(fault.kind) << ": " << events.error().describe();
    EXPECT_EQ(events->size(), 10u);
    EXPECT_EQ(site->counters().callsOf("read"), 3) << static_cast<int>(fault.kind);
    site->clearFaults();
  }
}

TEST_F(ClientFaults, Api3ExceptionsAreNotRetried) {
  shotgrid::Client client(clientOptions());
  for (int code : {102, 103, 104}) {
    site->resetCounters();
    sim::FaultSpec f;
    f.kind = sim::FaultKind::Api3Exception;
    f.errorCode = code;
    f.method = "read";
    site->injectFault(f);
    auto r = client.find("Shot", Json::array(), {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, code == 102 ? shotgrid::ErrorKind::Authentication : shotgrid::ErrorKind::Fault);
    EXPECT_EQ(site->counters().callsOf("read"), 1);
    site->clearFaults();
  }
}

TEST_F(ClientFaults, WriteIsNotDuplicatedWhenItsReplyIsLost) {
  for (auto fault : transientFaults()) {
    if (fault.kind == sim::FaultKind::TooManyRequests) {
      continue;  // refused before the write happens: nothing to duplicate
    }
    auto options = clientOptions();
    options.totalTimeout = std::chrono::milliseconds(1000);
    shotgrid::Client client(options);
    site->resetCounters();
    fault.count = 1;
    fault.method = "create";
    site->injectFault(fault);
    const std::string code =
        "dup-" + std::to_string(static_cast<int>(fault.kind)) + "-" + std::to_string(fault.httpStatus);
    auto r = client.create("Shot", Json{{"code", code}});
    EXPECT_FALSE(r.has_value()) << static_cast<int>(fault.kind);
    EXPECT_EQ(site->counters().callsOf("create"), 1) << static_cast<int>(fault.kind);
    auto found = client.find("Shot", Json::array({{"code", "is", code}}), {"code"});
    ASSERT_TRUE(found.has_value());
    EXPECT_LE(found->size(), 1u) << static_cast<int>(fault.kind);
    site->clearFaults();
  }
}

}  // namespace
}  // namespace sgeventd::integration
