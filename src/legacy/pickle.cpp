#include "legacy/pickle.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <unordered_map>

namespace sgeventd::legacy::pickle {

bool Tuple::operator==(const Tuple& other) const { return items == other.items; }
bool List::operator==(const List& other) const { return items == other.items; }
bool Dict::operator==(const Dict& other) const { return entries == other.entries; }

const std::vector<Value>* Value::sequence() const {
  if (const auto* tuple = std::get_if<Tuple>(&data_)) {
    return &tuple->items;
  }
  if (const auto* list = std::get_if<List>(&data_)) {
    return &list->items;
  }
  return nullptr;
}

const Value* Value::find(std::string_view key) const {
  const auto* dict = std::get_if<Dict>(&data_);
  if (dict == nullptr) {
    return nullptr;
  }
  for (const auto& [k, v] : dict->entries) {
    if (const auto* text = std::get_if<Str>(&k.data_); text != nullptr && text->utf8 == key) {
      return &v;
    }
  }
  return nullptr;
}

std::string_view Value::typeName() const {
  struct Names {
    std::string_view operator()(std::monostate) const { return "NoneType"; }
    std::string_view operator()(bool) const { return "bool"; }
    std::string_view operator()(std::int64_t) const { return "int"; }
    std::string_view operator()(const BigInt&) const { return "int"; }
    std::string_view operator()(const Str&) const { return "str"; }
    std::string_view operator()(const Bytes&) const { return "bytes"; }
    std::string_view operator()(const DateTime&) const { return "datetime.datetime"; }
    std::string_view operator()(const Tuple&) const { return "tuple"; }
    std::string_view operator()(const List&) const { return "list"; }
    std::string_view operator()(const Dict&) const { return "dict"; }
  };
  return std::visit(Names{}, data_);
}

namespace {

// Python itself refuses to turn an int of more than 4300 digits into text; a longer LONG4 is described.
constexpr std::size_t kMaxBigIntDigits = 4300;
constexpr std::size_t kMaxBigIntBytes = 1000;

// Thrown inside this file only; load() turns it into an Error.
struct PickleError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void failAt(std::size_t offset, const std::string& message) {
  throw PickleError(message + " (at byte " + std::to_string(offset) + ")");
}

std::string_view opcodeName(unsigned char op) {
  switch (op) {
    case '(':
      return "MARK";
    case '.':
      return "STOP";
    case '0':
      return "POP";
    case '1':
      return "POP_MARK";
    case '2':
      return "DUP";
    case 'F':
      return "FLOAT";
    case 'I':
      return "INT";
    case 'J':
      return "BININT";
    case 'K':
      return "BININT1";
    case 'L':
      return "LONG";
    case 'M':
      return "BININT2";
    case 'N':
      return "NONE";
    case 'P':
      return "PERSID";
    case 'Q':
      return "BINPERSID";
    case 'R':
      return "REDUCE";
    case 'S':
      return "STRING";
    case 'T':
      return "BINSTRING";
    case 'U':
      return "SHORT_BINSTRING";
    case 'V':
      return "UNICODE";
    case 'X':
      return "BINUNICODE";
    case 'a':
      return "APPEND";
    case 'b':
      return "BUILD";
    case 'c':
      return "GLOBAL";
    case 'd':
      return "DICT";
    case '}':
      return "EMPTY_DICT";
    case 'e':
      return "APPENDS";
    case 'g':
      return "GET";
    case 'h':
      return "BINGET";
    case 'i':
      return "INST";
    case 'j':
      return "LONG_BINGET";
    case 'l':
      return "LIST";
    case ']':
      return "EMPTY_LIST";
    case 'o':
      return "OBJ";
    case 'p':
      return "PUT";
    case 'q':
      return "BINPUT";
    case 'r':
      return "LONG_BINPUT";
    case 's':
      return "SETITEM";
    case 't':
      return "TUPLE";
    case ')':
      return "EMPTY_TUPLE";
    case 'u':
      return "SETITEMS";
    case 'G':
      return "BINFLOAT";
    case 0x80:
      return "PROTO";
    case 0x81:
      return "NEWOBJ";
    case 0x82:
      return "EXT1";
    case 0x83:
      return "EXT2";
    case 0x84:
      return "EXT4";
    case 0x85:
      return "TUPLE1";
    case 0x86:
      return "TUPLE2";
    case 0x87:
      return "TUPLE3";
    case 0x88:
      return "NEWTRUE";
    case 0x89:
      return "NEWFALSE";
    case 0x8a:
      return "LONG1";
    case 0x8b:
      return "LONG4";
    case 'B':
      return "BINBYTES";
    case 'C':
      return "SHORT_BINBYTES";
    case 0x8c:
      return "SHORT_BINUNICODE";
    case 0x8d:
      return "BINUNICODE8";
    case 0x8e:
      return "BINBYTES8";
    case 0x8f:
      return "EMPTY_SET";
    case 0x90:
      return "ADDITEMS";
    case 0x91:
      return "FROZENSET";
    case 0x92:
      return "NEWOBJ_EX";
    case 0x93:
      return "STACK_GLOBAL";
    case 0x94:
      return "MEMOIZE";
    case 0x95:
      return "FRAME";
    case 0x96:
      return "BYTEARRAY8";
    case 0x97:
      return "NEXT_BUFFER";
    case 0x98:
      return "READONLY_BUFFER";
    default:
      return "";
  }
}

std::string describeOpcode(unsigned char op) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = {'0', 'x', kHex[op >> 4], kHex[op & 0xf]};
  auto name = opcodeName(op);
  return name.empty() ? "unknown opcode " + hex : "opcode " + std::string(name) + " (" + hex + ")";
}

void appendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Decodes UTF-8 into code points; nullopt when malformed. Surrogates are accepted, as CPython's
// 'surrogatepass' does for BINUNICODE.
std::optional<std::vector<std::uint32_t>> codePoints(std::string_view text) {
  std::vector<std::uint32_t> out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80) {
      cp = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      extra = 1;
      cp = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      extra = 2;
      cp = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      extra = 3;
      cp = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + extra >= text.size() && extra > 0) {
      return std::nullopt;  // truncated sequence
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) {
        return std::nullopt;
      }
      cp = (cp << 6) | (next & 0x3f);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[extra] || cp > 0x10ffff) {
      return std::nullopt;
    }
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

