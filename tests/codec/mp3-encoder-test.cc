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

#include "support/run-command.h"

namespace ttsd::codec {
namespace {

constexpr uint32_t kRate = 24000;
constexpr size_t kFrame = 576;  // MPEG-2's frame, at 16..24 kHz
// Measured with LAME 3.100 and ffmpeg 5.1 (see mp3-encoder.h): the decoded audio's lag, and how many
// samples have to be written before the first frame comes out.
constexpr long kDecodedLag = 1105;
constexpr size_t kFirstFrameAfter = 800;

// Speech-like: a harmonic tone whose pitch glides between 100 and 250 Hz, harmonics up to 4 kHz falling
// off as 1/h, in 4 syllables a second with pauses between (harder on a codec than support's SpeechLike,
// whose 5 harmonics stop below 1 kHz).
std::vector<float> Voice(double seconds, uint32_t rate_hz) {
  std::vector<float> x(static_cast<size_t>(seconds * rate_hz));
  double phase = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    const double pitch = 175 + 75 * std::sin(2 * M_PI * 0.7 * t);
    phase += 2 * M_PI * pitch / rate_hz;
    const double syllable = std::fmod(t * 4, 1.0);  // 0..1 within the syllable
    const double envelope = syllable < 0.75 ? std::sin(M_PI * syllable / 0.75) : 0.0;
    double v = 0;
    for (int h = 1; h * pitch < std::min(4000.0, rate_hz / 2.0); ++h) v += std::sin(h * phase) / h;
    x[i] = static_cast<float>(0.3 * envelope * v);
  }
  return x;
}

struct Encoded {
  std::vector<uint8_t> bytes;
  size_t bytes_before_finish = 0;
  size_t bytes_after_half_second = 0;  // when the first Write past 0.5 s of input returned
  size_t calls = 0;
};

// Writes in chunks of 480, 1000 and 37 samples, in turn.
Encoded Encode(std::span<const float> signal, uint32_t rate_hz, uint32_t bitrate_bps = 0) {
  Encoded e;
  auto enc = Mp3Encoder::Create(rate_hz, bitrate_bps, [&](std::span<const uint8_t> b) -> Status {
    e.bytes.insert(e.bytes.end(), b.begin(), b.end());
    e.calls++;
    return {};
  });
  if (!enc) {
    ADD_FAILURE() << enc.error().ToString();
    return e;
  }
  const size_t chunks[] = {480, 1000, 37};
  size_t at = 0;
  for (size_t i = 0; at < signal.size(); ++i) {
    const size_t n = std::min(chunks[i % 3], signal.size() - at);
    const bool before_half = at < rate_hz / 2;
    EXPECT_TRUE((*enc)->Write(signal.subspan(at, n)).has_value());
    at += n;
    if (before_half && at >= rate_hz / 2) e.bytes_after_half_second = e.bytes.size();
  }
  e.bytes_before_finish = e.bytes.size();
  EXPECT_TRUE((*enc)->Finish().has_value());
  return e;
}

// ffmpeg's decoding of bytes (format: its demuxer's name) as mono float at rate_hz.
std::vector<float> DecodeWithFfmpeg(const std::vector<uint8_t>& bytes, const char* format, uint32_t rate_hz) {
  char in_path[] = "/tmp/ttsd-codec-in-XXXXXX";
  char out_path[] = "/tmp/ttsd-codec-out-XXXXXX";
  close(mkstemp(in_path));
  close(mkstemp(out_path));
  std::ofstream(in_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  auto run = testing::RunCommand({"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", format, "-i",
                                  in_path, "-f", "f32le", "-ac", "1", "-ar", std::to_string(rate_hz), "-y", out_path});
  std::vector<float> out;
  if (!run || run->exit_code != 0) {
    ADD_FAILURE() << "ffmpeg failed (./install-deps.sh --test installs it): "
                  << (run ? run->out : run.error().ToString());
  } else {
    std::ifstream f(out_path, std::ios::binary);
    std::vector<char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    out.resize(raw.size() / sizeof(float));
    std::memcpy(out.data(), raw.data(), out.size() * sizeof(float));
  }
  unlink(in_path);
  unlink(out_path);
  return out;
}

// Normalized cross-correlation of decoded[i + lag] against input[i], every step-th i of the overlap.
double Ncc(const std::vector<float>& input, const std::vector<float>& decoded, long lag, long step = 1) {
  const long start = std::max<long>(0, -lag);
  const long end = std::min<long>(static_cast<long>(input.size()), static_cast<long>(decoded.size()) - lag);
  double xy = 0, xx = 0, yy = 0;
  for (long i = start; i < end; i += step) {
    const double x = input[static_cast<size_t>(i)], y = decoded[static_cast<size_t>(i + lag)];
    xy += x * y, xx += x * x, yy += y * y;
  }
  return xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : 0;
}

// The lag within +-4096 samples where decoded best matches input: every 4th lag on every 4th sample (the
// signal is below 1 kHz), then every lag around the best.
long BestLag(const std::vector<float>& input, const std::vector<float>& decoded) {
  long best = 0;
  double best_ncc = -2;
  for (long lag = -4096; lag <= 4096; lag += 4) {
    if (const double c = Ncc(input, decoded, lag, 4); c > best_ncc) best_ncc = c, best = lag;
  }
  const long coarse = best;
  for (long lag = coarse - 4; lag <= coarse + 4; ++lag) {
    if (const double c = Ncc(input, decoded, lag); c > best_ncc) best_ncc = c, best = lag;
  }
  return best;
}

TEST(Mp3Encoder, FfmpegDecodesTheInputAtTheMeasuredDelay) {
  const auto input = Voice(2.0, kRate);
  const auto e = Encode(input, kRate);
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
  const auto input = Voice(2.0, kRate);
  const auto e = Encode(input, kRate);
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
    const auto e = Encode(Voice(0.1, rate), rate);
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
  const auto input = Voice(1.0, kRate);
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
  const auto input = Voice(0.2, kRate);
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
