// LoudnessNormalizer: quiet and loud speech brought within 1 LU of the target (and of each other), the
// true-peak ceiling held when a gain would clip, a prior that makes the first second right, lengths and
// silence kept, utterances independent, options checked. Loudness is measured on the output by a meter of
// its own (libebur128), as a streamer's meter would.
#include "ttsd/codec/loudness-normalizer.h"

#include <ebur128.h>
#include <gtest/gtest.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "support/audio-files.h"

namespace ttsd::codec {
namespace {

using testing::SpeechLike;

constexpr uint32_t kRate = 48000;

// Integrated loudness (LUFS) and true peak (dBTP) of a whole signal.
struct Measured {
  double lufs = -HUGE_VAL, true_peak_db = -HUGE_VAL;
};
Measured Measure(const std::vector<float>& x, uint32_t rate = kRate) {
  ebur128_state* st = ebur128_init(1, rate, EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
  ebur128_add_frames_float(st, x.data(), x.size());
  Measured m;
  double peak = 0;
  ebur128_loudness_global(st, &m.lufs);
  ebur128_true_peak(st, 0, &peak);
  m.true_peak_db = 20 * std::log10(std::max(peak, 1e-12));
  ebur128_destroy(&st);
  return m;
}

std::vector<float> Scaled(std::vector<float> x, double to_lufs) {
  const double gain = std::pow(10.0, (to_lufs - Measure(x).lufs) / 20);
  for (auto& v : x) v = static_cast<float>(v * gain);
  return x;
}

// One utterance through n in chunks of `chunk` samples.
std::vector<float> Normalize(LoudnessNormalizer& n, const std::vector<float>& x, size_t chunk,
                             std::optional<double> prior = std::nullopt) {
  n.Start(prior);
  std::vector<float> out;
  for (size_t at = 0; at < x.size(); at += chunk) {
    auto part = n.Process(std::span<const float>(x.data() + at, std::min(chunk, x.size() - at))).value();
    out.insert(out.end(), part.begin(), part.end());
  }
  auto rest = n.Finish().value();
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

// The GPT-SoVITS fixture's reference recording (real speech), mono, at its own rate.
std::vector<float> Recording(uint32_t* rate) {
  SF_INFO info{};
  const std::string path = std::string(TTSD_SOURCE_DIR) + "/models/fixtures/gpt-sovits/fixture-gpt-sovits/reference.wav";
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return {};
  std::vector<float> all(static_cast<size_t>(info.frames * info.channels)), mono(static_cast<size_t>(info.frames));
  sf_readf_float(f, all.data(), info.frames);
  sf_close(f);
  for (size_t i = 0; i < mono.size(); ++i) mono[i] = all[i * static_cast<size_t>(info.channels)];
  *rate = static_cast<uint32_t>(info.samplerate);
  return mono;
}

TEST(LoudnessNormalizer, QuietAndLoudSpeechEndWithinOneLuOfTheTargetAndOfEachOther) {
  auto n = LoudnessNormalizer::Create(kRate).value();
  const auto speech = SpeechLike(6.0, kRate);
  std::vector<double> results;
  for (double level : {-34.0, -28.0, -16.0, -9.0}) {
    for (size_t chunk : {size_t{960}, size_t{24000}}) {  // 20 ms frames, and half-second chunks
      const auto out = Normalize(n, Scaled(speech, level), chunk);
      const Measured m = Measure(out);
      EXPECT_NEAR(m.lufs, -16, 1.0) << "input " << level << " LUFS, chunks of " << chunk;
      EXPECT_LE(m.true_peak_db, -1 + 0.3) << "input " << level << " LUFS";
      EXPECT_NEAR(n.measured_lufs().value(), level, 0.1) << "the meter reads the input";
      results.push_back(m.lufs);
    }
  }
  const auto [lo, hi] = std::minmax_element(results.begin(), results.end());
  EXPECT_LT(*hi - *lo, 1.0);
  // A whisper is brought up by max_gain_db (20) and no more.
  EXPECT_NEAR(Measure(Normalize(n, Scaled(speech, -45), 960)).lufs, -25, 1.0);
}

TEST(LoudnessNormalizer, RealSpeechAtTwoLevelsComesOutEvenlyLoud) {
  uint32_t rate = 0;
  const auto speech = Recording(&rate);
  ASSERT_FALSE(speech.empty());
  auto n = LoudnessNormalizer::Create(rate).value();
  const double quiet = Measure(Normalize(n, Scaled(speech, -32), rate / 50), rate).lufs;
  const double loud = Measure(Normalize(n, Scaled(speech, -12), rate / 50), rate).lufs;
  std::printf("[ LOUDNESS ] a 4 s recording at -32 and -12 LUFS, 20 ms chunks, no prior: %.2f and %.2f LUFS out\n", quiet,
              loud);
  EXPECT_NEAR(quiet, -16, 1.0);
  EXPECT_NEAR(loud, -16, 1.0);
  EXPECT_LT(std::abs(quiet - loud), 1.0);
}

TEST(LoudnessNormalizer, TheTruePeakCeilingHoldsWhenTheGainWouldClip) {
  // Quiet speech with a few loud clicks: the gain that brings the speech up would drive the clicks far past
  // full scale.
  auto x = Scaled(SpeechLike(4.0, kRate), -40);
  for (size_t at : {size_t{30000}, size_t{90001}, size_t{150002}}) {
    for (size_t i = 0; i < 48; ++i) x[at + i] = (i % 2 ? -0.5f : 0.5f);
  }
  for (double ceiling : {-1.0, -3.0}) {
    LoudnessOptions options;
    options.true_peak_dbtp = ceiling;
    auto n = LoudnessNormalizer::Create(kRate, options).value();
    for (size_t chunk : {size_t{480}, size_t{960}, size_t{4801}}) {
      const auto out = Normalize(n, x, chunk);
      EXPECT_LE(Measure(out).true_peak_db, ceiling + 0.3) << "chunks of " << chunk;
      float sample_peak = 0;
      for (float v : out) sample_peak = std::max(sample_peak, std::abs(v));
      EXPECT_LT(sample_peak, 1.0f);
    }
  }
}

TEST(LoudnessNormalizer, APriorMakesTheFirstSecondRight) {
  auto n = LoudnessNormalizer::Create(kRate).value();
  const auto x = Scaled(SpeechLike(3.0, kRate), -30);
  auto first_second = [](std::vector<float> out) {
    out.resize(kRate);
    return Measure(out).lufs;
  };
  // 20 ms chunks: without a prior the first blocks are gained by what little there is; with the voice's
  // loudness from an earlier utterance they are right from the start.
  const double without = first_second(Normalize(n, x, 960));
  const double with = first_second(Normalize(n, x, 960, -30.0));
  EXPECT_NEAR(with, -16, 0.5);
  EXPECT_LE(std::abs(with + 16), std::abs(without + 16) + 0.05) << "without " << without << ", with " << with;
  std::printf("[ LOUDNESS ] first second, 20 ms chunks: %.2f LUFS without a prior, %.2f with\n", without, with);
}

TEST(LoudnessNormalizer, KeepsTheLengthLagsOneBlockAndLeavesSilenceSilent) {
  auto n = LoudnessNormalizer::Create(kRate).value();
  n.Start();
  const auto x = SpeechLike(1.0, kRate);
  auto first = n.Process(std::span<const float>(x.data(), 4800)).value();  // 100 ms: 10 blocks
  EXPECT_EQ(first.size(), 4320u) << "all but the last whole block (its successor's peak is unknown)";
  EXPECT_EQ(Normalize(n, x, 333).size(), x.size());
  const std::vector<float> silence(kRate, 0.0f);
  for (float v : Normalize(n, silence, 960)) ASSERT_EQ(v, 0.0f);
  EXPECT_FALSE(n.measured_lufs()) << "silence has no loudness";
  EXPECT_TRUE(n.Finish().value().empty()) << "a second Finish has nothing left";
}

TEST(LoudnessNormalizer, UtterancesAreIndependent) {
  auto n = LoudnessNormalizer::Create(kRate).value();
  const auto loud = Scaled(SpeechLike(2.0, kRate, 180, 7), -10);
  const auto quiet = Scaled(SpeechLike(2.0, kRate), -34);
  Normalize(n, loud, 960);
  const auto after_loud = Normalize(n, quiet, 960);
  auto fresh = LoudnessNormalizer::Create(kRate).value();
  EXPECT_EQ(after_loud, Normalize(fresh, quiet, 960));
  // Process after Finish starts the next utterance by itself.
  auto part = n.Process(std::span<const float>(quiet.data(), quiet.size())).value();
  EXPECT_FALSE(part.empty());
  EXPECT_NEAR(n.measured_lufs().value(), -34, 0.1);
}

TEST(LoudnessNormalizer, RefusesBadOptionsAndRates) {
  LoudnessOptions o;
  EXPECT_TRUE(o.Validate());
  o.target_lufs = 0;
  EXPECT_EQ(o.Validate().error().code, ErrorCode::kBadRequest);
  o = {};
  o.true_peak_dbtp = 1;
  EXPECT_EQ(LoudnessNormalizer::Create(kRate, o).error().code, ErrorCode::kBadRequest);
  o = {};
  o.max_gain_db = std::nan("");
  EXPECT_FALSE(o.Validate());
  EXPECT_EQ(LoudnessNormalizer::Create(4000).error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace ttsd::codec
