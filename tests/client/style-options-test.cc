// ttsc's style options: --emotion, --duration and reference files, checked before connecting.
#include "ttsd/client/style-options.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/daemon-process.h"

namespace ttsd::client {
namespace {

TEST(ParseEmotionSpec, ReadsAxesByName) {
  auto w = ParseEmotionSpec("angry=0.8,sad=0.2");
  ASSERT_TRUE(w) << w.error().ToString();
  EXPECT_EQ((*w)[1], 0.8);
  EXPECT_EQ((*w)[2], 0.2);
  EXPECT_EQ((*w)[0], 0.0);
  auto all = ParseEmotionSpec("happy=1, angry=0 ,sad=.5,afraid=0.1,disgusted=1,melancholic=0.3,surprised=0,calm=1");
  ASSERT_TRUE(all) << all.error().ToString();
  EXPECT_EQ((*all)[7], 1.0);
  EXPECT_EQ((*all)[2], 0.5);
  EXPECT_EQ((*ParseEmotionSpec("calm=0.1,calm=0.4"))[7], 0.4);  // the last one counts
}

TEST(ParseEmotionSpec, SaysWhatIsWrong) {
  auto unknown = ParseEmotionSpec("angri=0.5");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kBadRequest);
  EXPECT_NE(unknown.error().message.find("unknown emotion 'angri'"), std::string::npos);
  EXPECT_NE(unknown.error().message.find("melancholic"), std::string::npos);  // lists the axes
  auto range = ParseEmotionSpec("angry=1.2");
  ASSERT_FALSE(range);
  EXPECT_NE(range.error().message.find("from 0 to 1"), std::string::npos);
  for (const char* bad : {"", "angry", "angry=", "angry=x", "=0.5", "angry=-0.1", "angry=0.5;sad=0.1", "angry=nan",
                          "angry=inf", "Angry=0.5"}) {
    auto r = ParseEmotionSpec(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << bad;
  }
}

TEST(ParseDurationSpec, SecondsMillisecondsAndBareNumbers) {
  EXPECT_EQ(ParseDurationSpec("8").value(), 8.0);
  EXPECT_EQ(ParseDurationSpec("8s").value(), 8.0);
  EXPECT_EQ(ParseDurationSpec("2.5s").value(), 2.5);
  EXPECT_DOUBLE_EQ(ParseDurationSpec("1500ms").value(), 1.5);
  EXPECT_EQ(ParseDurationSpec("600").value(), 600.0);
  for (const char* bad : {"", "s", "ms", "0", "0s", "-1", "601", "8 s", "8m", "eight", "8sec", "1e9ms2"}) {
    auto r = ParseDurationSpec(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << bad;
  }
}

TEST(ReadReferenceFile, ReadsBytesAsTheyAre) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/ref.wav";
  std::ofstream(path, std::ios::binary) << std::string("RIFF\0\0\0\0WAVEfmt ", 16);
  auto bytes = ReadReferenceFile(path);
  ASSERT_TRUE(bytes) << bytes.error().ToString();
  EXPECT_EQ(bytes->size(), 16u);
  EXPECT_EQ((*bytes)[0], 'R');

  auto missing = ReadReferenceFile(dir.path() + "/nope.wav");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_NE(missing.error().message.find("nope.wav: No such file or directory"), std::string::npos)
      << missing.error().message;
  auto directory = ReadReferenceFile(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code, ErrorCode::kBadRequest);
  std::ofstream(dir.path() + "/empty.wav");
  EXPECT_EQ(ReadReferenceFile(dir.path() + "/empty.wav").error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace ttsd::client
