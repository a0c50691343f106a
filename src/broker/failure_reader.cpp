#include "broker/failure_reader.h"

#include <fmt/format.h>

#include <ctime>

namespace sgeventd::broker {

namespace {

// JetStream's codes for "no such stream" and "no such message".
constexpr int kStreamNotFound = 10059;
constexpr int kMessageNotFound = 10037;
// A plugin filter reads back at most this many records to find its `limit`.
constexpr std::uint64_t kMaxScan = 100000;

jsOptions apiOptions(const Connection& connection) {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = connection.options().apiTimeout.count();
  return options;
}

std::string isoUtc(std::int64_t nanoseconds) {
  const std::time_t seconds = static_cast<std::time_t>(nanoseconds / 1000000000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace

Expected<std::optional<nlohmann::json>> readFailure(const Connection& connection, const std::string& stream,
                                                    std::uint64_t sequence) {
  auto options = apiOptions(connection);
  jsErrCode code = static_cast<jsErrCode>(0);
  natsMsg* raw = nullptr;
  const std::string name = failureStreamName(stream);
  const natsStatus s = js_GetMsg(&raw, connection.jetStream(), name.c_str(), sequence, &options, &code);
  MessagePtr message(raw);
  if (s == NATS_NOT_FOUND || code == kMessageNotFound || code == kStreamNotFound) {
    return std::optional<nlohmann::json>();
  }
  if (s != NATS_OK) {
    return unexpected(natsError("cannot read failure record " + std::to_string(sequence), s, code));
  }
  const char* data = natsMsg_GetData(message.get());
  auto record = nlohmann::json::parse(data, data + natsMsg_GetDataLength(message.get()), nullptr, false);
  if (!record.is_object()) {
    // Written by something else than a worker: shown for what it is rather than hidden.
    record = nlohmann::json{
        {"error", std::string(data, static_cast<std::size_t>(natsMsg_GetDataLength(message.get())))}};
  }
  record["id"] = sequence;
  record["at"] = isoUtc(natsMsg_GetTime(message.get()));
  record["subject"] = natsMsg_GetSubject(message.get());
  return std::optional<nlohmann::json>(std::move(record));
}

Expected<std::vector<nlohmann::json>> readFailures(const Connection& connection, const std::string& stream,
                                                   const std::optional<std::string>& plugin, int limit) {
  std::vector<nlohmann::json> out;
  auto options = apiOptions(connection);
  jsErrCode code = static_cast<jsErrCode>(0);
  jsStreamInfo* rawInfo = nullptr;
  const std::string name = failureStreamName(stream);
  const natsStatus s = js_GetStreamInfo(&rawInfo, connection.jetStream(), name.c_str(), &options, &code);
  StreamInfoPtr info(rawInfo);
  if (s == NATS_NOT_FOUND || code == kStreamNotFound) {
    return out;
  }
  if (s != NATS_OK) {
    return unexpected(natsError("cannot read the stream " + name, s, code));
  }
  const std::uint64_t first = info->State.FirstSeq;
  std::uint64_t scanned = 0;
  for (std::uint64_t seq = info->State.LastSeq;
       seq >= first && seq > 0 && static_cast<int>(out.size()) < limit && scanned < kMaxScan;
       --seq, ++scanned) {
    auto record = readFailure(connection, stream, seq);
    if (!record) {
      return unexpected(record.error());
    }
    if (*record && (!plugin || (**record).value("plugin", std::string()) == *plugin)) {
      out.push_back(std::move(**record));
    }
  }
  return out;
}

}  // namespace sgeventd::broker
