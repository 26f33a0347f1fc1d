// --play and --device in the shared output options: playback is one output among -o, --rtp and --http,
// and --device and --prefill belong to it.
#include <gtest/gtest.h>

#include "ttsd/client/output-options.h"

namespace ttsd::client {
namespace {

TEST(OutputOptions, PlayIsAnOutputOfItsOwnAndTakesTheDevice) {
  OutputOptions o;
  EXPECT_FALSE(o.any());
  o.play = true;
  EXPECT_TRUE(o.any());
  auto spec = ToOutputSpec(o);
  ASSERT_TRUE(spec.has_value()) << spec.error().message;
  EXPECT_EQ(spec->kind, OutputSpec::Kind::kPlayback);
  EXPECT_EQ(spec->device, "");

  o.device = "vmic";
  spec = ToOutputSpec(o);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(spec->device, "vmic");

  o.output = "x.wav";
  EXPECT_FALSE(ToOutputSpec(o).has_value());  // --play with -o
  o.play = false;
  auto device_alone = ToOutputSpec(o);  // --device with -o
  ASSERT_FALSE(device_alone.has_value());
  EXPECT_NE(device_alone.error().message.find("--device"), std::string::npos);
  o = {};
  o.play = true;
  o.rtp = "5004";
  EXPECT_FALSE(ToOutputSpec(o).has_value());
}

TEST(OutputOptions, PrefillGoesWithPlayOnly) {
  OutputOptions o;
  o.play = true;
  o.prefill_ms = 400;
  auto spec = ToOutputSpec(o);
  ASSERT_TRUE(spec.has_value()) << spec.error().message;
  EXPECT_EQ(spec->prefill_ms, 400u);
  o.play = false;
  o.output = "x.wav";
  auto alone = ToOutputSpec(o);
  ASSERT_FALSE(alone.has_value());
  EXPECT_NE(alone.error().message.find("--prefill"), std::string::npos) << alone.error().message;
}

}  // namespace
}  // namespace ttsd::client
