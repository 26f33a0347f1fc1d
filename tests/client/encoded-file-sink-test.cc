// EncodedFileSink: 2 s of speech-like s16le audio at 16 kHz written in uneven chunks as MP3, FLAC and AAC
// files, decoded by the real ffmpeg: the file grows (and plays) while it is written, and decodes to the
// input (FLAC sample for sample; MP3 and AAC by cross-correlation) at the codec's delay. Resampling to an
// MPEG rate, channel averaging, a pipe, and misuse.
// ffmpeg is required (./install-deps.sh --test installs it): without it these tests fail.
#include "ttsd/client/encoded-file-sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "client/scripted-server.h"
#include "opus/opus-test-support.h"
#include "support/audio-files.h"

namespace ttsd::client {
namespace {

using namespace std::chrono_literals;
using protocol::SampleFormat;
using testing::Child;

constexpr uint32_t kRate = 16000;

// How late the input comes out of ffmpeg, in samples at the encoder's rate (codec/'s encoder headers), and
// how much padding may follow it.
struct Codec {
  EncodedFormat format;
  const char* extension;
  long delay_samples;
  long max_tail_samples;
};
constexpr Codec kMp3{EncodedFormat::kMp3, "mp3", 1105, 2 * 576};  // MPEG-2 frames at 16 kHz
constexpr Codec kFlac{EncodedFormat::kFlac, "flac", 0, 0};
constexpr Codec kAac{EncodedFormat::kAac, "aac", codec::AacEncoder::kDelaySamples, codec::AacEncoder::kFrameSamples};

// What ttsd sends: 16-bit samples.
std::vector<int16_t> ToS16(const std::vector<float>& x) {
  std::vector<int16_t> out(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    out[i] = static_cast<int16_t>(std::lround(std::clamp(x[i], -1.0f, 1.0f) * 32767));
  return out;
}

std::vector<float> ToFloat(const std::vector<int16_t>& x) {
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = static_cast<float>(x[i]) / 32767.0f;
  return out;
}

std::span<const uint8_t> AsBytes(std::span<const int16_t> x) {
  return {reinterpret_cast<const uint8_t*>(x.data()), x.size_bytes()};
}

// ffmpeg's decoding of path as mono, at rate_hz: raw bytes of sample_fmt ("f32le", "s16le").
std::string Decode(const std::string& path, uint32_t rate_hz, const char* sample_fmt = "f32le") {
  Child ff({"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", path, "-f", sample_fmt, "-ac", "1", "-ar",
            std::to_string(rate_hz), "pipe:1"});
  const int code = ff.Wait(30s);
  EXPECT_EQ(code, 0) << ff.CommandLine() << ": " << ff.Stderr() << " (./install-deps.sh --test installs ffmpeg)";
  return ff.Stdout();
}

std::vector<int16_t> S16(const std::string& bytes) {
  std::vector<int16_t> v(bytes.size() / sizeof(int16_t));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(int16_t));
  return v;
}

size_t FileSize(const std::string& path) { return static_cast<size_t>(std::filesystem::file_size(path)); }

struct Written {
  size_t after_open = 0;          // bytes in the file after Open
  size_t after_first_chunks = 0;  // ... after the first 0.25 s of audio
  size_t before_close = 0;
  size_t after_close = 0;
  std::vector<float> decoded_midway;  // ffmpeg's decoding of the file after 1 s, still open
};

// Writes input to a new file through the sink in chunks of 320, 1000 and 77 samples, in turn.
Written WriteThroughSink(const std::string& path, EncodedFormat format, const std::vector<int16_t>& input) {
  Written w;
  auto sink = EncodedFileSink::CreateFile(path, format);
  if (!sink) {
    ADD_FAILURE() << sink.error().ToString();
    return w;
  }
  EXPECT_TRUE((*sink)->Open({kRate, 1, SampleFormat::kS16Le}).has_value());
  EXPECT_EQ((*sink)->encoder_rate_hz(), kRate);
  w.after_open = FileSize(path);
  const size_t chunks[] = {320, 1000, 77};
  size_t at = 0;
  for (size_t i = 0; at < input.size(); ++i) {
    const size_t n = std::min(chunks[i % 3], input.size() - at);
    const bool before_quarter = at < kRate / 4, before_second = at < kRate;
    auto s = (*sink)->Write(AsBytes(std::span<const int16_t>(input).subspan(at, n)));
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    at += n;
    if (before_quarter && at >= kRate / 4) w.after_first_chunks = FileSize(path);
    if (before_second && at >= kRate) w.decoded_midway = testing::F32(Decode(path, kRate));
  }
  w.before_close = FileSize(path);
  auto s = (*sink)->Close();
  EXPECT_TRUE(s.has_value()) << s.error().ToString();
  w.after_close = FileSize(path);
  return w;
}

void ExpectStreamed(const Written& w) {
  // Audio reaches the file while it is written (FLAC's header alone comes at Open).
  EXPECT_GT(w.after_first_chunks, w.after_open) << "nothing written after 0.25 s of audio";
  EXPECT_GE(w.before_close, w.after_close * 3 / 4) << "most of the file waited for Close";
  // A reader decodes the growing file: all but what the encoder holds of the first second.
  EXPECT_GT(w.decoded_midway.size(), kRate * 8 / 10) << "decoded " << w.decoded_midway.size() << " samples";
  EXPECT_GT(testing::Rms(w.decoded_midway), 0.02);
}

void ExpectLossyRoundTrip(const Codec& c) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/speech." + c.extension;
  const auto input = ToS16(testing::SpeechLike(2.0, kRate));
  const auto w = WriteThroughSink(path, c.format, input);
  ExpectStreamed(w);
  const auto decoded = testing::F32(Decode(path, kRate));
  const auto reference = ToFloat(input);
  const auto match = testing::BestMatch(decoded, reference, 0, 2 * c.delay_samples);
  std::printf("[ %s: %zu bytes (%zu before Close), decoded %zu samples for %zu, lag %ld, NCC %.5f ]\n", c.extension,
              w.after_close, w.before_close, decoded.size(), input.size(), match.lag, match.ncc);
  EXPECT_GE(match.ncc, 0.95);
  EXPECT_EQ(match.lag, c.delay_samples);
  const long n = static_cast<long>(input.size());
  EXPECT_GE(static_cast<long>(decoded.size()), n + c.delay_samples);
  EXPECT_LE(static_cast<long>(decoded.size()), n + c.delay_samples + c.max_tail_samples);
}

TEST(EncodedFileSink, Mp3DecodesToTheInputAtLamesDelay) { ExpectLossyRoundTrip(kMp3); }

TEST(EncodedFileSink, AacDecodesToTheInputAtVoAacEncsDelay) { ExpectLossyRoundTrip(kAac); }

TEST(EncodedFileSink, FlacDecodesToTheInputSampleForSample) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/speech.flac";
  auto input = ToS16(testing::SpeechLike(2.0, kRate));
  input[100] = 32767;  // full scale survives both ways
  input[101] = -32767;
  const auto w = WriteThroughSink(path, kFlac.format, input);
  ExpectStreamed(w);
  EXPECT_EQ(testing::ReadFile(path).substr(0, 4), "fLaC");
  const auto decoded = S16(Decode(path, kRate, "s16le"));
  std::printf("[ flac: %zu bytes (%zu before Close), decoded %zu samples for %zu ]\n", w.after_close, w.before_close,
              decoded.size(), input.size());
  ASSERT_EQ(decoded.size(), input.size());
  size_t differ = 0;
  for (size_t i = 0; i < input.size(); ++i) differ += decoded[i] != input[i];
  EXPECT_EQ(differ, 0u) << "the first at "
                        << (std::mismatch(decoded.begin(), decoded.end(), input.begin()).first - decoded.begin());
}