std::string latin1ToUtf8(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    appendUtf8(out, static_cast<unsigned char>(c));
  }
  return out;
}

// Py2 `str` is bytes. Python 3 reads it with encoding='latin1'; names written by a py2 daemon on a
// UTF-8 system are UTF-8 bytes, so those are kept as they are and only other bytes go through latin-1.
std::string legacyText(std::string_view raw) {
  return codePoints(raw) ? std::string(raw) : latin1ToUtf8(raw);
}

// Callables the datetime reconstruction needs; nothing else can be named by a pickle.
enum class Callable { DateTime, CodecsEncode };

struct Mark {};
struct LegacyStr {  // a py2 str: raw bytes until we know whether they are text or datetime state
  std::string raw;
};
struct NodeRef {
  std::size_t index;
};

using Item = std::variant<std::monostate, bool, std::int64_t, BigInt, Str, Bytes, LegacyStr, DateTime,
                          Callable, NodeRef>;

struct Node {
  enum class Kind { Tuple, List, Dict } kind;
  std::vector<Item> items;                            // tuple and list
  std::vector<std::pair<Item, Item>> entries;         // dict
  std::unordered_map<std::string, std::size_t> keys;  // dict: hashable key -> index in entries
};

class Unpickler {
 public:
  Unpickler(std::string_view input, const Limits& limits)
      : input_(input), limits_(limits), byteBudget_(input.size() * 4 + (std::size_t{64} << 20)) {}

  Value run() {
    if (input_.empty()) {
      throw PickleError("empty input: an empty file is not a pickle");
    }
    if (input_.size() > limits_.maxInputBytes) {
      throw PickleError("input of " + std::to_string(input_.size()) + " bytes exceeds the limit of " +
                        std::to_string(limits_.maxInputBytes));
    }
    while (true) {
      if (pos_ >= input_.size()) {
        throw PickleError("truncated pickle: no STOP opcode before the end of the data (" +
                          std::to_string(input_.size()) + " bytes)");
      }
      opOffset_ = pos_;
      const auto op = static_cast<unsigned char>(input_[pos_++]);
      if (op == '.') {
        break;
      }
      step(op);
    }
    if (!marks_.empty()) {
      failAt(opOffset_, "malformed pickle: STOP with an unclosed MARK");
    }
    if (stack_.size() != 1) {
      failAt(opOffset_, "malformed pickle: STOP with " + std::to_string(stack_.size()) +
                            " values on the stack instead of one");
    }
    return toValue(stack_.back(), 0);
  }

 private:
  // ---- reading the input
  std::string_view take(std::uint64_t count, const char* what) {
    if (count > input_.size() - pos_) {
      failAt(opOffset_, std::string("truncated pickle: ") + what + " needs " + std::to_string(count) +
                            " bytes, " + std::to_string(input_.size() - pos_) + " left");
    }
    auto out = input_.substr(pos_, count);
    pos_ += count;
    return out;
  }

  std::uint64_t readUnsigned(std::size_t width, const char* what) {
    auto bytes = take(width, what);
    std::uint64_t value = 0;
    for (std::size_t i = width; i-- > 0;) {
      value = (value << 8) | static_cast<unsigned char>(bytes[i]);
    }
    return value;
  }

  std::string_view readLine(const char* what) {
    const auto end = input_.find('\n', pos_);
    if (end == std::string_view::npos) {
      failAt(opOffset_, std::string("truncated pickle: ") + what + " has no end of line");
    }
    auto line = input_.substr(pos_, end - pos_);
    pos_ = end + 1;
    checkElementSize(line.size());
    return line;
  }

  void checkElementSize(std::uint64_t size) {
    if (size > limits_.maxElementBytes) {
      failAt(opOffset_, "a string of " + std::to_string(size) + " bytes exceeds the limit of " +
                            std::to_string(limits_.maxElementBytes));
    }
  }

