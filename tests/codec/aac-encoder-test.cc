// AacEncoder: 2 s of speech-like audio written in uneven chunks, decoded by the real ffmpeg, lines up with
// the input (cross-correlation) at the expected delay and length; every frame is a whole ADTS frame; frames
// go out while writing; bad rates and bit rates are refused; a callback's error stops the encoder; Finish
// twice.
// ffmpeg is required (./install-deps.sh --test installs it): without it these tests fail.
#include "ttsd/codec/aac-encoder.h"

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
constexpr size_t kFrame = AacEncoder::kFrameSamples;
// Measured with vo-aacenc 0.1.3 and ffmpeg 5.1 (see aac-encoder.h): the decoded audio's lag.
constexpr long kDecodedLag = AacEncoder::kDelaySamples;

// The frames a stream of n samples takes: the input and the delay, in whole frames.
size_t FramesFor(size_t n) { return (n + kDecodedLag + kFrame - 1) / kFrame; }

// ADTS headers, frame by frame: sync, AAC-LC, the rate's index, one channel, frame lengths that add up.
struct Adts {
  size_t frames = 0;
  bool valid = true;
  std::string problem;
};

Adts ParseAdts(const std::vector<uint8_t>& b, int rate_index) {
  Adts a;
  size_t at = 0;
  while (at < b.size()) {
    auto fail = [&](const std::string& why) {
      a.valid = false;
      a.problem = why + " at byte " + std::to_string(at) + ", frame " + std::to_string(a.frames);
      return a;
    };
    if (b.size() - at < 7) return fail("a truncated header");
    if (b[at] != 0xff || (b[at + 1] & 0xf6) != 0xf0) return fail("no ADTS sync");
    if ((b[at + 2] >> 6) != 1) return fail("not AAC-LC");
    if (((b[at + 2] >> 2) & 0x0f) != rate_index) return fail("another rate");
    if ((((b[at + 2] & 1) << 2) | (b[at + 3] >> 6)) != 1) return fail("not mono");
    const size_t len = ((b[at + 3] & 3u) << 11) | (b[at + 4] << 3) | (b[at + 5] >> 5);
    if (len < 7 || at + len > b.size()) return fail("a bad frame length");
    at += len;
    a.frames++;
  }
  return a;
}

TEST(AacEncoder, FfmpegDecodesTheInputAtTheMeasuredDelay) {
  const auto input = HarmonicVoice(2.0, kRate);
  const auto e = EncodeInChunks<AacEncoder>(input, kRate);
  ASSERT_FALSE(e.bytes.empty());
  const auto adts = ParseAdts(e.bytes, 6);  // 6: 24000 Hz
  EXPECT_TRUE(adts.valid) << adts.problem;
  // One frame per 1024 samples, then silence until the delay is out.
  EXPECT_EQ(adts.frames, FramesFor(input.size()));
  EXPECT_EQ(adts.frames, e.calls);
  EXPECT_NEAR(static_cast<double>(e.bytes.size()), 64000 / 8 * (adts.frames * kFrame / double(kRate)), 800);

  const auto decoded = DecodeWithFfmpeg(e.bytes, "aac", kRate);
  ASSERT_FALSE(decoded.empty());
  const long lag = BestLag(input, decoded);
  const double ncc = Ncc(input, decoded, lag);
  std::printf("[ aac 24 kHz 64 kb/s: %zu bytes, %zu frames, decoded %zu samples for %zu, lag %ld, NCC %.6f ]\n",
              e.bytes.size(), adts.frames, decoded.size(), input.size(), lag, ncc);
  ASSERT_EQ(lag, kDecodedLag) << "vo-aacenc's delay";
  EXPECT_GE(ncc, 0.995);  // measured: 0.99966
  // All of the input came out, behind the delay, then less than a frame of padding.
  EXPECT_GE(decoded.size(), input.size() + kDecodedLag);
  EXPECT_LT(decoded.size(), input.size() + kDecodedLag + kFrame);
  // The last input samples are there, not cut off: the tail correlates as well as the whole.
  ASSERT_GE(decoded.size(), lag + input.size());
  const std::vector<float> tail_in(input.end() - 2000, input.end());
  const std::vector<float> tail_out(decoded.begin() + lag + static_cast<long>(input.size()) - 2000,
                                    decoded.begin() + lag + static_cast<long>(input.size()));
  EXPECT_GE(Ncc(tail_in, tail_out, 0), 0.98);
}

TEST(AacEncoder, FramesGoOutWhileWriting) {
  const auto input = HarmonicVoice(2.0, kRate);
  const auto e = EncodeInChunks<AacEncoder>(input, kRate);
  EXPECT_GT(e.bytes_after_half_second, 0u) << "nothing came out of 0.5 s of input";
  EXPECT_GT(e.bytes_before_finish, e.bytes.size() * 3 / 4);

  // Sample by sample: a frame goes out with its 1024th sample, every time.
  size_t calls = 0;
  auto enc = AacEncoder::Create(kRate, 0, [&](std::span<const uint8_t>) -> Status {
    calls++;
    return {};
  });
  ASSERT_TRUE(enc.has_value());
  for (size_t i = 0; i < 5 * kFrame; ++i) {
    ASSERT_TRUE((*enc)->Write({&input[i], 1}).has_value());
    EXPECT_EQ(calls, (i + 1) / kFrame) << "after " << i + 1 << " samples";
  }
  EXPECT_EQ((*enc)->frames(), 5u);
}

