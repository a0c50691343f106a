#include "broker/stream_report.h"

#include <fmt/format.h>

#include <algorithm>

namespace sgeventd::broker {

namespace {

struct ConsumerListDeleter {
  void operator()(jsConsumerInfoList* p) const { jsConsumerInfoList_Destroy(p); }
};

jsOptions apiOptions(const Connection& connection) {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = connection.options().apiTimeout.count();
  return options;
}

nlohmann::json consumerJson(const jsConsumerInfo& info) {
  const char* filter = info.Config != nullptr ? info.Config->FilterSubject : nullptr;
  return nlohmann::json{
      {"name", info.Name != nullptr ? info.Name : ""},
      {"filter_subject", filter != nullptr ? filter : ""},
      {"delivered_seq", info.Delivered.Stream},
      {"ack_floor_seq", info.AckFloor.Stream},
      {"num_pending", info.NumPending},
      {"num_ack_pending", info.NumAckPending},
      {"num_redelivered", info.NumRedelivered},
      {"num_waiting", info.NumWaiting},
  };
}

}  // namespace

Expected<nlohmann::json> streamReport(const Connection& connection, const std::string& stream) {
  auto options = apiOptions(connection);
  jsErrCode code = static_cast<jsErrCode>(0);
  jsStreamInfo* rawStream = nullptr;
  natsStatus s = js_GetStreamInfo(&rawStream, connection.jetStream(), stream.c_str(), &options, &code);
  StreamInfoPtr streamInfo(rawStream);
  if (s != NATS_OK) {
    return unexpected(natsError("cannot read the stream " + stream, s, code));
  }
  jsConsumerInfoList* rawList = nullptr;
  s = js_Consumers(&rawList, connection.jetStream(), stream.c_str(), &options, &code);
  std::unique_ptr<jsConsumerInfoList, ConsumerListDeleter> list(rawList);
  if (s != NATS_OK && s != NATS_NOT_FOUND) {
    return unexpected(natsError("cannot list the consumers of " + stream, s, code));
  }
  nlohmann::json consumers = nlohmann::json::array();
  for (int i = 0; list && i < list->Count; ++i) {
    consumers.push_back(consumerJson(*list->List[i]));
  }
  std::sort(consumers.begin(), consumers.end(),
            [](const auto& a, const auto& b) { return a["name"] < b["name"]; });
  const auto& state = streamInfo->State;
  return nlohmann::json{
      {"stream",
       {{"name", stream},
        {"messages", state.Msgs},
        {"first_seq", state.FirstSeq},
        {"last_seq", state.LastSeq},
        {"replicas", streamInfo->Config != nullptr ? streamInfo->Config->Replicas : 0}}},
      {"consumers", std::move(consumers)},
  };
}

std::string formatStreamReport(const nlohmann::json& report) {
  const auto& stream = report["stream"];
  std::string out = fmt::format("stream {}: {} messages (sequences {} to {}), {} replica(s)\n",
                                stream["name"].get<std::string>(), stream["messages"].get<std::uint64_t>(),
                                stream["first_seq"].get<std::uint64_t>(),
                                stream["last_seq"].get<std::uint64_t>(), stream["replicas"].get<int>());
  if (report["consumers"].empty()) {
    return out + "no consumers yet (no `sgeventd worker --broker` has started)\n";
  }
  out += fmt::format("{:<32} {:>10} {:>10} {:>9} {:>8} {:>11} {:>8}  {}\n", "CONSUMER", "DELIVERED",
                     "ACK FLOOR", "PENDING", "IN WORK", "REDELIVERED", "WAITING", "FILTER");
  for (const auto& c : report["consumers"]) {
    out += fmt::format("{:<32} {:>10} {:>10} {:>9} {:>8} {:>11} {:>8}  {}\n", c["name"].get<std::string>(),
                       c["delivered_seq"].get<std::uint64_t>(), c["ack_floor_seq"].get<std::uint64_t>(),
                       c["num_pending"].get<std::uint64_t>(), c["num_ack_pending"].get<std::int64_t>(),
                       c["num_redelivered"].get<std::int64_t>(), c["num_waiting"].get<std::int64_t>(),
                       c["filter_subject"].get<std::string>());
  }
  return out;
}

}  // namespace sgeventd::broker