  std::string_view readCounted(std::uint64_t size, const char* what) {
    checkElementSize(size);
    return take(size, what);
  }

  void charge(std::size_t bytes) {
    if (bytes > byteBudget_) {
      failAt(opOffset_, "the pickle expands to more data than its size allows (memo references)");
    }
    byteBudget_ -= bytes;
  }

  // ---- the stack
  void push(Item item) {
    if (stack_.size() >= input_.size() + 1) {  // cannot happen with honest input: every push reads a byte
      failAt(opOffset_, "stack overflow");
    }
    stack_.push_back(std::move(item));
  }

  Item pop() {
    if (stack_.size() <= stackFloor()) {
      failAt(opOffset_, "malformed pickle: " + describeOpcode(op()) + " on an empty stack");
    }
    Item item = std::move(stack_.back());
    stack_.pop_back();
    return item;
  }

  Item& top() {
    if (stack_.size() <= stackFloor()) {
      failAt(opOffset_, "malformed pickle: " + describeOpcode(op()) + " on an empty stack");
    }
    return stack_.back();
  }

  std::size_t stackFloor() const { return marks_.empty() ? 0 : marks_.back(); }

  std::vector<Item> popToMark() {
    if (marks_.empty()) {
      failAt(opOffset_, "malformed pickle: " + describeOpcode(op()) + " without a MARK");
    }
    const auto mark = marks_.back();
    marks_.pop_back();
    std::vector<Item> items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(mark)),
                            std::make_move_iterator(stack_.end()));
    stack_.resize(mark);
    return items;
  }

  unsigned char op() const { return static_cast<unsigned char>(input_[opOffset_]); }

  // ---- containers
  NodeRef newNode(Node::Kind kind) {
    nodes_.push_back(Node{kind, {}, {}, {}});
    return NodeRef{nodes_.size() - 1};
  }

  Node& nodeOf(const Item& item, Node::Kind kind, const char* what) {
    const auto* ref = std::get_if<NodeRef>(&item);
    if (ref == nullptr || nodes_[ref->index].kind != kind) {
      failAt(opOffset_, std::string("malformed pickle: ") + describeOpcode(op()) + " expects a " + what +
                            " below its arguments");
    }
    return nodes_[ref->index];
  }

  std::string itemTypeName(const Item& item) const {
    struct Names {
      const Unpickler& self;
      std::string operator()(std::monostate) const { return "NoneType"; }
      std::string operator()(bool) const { return "bool"; }
      std::string operator()(std::int64_t) const { return "int"; }
      std::string operator()(const BigInt&) const { return "int"; }
      std::string operator()(const Str&) const { return "str"; }
      std::string operator()(const Bytes&) const { return "bytes"; }
      std::string operator()(const LegacyStr&) const { return "str"; }
      std::string operator()(const DateTime&) const { return "datetime.datetime"; }
      std::string operator()(Callable c) const {
        return c == Callable::DateTime ? "<class datetime.datetime>" : "<function _codecs.encode>";
      }
      std::string operator()(NodeRef ref) const {
        switch (self.nodes_[ref.index].kind) {
          case Node::Kind::Tuple:
            return "tuple";
          case Node::Kind::List:
            return "list";
          case Node::Kind::Dict:
            return "dict";
        }
        return "?";
      }
    };
    return std::visit(Names{*this}, item);
  }

  // Python refuses unhashable keys; equal keys (1 and True, a py2 str and its unicode twin) collapse.
  std::optional<std::string> hashKey(const Item& key) {
    if (std::holds_alternative<std::monostate>(key)) {
      return "n";
    }
    if (const auto* b = std::get_if<bool>(&key)) {
      return *b ? "i1" : "i0";
    }
    if (const auto* i = std::get_if<std::int64_t>(&key)) {
      return "i" + std::to_string(*i);
    }
    if (const auto* big = std::get_if<BigInt>(&key)) {
      return "i" + big->text;
    }
    if (const auto* s = std::get_if<Str>(&key)) {
      return "s" + s->utf8;
    }
    if (const auto* s = std::get_if<LegacyStr>(&key)) {
      return "s" + legacyText(s->raw);
    }
    if (const auto* b = std::get_if<Bytes>(&key)) {
      return "y" + b->data;
    }
    if (const auto* ref = std::get_if<NodeRef>(&key);
        ref != nullptr && nodes_[ref->index].kind != Node::Kind::Tuple) {
      failAt(opOffset_, "unhashable type: '" + itemTypeName(key) + "' used as a dict key");
    }
    return std::nullopt;  // tuples and datetimes: kept without collapsing duplicates
  }

  void setItem(Node& dict, Item key, Item value) {
    if (auto hashed = hashKey(key)) {
      if (auto found = dict.keys.find(*hashed); found != dict.keys.end()) {
        dict.entries[found->second].second = std::move(value);
        return;
      }
      dict.keys.emplace(std::move(*hashed), dict.entries.size());
    }
    dict.entries.emplace_back(std::move(key), std::move(value));
  }

  void setItems(std::vector<Item> items, Node& dict) {
    if (items.size() % 2 != 0) {
      failAt(opOffset_, "malformed pickle: odd number of items for " + describeOpcode(op()));
    }
    for (std::size_t i = 0; i < items.size(); i += 2) {
      setItem(dict, std::move(items[i]), std::move(items[i + 1]));
    }
  }

  void pushTuple(std::vector<Item> items) {
    auto ref = newNode(Node::Kind::Tuple);
    nodes_[ref.index].items = std::move(items);
    push(ref);
  }

  // ---- numbers
  std::int64_t parseDecimal(std::string_view text, const char* what) {
    auto trimmed = text;
    while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t')) {
      trimmed.remove_prefix(1);
    }
    while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t' || trimmed.back() == '\r')) {
      trimmed.remove_suffix(1);
    }
    bool negative = false;
    if (!trimmed.empty() && (trimmed.front() == '-' || trimmed.front() == '+')) {
      negative = trimmed.front() == '-';
      trimmed.remove_prefix(1);
    }
    if (trimmed.empty() || trimmed.size() > 40) {
      failAt(opOffset_, std::string("malformed pickle: ") + what + " '" + std::string(text.substr(0, 40)) +
                            "' is not a decimal integer");
    }
    // Accumulate as a negative number so INT64_MIN fits.
    std::int64_t value = 0;
    for (char c : trimmed) {
      if (c < '0' || c > '9') {
        failAt(opOffset_, std::string("malformed pickle: ") + what + " '" + std::string(text) +
                              "' is not a decimal integer");
      }
      const int digit = c - '0';
      if (value < (std::numeric_limits<std::int64_t>::min() + digit) / 10) {
        failAt(opOffset_, std::string("integer ") + std::string(text) + " is out of the 64-bit range");
      }
      value = value * 10 - digit;
    }
    if (!negative) {
      if (value == std::numeric_limits<std::int64_t>::min()) {
        failAt(opOffset_, std::string("integer ") + std::string(text) + " is out of the 64-bit range");
      }
      value = -value;
    }
    return value;
  }

  // INT/LONG text: a value past 64 bits becomes a BigInt; anything that is not a decimal integer fails.
  Item parseInteger(std::string_view text, const char* what) {
    std::string_view digits = text;
    while (!digits.empty() && (digits.front() == ' ' || digits.front() == '\t')) {
      digits.remove_prefix(1);
    }
    while (!digits.empty() && (digits.back() == ' ' || digits.back() == '\t' || digits.back() == '\r')) {
      digits.remove_suffix(1);
    }
    const bool negative = !digits.empty() && digits.front() == '-';
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
      digits.remove_prefix(1);
    }
    const bool allDigits =
        !digits.empty() && digits.size() <= kMaxBigIntDigits &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits.size() <= 18 || !allDigits) {
      return parseDecimal(text, what);  // fits, or fails with the usual message
    }
    while (digits.size() > 1 && digits.front() == '0') {
      digits.remove_prefix(1);
    }
    if (digits.size() <= 18) {
      return parseDecimal(text, what);
    }
    const std::string signedText = (negative ? "-" : "") + std::string(digits);
    const std::string limit = negative ? "9223372036854775808" : "9223372036854775807";
    if (digits.size() < limit.size() || (digits.size() == limit.size() && digits <= limit)) {
      return parseDecimal(text, what);
    }
    return BigInt{signedText};
  }

  // LONG1/LONG4 past 64 bits: the BigInt's decimal text, by long division of the magnitude.
  Item longItem(std::string_view bytes) {
    if (fitsInt64(bytes)) {
      return parseLong(bytes);
    }
    if (bytes.size() > kMaxBigIntBytes) {
      return BigInt{"<an integer of " + std::to_string(bytes.size()) + " bytes>"};
    }
    std::vector<unsigned char> magnitude(bytes.begin(), bytes.end());
    const bool negative = (magnitude.back() & 0x80) != 0;
    if (negative) {  // two's complement: invert and add one
      unsigned carry = 1;
      for (auto& byte : magnitude) {
        const unsigned sum = static_cast<unsigned char>(~byte) + carry;
        byte = static_cast<unsigned char>(sum & 0xff);
        carry = sum >> 8;
      }
    }
    std::string reversed;
    bool nonZero = true;
    while (nonZero) {
      unsigned remainder = 0;
      nonZero = false;
      for (auto it = magnitude.rbegin(); it != magnitude.rend(); ++it) {
        const unsigned current = (remainder << 8) | *it;
        *it = static_cast<unsigned char>(current / 10);
        remainder = current % 10;
        nonZero = nonZero || *it != 0;
      }
      reversed += static_cast<char>('0' + remainder);
    }
    return BigInt{(negative ? "-" : "") + std::string(reversed.rbegin(), reversed.rend())};
  }

  static bool fitsInt64(std::string_view bytes) {
    if (bytes.size() <= 8) {
      return true;
    }
    const bool negative = (static_cast<unsigned char>(bytes.back()) & 0x80) != 0;
    const unsigned char extension = negative ? 0xff : 0x00;
    for (std::size_t i = 8; i < bytes.size(); ++i) {
      if (static_cast<unsigned char>(bytes[i]) != extension) {
        return false;
      }
    }
    return ((static_cast<unsigned char>(bytes[7]) & 0x80) != 0) == negative;
  }

  // LONG1/LONG4: little-endian two's complement of any length.
  std::int64_t parseLong(std::string_view bytes) {
    if (bytes.empty()) {
      return 0;
    }
    const bool negative = (static_cast<unsigned char>(bytes.back()) & 0x80) != 0;
    const unsigned char extension = negative ? 0xff : 0x00;
    for (std::size_t i = 8; i < bytes.size(); ++i) {
      if (static_cast<unsigned char>(bytes[i]) != extension) {
        failAt(opOffset_, "integer of " + std::to_string(bytes.size()) + " bytes is out of the 64-bit range");
      }
    }
    if (bytes.size() > 8 && ((static_cast<unsigned char>(bytes[7]) & 0x80) != 0) != negative) {
      failAt(opOffset_, "integer of " + std::to_string(bytes.size()) + " bytes is out of the 64-bit range");
    }
    std::uint64_t value = negative ? ~std::uint64_t{0} : 0;
    const std::size_t used = std::min<std::size_t>(bytes.size(), 8);
    for (std::size_t i = 0; i < used; ++i) {
      value &= ~(std::uint64_t{0xff} << (8 * i));
      value |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    }
    return static_cast<std::int64_t>(value);
  }

  // ---- text opcodes of protocol 0
  // STRING's argument is a Python string literal: quotes around, backslash escapes inside.
  std::string unquoteString(std::string_view line) {
    if (line.size() < 2 || line.front() != line.back() || (line.front() != '\'' && line.front() != '"')) {
      failAt(opOffset_, "malformed pickle: the STRING opcode argument must be quoted");
    }
    auto body = line.substr(1, line.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] != '\\' || i + 1 == body.size()) {
        if (body[i] == '\\') {
          failAt(opOffset_, "malformed pickle: STRING ends with a lone backslash");
        }
        out += body[i];
        continue;
      }
      const char e = body[++i];
      switch (e) {
        case '\n':
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        case 'x': {
          auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
          };
          const int high = i + 1 < body.size() ? hex(body[i + 1]) : -1;
          const int low = i + 2 < body.size() ? hex(body[i + 2]) : -1;
          if (high < 0 || low < 0) {
            failAt(opOffset_, "malformed pickle: invalid \\x escape in STRING");
          }
          out += static_cast<char>(high * 16 + low);
          i += 2;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            int value = e - '0';
            for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k) {
              value = value * 8 + (body[++i] - '0');
            }
            out += static_cast<char>(value & 0xff);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    return out;
  }

  // UNICODE's argument is raw-unicode-escape: bytes are latin-1 code points except \uXXXX and
  // \UXXXXXXXX after an odd number of backslashes.
  std::string rawUnicodeEscape(std::string_view line) {
    std::string out;
    for (std::size_t i = 0; i < line.size();) {
      if (line[i] != '\\') {
        appendUtf8(out, static_cast<unsigned char>(line[i++]));
        continue;
      }
      std::size_t run = 0;
      while (i < line.size() && line[i] == '\\') {
        ++run;
        ++i;
      }
      const bool escape = run % 2 == 1 && i < line.size() && (line[i] == 'u' || line[i] == 'U');
      out.append(escape ? run - 1 : run, '\\');
      if (!escape) {
        continue;
      }
      const std::size_t digits = line[i] == 'u' ? 4 : 8;
      ++i;
      if (line.size() - i < digits) {
        failAt(opOffset_, "malformed pickle: truncated \\uXXXX escape in UNICODE");
      }
      std::uint32_t cp = 0;
      for (std::size_t k = 0; k < digits; ++k) {
        const char c = line[i + k];
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) {
          failAt(opOffset_, "malformed pickle: invalid \\u escape in UNICODE");
        }
        cp = cp * 16 + static_cast<std::uint32_t>(v);
      }
      if (cp > 0x10ffff) {
        failAt(opOffset_, "malformed pickle: \\U escape beyond U+10FFFF in UNICODE");
      }
      appendUtf8(out, cp);
      i += digits;
    }
    return out;
  }

  Str utf8Str(std::string_view bytes) {
    if (!codePoints(bytes)) {
      failAt(opOffset_, "malformed pickle: " + describeOpcode(op()) + " holds invalid UTF-8");
    }
    return Str{std::string(bytes)};
  }

  // ---- globals and calls
  Callable global(std::string_view module, std::string_view name) {
    if (module == "datetime" && name == "datetime") {
      return Callable::DateTime;
    }
    if (module == "_codecs" && name == "encode") {
      return Callable::CodecsEncode;
    }
    failAt(opOffset_, "global " + std::string(module) + "." + std::string(name) +
                          " is not allowed (only datetime.datetime and _codecs.encode are)");
  }

  std::string_view globalPart(const Item& item, const char* what) {
    if (const auto* s = std::get_if<Str>(&item)) {
      return s->utf8;
    }
    if (const auto* s = std::get_if<LegacyStr>(&item)) {
      return s->raw;
    }
    failAt(opOffset_, std::string("malformed pickle: STACK_GLOBAL ") + what + " is a " + itemTypeName(item));
  }

  // The latin-1 bytes of a str argument; nullopt when it holds a code point above U+00FF.
  std::optional<std::string> latin1Bytes(const Item& item) {
    if (const auto* s = std::get_if<LegacyStr>(&item)) {
      return s->raw;
    }
    if (const auto* b = std::get_if<Bytes>(&item)) {
      return b->data;
    }
    if (const auto* s = std::get_if<Str>(&item)) {
      std::string out;
      const auto points = codePoints(s->utf8);
      for (auto cp : points.value_or(std::vector<std::uint32_t>{})) {
        if (cp > 0xff) {
          return std::nullopt;
        }
        out += static_cast<char>(cp);
      }
      return out;
    }
    return std::nullopt;
  }

  Item call(Callable callable, const Item& argsItem) {
    const auto* ref = std::get_if<NodeRef>(&argsItem);
    if (ref == nullptr || nodes_[ref->index].kind != Node::Kind::Tuple) {
      failAt(opOffset_, "malformed pickle: " + describeOpcode(op()) + " arguments are a " +
                            itemTypeName(argsItem) + ", not a tuple");
    }
    const auto args = nodes_[ref->index].items;
    if (callable == Callable::CodecsEncode) {
      if (args.size() != 2) {
        failAt(opOffset_, "_codecs.encode expects 2 arguments, got " + std::to_string(args.size()));
      }
      auto encoding = latin1Bytes(args[1]);
      std::string lowered = encoding.value_or("");
      std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                     [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
      if (lowered != "latin1" && lowered != "latin-1" && lowered != "iso-8859-1" && lowered != "l1") {
        failAt(opOffset_, "_codecs.encode with encoding '" + lowered + "' is not allowed (only latin1)");
      }
      if (std::holds_alternative<Bytes>(args[0])) {
        failAt(opOffset_, "_codecs.encode expects a str, got bytes");
      }
      auto bytes = latin1Bytes(args[0]);
      if (!bytes) {
        failAt(opOffset_, "_codecs.encode: a " + itemTypeName(args[0]) + " that latin-1 cannot encode");
      }
      return Bytes{std::move(*bytes)};
    }
    if (args.size() != 1) {
      failAt(opOffset_, "datetime.datetime is only rebuilt from its 10-byte state, got " +
                            std::to_string(args.size()) + " arguments");
    }
    auto state = latin1Bytes(args[0]);
    if (!state || state->size() != 10) {
      failAt(opOffset_, "datetime.datetime state must be 10 bytes, got a " + itemTypeName(args[0]) +
                            (state ? " of " + std::to_string(state->size()) + " bytes" : std::string()));
    }
    const auto byte = [&](int i) { return static_cast<int>(static_cast<unsigned char>((*state)[i])); };
    DateTime dt;
    dt.year = byte(0) * 256 + byte(1);
    dt.month = byte(2) & 0x7f;
    dt.fold = (byte(2) & 0x80) != 0;
    dt.day = byte(3);
    dt.hour = byte(4);
    dt.minute = byte(5);
    dt.second = byte(6);
    dt.microsecond = (byte(7) << 16) | (byte(8) << 8) | byte(9);
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (dt.year % 4 == 0 && dt.year % 100 != 0) || dt.year % 400 == 0;
    const bool valid = dt.year >= 1 && dt.year <= 9999 && dt.month >= 1 && dt.month <= 12 && dt.day >= 1 &&
                       dt.day <= kDays[dt.month - 1] + (dt.month == 2 && leap ? 1 : 0) && dt.hour < 24 &&
                       dt.minute < 60 && dt.second < 60 && dt.microsecond < 1'000'000;
    if (!valid) {
      failAt(opOffset_, "datetime.datetime state is not a valid date and time");
    }
    return dt;
  }

  // ---- memo
  void memoPut(std::uint64_t index) {
    if (memo_.size() >= input_.size()) {
      failAt(opOffset_, "memo overflow");
    }
    memo_[index] = top();
  }

  void memoGet(std::uint64_t index) {
    auto found = memo_.find(index);
    if (found == memo_.end()) {
      failAt(opOffset_, "malformed pickle: memo key " + std::to_string(index) + " was never stored");
    }
    if (const auto* s = std::get_if<Str>(&found->second)) {
      charge(s->utf8.size());
    } else if (const auto* b = std::get_if<Bytes>(&found->second)) {
      charge(b->data.size());
    } else if (const auto* l = std::get_if<LegacyStr>(&found->second)) {
      charge(l->raw.size());
    }
    push(found->second);
  }

  // ---- the interpreter
  void step(unsigned char op) {
    switch (op) {
      case 0x80: {  // PROTO
        const auto version = readUnsigned(1, "PROTO");
        if (version > 5) {
          failAt(opOffset_, "unsupported pickle protocol " + std::to_string(version));
        }
        return;
      }
      case 0x95: {  // FRAME: a length prefix for buffered reading; the opcodes follow as usual
        const auto length = readUnsigned(8, "FRAME");
        if (length > input_.size() - pos_) {
          failAt(opOffset_, "truncated pickle: FRAME of " + std::to_string(length) + " bytes, " +
                                std::to_string(input_.size() - pos_) + " left");
        }
        return;
      }
      case '(':
        if (marks_.size() >= limits_.maxDepth) {
          failAt(opOffset_, "pickle nested deeper than " + std::to_string(limits_.maxDepth) + " levels");
        }
        marks_.push_back(stack_.size());
        return;
      case 'N':
        push(std::monostate{});
        return;
      case 0x88:
        push(true);
        return;
      case 0x89:
        push(false);
        return;
      case 'I': {
        auto line = readLine("INT");
        if (line == "01") {
          push(true);
        } else if (line == "00") {
          push(false);
        } else {
          push(parseInteger(line, "INT"));
        }
        return;
      }
      case 'L': {
        auto line = readLine("LONG");
        if (!line.empty() && line.back() == 'L') {
          line.remove_suffix(1);
        }
        push(parseInteger(line, "LONG"));
        return;
      }
      case 'J':
        push(static_cast<std::int64_t>(static_cast<std::int32_t>(readUnsigned(4, "BININT"))));
        return;
      case 'K':
        push(static_cast<std::int64_t>(readUnsigned(1, "BININT1")));
        return;
      case 'M':
        push(static_cast<std::int64_t>(readUnsigned(2, "BININT2")));
        return;
      case 0x8a:
        push(longItem(take(readUnsigned(1, "LONG1"), "LONG1")));
        return;
      case 0x8b: {
        const auto size = static_cast<std::int32_t>(readUnsigned(4, "LONG4"));
        if (size < 0) {
          failAt(opOffset_, "malformed pickle: LONG4 with a negative length");
        }
        push(longItem(readCounted(static_cast<std::uint64_t>(size), "LONG4")));
        return;
      }
      case 'S':
        push(LegacyStr{unquoteString(readLine("STRING"))});
        return;
      case 'T': {
        const auto size = static_cast<std::int32_t>(readUnsigned(4, "BINSTRING"));
        if (size < 0) {
          failAt(opOffset_, "malformed pickle: BINSTRING with a negative length");
        }
        push(LegacyStr{std::string(readCounted(static_cast<std::uint64_t>(size), "BINSTRING"))});
        return;
      }
      case 'U':
        push(LegacyStr{std::string(readCounted(readUnsigned(1, "SHORT_BINSTRING"), "SHORT_BINSTRING"))});
        return;
      case 'V':
        push(Str{rawUnicodeEscape(readLine("UNICODE"))});
        return;
      case 'X':
        push(utf8Str(readCounted(readUnsigned(4, "BINUNICODE"), "BINUNICODE")));
        return;
      case 0x8c:
        push(utf8Str(readCounted(readUnsigned(1, "SHORT_BINUNICODE"), "SHORT_BINUNICODE")));
        return;
      case 0x8d:
        push(utf8Str(readCounted(readUnsigned(8, "BINUNICODE8"), "BINUNICODE8")));
        return;
      case 'B':
        push(Bytes{std::string(readCounted(readUnsigned(4, "BINBYTES"), "BINBYTES"))});
        return;
      case 'C':
        push(Bytes{std::string(readCounted(readUnsigned(1, "SHORT_BINBYTES"), "SHORT_BINBYTES"))});
        return;
      case 0x8e:
        push(Bytes{std::string(readCounted(readUnsigned(8, "BINBYTES8"), "BINBYTES8"))});
        return;
      case ')':
        pushTuple({});
        return;
      case 't':
        pushTuple(popToMark());
        return;
      case 0x85:
      case 0x86:
      case 0x87: {
        const std::size_t count = op - 0x84u;
        std::vector<Item> items(count);
        for (std::size_t i = count; i-- > 0;) {
          items[i] = pop();
        }
        pushTuple(std::move(items));
        return;
      }
      case ']':
        push(newNode(Node::Kind::List));
        return;
      case 'l': {
        auto items = popToMark();
        auto ref = newNode(Node::Kind::List);
        nodes_[ref.index].items = std::move(items);
        push(ref);
        return;
      }
      case 'a': {
        auto value = pop();
        nodeOf(top(), Node::Kind::List, "list").items.push_back(std::move(value));
        return;
      }
      case 'e': {
        auto items = popToMark();
        auto& list = nodeOf(top(), Node::Kind::List, "list").items;
        list.insert(list.end(), std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
        return;
      }
      case '}':
        push(newNode(Node::Kind::Dict));
        return;
      case 'd': {
        auto items = popToMark();
        auto ref = newNode(Node::Kind::Dict);
        setItems(std::move(items), nodes_[ref.index]);
        push(ref);
        return;
      }
      case 's': {
        auto value = pop();
        auto key = pop();
        setItem(nodeOf(top(), Node::Kind::Dict, "dict"), std::move(key), std::move(value));
        return;
      }
      case 'u': {
        auto items = popToMark();
        setItems(std::move(items), nodeOf(top(), Node::Kind::Dict, "dict"));
        return;
      }
      case 'p':
        memoPut(static_cast<std::uint64_t>(parseDecimal(readLine("PUT"), "PUT")));
        return;
      case 'q':
        memoPut(readUnsigned(1, "BINPUT"));
        return;
      case 'r':
        memoPut(readUnsigned(4, "LONG_BINPUT"));
        return;
      case 0x94:
        memoPut(memo_.size());
        return;
      case 'g':
        memoGet(static_cast<std::uint64_t>(parseDecimal(readLine("GET"), "GET")));
        return;
      case 'h':
        memoGet(readUnsigned(1, "BINGET"));
        return;
      case 'j':
        memoGet(readUnsigned(4, "LONG_BINGET"));
        return;
      case 'c': {
        auto module = readLine("GLOBAL module");
        auto name = readLine("GLOBAL name");
        push(global(module, name));
        return;
      }
      case 0x93: {
        auto name = pop();
        auto module = pop();
        push(global(globalPart(module, "module"), globalPart(name, "name")));
        return;
      }
      case 'R':
      case 0x81: {
        auto args = pop();
        auto target = pop();
        const auto* callable = std::get_if<Callable>(&target);
        if (callable == nullptr) {
          failAt(opOffset_, describeOpcode(op) + " on a " + itemTypeName(target) + " is not allowed");
        }
        if (op == 0x81 && *callable != Callable::DateTime) {
          failAt(opOffset_, "NEWOBJ of _codecs.encode is not allowed");
        }
        push(call(*callable, args));
        return;
      }
      default:
        failAt(opOffset_, describeOpcode(op) + " is not supported by the eventIdFile reader");
    }
  }

  // ---- the result
  Value toValue(const Item& item, std::size_t depth) {
    if (++values_ > limits_.maxValues) {
      throw PickleError("the pickle expands to more than " + std::to_string(limits_.maxValues) + " values");
    }
    if (depth > limits_.maxDepth) {
      throw PickleError("pickle nested deeper than " + std::to_string(limits_.maxDepth) +
                        " levels (or a container that holds itself)");
    }
    if (const auto* legacy = std::get_if<LegacyStr>(&item)) {
      charge(legacy->raw.size());
      return Value(Str{legacyText(legacy->raw)});
    }
    if (const auto* s = std::get_if<Str>(&item)) {
      charge(s->utf8.size());
      return Value(*s);
    }
    if (const auto* b = std::get_if<Bytes>(&item)) {
      charge(b->data.size());
      return Value(*b);
    }
    if (std::holds_alternative<Callable>(item)) {
      throw PickleError("the pickle holds a bare " + itemTypeName(item) + ", not data");
    }
    if (const auto* ref = std::get_if<NodeRef>(&item)) {
      const Node& node = nodes_[ref->index];
      if (node.kind == Node::Kind::Dict) {
        Dict dict;
        dict.entries.reserve(node.entries.size());
        for (const auto& [k, v] : node.entries) {
          dict.entries.emplace_back(toValue(k, depth + 1), toValue(v, depth + 1));
        }
        return Value(std::move(dict));
      }
      std::vector<Value> items;
      items.reserve(node.items.size());
      for (const auto& child : node.items) {
        items.push_back(toValue(child, depth + 1));
      }
      if (node.kind == Node::Kind::Tuple) {
        return Value(Tuple{std::move(items)});
      }
      return Value(List{std::move(items)});
    }
    return std::visit(
        [](const auto& scalar) -> Value {
          using T = std::decay_t<decltype(scalar)>;
          if constexpr (std::is_same_v<T, std::monostate> || std::is_same_v<T, bool> ||
                        std::is_same_v<T, std::int64_t> || std::is_same_v<T, BigInt> ||
                        std::is_same_v<T, DateTime>) {
            return Value(scalar);
          } else {
            return Value();  // handled above
          }
        },
        item);
  }

  std::string_view input_;
  Limits limits_;
  std::size_t byteBudget_;
  std::size_t pos_ = 0;
  std::size_t opOffset_ = 0;
  std::size_t values_ = 0;
  std::vector<Item> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Item> memo_;
  std::vector<Node> nodes_;
};

}  // namespace

bool startsWithAnOpcode(std::string_view bytes) {
  return !bytes.empty() && !opcodeName(static_cast<unsigned char>(bytes.front())).empty();
}

Expected<Value> load(std::string_view bytes, const Limits& limits) {
  try {
    Unpickler unpickler(bytes, limits);
    return unpickler.run();
  } catch (const PickleError& e) {
    return fail(e.what());
  } catch (const std::bad_alloc&) {
    return fail("out of memory while reading the pickle");
  }
}

}  // namespace sgeventd::legacy::pickle
