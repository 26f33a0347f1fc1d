// The Wyoming Unix socket of the real ttsd (--wyoming-socket) gets every check its native socket
// gets (security-test.cc): made 0600 in a 0700 directory it creates; symlinked, foreign or
// others-writable directories, symlinked paths, paths that are not sockets and sockets in use
// refused; a stale socket replaced. A refusal stops the daemon before its native socket exists.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include "support/wyoming-client.h"

namespace ttsd::testing {
namespace {

// Starts ttsd with its Wyoming socket at path and expects it to refuse, saying why.
void ExpectRefusesToStart(const std::string& path, const std::string& why) {
  DaemonProcess d({"--wyoming-socket", path}, {}, /*wait_ready=*/false);
  for (int i = 0; i < 600 && !d.Exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(d.Exited()) << "ttsd started with a Wyoming socket at " << path << "\n" << d.Log();
  EXPECT_NE(d.exit_status(), 0);
  EXPECT_NE(d.Log().find(why), std::string::npos) << d.Log();
  struct stat st {};
  EXPECT_NE(lstat(d.socket_path().c_str(), &st), 0) << "the native socket was made before the Wyoming one";
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

// True when a describe on the Wyoming socket at path is answered with info.
bool Describes(const std::string& path) {
  WyomingClient c(path);
  if (!c.connected()) return false;
  c.Send("describe");
  auto info = c.Read(std::chrono::seconds(10));
  return info && info->type == "info";
}

// A socket bound at path: listening (someone serves there), or closed again (a stale socket).
int BindUnix(const std::string& path, bool listening) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
  if (listening) {
    EXPECT_EQ(listen(fd, 4), 0);
    return fd;
  }
  close(fd);
  return -1;
}

TEST(WyomingSocket, CreatesItsDirectory0700AndTheSocket0600WhateverTheUmask) {
  TempDir dir;
  const std::string run = dir.path() + "/run/wyoming";
  const mode_t old = umask(0);  // the daemon inherits it
  DaemonProcess d({"--wyoming-socket", run + "/w.sock"});
  umask(old);
  EXPECT_EQ(ModeOf(run) & 07777, 0700u);
  EXPECT_TRUE(S_ISSOCK(ModeOf(run + "/w.sock")));
  EXPECT_EQ(ModeOf(run + "/w.sock") & 07777, 0600u);
  EXPECT_TRUE(Describes(run + "/w.sock"));
}

TEST(WyomingSocket, RefusesASymlinkedDirectory) {
  TempDir dir;
  ASSERT_EQ(mkdir((dir.path() + "/real").c_str(), 0700), 0);
  ASSERT_EQ(symlink((dir.path() + "/real").c_str(), (dir.path() + "/link").c_str()), 0);
  ExpectRefusesToStart(dir.path() + "/link/w.sock", "refusing a Wyoming socket directory that is a symlink");
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/real/w.sock"));
}

TEST(WyomingSocket, RefusesADirectoryOfAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "making a directory another user owns needs root";
  TempDir dir;
  const std::string theirs = dir.path() + "/theirs";
  ASSERT_EQ(mkdir(theirs.c_str(), 0700), 0);
  ASSERT_EQ(chown(theirs.c_str(), 65534, 65534), 0);
  ExpectRefusesToStart(theirs + "/w.sock", "owned by another user");
  EXPECT_FALSE(std::filesystem::exists(theirs + "/w.sock"));
}

TEST(WyomingSocket, RefusesADirectoryOthersCanWriteUnlessSticky) {
  TempDir dir;
  const std::string open = dir.path() + "/open";
  ASSERT_EQ(mkdir(open.c_str(), 0700), 0);
  for (mode_t mode : {0770, 0777}) {  // the group, or everyone
    ASSERT_EQ(chmod(open.c_str(), mode), 0);
    ExpectRefusesToStart(open + "/w.sock", "others can write");
    EXPECT_FALSE(std::filesystem::exists(open + "/w.sock")) << std::oct << mode;
  }
  // Sticky, like /tmp: others cannot remove or replace our socket there.
  ASSERT_EQ(chmod(open.c_str(), 01777), 0);
  DaemonProcess d({"--wyoming-socket", open + "/w.sock"});
  EXPECT_TRUE(Describes(open + "/w.sock"));
}

TEST(WyomingSocket, RefusesASocketPathThatIsASymlink) {
  TempDir dir;
  const std::string target = dir.path() + "/target";
  std::ofstream(target) << "keep me";
  ASSERT_EQ(symlink(target.c_str(), (dir.path() + "/w.sock").c_str()), 0);
  ExpectRefusesToStart(dir.path() + "/w.sock", "symlink");
  EXPECT_TRUE(S_ISLNK(ModeOf(dir.path() + "/w.sock")));
  EXPECT_TRUE(S_ISREG(ModeOf(target)));
}

TEST(WyomingSocket, RefusesASocketPathThatIsNotASocket) {
  TempDir dir;
  const std::string file = dir.path() + "/precious";
  std::ofstream(file) << "keep me";
  ExpectRefusesToStart(file, "is not a socket");
  std::ifstream in(file);
  std::string kept;
  std::getline(in, kept);
  EXPECT_EQ(kept, "keep me");
}

TEST(WyomingSocket, ReplacesAStaleSocket) {
  TempDir dir;
  const std::string path = dir.path() + "/w.sock";
  BindUnix(path, /*listening=*/false);
  ASSERT_TRUE(S_ISSOCK(ModeOf(path)));
  DaemonProcess d({"--wyoming-socket", path});
  EXPECT_TRUE(d.WaitForLog("wyoming: listening on unix://" + path)) << d.Log();
  EXPECT_EQ(ModeOf(path) & 07777, 0600u);
  EXPECT_TRUE(Describes(path));
}

TEST(WyomingSocket, RefusesASocketSomeoneListensOn) {
  TempDir dir;
  const std::string path = dir.path() + "/w.sock";
  const int fd = BindUnix(path, /*listening=*/true);
  ExpectRefusesToStart(path, "is listening on " + path);
  // Still theirs: a client reaches their listener, not a ttsd.
  const int client = ConnectUnix(path);
  EXPECT_GE(client, 0);
  if (client >= 0) close(client);
  close(fd);
}

}  // namespace
}  // namespace ttsd::testing
