// DecodeReference: real files in memory (WAV, FLAC, Ogg Vorbis; stereo 44.1 kHz) to mono at the
// voice's rate, and every kBadAudio case with its message.
#include "ttsd/daemon/reference-audio.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "support/audio-files.h"

namespace ttsd::daemon {
namespace {

using testing::AudioFileBytes;
using testing::Noise;
using testing::Silence;
using testing::Sine;
using testing::SpeechLike;

std::string MessageOf(const Result<ReferenceAudio>& r) { return r ? "" : r.error().message; }

TEST(ReferenceLimits, DefaultsArePinned) {
  ReferenceLimits l;
  EXPECT_EQ(l.min_file_s, 1.0);
  EXPECT_EQ(l.max_file_s, 15.0);
  EXPECT_EQ(l.min_total_s, 3.0);
  EXPECT_EQ(l.min_active_s, 0.5);
  EXPECT_FLOAT_EQ(l.active_rms, 0.01f);
}

TEST(DecodeReference, StereoWavAt44kIsDownmixedAndResampled) {
  auto bytes = AudioFileBytes(Sine(4.0, 44100, 441), 44100, 2);
  auto r = DecodeReference(bytes, 16000, {}, "reference 1");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_NEAR(r->seconds, 4.0, 1e-3);
  EXPECT_NEAR(static_cast<double>(r->samples.size()), 4.0 * 16000, 16);
  // Still a 441 Hz sine of amplitude 0.3: count zero crossings and check the RMS.
  int crossings = 0;
  double energy = 0;
  for (size_t i = 1; i < r->samples.size(); ++i) {
    crossings += (r->samples[i - 1] < 0) != (r->samples[i] < 0);
    energy += r->samples[i] * r->samples[i];
  }
  EXPECT_NEAR(crossings / 4.0 / 2, 441, 3);
  EXPECT_NEAR(std::sqrt(energy / r->samples.size()), 0.3 / std::sqrt(2.0), 0.01);
  EXPECT_NEAR(r->active_s, 4.0, 0.05);
}

TEST(DecodeReference, FlacAndOggAndFloatWavAreRead) {
  const auto speech = SpeechLike(3.0, 44100);
  for (int format : {SF_FORMAT_FLAC | SF_FORMAT_PCM_16, SF_FORMAT_OGG | SF_FORMAT_VORBIS,
                     SF_FORMAT_WAV | SF_FORMAT_FLOAT, SF_FORMAT_AIFF | SF_FORMAT_PCM_24}) {
    auto bytes = AudioFileBytes(speech, 44100, 1, format);
    ASSERT_FALSE(bytes.empty()) << std::hex << format;
    auto r = DecodeReference(bytes, 22050, {}, "reference 1");
    ASSERT_TRUE(r) << std::hex << format << ": " << r.error().ToString();
    EXPECT_NEAR(r->seconds, 3.0, 0.01) << std::hex << format;
    EXPECT_NEAR(static_cast<double>(r->samples.size()), 3.0 * 22050, 2500) << std::hex << format;
    EXPECT_GT(r->active_s, 1.5);
    EXPECT_LT(r->active_s, 2.5);  // the pauses between syllables are not sound
  }
}

TEST(DecodeReference, SameRateIsNotResampled) {
  auto mono = Noise(1.5, 16000);
  auto r = DecodeReference(AudioFileBytes(mono, 16000, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT), 16000, {}, "r");
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->samples.size(), mono.size());
  for (size_t i = 0; i < mono.size(); i += 997) EXPECT_FLOAT_EQ(r->samples[i], mono[i]);
}

TEST(DecodeReference, TextIsNotAnAudioFile) {
  auto r = DecodeReference(testing::BytesOf("Hello, this is a text file, not a recording.\n"), 16000, {},
                           "reference 2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBadAudio);
  EXPECT_EQ(MessageOf(r).rfind("reference 2: not an audio file", 0), 0u) << MessageOf(r);
  auto empty = DecodeReference({}, 16000, {}, "reference 1");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kBadAudio);
}

TEST(DecodeReference, TruncatedAndGarbageBytesNeverCrash) {
  auto good = AudioFileBytes(SpeechLike(2.0, 44100), 44100, 2);
  for (size_t n : {size_t{1}, size_t{12}, size_t{44}, size_t{100}, good.size() / 2}) {
    auto r = DecodeReference(std::span<const uint8_t>(good.data(), n), 16000, {}, "r");
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kBadAudio) << n;
    }
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    auto bytes = good;
    for (int k = 0; k < 8; ++k) bytes[rng() % 64] = static_cast<uint8_t>(rng());
    auto r = DecodeReference(bytes, 16000, {}, "r");
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kBadAudio);
    }
  }
}

TEST(DecodeReference, SilenceIsRefused) {
  auto r = DecodeReference(AudioFileBytes(Silence(4.0, 44100), 44100, 2), 16000, {}, "reference 1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBadAudio);
  EXPECT_NE(MessageOf(r).find("silent"), std::string::npos) << MessageOf(r);
  // Very quiet hiss (-60 dBFS) is silence too.
  auto hiss = DecodeReference(AudioFileBytes(Noise(4.0, 44100, 0.0017f), 44100, 2), 16000, {}, "r");
  ASSERT_FALSE(hiss);
  EXPECT_NE(hiss.error().message.find("silent"), std::string::npos);
}

TEST(DecodeReference, LengthLimitsPerFile) {
  auto short_one = DecodeReference(AudioFileBytes(SpeechLike(0.9, 44100), 44100, 2), 16000, {}, "reference 1");
  ASSERT_FALSE(short_one);
  EXPECT_EQ(short_one.error().code, ErrorCode::kBadAudio);
  EXPECT_NE(short_one.error().message.find("at least 1 s"), std::string::npos) << short_one.error().message;
  auto one = DecodeReference(AudioFileBytes(SpeechLike(1.0, 44100), 44100, 2), 16000, {}, "reference 1");
  EXPECT_TRUE(one) << one.error().ToString();

  auto long_one = DecodeReference(AudioFileBytes(SpeechLike(20.0, 44100), 44100, 2), 16000, {}, "reference 3");
  ASSERT_FALSE(long_one);
  EXPECT_EQ(long_one.error().code, ErrorCode::kBadAudio);
  EXPECT_NE(long_one.error().message.find("20.0 s long; at most 15 s"), std::string::npos) << long_one.error().message;

  ReferenceLimits relaxed;
  relaxed.max_file_s = 25;
  EXPECT_TRUE(DecodeReference(AudioFileBytes(SpeechLike(20.0, 16000), 16000, 1), 16000, relaxed, "r"));
}

TEST(DecodeReference, TooManyChannelsAreRefused) {
  auto r = DecodeReference(AudioFileBytes(SpeechLike(2.0, 16000), 16000, 9), 16000, {}, "r");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBadAudio);
  EXPECT_NE(r.error().message.find("channels"), std::string::npos);
}

TEST(CheckSpeakerReferences, NeedsThreeSecondsTogether) {
  ReferenceAudio a, b;
  a.seconds = 1.5;
  b.seconds = 1.4;
  std::vector<ReferenceAudio> two{a, b};
  auto s = CheckSpeakerReferences(two, {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kBadAudio);
  EXPECT_NE(s.error().message.find("at least 3 s"), std::string::npos) << s.error().message;
  two[1].seconds = 1.5;
  EXPECT_TRUE(CheckSpeakerReferences(two, {}));
  EXPECT_FALSE(CheckSpeakerReferences({}, {}));
}

}  // namespace
}  // namespace ttsd::daemon
