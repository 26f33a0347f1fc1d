// FlacEncoder: 2 s of speech-like audio at 24 and 32 kHz (and an odd rate) written in uneven chunks,
// decoded by the real ffmpeg, comes back sample for sample; the header goes out at Create with an unknown
// length; frames go out while writing; bad rates are refused; a callback's error stops the encoder;
// Finish twice.
// ffmpeg is required (./install-deps.sh --test installs it): without it these tests fail.
#include "ttsd/codec/flac-encoder.h"

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
using testing::EncodedRun;
using testing::EncodeInChunks;
using testing::HarmonicVoice;
using testing::Ncc;

constexpr size_t kBlock = FlacEncoder::kBlockSamples;

// What the encoder stores: the WAV and PCM outputs' conversion.
std::vector<int16_t> ToInt16(const std::vector<float>& x) {
  std::vector<int16_t> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    out[i] = static_cast<int16_t>(std::lround(std::clamp(x[i], -1.0f, 1.0f) * 32767.0f));
  }
  return out;
}

// ffmpeg's decoding of FLAC bytes as mono 16-bit samples at rate_hz (the stream's own: no resampling).
std::vector<int16_t> DecodeWithFfmpeg(const std::vector<uint8_t>& bytes, uint32_t rate_hz) {
  const std::string raw = testing::DecodeBytesWithFfmpeg(bytes, "flac", rate_hz, "s16le");
  std::vector<int16_t> out(raw.size() / sizeof(int16_t));
  std::memcpy(out.data(), raw.data(), out.size() * sizeof(int16_t));
  return out;
}

TEST(FlacEncoder, FfmpegDecodesTheInputExactly) {
  // 22222 Hz: no FLAC rate code of its own; the frame headers carry it in Hz.
  for (uint32_t rate : {24000u, 32000u, 22222u}) {
    SCOPED_TRACE(rate);
    const auto input = HarmonicVoice(rate == 22222 ? 0.5 : 2.0, rate);
    const auto e = EncodeInChunks<FlacEncoder>(input, rate);
    const auto decoded = DecodeWithFfmpeg(e.bytes, rate);
    const auto expected = ToInt16(input);
    std::printf("[ flac %u Hz: %zu bytes (%.0f kb/s), decoded %zu samples for %zu ]\n", rate, e.bytes.size(),
                e.bytes.size() * 8.0 / (static_cast<double>(input.size()) / rate) / 1000, decoded.size(), input.size());
    // Lossless, no delay, no padding: the same samples, the same length.
    ASSERT_EQ(decoded.size(), expected.size());
    size_t differing = 0;
    for (size_t i = 0; i < expected.size(); ++i) differing += decoded[i] != expected[i];
    EXPECT_EQ(differing, 0u);
  }
}

TEST(FlacEncoder, TheHeaderGoesOutAtCreateWithAnUnknownLength) {
  const auto input = HarmonicVoice(1.0, 24000);
  const auto e = EncodeInChunks<FlacEncoder>(input, 24000);
  ASSERT_GE(e.header_bytes, 42u);  // "fLaC", a block header, STREAMINFO's 34 bytes (then VORBIS_COMMENT)
  EXPECT_EQ(std::string(e.bytes.begin(), e.bytes.begin() + 4), "fLaC");
  EXPECT_EQ(e.bytes[4] & 0x7f, 0);  // STREAMINFO first
  const uint8_t* si = e.bytes.data() + 8;
  EXPECT_EQ((si[0] << 8) | si[1], static_cast<int>(kBlock));  // minimum block size
  EXPECT_EQ((si[2] << 8) | si[3], static_cast<int>(kBlock));  // maximum block size
  const uint32_t rate = (si[10] << 12) | (si[11] << 4) | (si[12] >> 4);
  EXPECT_EQ(rate, 24000u);
  EXPECT_EQ((si[12] >> 1) & 7, 0);                     // one channel
  EXPECT_EQ(((si[12] & 1) << 4) | (si[13] >> 4), 15);  // 16 bits
  // Total samples (36 bits) and the MD5 stay zero after Finish: nothing seeks back to rewrite them.
  EXPECT_EQ(si[13] & 0x0f, 0);
  for (int i = 14; i < 34; ++i) EXPECT_EQ(si[i], 0) << i;
  // Frames follow the header: each starts with the sync code 0xfff8 (fixed block size).
  ASSERT_GT(e.bytes.size(), e.header_bytes + 2);
  EXPECT_EQ(e.bytes[e.header_bytes], 0xff);
  EXPECT_EQ(e.bytes[e.header_bytes + 1], 0xf8);
}

