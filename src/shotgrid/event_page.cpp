// EventLogEntry pages decoded with simdjson On-Demand (event_page.h).
//
// The meaning stays the general decoder's by declining, not by imitation: this file follows only the
// success path of decodeAs, takeResultsOf and entitiesOf (response.cpp) and of decodeRecord
// (event_codec.cpp), and returns false from anywhere else, so that the reply goes the nlohmann way.
//
// On-Demand checks only what it is asked to read: a value it skips is merely bracket-counted, and could
// be broken JSON that nlohmann refuses. So every value of the reply is read (check()), strings unescaped
// and numbers parsed, which also proves each record's text valid before it is kept.
#include "shotgrid/event_page.h"

#include <memory>
#include <mutex>

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "shotgrid/datetime.h"

namespace sgeventd::shotgrid {
namespace {

namespace od = simdjson::ondemand;

static_assert(kBodyPadding >= simdjson::SIMDJSON_PADDING, "HttpTransport must leave simdjson's padding");

// The levels of the reply, counted for kMaxEventPageDepth.
constexpr int kTopLevel = 1;
constexpr int kResultsLevel = 2;
constexpr int kRecordFieldLevel = 4;

// The smallest record the general decoder accepts, `{"id":0}`: bounds the events reserved for a body.
constexpr std::size_t kSmallestRecord = 8;

// The record fields decodeRecord reads. A repeated one is declined: nlohmann keeps the last, and no site
// repeats a key, so following that rule here is not worth its code.
enum class RecordField : unsigned {
  Other,
  Id,
  EventType,
  AttributeName,
  Meta,
  Entity,
  User,
  Project,
  SessionUuid,
  CreatedAt
};

constexpr std::pair<std::string_view, RecordField> kRecordFields[] = {
    {"id", RecordField::Id},
    {"event_type", RecordField::EventType},
    {"attribute_name", RecordField::AttributeName},
    {"meta", RecordField::Meta},
    {"entity", RecordField::Entity},
    {"user", RecordField::User},
    {"project", RecordField::Project},
    {"session_uuid", RecordField::SessionUuid},
    {"created_at", RecordField::CreatedAt}};

RecordField recordField(std::string_view key) {
  for (const auto& [name, field] : kRecordFields) {
    if (key == name) {
      return field;
    }
  }
  return RecordField::Other;
}

// Unescaping copies a string into the parser's buffer. Most strings have no escape, and then their raw
// text is the string, already checked by stage 1 (valid UTF-8, no control character, a closing quote).

// `raw` up to `close` (a closing quote) as the string's text, or nullopt when it holds an escape.
std::optional<std::string_view> plainText(const char* raw, const char* close) {
  const auto length = static_cast<std::size_t>(close - raw);
  if (std::memchr(raw, '\\', length) != nullptr) {
    return std::nullopt;
  }
  return std::string_view(raw, length);
}

// The last quote before `end`, searched back from it: a key's closing quote from its value's start (a
// colon and whitespace between), a string's from the end of its token (whitespace between).
const char* quoteBefore(const char* end) {
  while (*--end != '"') {
  }
  return end;
}

// One member of an object: its key unescaped, and its value (in `member`, which the loop owns), or
// nullptr. Worked on in place: copying a field out costs more than reading it.
od::value* openField(simdjson::simdjson_result<od::field>& member, std::string_view& key) {
  if (member.error()) {
    return nullptr;
  }
  od::field& field = member.value_unsafe();
  od::value& value = field.value();
  const char* raw = field.key().raw();
  if (auto text = plainText(raw, quoteBefore(value.raw_json_token().data()))) {
    key = *text;
  } else if (field.unescaped_key().get(key)) {
    return nullptr;
  }
  return &value;
}

// A string value's text, unescaped. The view lasts until the next document.
bool readText(od::value& value, std::string_view& text) {
  // The token runs from the opening quote to the next structural character: the closing quote is the
  // last one in it.
  const std::string_view token = value.raw_json_token();
  if (auto plain = plainText(token.data() + 1, quoteBefore(token.data() + token.size()))) {
    od::raw_json_string skipped;  // read only to move past the string
    if (value.get_raw_json_string().get(skipped)) {
      return false;
    }
    text = *plain;
    return true;
  }
  return !value.get_string().get(text);
}

// Reads one page. Every member returns false to decline the reply.
class PageReader {
 public:
  explicit PageReader(od::document& document) : document_(document) {}

