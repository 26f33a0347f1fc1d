// DaemonConfig: the defaults of the reference-audio limits, their checks, and the limits they become.
#include "ttsd/daemon/daemon-config.h"

#include <gtest/gtest.h>

#include <utility>

namespace ttsd::daemon {
namespace {

TEST(DaemonConfig, ReferenceDefaultsAreCheckedAndBecomeLimits) {
  DaemonConfig c;
  EXPECT_EQ(c.max_reference_bytes, 16u << 20);
  EXPECT_EQ(c.min_reference_s, 3.0);
  EXPECT_EQ(c.max_reference_s, 15.0);
  EXPECT_EQ(c.voice_store, "");  // main fills in $XDG_DATA_HOME/ttsd/voices
  c.socket_path = "/tmp/x.sock";
  c.voice_dirs = {"/tmp"};
  ASSERT_TRUE(c.Validate());
  c.max_reference_s = 20;
  c.min_reference_s = 5;
  EXPECT_EQ(c.reference_limits().max_file_s, 20.0);
  EXPECT_EQ(c.reference_limits().min_total_s, 5.0);
  for (auto bad : {std::pair{0.5, 15.0}, std::pair{3.0, 0.5}, std::pair{3.0, 601.0}, std::pair{200.0, 15.0}}) {
    DaemonConfig b = c;
    b.min_reference_s = bad.first;
    b.max_reference_s = bad.second;
    auto s = b.Validate();
    ASSERT_FALSE(s) << bad.first << " " << bad.second;
    EXPECT_EQ(s.error().code, ErrorCode::kBadRequest);
  }
  c.max_reference_bytes = 100;
  EXPECT_FALSE(c.Validate());
  EXPECT_NE(DaemonConfig{}.ToString().find("max_reference_bytes=16777216"), std::string::npos);
}

}  // namespace
}  // namespace ttsd::daemon
