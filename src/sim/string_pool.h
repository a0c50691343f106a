#pragma once
// Interned strings for the compact event log: a million events share a few hundred distinct
// event types, entity type names, link names and session uuids.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sgeventd::sim {

class StringPool {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  std::uint32_t intern(std::string_view text) {
    auto it = index_.find(text);
    if (it != index_.end()) {
      return it->second;
    }
    const auto id = static_cast<std::uint32_t>(strings_.size());
    strings_.emplace_back(text);
    index_.emplace(strings_.back(), id);
    return id;
  }
  const std::string& at(std::uint32_t id) const { return strings_[id]; }
  std::size_t size() const { return strings_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> strings_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> index_;
};

}  // namespace sgeventd::sim