  bool readPage(std::vector<core::Event>& events) {
    od::object body;
    if (document_.get_object().get(body)) {
      return false;
    }
    bool sawResults = false;
    bool sawException = false;
    for (auto field : body) {
      std::string_view key;
      od::value* value = openField(field, key);
      if (value == nullptr) {
        return false;
      }
      if (key == "results") {
        if (sawResults || !readResults(*value, events)) {
          return false;
        }
        sawResults = true;
      } else if (key == "exception") {
        if (sawException || !readNoException(*value)) {
          return false;
        }
        sawException = true;
      } else if (!check(*value, kTopLevel)) {
        return false;
      }
    }
    // Anything after the top object makes the reply invalid JSON; only at the end is there no location.
    return sawResults && document_.current_location().error() == simdjson::OUT_OF_BOUNDS;
  }

 private:
  // The api3 error flag is `"exception": true`; any other value of that key means nothing.
  bool readNoException(od::value& value) {
    od::json_type type;
    if (value.type().get(type)) {
      return false;
    }
    if (type != od::json_type::boolean) {
      return check(value, kTopLevel);
    }
    bool raised = true;
    return !value.get_bool().get(raised) && !raised;
  }

  bool readResults(od::value& value, std::vector<core::Event>& events) {
    od::object results;
    if (value.get_object().get(results)) {
      return false;
    }
    bool sawEntities = false;
    for (auto field : results) {
      std::string_view key;
      od::value* inner = openField(field, key);
      if (inner == nullptr) {
        return false;
      }
      if (key == "entities") {
        if (sawEntities || !readRecords(*inner, events)) {
          return false;
        }
        sawEntities = true;
      } else if (!check(*inner, kResultsLevel)) {
        return false;
      }
    }
    return sawEntities;
  }

  bool readRecords(od::value& value, std::vector<core::Event>& events) {
    od::array records;
    if (value.get_array().get(records)) {
      return false;
    }
    for (auto element : records) {
      od::value record;
      if (element.get(record) || !readRecord(record, events.emplace_back())) {
        return false;
      }
    }
    return true;
  }

  bool readRecord(od::value& value, core::Event& event) {
    const char* start = value.raw_json_token().data();
    od::object record;
    if (value.get_object().get(record)) {
      return false;
    }
    unsigned seen = 0;
    for (auto field : record) {
      std::string_view key;
      od::value* inner = openField(field, key);
      if (inner == nullptr) {
        return false;
      }
      const RecordField which = recordField(key);
      if (which != RecordField::Other) {
        const unsigned bit = 1u << static_cast<unsigned>(which);
        if ((seen & bit) != 0) {
          return false;
        }
        seen |= bit;
      }
      if (!readRecordField(which, *inner, event)) {
        return false;
      }
    }
    if ((seen & (1u << static_cast<unsigned>(RecordField::Id))) == 0) {
      return false;
    }
    return compactSince(start, event.json);
  }

  bool readRecordField(RecordField which, od::value& value, core::Event& event) {
    switch (which) {
      case RecordField::Id:
        // Only a signed 64-bit integer: for a number above INT64_MAX nlohmann wraps it around.
        return !value.get_int64().get(event.id);
      case RecordField::EventType: {
        std::optional<std::string> type;
        if (!readString(value, type)) {
          return false;
        }
        event.eventType = std::move(type).value_or(std::string());
        return true;
      }
      case RecordField::AttributeName:
        return readString(value, event.attributeName);
      case RecordField::SessionUuid:
        return readString(value, event.sessionUuid);
      case RecordField::Meta: {
        const char* start = value.raw_json_token().data();
        return check(value, kRecordFieldLevel) && compactSince(start, event.metaJson);
      }
      case RecordField::Entity:
        return readEntity(value, event.entity);
      case RecordField::User:
        return readEntity(value, event.user);
      case RecordField::Project:
        return readEntity(value, event.project);
      case RecordField::CreatedAt: {
        std::optional<std::string_view> text;
        if (!readStringView(value, text, kRecordFieldLevel)) {
          return false;
        }
        if (text) {
          event.createdAt = parseDateTime(*text);  // an unreadable date is no error (decodeRecord)
        }
        return true;
      }
      case RecordField::Other:
        return check(value, kRecordFieldLevel);
    }
    return false;
  }