TEST(EncodedFileSink, ResamplesToAnMpegRateAndAveragesChannels) {
  constexpr uint32_t kOddRate = 20000;  // not an MPEG rate: MP3 and AAC go up to 22050, FLAC keeps it
  EXPECT_EQ(EncodedFileSink::EncoderRateHz(EncodedFormat::kMp3, kOddRate), 22050u);
  EXPECT_EQ(EncodedFileSink::EncoderRateHz(EncodedFormat::kAac, kOddRate), 22050u);
  EXPECT_EQ(EncodedFileSink::EncoderRateHz(EncodedFormat::kFlac, kOddRate), kOddRate);
  EXPECT_EQ(EncodedFileSink::EncoderRateHz(EncodedFormat::kMp3, 96000), 48000u);
  EXPECT_EQ(EncodedFileSink::EncoderRateHz(EncodedFormat::kFlac, 16000), 16000u);
  const auto mono = testing::SpeechLike(1.0, kOddRate);
  std::vector<float> stereo;  // left: the signal, right: silence; averaged, half the signal
  for (float v : mono) stereo.insert(stereo.end(), {v, 0.0f});
  for (const Codec& c : {kMp3, kAac, kFlac}) {
    testing::TempDir dir;
    const std::string path = dir.path() + "/odd." + c.extension;
    auto sink = EncodedFileSink::CreateFile(path, c.format);
    ASSERT_TRUE(sink.has_value());
    ASSERT_TRUE((*sink)->Open({kOddRate, 2, SampleFormat::kF32Le}).has_value());
    EXPECT_EQ((*sink)->encoder_rate_hz(), EncodedFileSink::EncoderRateHz(c.format, kOddRate));
    const auto bytes = testing::F32Pcm(stereo);
    for (size_t at = 0; at < bytes.size(); at += 8 * 441) {
      ASSERT_TRUE((*sink)
                      ->Write(std::span<const uint8_t>(bytes).subspan(at, std::min<size_t>(8 * 441, bytes.size() - at)))
                      .has_value());
    }
    ASSERT_TRUE((*sink)->Close().has_value());
    const auto decoded = testing::F32(Decode(path, kOddRate));
    const auto match = testing::BestMatch(decoded, mono, 0, 2 * 1600 * 20000 / 16000);
    std::printf("[ %s from 2 channels at 20 kHz: lag %ld, NCC %.5f, RMS %.4f against %.4f ]\n", c.extension, match.lag,
                match.ncc, testing::Rms(decoded), testing::Rms(mono));
    EXPECT_GE(match.ncc, 0.95) << c.extension;
    EXPECT_NEAR(static_cast<double>(decoded.size()), static_cast<double>(mono.size()), 0.15 * kOddRate) << c.extension;
    // Half the signal's level: the silent channel was averaged in. Scaled for the leading and trailing silence.
    const double level = testing::Rms(decoded) * std::sqrt(static_cast<double>(decoded.size()) / mono.size());
    EXPECT_NEAR(level / testing::Rms(mono), 0.5, 0.05) << c.extension;
  }
}

