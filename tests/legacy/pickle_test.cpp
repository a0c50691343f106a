#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "legacy/pickle.h"
#include "legacy_support.h"

namespace sgeventd::legacy::pickle {
namespace {

using legacytest::opcodeListing;
using legacytest::pythonPickle;
using legacytest::readBytes;
using legacytest::TempDir;
using namespace std::string_literals;

Value str(std::string text) { return Value(Str{std::move(text)}); }
Value integer(std::int64_t value) { return Value(value); }
Value none() { return Value(); }
Value tuple(std::vector<Value> items) { return Value(Tuple{std::move(items)}); }
Value dict(std::vector<std::pair<Value, Value>> entries) { return Value(Dict{std::move(entries)}); }
Value datetime(int y, int mo, int d, int h, int mi, int s, int us) {
  return Value(DateTime{y, mo, d, h, mi, s, us, false});
}

// fixed_state() of write_pickle.py.
Value fixedState() {
  return dict({
      {str("/usr/local/shotgun/plugins"),
       dict({
           {str("logArgs"),
            tuple({integer(276560), dict({{integer(276558), datetime(2024, 1, 2, 3, 4, 5, 678901)},
                                          {integer(276559), datetime(2031, 12, 31, 23, 59, 59, 10)}})})},
           {str("newPlugin"), tuple({none(), dict({})})},
           {str("\u00fcn\u00efc\u00f8d\u00e9 \u65e5\u672c"), tuple({integer(276000), dict({})})},
           {str("big"), tuple({integer(std::int64_t{1} << 40), dict({})})},
           {str("negative"), tuple({integer(-5), dict({})})},
       })},
      {str("/opt/plugins \u00fc"), dict({{str("logArgs"), tuple({integer(100), dict({})})}})},
      {str("/empty"), dict({})},
  });
}

Expected<Value> loadFile(const std::string& path) { return load(readBytes(path)); }

std::string errorOf(const Expected<Value>& result) { return result ? "<no error>" : result.error().message; }

class EveryProtocol : public ::testing::TestWithParam<int> {};

TEST_P(EveryProtocol, ReadsWhatPythonWrites) {
  TempDir dir;
  const auto path = pythonPickle(dir, "state.pickle", "fixed", {std::to_string(GetParam())});
  auto value = loadFile(path);
  ASSERT_TRUE(value) << value.error().message;
  EXPECT_EQ(*value, fixedState());
}

INSTANTIATE_TEST_SUITE_P(Pickle, EveryProtocol, ::testing::Values(0, 1, 2, 3, 4, 5));

TEST(Pickle, FilesUseTheOpcodesTheSpecDescribes) {
  TempDir dir;
  const auto p5 = opcodeListing(pythonPickle(dir, "p5", "fixed", {"5"}));
  for (const char* op : {"FRAME", "MEMOIZE", "STACK_GLOBAL", "SHORT_BINBYTES", "TUPLE1", "REDUCE",
                         "SHORT_BINUNICODE", "LONG1", "BININT", "BINGET", "SETITEMS", "NONE"}) {
    EXPECT_NE(p5.find(op), std::string::npos) << op << " missing from\n" << p5;
  }
  const auto p4 = opcodeListing(pythonPickle(dir, "p4", "fixed", {"4"}));
  EXPECT_NE(p4.find("FRAME"), std::string::npos);
  EXPECT_NE(p4.find("SHORT_BINBYTES"), std::string::npos);
  const auto p2 = opcodeListing(pythonPickle(dir, "p2", "fixed", {"2"}));
  for (const char* op : {"GLOBAL '_codecs encode'", "GLOBAL 'datetime datetime'", "BINUNICODE", "BINPUT",
                         "TUPLE2", "REDUCE", "PROTO 2"}) {
    EXPECT_NE(p2.find(op), std::string::npos) << op << " missing from\n" << p2;
  }
  const auto p0 = opcodeListing(pythonPickle(dir, "p0", "fixed", {"0"}));
  for (const char* op : {"GLOBAL '_codecs encode'", "UNICODE", "PUT", "GET", "INT", "LONG", "MARK", "DICT",
                         "TUPLE", "SETITEM"}) {
    EXPECT_NE(p0.find(op), std::string::npos) << op << " missing from\n" << p0;
  }
  const auto py2 = opcodeListing(pythonPickle(dir, "py2", "py2proto2"));
  EXPECT_NE(py2.find("SHORT_BINSTRING '\\x07"), std::string::npos) << py2;
  EXPECT_NE(py2.find("GLOBAL 'datetime datetime'"), std::string::npos) << py2;
}

TEST(Pickle, ReadsPython2Protocol2WithByteStringDatetimeState) {
  TempDir dir;
  auto value = loadFile(pythonPickle(dir, "py2.pickle", "py2proto2"));
  ASSERT_TRUE(value) << value.error().message;
  const auto expected =
      dict({{str("/usr/local/shotgun/plugins"),
             dict({
                 {str("logArgs"),
                  tuple({integer(276560), dict({{integer(276558), datetime(2024, 1, 2, 3, 4, 5, 678901)}})})},
                 // UTF-8 bytes of a py2 str stay UTF-8; other bytes are read as latin-1
                 {str("caf\u00e9"), tuple({integer(1000), dict({})})},
                 {str("lat\u00e9"), tuple({none(), dict({})})},
             })}});
  EXPECT_EQ(*value, expected);
}

TEST(Pickle, ReadsPython2Protocol0WithEscapedStrings) {
  TempDir dir;
  const auto path = pythonPickle(dir, "py2.pickle", "py2proto0");
  EXPECT_NE(readBytes(path).find("S'\\x07\\xe8"), std::string::npos);
  auto value = loadFile(path);
  ASSERT_TRUE(value) << value.error().message;
  const auto when = datetime(2024, 1, 2, 3, 4, 5, 678901);
  const auto expected =
      dict({{str("/usr/local/shotgun/plugins"),
             dict({{str("logArgs"),
                    tuple({integer(276560), dict({{integer(276558), when}, {integer(276559), when}})})},
                   {str("old"), integer(42)}})}});
  EXPECT_EQ(*value, expected);
}

TEST(Pickle, ReadsListsAndTheFoldBit) {
  TempDir dir;
  auto list = loadFile(pythonPickle(dir, "list.pickle", "list", {"2"}));
  ASSERT_TRUE(list) << list.error().message;
  const auto* state = list->find("/p")->find("x");
  ASSERT_NE(state, nullptr);
  ASSERT_TRUE(state->is<List>());
  ASSERT_EQ(state->sequence()->size(), 2u);
  EXPECT_EQ((*state->sequence())[0], integer(7));

  auto folded = loadFile(pythonPickle(dir, "fold.pickle", "fold"));
  ASSERT_TRUE(folded) << folded.error().message;
  const auto& backlog = (*folded->find("/p")->find("x")->sequence())[1].as<Dict>().entries;
  ASSERT_EQ(backlog.size(), 2u);
  EXPECT_EQ(backlog[0].second.as<DateTime>(), (DateTime{2030, 11, 3, 1, 30, 0, 0, true}));
  EXPECT_EQ(backlog[1].second.as<DateTime>(), (DateTime{2030, 11, 3, 1, 30, 0, 0, false}));
}

// ---- hostile input: refused with a message naming what was refused, nothing executed

TEST(Pickle, RefusesOsSystemViaReduce) {
  TempDir dir;
  const auto marker = dir.file("pwned");
  const auto bytes = "cos\nsystem\n(S'touch "s + marker + "'\ntR."s;
  auto value = load(bytes);
  EXPECT_EQ(errorOf(value).find("global os.system is not allowed"), 0u) << errorOf(value);
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Pickle, RefusesReduceObjectsOfEveryProtocol) {
  TempDir dir;
  const auto marker = dir.file("pwned");
  for (int protocol : {0, 2, 5}) {
    const auto path = pythonPickle(dir, "evil.pickle", "evil", {std::to_string(protocol), "touch " + marker});
    auto value = loadFile(path);
    EXPECT_NE(errorOf(value).find("global posix.system is not allowed"), std::string::npos)
        << protocol << ": " << errorOf(value);
  }
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Pickle, RefusesArbitraryObjects) {
  TempDir dir;
  auto p2 = loadFile(pythonPickle(dir, "o2.pickle", "object", {"2"}));
  EXPECT_NE(errorOf(p2).find("global __main__.Thing is not allowed"), std::string::npos) << errorOf(p2);
  auto p0 = loadFile(pythonPickle(dir, "o0.pickle", "object", {"0"}));
  EXPECT_NE(errorOf(p0).find("global copy_reg._reconstructor is not allowed"), std::string::npos)
      << errorOf(p0);
  auto eval = load(
      "\x80\x04\x8c\x08"
      "builtins\x8c\x04"
      "eval\x93\x8c\x03"
      "1+1\x85R."s);
  EXPECT_NE(errorOf(eval).find("global builtins.eval is not allowed"), std::string::npos) << errorOf(eval);
}

TEST(Pickle, RefusesFloatsAndOtherOpcodes) {
  TempDir dir;
  auto binary = loadFile(pythonPickle(dir, "f2.pickle", "float", {"2"}));
  EXPECT_NE(errorOf(binary).find("opcode BINFLOAT (0x47) is not supported"), std::string::npos)
      << errorOf(binary);
  auto text = loadFile(pythonPickle(dir, "f0.pickle", "float", {"0"}));
  EXPECT_NE(errorOf(text).find("opcode FLOAT"), std::string::npos) << errorOf(text);
  EXPECT_NE(errorOf(load("\x80\x02}b."s)).find("opcode BUILD"), std::string::npos);
  EXPECT_NE(errorOf(load("\x80\x02\xff."s)).find("unknown opcode 0xff"), std::string::npos);
  EXPECT_NE(errorOf(load("\x80\x02K\x01)R."s)).find("REDUCE (0x52) on a int is not allowed"),
            std::string::npos)
      << errorOf(load("\x80\x02K\x01)R."s));
  EXPECT_NE(errorOf(load("\x80\x06N."s)).find("unsupported pickle protocol 6"), std::string::npos);
  // a datetime with a tzinfo argument is not something the original writes
  EXPECT_FALSE(
      load("\x80\x02"
           "cdatetime\ndatetime\nC\n\x07\xe8\x01\x02\x03\x04\x05\x00\x00\x00N\x86R."s));
  // _codecs.encode only to latin-1
  EXPECT_NE(errorOf(load("\x80\x02"
                         "c_codecs\nencode\nX\x01\x00\x00\x00"
                         "aX\x05\x00\x00\x00"
                         "rot13\x86R."s))
                .find("encoding 'rot13' is not allowed"),
            std::string::npos);
}

// ---- broken input: an error, never a crash

TEST(Pickle, EmptyInputIsAnError) { EXPECT_NE(errorOf(load("")).find("empty"), std::string::npos); }

TEST(Pickle, EveryTruncationIsAnError) {
  TempDir dir;
  for (int protocol : {0, 2, 5}) {
    const auto bytes = readBytes(pythonPickle(dir, "t.pickle", "fixed", {std::to_string(protocol)}));
    ASSERT_TRUE(load(bytes));
    for (std::size_t size = 1; size < bytes.size(); ++size) {
      auto value = load(std::string_view(bytes).substr(0, size));
      ASSERT_FALSE(value) << "protocol " << protocol << " cut at " << size;
      EXPECT_NE(value.error().message.find("truncated"), std::string::npos)
          << "protocol " << protocol << " cut at " << size << ": " << value.error().message;
    }
  }
}

TEST(Pickle, GarbageAndMutationsNeverCrash) {
  TempDir dir;
  const auto valid = readBytes(pythonPickle(dir, "m.pickle", "fixed", {"2"}));
  std::mt19937 random(20240102);
  std::size_t loaded = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bytes;
    if (round % 2 == 0) {
      bytes.resize(1 + random() % 64);
      for (auto& c : bytes) {
        c = static_cast<char>(random() % 256);
      }
    } else {
      bytes = valid;
      for (int flips = 0; flips < 1 + round % 3; ++flips) {
        bytes[random() % bytes.size()] = static_cast<char>(random() % 256);
      }
    }
    loaded += load(bytes) ? 1 : 0;
  }
  EXPECT_LT(loaded, 3000u);  // most are refused; the point is that none crashed
  EXPECT_FALSE(load("{}"));
  EXPECT_FALSE(load("hello world\n"));
}

TEST(Pickle, BoundsNestingRecursionAndExpansion) {
  TempDir dir;
  EXPECT_TRUE(loadFile(pythonPickle(dir, "d1.pickle", "deep", {"2", "50"})));
  auto deep = loadFile(pythonPickle(dir, "d2.pickle", "deep", {"2", "200"}));
  EXPECT_NE(errorOf(deep).find("nested deeper than 64"), std::string::npos) << errorOf(deep);
  EXPECT_NE(errorOf(load(std::string(100, '('))).find("nested deeper"), std::string::npos);
  // a list that holds itself
  auto cycle = load(
      "\x80\x02]q\x00h\x00"
      "a."s);
  EXPECT_NE(errorOf(cycle).find("holds itself"), std::string::npos) << errorOf(cycle);
  // memo references that expand exponentially (10^30 values)
  std::string laughs = "\x80\x02]("s + std::string(10, 'N') +
                       "tq\x00"
                       "a"s;
  for (int level = 1; level < 30; ++level) {
    laughs += "(";
    for (int i = 0; i < 10; ++i) {
      laughs += "h"s + static_cast<char>(level - 1);
    }
    laughs += "tq"s + static_cast<char>(level) + "a";
  }
  laughs += ".";
  auto expanded = load(laughs);
  EXPECT_NE(errorOf(expanded).find("more than 4000000 values"), std::string::npos) << errorOf(expanded);
  // absurd lengths are refused before anything is allocated
  EXPECT_FALSE(load("\x80\x05\x8d\xff\xff\xff\xff\xff\xff\xff\x7f."s));
  EXPECT_FALSE(load("\x80\x02X\xff\xff\xff\xff."s));
  EXPECT_NE(errorOf(load("\x80\x02\x8b\xff\xff\xff\xff."s)).find("negative length"), std::string::npos);
  EXPECT_FALSE(load("\x80\x05\x95\xff\xff\xff\xff\xff\xff\xff\xff."s));
  // a memo key never stored
  EXPECT_NE(errorOf(load("\x80\x02h\x05."s)).find("memo key 5"), std::string::npos);
}

TEST(Pickle, ReadsEveryIntegerOpcode) {
  auto one = [](const std::string& bytes) {
    auto value = load(bytes);
    EXPECT_TRUE(value) << errorOf(value);
    return value ? *value : Value();
  };
  EXPECT_EQ(one("I01\n."), Value(true));
  EXPECT_EQ(one("I00\n."), Value(false));
  EXPECT_EQ(one("I-12\n."), integer(-12));
  EXPECT_EQ(one("L123L\n."), integer(123));
  EXPECT_EQ(one("L-9223372036854775808\n."), integer(INT64_MIN));
  EXPECT_EQ(one("\x80\x02J\xff\xff\xff\xff."s), integer(-1));
  EXPECT_EQ(one("\x80\x02K\xff."s), integer(255));
  EXPECT_EQ(one("\x80\x02M\xff\xff."s), integer(65535));
  EXPECT_EQ(one("\x80\x02\x8a\x01\xff."s), integer(-1));
  EXPECT_EQ(one("\x80\x02\x8a\x00."s), integer(0));
  EXPECT_EQ(one("\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff."s), integer(-1));
  EXPECT_EQ(one("\x80\x02\x8b\x02\x00\x00\x00\x00\x01."s), integer(256));
  EXPECT_EQ(one("\x80\x02\x88."s), Value(true));
  // Past 64 bits an int is kept as its text, so the importer can skip that one entry and name it.
  using sgeventd::legacy::pickle::BigInt;
  EXPECT_EQ(one("I99999999999999999999\n."), Value(BigInt{"99999999999999999999"}));
  EXPECT_EQ(one("L-0009223372036854775809L\n."), Value(BigInt{"-9223372036854775809"}));
  EXPECT_EQ(one("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01."s),
            Value(BigInt{"18446744073709551616"}));
  // 2**63 is nine bytes whose eighth has the sign bit set
  EXPECT_EQ(one("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00."s),
            Value(BigInt{"9223372036854775808"}));
  EXPECT_EQ(one("\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\xff."s),
            Value(BigInt{"-9223372036854775809"}));
  EXPECT_FALSE(load("Iabc\n."));
}

TEST(Pickle, EqualKeysCollapseLikePythonDicts) {
  auto value = load("\x80\x02}(K\x01K\x02\x88K\x03u."s);
  ASSERT_TRUE(value) << errorOf(value);
  EXPECT_EQ(*value, dict({{integer(1), integer(3)}}));
  EXPECT_NE(errorOf(load("\x80\x02}]K\x01s."s)).find("unhashable type: 'list'"), std::string::npos);
}

TEST(Pickle, ProtocolZeroUnicodeEscapes) {
  auto value = load("V\\u00e9\\U0001f600\\\\x\xe9\n."s);
  ASSERT_TRUE(value) << errorOf(value);
  EXPECT_EQ(*value, str("\u00e9\U0001F600\\\\x\u00e9"));
}

}  // namespace
}  // namespace sgeventd::legacy::pickle
