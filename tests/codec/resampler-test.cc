// Resampler: lengths, a sine's frequency and level, int16 input, passthrough, chunking, reuse after Flush,
// one-shot Convert between arbitrary rates.
#include "ttsd/codec/resampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <utility>
#include <vector>

namespace ttsd::codec {
namespace {

std::vector<float> Sine(double freq_hz, uint32_t rate_hz, size_t n, double amplitude = 0.5) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * freq_hz * static_cast<double>(i) / rate_hz));
  }
  return v;
}

std::vector<float> ResampleAll(Resampler& r, const std::vector<float>& in, size_t chunk) {
  std::vector<float> out;
  for (size_t at = 0; at < in.size(); at += chunk) {
    const size_t n = std::min(chunk, in.size() - at);
    auto part = r.Process(std::span<const float>(in.data() + at, n)).value();
    out.insert(out.end(), part.begin(), part.end());
  }
  auto rest = r.Flush().value();
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

// Frequency of the strongest bin near `around_hz` (a one-bin DFT scan at 1 Hz steps).
double PeakFrequency(const std::vector<float>& x, uint32_t rate_hz, double around_hz) {
  double best_f = 0, best_p = -1;
  for (double f = around_hz - 50; f <= around_hz + 50; f += 1) {
    double re = 0, im = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double ph = 2 * std::numbers::pi * f * static_cast<double>(i) / rate_hz;
      re += x[i] * std::cos(ph);
      im -= x[i] * std::sin(ph);
    }
    const double p = re * re + im * im;
    if (p > best_p) best_p = p, best_f = f;
  }
  return best_f;
}

double Rms(std::span<const float> x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return x.empty() ? 0 : std::sqrt(s / static_cast<double>(x.size()));
}

TEST(Resampler, OutputLengthMatchesTheRatioAfterFlush) {
  for (uint32_t rate : {16000u, 22050u, 24000u, 44100u}) {
    auto r = Resampler::Create(rate);
    ASSERT_TRUE(r.has_value()) << rate;
    const size_t n = rate * 2 + 123;  // 2 s and change
    auto out = ResampleAll(*r, Sine(440, rate, n), 320);
    const double expected = static_cast<double>(n) * 48000 / rate;
    EXPECT_NEAR(static_cast<double>(out.size()), expected, 1.0) << rate;
  }
}

TEST(Resampler, SineKeepsItsFrequencyAndLevel) {
  auto r = Resampler::Create(16000);
  ASSERT_TRUE(r.has_value());
  auto out = ResampleAll(*r, Sine(1000, 16000, 16000), 320);
  ASSERT_EQ(out.size(), 48000u);
  // Skip the edges, where the filter sees the start and end of the signal.
  std::vector<float> middle(out.begin() + 4800, out.end() - 4800);
  EXPECT_NEAR(PeakFrequency(middle, 48000, 1000), 1000.0, 1.0);
  EXPECT_NEAR(Rms(middle), 0.5 / std::sqrt(2.0), 0.01);
  // Aligned with the input: output sample 3k is input sample k (no filter delay left in).
  const auto expected = Sine(1000, 48000, 48000);
  for (size_t i = 4800; i < 4900; ++i) EXPECT_NEAR(out[i], expected[i], 0.01) << i;
}

TEST(Resampler, Int16InputIsScaledToFloat) {
  auto r = Resampler::Create(16000);
  ASSERT_TRUE(r.has_value());
  const auto sine = Sine(500, 16000, 8000);
  std::vector<int16_t> s16(sine.size());
  for (size_t i = 0; i < sine.size(); ++i) s16[i] = static_cast<int16_t>(std::lround(sine[i] * 32767));
  std::vector<float> out;
  for (size_t at = 0; at < s16.size(); at += 160) {
    auto part = r->Process(std::span<const int16_t>(s16.data() + at, 160));
    ASSERT_TRUE(part.has_value());
    out.insert(out.end(), part->begin(), part->end());
  }
  auto rest = r->Flush().value();
  out.insert(out.end(), rest.begin(), rest.end());
  ASSERT_EQ(out.size(), 24000u);
  EXPECT_NEAR(Rms(std::span<const float>(out).subspan(2400, 19200)), 0.5 / std::sqrt(2.0), 0.01);
}