TEST(EncodedFileSink, WritesThroughAPipeAsItEncodes) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  ASSERT_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  EncodedFileSink sink(fds[1], /*owns_fd=*/true, "a pipe", EncodedFormat::kAac);
  EXPECT_EQ(sink.Describe(), "AAC file a pipe");
  ASSERT_TRUE(sink.Open({kRate, 1, SampleFormat::kS16Le}).has_value());
  const auto input = ToS16(testing::SpeechLike(0.5, kRate));
  ASSERT_TRUE(sink.Write(AsBytes(input)).has_value());
  // Readable before Close: whole ADTS frames, each starting with the 12-bit sync word.
  uint8_t buf[65536];
  const ssize_t n = read(fds[0], buf, sizeof(buf));
  ASSERT_GT(n, 7);
  EXPECT_EQ(buf[0], 0xff);
  EXPECT_EQ(buf[1] & 0xf0, 0xf0);
  ASSERT_TRUE(sink.Close().has_value());
  EXPECT_GT(read(fds[0], buf, sizeof(buf)), 0);  // the last frames, then the sink closed its end
  EXPECT_EQ(read(fds[0], buf, sizeof(buf)), 0);
  close(fds[0]);
  EXPECT_EQ(EncodedFileSink(1, false, "stdout", EncodedFormat::kMp3).Describe(), "MP3 on stdout");
}

