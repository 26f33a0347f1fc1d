// Security of the real ttsd: its socket 0600 in a 0700 directory it creates; symlinked, foreign,
// world-writable or occupied socket paths refused; TCP listeners on loopback by default; voice
// names that cannot reach files (native, HTTP, Wyoming). The Wyoming socket gets the same socket
// checks: wyoming-socket-test.cc.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "daemon/hostile-fixture.h"
#include "support/http-client.h"
#include "support/wyoming-client.h"
#include "ttsd/protocol/voice-messages.h"

namespace ttsd::testing {
namespace {

using protocol::FrameType;
using nlohmann::json;

// Starts ttsd on socket and expects it to refuse, saying why.
void ExpectRefusesToStart(const std::string& socket, const std::string& why) {
  DaemonProcess d({"--socket", socket}, {}, /*wait_ready=*/false);
  for (int i = 0; i < 600 && !d.Exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(d.Exited()) << "ttsd started on " << socket;
  EXPECT_NE(d.exit_status(), 0);
  EXPECT_NE(d.Log().find(why), std::string::npos) << d.Log();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

TEST(Security, CreatesItsSocketDirectory0700AndTheSocket0600) {
  TempDir dir;
  const std::string run = dir.path() + "/run/ttsd";
  DaemonProcess d({"--socket", run + "/ttsd.sock"});
  EXPECT_EQ(ModeOf(run) & 07777, 0700u);
  EXPECT_TRUE(S_ISSOCK(ModeOf(run + "/ttsd.sock")));
  EXPECT_EQ(ModeOf(run + "/ttsd.sock") & 07777, 0600u);
  EXPECT_TRUE(NormalRequestSucceeds(run + "/ttsd.sock"));
}

TEST(Security, TheSocketIsPrivateWhateverTheUmask) {
  TempDir dir;
  const mode_t old = umask(0);  // the daemon inherits it
  DaemonProcess d({"--socket", dir.path() + "/open.sock"});
  umask(old);
  EXPECT_EQ(ModeOf(dir.path() + "/open.sock") & 07777, 0600u);
}

TEST(Security, RefusesASymlinkedSocketDirectory) {
  TempDir dir;
  ASSERT_EQ(mkdir((dir.path() + "/real").c_str(), 0700), 0);
  ASSERT_EQ(symlink((dir.path() + "/real").c_str(), (dir.path() + "/link").c_str()), 0);
  ExpectRefusesToStart(dir.path() + "/link/ttsd.sock", "symlink");
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/real/ttsd.sock"));
}

TEST(Security, RefusesASocketDirectoryOthersCanWriteUnlessSticky) {
  TempDir dir;
  const std::string open = dir.path() + "/open";
  ASSERT_EQ(mkdir(open.c_str(), 0700), 0);
  ASSERT_EQ(chmod(open.c_str(), 0777), 0);
  ExpectRefusesToStart(open + "/ttsd.sock", "others can write");
  // Sticky, like /tmp: others cannot remove or replace our socket there.
  ASSERT_EQ(chmod(open.c_str(), 01777), 0);
  DaemonProcess d({"--socket", open + "/ttsd.sock"});
  EXPECT_TRUE(NormalRequestSucceeds(open + "/ttsd.sock"));
}

TEST(Security, RefusesASocketDirectoryOfAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "making a directory another user owns needs root";
  TempDir dir;
  const std::string theirs = dir.path() + "/theirs";
  ASSERT_EQ(mkdir(theirs.c_str(), 0700), 0);
  ASSERT_EQ(chown(theirs.c_str(), 65534, 65534), 0);
  ExpectRefusesToStart(theirs + "/ttsd.sock", "owned by another user");
}

TEST(Security, RefusesASocketPathThatIsNotASocket) {
  TempDir dir;
  const std::string file = dir.path() + "/precious";
  std::ofstream(file) << "keep me";
  ExpectRefusesToStart(file, "is not a socket");
  std::ifstream in(file);
  std::string kept;
  std::getline(in, kept);
  EXPECT_EQ(kept, "keep me");
}

TEST(Security, TcpListenersAreOnLoopbackByDefault) {
  TempDir dir;
  const std::string out = dir.path() + "/config";
  ASSERT_EQ(std::system((TtsdBinary() + " --socket " + dir.path() + "/x.sock --voices " + FixturesDir() +
                         " --print-config >" + out + " 2>&1").c_str()), 0);
  std::ifstream in(out);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_NE(s.str().find("http=127.0.0.1:5002 "), std::string::npos) << s.str();
  EXPECT_NE(s.str().find("wyoming=off "), std::string::npos) << s.str();
  // Beyond loopback: HTTP only with a token, Wyoming (which has no authentication) with a warning:
  // http-api-test.cc (RefusesToListenBeyondLoopbackWithoutAToken) and wyoming-server-test.cc check both.
}

TEST(Security, VoiceNamesCannotReachFiles) {
  DaemonProcess d({"--http", "127.0.0.1:0", "--wyoming", "tcp://127.0.0.1:0"});
  // A file a traversing name would reach from the voice store (DIR/saved-voices).
  const std::string victim = d.dir() + "/victim.json";
  std::ofstream(victim) << R"({"format": "ttsd-saved-voice", "name": "victim"})";
  const std::vector<std::string> names = {"../victim", "../victim.json", "..", "/etc/passwd",
                                          "fixture-ar/../fixture-ar", "saved-voices/../victim", std::string("fixture-ar\0x", 12)};
  RawClient c(d.socket_path());
  c.Handshake();
  uint32_t id = 1;
  for (const auto& name : names) {
    auto r = TextRequest("Hello.");
    r.voice = name;
    c.Synthesize(id, r);
    auto result = CollectRequest(c, id++);
    ASSERT_TRUE(result.error) << name;
    EXPECT_EQ(result.error->code, ErrorCode::kUnknownVoice) << name;
    auto s = TextRequest("Hello.");
    s.speaker = name;
    c.Synthesize(id, s);
    result = CollectRequest(c, id++);
    ASSERT_TRUE(result.error) << name;
    EXPECT_EQ(result.error->code, ErrorCode::kUnknownSpeaker) << name;
    // Saved-voice names are checked before any path is made of them.
    c.Send(FrameType::kVoiceRemove, id, protocol::Serialize(protocol::VoiceRemove{name}));
    auto f = c.Read();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->header.type, FrameType::kError) << name;
    id++;
    c.Send(FrameType::kVoiceAdd, id, Bytes(json{{"name", name}, {"references", 1}}.dump()));
    f = c.Read();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->header.type, FrameType::kError) << name;
    EXPECT_EQ(protocol::ParseErrorBody(f->payload)->code, ErrorCode::kBadRequest) << name;
    id++;
  }
  // The same names through the HTTP API and Wyoming.
  const int port = HttpPort(d);
  for (const auto& name : names) {
    auto r = HttpRequest(port, "POST", "/v1/audio/speech", json{{"input", "Hello."}, {"voice", name}}.dump(),
                         {"Content-Type: application/json"});
    EXPECT_EQ(r.status, 400) << name;
    WyomingClient wy(WyomingPort(d));
    wy.Send("synthesize", {{"text", "Hello."}, {"voice", {{"name", name}}}});
    auto e = wy.Read(std::chrono::seconds(5));
    ASSERT_TRUE(e) << name;
    EXPECT_EQ(e->type, "error") << name;
  }
  EXPECT_TRUE(std::filesystem::exists(victim));
  EXPECT_TRUE(NormalRequestSucceeds(d.socket_path()));
}

}  // namespace
}  // namespace ttsd::testing