TEST(Resampler, ChunkingDoesNotChangeTheOutput) {
  const auto in = Sine(300, 16000, 20000);
  auto a = Resampler::Create(16000), b = Resampler::Create(16000);
  ASSERT_TRUE(a && b);
  auto whole = ResampleAll(*a, in, in.size());
  auto chunked = ResampleAll(*b, in, 77);
  ASSERT_EQ(whole.size(), chunked.size());
  for (size_t i = 0; i < whole.size(); ++i) ASSERT_NEAR(whole[i], chunked[i], 1e-5) << i;
}

TEST(Resampler, FlushStartsAFreshSignal) {
  auto r = Resampler::Create(16000);
  ASSERT_TRUE(r.has_value());
  const auto in = Sine(700, 16000, 4000);
  auto first = ResampleAll(*r, in, 320);
  EXPECT_EQ(r->input_samples(), 0u);
  auto second = ResampleAll(*r, in, 320);
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) ASSERT_NEAR(first[i], second[i], 1e-5) << i;
}

TEST(Resampler, EqualRatesPassThroughUntouchedAndAtOnce) {
  auto r = Resampler::Create(48000);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->passthrough());
  const auto in = Sine(1000, 48000, 960);
  auto out = r->Process(in).value();
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out[i], in[i]);
  EXPECT_TRUE(r->Flush().value().empty());
}

TEST(Resampler, RefusesRatesOutOfRange) {
  EXPECT_EQ(Resampler::Create(0).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(Resampler::Create(999).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(Resampler::Create(16000, 10'000'000).error().code, ErrorCode::kBadRequest);
}

TEST(Resampler, ConvertsBetweenArbitraryRates) {
  // Reference audio arrives at whatever rate it was recorded at and goes to the voice's rate.
  const std::pair<uint32_t, uint32_t> cases[] = {{44100, 22050}, {8000, 24000}, {48000, 16000}, {22050, 44100}};
  for (auto [from, to] : cases) {
    const size_t n = from + 77;  // 1 s and change
    auto out = Resampler::Convert(Sine(440, from, n), from, to);
    ASSERT_TRUE(out.has_value()) << from << " -> " << to;
    EXPECT_NEAR(static_cast<double>(out->size()), static_cast<double>(n) * to / from, 1.0) << from << " -> " << to;
    std::vector<float> middle(out->begin() + to / 10, out->end() - to / 10);
    EXPECT_NEAR(PeakFrequency(middle, to, 440), 440.0, 1.0) << from << " -> " << to;
    EXPECT_NEAR(Rms(middle), 0.5 / std::sqrt(2.0), 0.01) << from << " -> " << to;
  }
}

TEST(Resampler, ConvertAgreesWithStreaming) {
  const auto in = Sine(300, 16000, 20000);
  auto whole = Resampler::Convert(in, 16000, 24000);
  auto r = Resampler::Create(16000, 24000);
  ASSERT_TRUE(whole && r);
  auto streamed = ResampleAll(*r, in, 320);
  ASSERT_EQ(whole->size(), streamed.size());
  for (size_t i = 0; i < streamed.size(); ++i) ASSERT_NEAR((*whole)[i], streamed[i], 1e-4) << i;
}

TEST(Resampler, ConvertPassesEqualRatesAndEmptyInputThrough) {
  const auto in = Sine(1000, 22050, 500);
  auto same = Resampler::Convert(in, 22050, 22050);
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(*same, in);
  auto empty = Resampler::Convert({}, 44100, 16000);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(Resampler, ConvertRefusesRatesOutOfRange) {
  const auto in = Sine(440, 16000, 1600);
  EXPECT_EQ(Resampler::Convert(in, 0, 16000).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(Resampler::Convert(in, 16000, 999).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(Resampler::Convert(in, 16000, Resampler::kMaxRateHz + 1).error().code, ErrorCode::kBadRequest);
}

TEST(Resampler, StreamsBetweenArbitraryRates) {
  auto r = Resampler::Create(44100, 16000);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->passthrough());
  auto out = ResampleAll(*r, Sine(440, 44100, 44100), 441);
  EXPECT_NEAR(static_cast<double>(out.size()), 16000.0, 1.0);
  std::vector<float> middle(out.begin() + 1600, out.end() - 1600);
  EXPECT_NEAR(PeakFrequency(middle, 16000, 440), 440.0, 1.0);
}

}  // namespace
}  // namespace ttsd::codec
