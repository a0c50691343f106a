#include "engine/range_set.h"

#include <algorithm>

namespace sgeventd::engine {

std::vector<std::pair<std::int64_t, std::int64_t>> RangeSet::holes(std::int64_t first,
                                                                   std::int64_t last) const {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  std::int64_t cursor = first;
  auto it = spans_.upper_bound(first);
  if (it != spans_.begin()) {
    --it;
  }
  for (; it != spans_.end() && it->first <= last && cursor <= last; ++it) {
    if (it->second.last < cursor) {
      continue;
    }
    if (it->first > cursor) {
      out.emplace_back(cursor, it->first - 1);
    }
    cursor = it->second.last + 1;
  }
  if (cursor <= last) {
    out.emplace_back(cursor, last);
  }
  return out;
}

std::vector<GapRange> RangeSet::covered(std::int64_t first, std::int64_t last) const {
  std::vector<GapRange> out;
  auto it = spans_.upper_bound(first);
  if (it != spans_.begin()) {
    --it;
  }
  for (; it != spans_.end() && it->first <= last; ++it) {
    if (it->second.last < first) {
      continue;
    }
    out.push_back({std::max(it->first, first), std::min(it->second.last, last), it->second.expires});
  }
  return out;
}

void RangeSet::add(std::int64_t first, std::int64_t last, TimePoint expires) {
  for (const auto& [a, b] : holes(first, last)) {
    spans_[a] = Span{b, expires};
  }
}

void RangeSet::addMissing(const std::vector<GapRange>& ranges) {
  for (const auto& r : ranges) {
    add(r.first, r.last, r.expires);
  }
}

bool RangeSet::remove(std::int64_t id) {
  auto it = spans_.upper_bound(id);
  if (it == spans_.begin()) {
    return false;
  }
  --it;
  if (it->second.last < id) {
    return false;
  }
  const std::int64_t first = it->first;
  const Span span = it->second;
  spans_.erase(it);
  if (first <= id - 1) {
    spans_[first] = Span{id - 1, span.expires};
  }
  if (id + 1 <= span.last) {
    spans_[id + 1] = Span{span.last, span.expires};
  }
  return true;
}

void RangeSet::removeRange(std::int64_t first, std::int64_t last) {
  const auto inside = covered(first, last);
  for (const auto& r : inside) {
    auto it = spans_.upper_bound(r.first);
    --it;  // the span holding r.first
    const std::int64_t spanFirst = it->first;
    const Span span = it->second;
    spans_.erase(it);
    if (spanFirst < r.first) {
      spans_[spanFirst] = Span{r.first - 1, span.expires};
    }
    if (r.last < span.last) {
      spans_[r.last + 1] = Span{span.last, span.expires};
    }
  }
}

std::vector<GapRange> RangeSet::expire(TimePoint now) {
  std::vector<GapRange> expired;
  for (auto it = spans_.begin(); it != spans_.end();) {
    if (it->second.expires <= now) {
      expired.push_back({it->first, it->second.last, it->second.expires});
      it = spans_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

void RangeSet::dropLowest(std::size_t count) {
  auto end = spans_.begin();
  std::advance(end, static_cast<std::ptrdiff_t>(std::min(count, spans_.size())));
  spans_.erase(spans_.begin(), end);
}

bool RangeSet::contains(std::int64_t id) const {
  auto it = spans_.upper_bound(id);
  if (it == spans_.begin()) {
    return false;
  }
  --it;
  return it->second.last >= id;
}

std::size_t RangeSet::idCount() const {
  std::size_t n = 0;
  for (const auto& [first, span] : spans_) {
    n += static_cast<std::size_t>(span.last - first + 1);
  }
  return n;
}

std::vector<GapRange> RangeSet::ranges() const {
  std::vector<GapRange> out;
  out.reserve(spans_.size());
  for (const auto& [first, span] : spans_) {
    out.push_back({first, span.last, span.expires});
  }
  return out;
}

std::string describeRanges(const std::vector<GapRange>& ranges) {
  // Adjacent ranges (same ids, different expiries) read as one to an operator.
  std::vector<std::pair<std::int64_t, std::int64_t>> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && merged.back().second + 1 == r.first) {
      merged.back().second = r.last;
    } else {
      merged.emplace_back(r.first, r.last);
    }
  }
  std::string out;
  for (const auto& [first, last] : merged) {
    if (!out.empty()) {
      out += ", ";
    }
    out += std::to_string(first);
    if (last != first) {
      out += "-" + std::to_string(last);
    }
  }
  return out;
}

}  // namespace sgeventd::engine