TEST(AacEncoder, EncodesEveryRate) {
  for (uint32_t rate : {8000u, 11025u, 12000u, 16000u, 22050u, 24000u, 32000u, 44100u, 48000u}) {
    EXPECT_TRUE(AacEncoder::SupportsRate(rate));
    EXPECT_EQ(AacEncoder::NearestRate(rate), rate);
    const auto e = EncodeInChunks<AacEncoder>(HarmonicVoice(0.1, rate), rate);
    EXPECT_GT(e.bytes.size(), 100u) << rate;
  }
}

TEST(AacEncoder, NearestRateRoundsUpToASupportedRate) {
  EXPECT_EQ(AacEncoder::NearestRate(1), 8000u);
  EXPECT_EQ(AacEncoder::NearestRate(8001), 11025u);
  EXPECT_EQ(AacEncoder::NearestRate(22000), 22050u);
  EXPECT_EQ(AacEncoder::NearestRate(24001), 32000u);
  EXPECT_EQ(AacEncoder::NearestRate(44101), 48000u);
  EXPECT_EQ(AacEncoder::NearestRate(96000), 48000u);
  EXPECT_FALSE(AacEncoder::SupportsRate(96000));
}

TEST(AacEncoder, RefusesBadRatesAndBitrates) {
  auto none = [](std::span<const uint8_t>) -> Status { return {}; };
  for (uint32_t rate : {0u, 7350u, 20000u, 64000u, 96000u}) {
    auto r = AacEncoder::Create(rate, 0, none);
    ASSERT_FALSE(r.has_value()) << rate;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << rate;
  }
  const std::pair<uint32_t, uint32_t> bad[] = {{24000, 15999}, {24000, 144001}, {48000, 160001}, {8000, 48001}};
  for (auto [rate, bitrate] : bad) {
    auto r = AacEncoder::Create(rate, bitrate, none);
    ASSERT_FALSE(r.has_value()) << rate << " " << bitrate;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << rate << " " << bitrate;
  }
  EXPECT_EQ((*AacEncoder::Create(24000, 144000, none))->bitrate_bps(), 144000u);
  EXPECT_EQ((*AacEncoder::Create(24000, 0, none))->bitrate_bps(), AacEncoder::kDefaultBitrateBps);
  EXPECT_EQ((*AacEncoder::Create(8000, 0, none))->bitrate_bps(), 48000u);  // the default, capped
}

TEST(AacEncoder, ACallbackErrorStopsTheEncoder) {
  const auto input = HarmonicVoice(1.0, kRate);
  size_t calls = 0;
  auto enc = AacEncoder::Create(kRate, 0, [&](std::span<const uint8_t>) -> Status {
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
  ASSERT_FALSE(s.has_value()) << "the third frame's error was not returned";
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_EQ(s.error().message, "client gone");
  EXPECT_EQ(at, 480u * 7) << "returned by the Write that completed the third frame (3072 samples)";
  auto again = (*enc)->Write(std::span<const float>(input).subspan(0, 4800));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kIo);
  auto finish = (*enc)->Finish();
  ASSERT_FALSE(finish.has_value());
  EXPECT_EQ(finish.error().code, ErrorCode::kIo);
  EXPECT_EQ(calls, 3u);
}

TEST(AacEncoder, FinishTwiceAndWriteAfterFinish) {
  size_t bytes = 0;
  auto enc = AacEncoder::Create(kRate, 0, [&](std::span<const uint8_t> b) -> Status {
    bytes += b.size();
    return {};
  });
  ASSERT_TRUE(enc.has_value());
  const auto input = HarmonicVoice(0.2, kRate);
  ASSERT_TRUE((*enc)->Write(input).has_value());
  ASSERT_TRUE((*enc)->Finish().has_value());
  const size_t after_finish = bytes;
  EXPECT_EQ((*enc)->frames(), FramesFor(input.size()));
  EXPECT_TRUE((*enc)->Finish().has_value());
  EXPECT_EQ(bytes, after_finish);
  auto late = (*enc)->Write(input);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::kBadRequest);
}

TEST(AacEncoder, NoAudioMakesAnEmptyStream) {
  size_t bytes = 0;
  auto enc = AacEncoder::Create(kRate, 0, [&](std::span<const uint8_t> b) -> Status {
    bytes += b.size();
    return {};
  });
  ASSERT_TRUE(enc.has_value());
  ASSERT_TRUE((*enc)->Finish().has_value());
  EXPECT_EQ(bytes, 0u);
}

}  // namespace
}  // namespace ttsd::codec
