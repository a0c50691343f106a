// The worker protocol's framing: whole frames both ways, and a broken peer is an error, never a hang or
// a crash.
#include "worker/frame_io.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "core/unique_fd.h"

using sgeventd::core::UniqueFd;
using sgeventd::worker::FrameReader;
using sgeventd::worker::FrameWriter;

namespace {

struct Pair {
  Pair() {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    a.reset(sv[0]);
    b.reset(sv[1]);
  }
  UniqueFd a;
  UniqueFd b;
};

void writeRaw(int fd, const std::string& bytes) {
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
}

}  // namespace

TEST(FrameIo, FramesArriveWholeAndInOrder) {
  Pair p;
  FrameWriter writer(p.a.get());
  const std::string big(1 << 20, 'x');  // larger than one read and than the socket buffer
  std::thread sender([&] {
    EXPECT_TRUE(writer.write("one"));
    EXPECT_TRUE(writer.write(""));
    EXPECT_TRUE(writer.write(big));
    p.a.reset();
  });
  FrameReader reader(p.b.get());
  auto first = reader.next();
  ASSERT_TRUE(first && *first);
  EXPECT_EQ(**first, "one");
  auto empty = reader.next();
  ASSERT_TRUE(empty && *empty);
  EXPECT_EQ(**empty, "");
  auto third = reader.next();
  ASSERT_TRUE(third && *third);
  EXPECT_EQ(**third, big);
  auto end = reader.next();
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end) << "a close between frames is the end, not an error";
  sender.join();
}

TEST(FrameIo, FramesFromTwoThreadsNeverInterleave) {
  Pair p;
  FrameWriter writer(p.a.get());
  const std::string x(100000, 'x');
  const std::string y(100000, 'y');
  std::thread one([&] {
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(writer.write(x));
  });
  std::thread two([&] {
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(writer.write(y));
  });
  FrameReader reader(p.b.get());
  for (int i = 0; i < 40; ++i) {
    auto frame = reader.next();
    ASSERT_TRUE(frame && *frame);
    EXPECT_TRUE(**frame == x || **frame == y);
  }
  one.join();
  two.join();
}

TEST(FrameIo, AnOversizedLengthIsAnError) {
  Pair p;
  writeRaw(p.a.get(), std::string("\x7f\xff\xff\xff", 4));
  FrameReader reader(p.b.get());
  auto frame = reader.next();
  ASSERT_FALSE(frame);
  EXPECT_NE(frame.error().message.find("over the limit"), std::string::npos) << frame.error().message;
}

TEST(FrameIo, AFrameCutShortIsAnError) {
  Pair p;
  writeRaw(p.a.get(), std::string("\x00\x00\x00\x10"
                                  "abc",
                                  7));
  p.a.reset();
  FrameReader reader(p.b.get());
  auto frame = reader.next();
  ASSERT_FALSE(frame);
  EXPECT_NE(frame.error().message.find("inside a frame"), std::string::npos) << frame.error().message;
}

TEST(FrameIo, AHeaderCutShortIsAnError) {
  Pair p;
  writeRaw(p.a.get(), std::string("\x00\x00", 2));
  p.a.reset();
  FrameReader reader(p.b.get());
  auto frame = reader.next();
  ASSERT_FALSE(frame);
  EXPECT_NE(frame.error().message.find("frame header"), std::string::npos) << frame.error().message;
}

TEST(FrameIo, WritingToAClosedPeerIsAnError) {
  ::signal(SIGPIPE, SIG_IGN);
  Pair p;
  p.b.reset();
  FrameWriter writer(p.a.get());
  EXPECT_FALSE(writer.write("anyone?"));
}