TEST(FlacEncoder, FramesGoOutWhileWriting) {
  const auto input = HarmonicVoice(2.0, 24000);
  const auto e = EncodeInChunks<FlacEncoder>(input, 24000);
  EXPECT_GT(e.bytes_after_half_second, e.header_bytes) << "nothing but the header came out of 0.5 s of input";
  EXPECT_GT(e.bytes_before_finish, e.bytes.size() * 3 / 4);

  // Sample by sample: the first frame goes out once a sample past the first block has arrived, then one a
  // block.
  size_t calls = 0;
  auto enc = FlacEncoder::Create(24000, 0, [&](std::span<const uint8_t>) -> Status {
    calls++;
    return {};
  });
  ASSERT_TRUE(enc.has_value());
  const size_t header_calls = calls;
  EXPECT_GT(header_calls, 0u);
  size_t written = 0;
  while (calls == header_calls && written < input.size()) {
    ASSERT_TRUE((*enc)->Write({&input[written++], 1}).has_value());
  }
  std::printf("[ flac: the first frame went out after %zu samples ]\n", written);
  EXPECT_EQ(written, kBlock + 1);
  // From then on, every Write of a block's worth of samples hands out a frame.
  for (int i = 0; i < 20; ++i) {
    const size_t before = calls;
    ASSERT_TRUE((*enc)->Write(std::span<const float>(input).subspan(written, kBlock)).has_value());
    written += kBlock;
    EXPECT_GT(calls, before) << "write " << i;
  }
}

TEST(FlacEncoder, RefusesRatesOutsideTheStreamableSubset) {
  auto none = [](std::span<const uint8_t>) -> Status { return {}; };
  for (uint32_t rate : {0u, 65537u, 100001u, 655360u, 1000000u}) {
    EXPECT_FALSE(FlacEncoder::SupportsRate(rate)) << rate;
    auto r = FlacEncoder::Create(rate, 0, none);
    ASSERT_FALSE(r.has_value()) << rate;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << rate;
  }
  for (uint32_t rate : {1u, 8000u, 22222u, 44100u, 65535u, 96000u, 192000u, 655350u}) {
    EXPECT_TRUE(FlacEncoder::SupportsRate(rate)) << rate;
    EXPECT_TRUE(FlacEncoder::Create(rate, 0, none).has_value()) << rate;
  }
  // The bit rate is ignored: FLAC is lossless.
  EXPECT_TRUE(FlacEncoder::Create(24000, 12345, none).has_value());
}

TEST(FlacEncoder, ACallbackErrorStopsTheEncoder) {
  // In Create: the header's first write fails.
  auto refused = FlacEncoder::Create(
      24000, 0, [](std::span<const uint8_t>) -> Status { return MakeError(ErrorCode::kIo, "disk full"); });
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kIo);

  // In Write: the third frame's.
  const auto input = HarmonicVoice(1.0, 24000);
  bool created = false;
  size_t calls = 0;  // after Create
  auto enc = FlacEncoder::Create(24000, 0, [&](std::span<const uint8_t>) -> Status {
    if (created && ++calls == 3) return MakeError(ErrorCode::kIo, "client gone");
    return {};
  });
  ASSERT_TRUE(enc.has_value());
  created = true;
  size_t at = 0;
  Status s;
  while (s && at < input.size()) {
    s = (*enc)->Write(std::span<const float>(input).subspan(at, 480));
    at += 480;
  }
  ASSERT_FALSE(s.has_value()) << "the third frame's error was not returned";
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_EQ(s.error().message, "client gone");
  EXPECT_EQ(at, 480u * 8) << "returned by the Write that completed the third block (3457 samples)";
  EXPECT_EQ(calls, 3u);
  auto again = (*enc)->Write(std::span<const float>(input).subspan(0, 4800));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kIo);
  auto finish = (*enc)->Finish();
  ASSERT_FALSE(finish.has_value());
  EXPECT_EQ(finish.error().code, ErrorCode::kIo);
  EXPECT_EQ(calls, 3u);
}

TEST(FlacEncoder, FinishTwiceAndWriteAfterFinish) {
  size_t bytes = 0;
  auto enc = FlacEncoder::Create(24000, 0, [&](std::span<const uint8_t> b) -> Status {
    bytes += b.size();
    return {};
  });
  ASSERT_TRUE(enc.has_value());
  const auto input = HarmonicVoice(0.2, 24000);
  ASSERT_TRUE((*enc)->Write(input).has_value());
  ASSERT_TRUE((*enc)->Finish().has_value());
  const size_t after_finish = bytes;
  EXPECT_TRUE((*enc)->Finish().has_value());
  EXPECT_EQ(bytes, after_finish);
  auto late = (*enc)->Write(input);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::kBadRequest);
}

TEST(FlacEncoder, DestroyedUnfinishedWritesNothingMore) {
  size_t calls = 0;
  {
    auto enc = FlacEncoder::Create(24000, 0, [&](std::span<const uint8_t>) -> Status {
      calls++;
      return {};
    });
    ASSERT_TRUE(enc.has_value());
    ASSERT_TRUE((*enc)->Write(HarmonicVoice(0.03, 24000)).has_value());  // less than a block: held
    calls = 0;
  }
  EXPECT_EQ(calls, 0u);
}

}  // namespace
}  // namespace ttsd::codec
