// ttsc listen across a ttsd restart: the listen's output stays open, ttsc says on stderr that it lost ttsd
// and reconnects with backoff, and speech queued on the channel after the restart reaches the same output
// (here its events file). A listen refused by ttsd (not lost) still ends with an error, and a wrong
// --socket at the start still fails at once.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "support/daemon-process.h"
#include "support/run-command.h"
#include "support/ttsc-process.h"

namespace ttsd::testing {
namespace {

using namespace std::chrono_literals;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Waits until the file holds text `times` times.
bool WaitForFile(const std::string& path, const std::string& text, int times, std::chrono::seconds timeout = 30s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    const std::string s = Read(path);
    int seen = 0;
    for (size_t at = s.find(text); at != std::string::npos; at = s.find(text, at + 1)) ++seen;
    if (seen >= times) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(TtscListen, ComesBackAfterTtsdRestartsOnTheSameOutput) {
  TempDir dir;
  const std::string socket = dir.path() + "/ttsd.sock", events = dir.path() + "/events.jsonl";
  auto daemon = std::make_unique<DaemonProcess>(std::vector<std::string>{"--socket", socket});
  TtscProcess listen(dir.path(), {"--socket", socket, "listen", "--channel", "stream", "--events", events});
  auto say = [&](const std::string& text) {
    auto r = RunCommand({TtscBinary(), "--socket", socket, "say", "--channel", "stream", text});
    ASSERT_TRUE(r && r->exit_code == 0) << (r ? r->out : r.error().ToString());
  };
  std::this_thread::sleep_for(300ms);  // the listen is attached before the speech is queued
  say("Before the restart.");
  ASSERT_TRUE(WaitForFile(events, "\"utterance_end\"", 1)) << Read(events) << listen.Log();

  ASSERT_EQ(daemon->Stop(), 0);  // SIGTERM: the listen gets shutting_down, then the socket goes
  daemon.reset();
  ASSERT_TRUE(listen.WaitForLog("reconnecting to ttsd")) << listen.Log();
  std::this_thread::sleep_for(1s);  // a few attempts fail while nothing listens on the socket
  EXPECT_TRUE(listen.Running()) << listen.Log();
  daemon = std::make_unique<DaemonProcess>(std::vector<std::string>{"--socket", socket});
  ASSERT_TRUE(listen.WaitForLog("reconnected", 15s)) << listen.Log();
  say("After the restart.");
  ASSERT_TRUE(WaitForFile(events, "\"utterance_end\"", 2)) << Read(events) << listen.Log();
  EXPECT_NE(Read(events).find("After the restart."), std::string::npos) << Read(events);
  EXPECT_EQ(listen.Stop(), 128 + SIGTERM) << listen.Log();
}

TEST(TtscListen, ARefusedListenStillEnds) {
  DaemonProcess daemon;
  // An invalid channel name is the listen's own fault: no reconnecting.
  auto r = RunCommand({TtscBinary(), "--socket", daemon.socket_path(), "listen", "--channel", "no spaces",
                       "--events", "/dev/null"});
  ASSERT_TRUE(r);
  EXPECT_NE(r->exit_code, 0) << r->out;
  EXPECT_EQ(r->out.find("reconnecting"), std::string::npos) << r->out;
  TempDir dir;
  auto missing = RunCommand({TtscBinary(), "--socket", dir.path() + "/nothing.sock", "listen", "--channel", "stream",
                             "--events", "/dev/null"});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->exit_code, 3) << missing->out;  // kExitNoConnection: at once, no retrying
}

}  // namespace
}  // namespace ttsd::testing