  // takeEntity's rules: an object with a string "type" and an integer "id" is a reference (with "name"
  // when that is a string); any other value is none, and no error.
  bool readEntity(od::value& value, std::optional<core::EntityRef>& out) {
    od::json_type type;
    if (value.type().get(type)) {
      return false;
    }
    if (type != od::json_type::object) {
      return check(value, kRecordFieldLevel);
    }
    od::object object;
    if (value.get_object().get(object)) {
      return false;
    }
    constexpr int kLevel = kRecordFieldLevel + 1;
    core::EntityRef ref;
    std::optional<std::string_view> typeName;
    std::optional<std::string_view> name;
    bool sawType = false;
    bool sawId = false;
    bool sawName = false;
    bool hasId = false;
    for (auto field : object) {
      std::string_view key;
      od::value* inner = openField(field, key);
      if (inner == nullptr) {
        return false;
      }
      if (key == "type") {
        if (sawType || !readStringView(*inner, typeName, kLevel)) {
          return false;
        }
        sawType = true;
      } else if (key == "id") {
        if (sawId || !readEntityId(*inner, ref.id, hasId)) {
          return false;
        }
        sawId = true;
      } else if (key == "name") {
        if (sawName || !readStringView(*inner, name, kLevel)) {
          return false;
        }
        sawName = true;
      } else if (!check(*inner, kLevel)) {
        return false;
      }
    }
    if (typeName && hasId) {
      ref.type.assign(*typeName);
      if (name) {
        ref.name.assign(*name);
      }
      out = std::move(ref);
    }
    return true;
  }

  // `isInteger` false for a number with a fraction or an exponent and for a value of another type. An
  // integer above INT64_MAX is declined: nlohmann calls it an integer too, and wraps it around.
  bool readEntityId(od::value& value, std::int64_t& id, bool& isInteger) {
    od::json_type type;
    if (value.type().get(type)) {
      return false;
    }
    isInteger = false;
    if (type != od::json_type::number) {
      return check(value, kRecordFieldLevel + 1);
    }
    od::number_type kind;
    if (!readNumber(value, kind, id) || kind == od::number_type::unsigned_integer) {
      return false;
    }
    isInteger = kind == od::number_type::signed_integer;
    return true;
  }

  // A number parsed whole, `integer` set when it is a signed one. Declines what nlohmann reads otherwise
  // or refuses: integers beyond 64 bits (it makes them floats) and floats beyond a double's range. Not
  // get_number(): in simdjson 3.0.1 that leaves the iterator on the number, so the text of a value
  // ending there (compactSince) would come out short.
  bool readNumber(od::value& value, od::number_type& kind, std::int64_t& integer) {
    if (value.get_number_type().get(kind)) {
      return false;
    }
    switch (kind) {
      case od::number_type::signed_integer:
        return !value.get_int64().get(integer);
      case od::number_type::unsigned_integer: {
        std::uint64_t unsignedInteger = 0;
        return !value.get_uint64().get(unsignedInteger);
      }
      case od::number_type::floating_point_number: {
        double real = 0;
        return !value.get_double().get(real);
      }
    }
    return false;
  }

  // A string value unescaped, or nullopt (and no error) for a value of another type. The view lasts
  // until the next document.
  bool readStringView(od::value& value, std::optional<std::string_view>& out, int level) {
    od::json_type type;
    if (value.type().get(type)) {
      return false;
    }
    if (type != od::json_type::string) {
      return check(value, level);
    }
    std::string_view text;
    if (!readText(value, text)) {
      return false;
    }
    out = text;
    return true;
  }

  bool readString(od::value& value, std::optional<std::string>& out) {
    std::optional<std::string_view> text;
    if (!readStringView(value, text, kRecordFieldLevel)) {
      return false;
    }
    if (text) {
      out.emplace(*text);
    }
    return true;
  }

