// TextPump: text written into a pipe reaches the server as kText frames while the pipe is still open,
// cut between characters, with the final frame at end of input.
#include "ttsd/client/text-pump.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "client/scripted-server.h"

namespace ttsd::client {
namespace {

using protocol::FrameType;
using testing::ScriptedServer;
using testing::ServerPeer;
using namespace std::chrono_literals;

void WriteAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = write(fd, s.data(), s.size());
    ASSERT_GT(n, 0);
    s.remove_prefix(static_cast<size_t>(n));
  }
}

TEST(TextPump, StreamsInputAsItArrivesAndEndsWithFinal) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  std::vector<protocol::Frame> frames;
  std::atomic<int> frames_seen{0};
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    EXPECT_FALSE(req->second.final);
    while (auto f = p.Read()) {
      frames.push_back(*f);
      frames_seen++;
      if (f->header.flags & protocol::kFlagFinal) break;
    }
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  protocol::SynthesizeRequest r;
  r.text = "Start. ";
  r.final = false;
  auto id = (*conn)->StartSynthesis(r);
  ASSERT_TRUE(id.has_value());
  {
    TextPump pump(conn->get(), *id, pipe_fds[0]);
    EXPECT_TRUE(pump.text_open());
    WriteAll(pipe_fds[1], "Hello ");
    // The first piece arrives while input is still open: nothing waits for a line or for EOF.
    for (int i = 0; i < 500 && frames_seen == 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(frames_seen, 1);
    WriteAll(pipe_fds[1], "wor\xC3");  // the pipe now ends inside "é"
    std::this_thread::sleep_for(50ms);
    WriteAll(pipe_fds[1], "\xA9ld.");
    close(pipe_fds[1]);
    server.Join();
    pump.Stop();
    EXPECT_FALSE(pump.text_open());
    EXPECT_TRUE(pump.status().has_value()) << pump.status().error().ToString();
  }
  close(pipe_fds[0]);
  std::string text;
  ASSERT_FALSE(frames.empty());
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].header.type, FrameType::kText);
    EXPECT_EQ(frames[i].header.request_id, *id);
    auto piece = protocol::ParseText(frames[i].payload);
    ASSERT_TRUE(piece.has_value()) << "frame " << i << " is not valid UTF-8";
    text += *piece;
    EXPECT_EQ((frames[i].header.flags & protocol::kFlagFinal) != 0, i + 1 == frames.size());
  }
  EXPECT_EQ(text, "Hello wor\xC3\xA9ld.");
}

TEST(TextPump, StopWhileInputIsOpenReturnsPromptly) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ScriptedServer server([](ServerPeer& p) {
    p.Handshake();
    p.WaitClosed();
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  auto start = std::chrono::steady_clock::now();
  {
    TextPump pump(conn->get(), 1, pipe_fds[0]);
    std::this_thread::sleep_for(20ms);
    pump.Stop();
    EXPECT_FALSE(pump.text_open());
    EXPECT_TRUE(pump.status().has_value());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

}  // namespace
}  // namespace ttsd::client