TEST(EncodedFileSink, ClosedReaderIsIo) {
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  EncodedFileSink sink(fds[1], /*owns_fd=*/true, "stdout", EncodedFormat::kFlac);
  auto s = sink.Open({kRate, 1, SampleFormat::kS16Le});  // FLAC writes its header here
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find("Broken pipe"), std::string::npos) << s.error().message;
  sigaction(SIGPIPE, &old, nullptr);
}

TEST(EncodedFileSink, AFileNeverOpenedIsRemoved) {
  testing::TempDir dir;
  for (const char* name : {"/a.mp3", "/a.flac", "/a.aac"}) {
    auto sink = EncodedFileSink::CreateFile(dir.path() + name, EncodedFormat::kMp3);
    ASSERT_TRUE(sink.has_value());
    EXPECT_TRUE(std::filesystem::exists(dir.path() + name));
    ASSERT_TRUE((*sink)->Close().has_value());
    EXPECT_FALSE(std::filesystem::exists(dir.path() + name));
  }
  auto bad = EncodedFileSink::CreateFile(dir.path() + "/no/such/dir.mp3", EncodedFormat::kMp3);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kIo);
  EXPECT_NE(bad.error().message.find("No such file or directory"), std::string::npos) << bad.error().message;
}

TEST(EncodedFileSink, RefusesMisuse) {
  testing::TempDir dir;
  auto sink = EncodedFileSink::CreateFile(dir.path() + "/m.mp3", EncodedFormat::kMp3);
  ASSERT_TRUE(sink.has_value());
  EXPECT_EQ((*sink)->Describe(), "MP3 file " + dir.path() + "/m.mp3");
  EXPECT_EQ((*sink)->Write(testing::S16Pcm({1})).error().code, ErrorCode::kBadRequest);  // before Open
  EXPECT_EQ((*sink)->Open({0, 1, SampleFormat::kS16Le}).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ((*sink)->Open({16000, 0, SampleFormat::kS16Le}).error().code, ErrorCode::kBadRequest);
  ASSERT_TRUE((*sink)->Open({16000, 2, SampleFormat::kS16Le}).has_value());
  EXPECT_EQ((*sink)->Open({16000, 2, SampleFormat::kS16Le}).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ((*sink)->Write(testing::S16Pcm({1, 2, 3})).error().code, ErrorCode::kBadRequest);  // 1.5 frames
  EXPECT_TRUE((*sink)->Write(testing::S16Pcm({1, 2})).has_value());
  EXPECT_TRUE((*sink)->Write({}).has_value());
  ASSERT_TRUE((*sink)->Close().has_value());
  EXPECT_TRUE((*sink)->Close().has_value());                                                // twice is fine
  EXPECT_EQ((*sink)->Write(testing::S16Pcm({1, 2})).error().code, ErrorCode::kBadRequest);  // after Close
  // A bit rate the encoder refuses fails at Open.
  auto loud = EncodedFileSink::CreateFile(dir.path() + "/b.aac", EncodedFormat::kAac, 1000);
  ASSERT_TRUE(loud.has_value());
  EXPECT_EQ((*loud)->Open({16000, 1, SampleFormat::kS16Le}).error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace ttsd::client
