// Mp3Encoder: 2 s of speech-like audio written in uneven chunks, decoded by the real ffmpeg, lines up with
// the input (cross-correlation) at the expected delay and length; frames go out while writing; bad rates
// and bit rates are refused; a callback's error stops the encoder; Finish twice.
// ffmpeg is required (./install-deps.sh --test installs it): without it these tests fail.
#include "ttsd/codec/mp3-encoder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/codec-check.h"
#include "support/run-command.h"

namespace ttsd::codec {
namespace {

using testing::BestLag;
using testing::DecodeWithFfmpeg;
using testing::EncodedRun;
using testing::EncodeInChunks;
using testing::HarmonicVoice;
using testing::Ncc;

constexpr uint32_t kRate = 24000;
constexpr size_t kFrame = 576;  // MPEG-2's frame, at 16..24 kHz
// Measured with LAME 3.100 and ffmpeg 5.1 (see mp3-encoder.h): the decoded audio's lag, and how many
// samples have to be written before the first frame comes out.
constexpr long kDecodedLag = 1105;
constexpr size_t kFirstFrameAfter = 800;

TEST(Mp3Encoder, FfmpegDecodesTheInputAtTheMeasuredDelay) {
  const auto input = HarmonicVoice(2.0, kRate);
  const auto e = EncodeInChunks<Mp3Encoder>(input, kRate);
  ASSERT_FALSE(e.bytes.empty());
  // A bare frame sync at byte 0: no ID3 tag, no Xing/LAME frame ahead of the audio.
  ASSERT_GE(e.bytes.size(), 4u);
  EXPECT_EQ(e.bytes[0], 0xff);
  EXPECT_EQ(e.bytes[1] & 0xe0, 0xe0);
  EXPECT_EQ(std::string(e.bytes.begin(), e.bytes.end()).find("Xing"), std::string::npos);
  EXPECT_EQ(std::string(e.bytes.begin(), e.bytes.end()).find("Info"), std::string::npos);
  EXPECT_EQ(std::string(e.bytes.begin(), e.bytes.end()).find("TAG"), std::string::npos);

  const auto decoded = DecodeWithFfmpeg(e.bytes, "mp3", kRate);
  ASSERT_FALSE(decoded.empty());
  // 64 kb/s, constant: every frame 64000 * 576 / 24000 / 8 = 192 bytes.
  EXPECT_EQ(e.bytes.size(), decoded.size() / kFrame * 192);
  const long lag = BestLag(input, decoded);
  const double ncc = Ncc(input, decoded, lag);
  std::printf("[ mp3 24 kHz 64 kb/s: %zu bytes, decoded %zu samples for %zu, lag %ld, NCC %.6f ]\n", e.bytes.size(),
              decoded.size(), input.size(), lag, ncc);
  EXPECT_EQ(lag, kDecodedLag) << "LAME's encoder delay and the decoder's";
  EXPECT_GE(ncc, 0.995);  // measured: 0.99965
  // All of the input came out, behind the delay, then less than two frames of LAME's padding.
  EXPECT_GE(decoded.size(), input.size() + kDecodedLag);
  EXPECT_LT(decoded.size(), input.size() + kDecodedLag + 2 * kFrame);
}

TEST(Mp3Encoder, FramesGoOutWhileWriting) {
  const auto input = HarmonicVoice(2.0, kRate);
  const auto e = EncodeInChunks<Mp3Encoder>(input, kRate);
  EXPECT_GT(e.bytes_after_half_second, 0u) << "nothing came out of 0.5 s of input";
  EXPECT_GT(e.bytes_before_finish, e.bytes.size() * 3 / 4);

  // Sample by sample: the first frame goes out after kFirstFrameAfter samples, then one a frame.
  size_t calls = 0;
  auto enc = Mp3Encoder::Create(kRate, 0, [&](std::span<const uint8_t>) -> Status {
    calls++;
    return {};
  });
  ASSERT_TRUE(enc.has_value());
  size_t written = 0;
  while (calls == 0 && written < input.size()) ASSERT_TRUE((*enc)->Write({&input[written++], 1}).has_value());
  std::printf("[ mp3: the first frame went out after %zu samples ]\n", written);
  EXPECT_EQ(written, kFirstFrameAfter);
  // From then on, every Write of a frame's worth of samples hands out at least one frame.
  for (int i = 0; i < 20; ++i) {
    const size_t before = calls;
    ASSERT_TRUE((*enc)->Write(std::span<const float>(input).subspan(written, kFrame)).has_value());
    written += kFrame;
    EXPECT_GT(calls, before) << "write " << i;
  }
}

TEST(Mp3Encoder, EncodesEveryMpegRate) {
  for (uint32_t rate : {8000u, 11025u, 12000u, 16000u, 22050u, 24000u, 32000u, 44100u, 48000u}) {
    EXPECT_TRUE(Mp3Encoder::SupportsRate(rate));
    EXPECT_EQ(Mp3Encoder::NearestRate(rate), rate);
    const auto e = EncodeInChunks<Mp3Encoder>(HarmonicVoice(0.1, rate), rate);
    EXPECT_GT(e.bytes.size(), 100u) << rate;
  }
}

TEST(Mp3Encoder, NearestRateRoundsUpToAnMpegRate) {
  EXPECT_EQ(Mp3Encoder::NearestRate(1), 8000u);
  EXPECT_EQ(Mp3Encoder::NearestRate(8001), 11025u);
  EXPECT_EQ(Mp3Encoder::NearestRate(22000), 22050u);
  EXPECT_EQ(Mp3Encoder::NearestRate(24001), 32000u);
  EXPECT_EQ(Mp3Encoder::NearestRate(44101), 48000u);
  EXPECT_EQ(Mp3Encoder::NearestRate(96000), 48000u);
  EXPECT_FALSE(Mp3Encoder::SupportsRate(44000));
}

TEST(Mp3Encoder, RefusesBadRatesAndBitrates) {
  auto none = [](std::span<const uint8_t>) -> Status { return {}; };
  for (uint32_t rate : {0u, 7999u, 44000u, 96000u}) {
    auto r = Mp3Encoder::Create(rate, 0, none);
    ASSERT_FALSE(r.has_value()) << rate;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << rate;
  }
  const std::pair<uint32_t, uint32_t> bad[] = {
      {24000, 7000}, {24000, 161000}, {48000, 31000}, {48000, 321000}, {8000, 65000}};
  for (auto [rate, bitrate] : bad) {
    auto r = Mp3Encoder::Create(rate, bitrate, none);
    ASSERT_FALSE(r.has_value()) << rate << " " << bitrate;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << rate << " " << bitrate;
  }
  auto ok = Mp3Encoder::Create(48000, 320000, none);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ((*ok)->bitrate_bps(), 320000u);
  EXPECT_EQ((*Mp3Encoder::Create(24000, 0, none))->bitrate_bps(), Mp3Encoder::kDefaultBitrateBps);
}

TEST(Mp3Encoder, ACallbackErrorStopsTheEncoder) {
  const auto input = HarmonicVoice(1.0, kRate);
  size_t calls = 0;
  auto enc = Mp3Encoder::Create(kRate, 0, [&](std::span<const uint8_t>) -> Status {
    if (++calls == 3) return MakeError(ErrorCode::kIo, "client gone");
    return {};
  });
  ASSERT_TRUE(enc.has_value());
  size_t at = 0;
  Status s;
  while (s && at < input.size()) {
    s = (*enc)->Write(std::span<const float>(input).subspan(at, 480));
    at += 480;
  }
  ASSERT_FALSE(s.has_value()) << "the third callback's error was not returned";
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_EQ(s.error().message, "client gone");
  EXPECT_EQ(calls, 3u);
  // Stopped: later calls return the same error and hand out nothing.
  auto again = (*enc)->Write(std::span<const float>(input).subspan(0, 4800));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kIo);
  auto finish = (*enc)->Finish();
  ASSERT_FALSE(finish.has_value());
  EXPECT_EQ(finish.error().code, ErrorCode::kIo);
  EXPECT_EQ(calls, 3u);
}

TEST(Mp3Encoder, FinishTwiceAndWriteAfterFinish) {
  size_t bytes = 0;
  auto enc = Mp3Encoder::Create(kRate, 0, [&](std::span<const uint8_t> b) -> Status {
    bytes += b.size();
    return {};
  });
  ASSERT_TRUE(enc.has_value());
  const auto input = HarmonicVoice(0.2, kRate);
  ASSERT_TRUE((*enc)->Write(input).has_value());
  ASSERT_TRUE((*enc)->Finish().has_value());
  const size_t after_finish = bytes;
  EXPECT_GT(after_finish, 0u);
  EXPECT_TRUE((*enc)->Finish().has_value());
  EXPECT_EQ(bytes, after_finish);
  auto late = (*enc)->Write(input);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace ttsd::codec
