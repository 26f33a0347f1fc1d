// Where the socket lives (protocol/README.md, "Transport"): --socket, then $TTSD_SOCKET, then
// $XDG_RUNTIME_DIR/ttsd/ttsd.sock, then /tmp/ttsd-$UID/ttsd.sock. Every test restores the
// environment it changed.
#include "ttsd/protocol/socket-path.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace ttsd::protocol {
namespace {

std::optional<std::string> GetEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::optional<std::string>(v) : std::nullopt;
}

// Sets or unsets one variable for its lifetime, then puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name), saved_(GetEnv(name)) {
    Apply(value);
  }
  ~ScopedEnv() { Apply(saved_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void Apply(const std::optional<std::string>& value) {
    if (value) {
      setenv(name_, value->c_str(), /*overwrite=*/1);
    } else {
      unsetenv(name_);
    }
  }
  const char* name_;
  std::optional<std::string> saved_;
};

std::string Fallback() { return "/tmp/ttsd-" + std::to_string(getuid()) + "/ttsd.sock"; }

TEST(ResolveSocketPath, FlagWinsOverEverything) {
  ScopedEnv a("TTSD_SOCKET", "/env/ttsd.sock");
  ScopedEnv b("XDG_RUNTIME_DIR", "/run/user/4242");
  EXPECT_EQ(ResolveSocketPath("/flag/path.sock"), "/flag/path.sock");
}

TEST(ResolveSocketPath, FlagIsUsedVerbatim) {
  ScopedEnv a("TTSD_SOCKET", std::nullopt);
  ScopedEnv b("XDG_RUNTIME_DIR", std::nullopt);
  EXPECT_EQ(ResolveSocketPath("relative.sock"), "relative.sock");
  EXPECT_EQ(ResolveSocketPath("/with space/and ü.sock"), "/with space/and ü.sock");
}

TEST(ResolveSocketPath, TtsdSocketWinsOverXdgRuntimeDir) {
  ScopedEnv a("TTSD_SOCKET", "/env/ttsd.sock");
  ScopedEnv b("XDG_RUNTIME_DIR", "/run/user/4242");
  EXPECT_EQ(ResolveSocketPath(""), "/env/ttsd.sock");
}

TEST(ResolveSocketPath, XdgRuntimeDirGetsATtsdSubdirectory) {
  ScopedEnv a("TTSD_SOCKET", std::nullopt);
  ScopedEnv b("XDG_RUNTIME_DIR", "/run/user/4242");
  EXPECT_EQ(ResolveSocketPath(""), "/run/user/4242/ttsd/ttsd.sock");
}

TEST(ResolveSocketPath, FallsBackToAPerUserTmpDirectory) {
  ScopedEnv a("TTSD_SOCKET", std::nullopt);
  ScopedEnv b("XDG_RUNTIME_DIR", std::nullopt);
  EXPECT_EQ(ResolveSocketPath(""), Fallback());
}

TEST(ResolveSocketPath, EmptyVariablesCountAsUnset) {
  {
    ScopedEnv a("TTSD_SOCKET", "");
    ScopedEnv b("XDG_RUNTIME_DIR", "/run/user/4242");
    EXPECT_EQ(ResolveSocketPath(""), "/run/user/4242/ttsd/ttsd.sock");
  }
  {
    ScopedEnv a("TTSD_SOCKET", "");
    ScopedEnv b("XDG_RUNTIME_DIR", "");
    EXPECT_EQ(ResolveSocketPath(""), Fallback());
  }
}

TEST(ScopedEnv, RestoresSetAndUnsetVariables) {
  const char* kName = "TTSD_PROTOCOL_TEST_VARIABLE";
  unsetenv(kName);
  {
    ScopedEnv set(kName, "one");
    EXPECT_EQ(GetEnv(kName), "one");
    {
      ScopedEnv unset(kName, std::nullopt);
      EXPECT_EQ(GetEnv(kName), std::nullopt);
    }
    EXPECT_EQ(GetEnv(kName), "one");
  }
  EXPECT_EQ(GetEnv(kName), std::nullopt);
}

TEST(ResolveSocketPath, LeavesTheEnvironmentAsItFoundIt) {
  const auto socket = GetEnv("TTSD_SOCKET");
  const auto runtime = GetEnv("XDG_RUNTIME_DIR");
  {
    ScopedEnv a("TTSD_SOCKET", "/x");
    ScopedEnv b("XDG_RUNTIME_DIR", std::nullopt);
    (void)ResolveSocketPath("");
  }
  EXPECT_EQ(GetEnv("TTSD_SOCKET"), socket);
  EXPECT_EQ(GetEnv("XDG_RUNTIME_DIR"), runtime);
}

}  // namespace
}  // namespace ttsd::protocol