  // Reads `value` to its end, as nlohmann would check it: keys and strings unescaped, numbers parsed.
  bool check(od::value& value, int level) {
    if (level > kMaxEventPageDepth) {
      return false;
    }
    od::json_type type;
    if (value.type().get(type)) {
      return false;
    }
    switch (type) {
      case od::json_type::object: {
        od::object object;
        if (value.get_object().get(object)) {
          return false;
        }
        for (auto field : object) {
          std::string_view key;
          od::value* inner = openField(field, key);
          if (inner == nullptr || !check(*inner, level + 1)) {
            return false;
          }
        }
        return true;
      }
      case od::json_type::array: {
        od::array array;
        if (value.get_array().get(array)) {
          return false;
        }
        for (auto element : array) {
          od::value inner;
          if (element.get(inner) || !check(inner, level + 1)) {
            return false;
          }
        }
        return true;
      }
      case od::json_type::string: {
        std::string_view text;
        return readText(value, text);
      }
      case od::json_type::number: {
        od::number_type kind;
        std::int64_t integer = 0;
        return readNumber(value, kind, integer);
      }
      case od::json_type::boolean: {
        bool flag = false;
        return !value.get_bool().get(flag);
      }
      case od::json_type::null: {
        bool isNull = false;
        return !value.is_null().get(isNull) && isNull;
      }
    }
    return false;
  }

  // The text from `start` up to the iterator's position (the token after the value just read), with
  // the whitespace between tokens removed. Compact because Event::json is stored with every failure,
  // published to the broker (whose max_payload counts bytes) and framed to workers once per run: a site
  // that spaces its replies (`", "`, `": "`, indentation) would make each of those bigger for nothing.
  // Escapes are kept as the site wrote them (`\u00e9`, `\/`): every reader of the text parses it as JSON.
  bool compactSince(const char* start, std::string& out) {
    const char* end = nullptr;
    if (document_.current_location().get(end)) {
      return false;
    }
    const auto length = static_cast<std::size_t>(end - start);
    // minify may store whole vector blocks past what it keeps.
    if (scratch_.size() < length + simdjson::SIMDJSON_PADDING) {
      scratch_.resize(length + simdjson::SIMDJSON_PADDING);
    }
    std::size_t compactLength = 0;
    if (simdjson::minify(start, length, scratch_.data(), compactLength)) {
      return false;
    }
    out.assign(scratch_.data(), compactLength);
    return true;
  }

  od::document& document_;
  std::string scratch_;
};

// Parsers shared by every thread that reads pages, instead of one per thread: each keeps buffers of about
// six times the largest reply it has read (1.4 MiB for a 500-event page), and the fetcher's parallel
// readers and the lanes' own readers are many threads but seldom more than two decode at once.
class ParserPool {
 public:
  std::unique_ptr<od::parser> take() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) {
      return std::make_unique<od::parser>();
    }
    auto parser = std::move(idle_.back());
    idle_.pop_back();
    return parser;
  }
  void give(std::unique_ptr<od::parser> parser) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(parser));
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<od::parser>> idle_;
};

ParserPool& parserPool() {
  static auto* pool = new ParserPool;  // never destroyed: a reader thread may decode during exit
  return *pool;
}

struct ParserLease {
  ParserLease() : parser(parserPool().take()) {}
  ~ParserLease() { parserPool().give(std::move(parser)); }
  ParserLease(const ParserLease&) = delete;
  ParserLease& operator=(const ParserLease&) = delete;
  std::unique_ptr<od::parser> parser;
};

}  // namespace

std::optional<std::vector<core::Event>> decodeEventPage(const HttpResponse& response,
                                                        std::size_t expectedEvents) {
  if (response.status < 100 || response.status >= 300) {
    return std::nullopt;  // decodeAs's HTTP errors
  }
  ParserLease lease;
  od::parser& parser = *lease.parser;
  const std::string& body = response.body;
  simdjson::padded_string copy;
  simdjson::padded_string_view text;
  if (body.capacity() - body.size() >= simdjson::SIMDJSON_PADDING) {
    text = simdjson::padded_string_view(body.data(), body.size(), body.capacity());
  } else {
    copy = simdjson::padded_string(body);
    text = copy;
  }
  od::document document;
  if (parser.iterate(text).get(document)) {
    return std::nullopt;
  }
  std::vector<core::Event> events;
  events.reserve(std::min(expectedEvents, body.size() / kSmallestRecord));
  PageReader reader(document);
  if (!reader.readPage(events)) {
    return std::nullopt;
  }
  return events;
}

}  // namespace sgeventd::shotgrid
