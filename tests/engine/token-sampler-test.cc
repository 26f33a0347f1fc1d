// TokenSampler: a token voice's draws in C++ (upstream's steps: penalty, top-p, temperature, top-k,
// then an exponential race). Checked against the distributions they should give, on either libtorch.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "../../engine/src/token-sampler.h"

namespace ttsd::engine {
namespace {

torch::Tensor Logits(std::vector<float> v) { return torch::tensor(v).view({1, -1}); }
torch::Tensor Previous(std::vector<int64_t> v) { return torch::tensor(v, torch::kLong).view({1, -1}); }

// Frequencies of each token over n draws from log(p).
std::vector<double> Frequencies(const std::vector<float>& p, const Sampling& s, int n = 10000) {
  TokenSampler sampler(torch::kCPU, 7);
  std::vector<float> logits;
  for (float x : p) logits.push_back(std::log(x));
  std::vector<double> f(p.size(), 0.0);
  for (int i = 0; i < n; ++i) f[static_cast<size_t>(sampler.Next(Logits(logits), Previous({0}), s, -1).token)] += 1.0 / n;
  return f;
}

void ExpectNear(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 0.015) << "token " << i;
}

const Sampling kPlain{.top_k = 0, .top_p = 1.0, .temperature = 1.0, .repetition_penalty = 1.0};

TEST(TokenSampler, DrawsInProportionToTheProbabilities) {
  ExpectNear(Frequencies({0.5f, 0.3f, 0.2f}, kPlain), {0.5, 0.3, 0.2});
}

TEST(TokenSampler, TemperatureSharpensOrFlattens) {
  Sampling s = kPlain;
  s.temperature = 0.5;  // p^2, renormalised
  ExpectNear(Frequencies({0.5f, 0.3f, 0.2f}, s), {0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38});
  s.temperature = 2.0;  // sqrt(p), renormalised
  const double z = std::sqrt(0.5) + std::sqrt(0.3) + std::sqrt(0.2);
  ExpectNear(Frequencies({0.5f, 0.3f, 0.2f}, s), {std::sqrt(0.5) / z, std::sqrt(0.3) / z, std::sqrt(0.2) / z});
}

TEST(TokenSampler, TopPKeepsTheTokensBeforeTheCumulativeMassPassesIt) {
  // Upstream's rule: a token goes once the mass up to and including it exceeds top_p; the likeliest stays.
  Sampling s = kPlain;
  s.top_p = 0.85;  // cumulative 0.5, 0.8, 1.0: the third goes
  ExpectNear(Frequencies({0.5f, 0.3f, 0.2f}, s), {0.625, 0.375, 0.0});
  s.top_p = 0.1;  // only the likeliest
  ExpectNear(Frequencies({0.5f, 0.3f, 0.2f}, s), {1.0, 0.0, 0.0});
}

TEST(TokenSampler, TopKKeepsTheKLikeliest) {
  Sampling s = kPlain;
  s.top_k = 2;
  ExpectNear(Frequencies({0.2f, 0.5f, 0.3f}, s), {0.0, 0.625, 0.375});
  s.top_k = 1;  // greedy
  ExpectNear(Frequencies({0.2f, 0.5f, 0.3f}, s), {0.0, 1.0, 0.0});
}

TEST(TokenSampler, RepetitionPenaltyLowersTokensSeenBefore) {
  TokenSampler sampler(torch::kCPU, 1);
  Sampling greedy = kPlain;
  greedy.top_k = 1;
  // Positive logits are divided, negative ones multiplied: 1.5 -> 0.75 falls below 1.0.
  greedy.repetition_penalty = 2.0;
  EXPECT_EQ(sampler.Next(Logits({1.5f, 1.0f, -1.0f}), Previous({0}), greedy, -1).token, 1);
  EXPECT_EQ(sampler.Next(Logits({1.5f, 1.0f, -1.0f}), Previous({2}), greedy, -1).token, 0);
  greedy.repetition_penalty = 1.0;
  EXPECT_EQ(sampler.Next(Logits({1.5f, 1.0f, -1.0f}), Previous({0}), greedy, -1).token, 0);
  // A token seen twice is penalised once.
  greedy.repetition_penalty = 1.2;
  EXPECT_EQ(sampler.Next(Logits({1.1f, 1.0f, 0.0f}), Previous({0, 0}), greedy, -1).token, 1);
}

TEST(TokenSampler, SaysWhenTheEndIsTheLikeliest) {
  TokenSampler sampler(torch::kCPU, 1);
  const Sampling s = kPlain;
  EXPECT_TRUE(sampler.Next(Logits({0.0f, 0.0f, 9.0f}), Previous({0}), s, 2).likeliest_is);
  EXPECT_FALSE(sampler.Next(Logits({9.0f, 0.0f, 0.0f}), Previous({1}), s, 2).likeliest_is);
  EXPECT_FALSE(sampler.Next(Logits({0.0f, 0.0f, 9.0f}), Previous({0}), s, -1).likeliest_is);
}

TEST(TokenSampler, ASeedGivesItsOwnSequenceWhateverElseDraws) {
  auto draws = [](std::optional<uint64_t> seed, bool disturb) {
    TokenSampler sampler(torch::kCPU, seed);
    std::vector<int64_t> out;
    for (int i = 0; i < 64; ++i) {
      if (disturb) (void)torch::rand({1000});  // the global generator moves; this one must not
      out.push_back(sampler.Next(torch::zeros({1, 1024}), Previous({0}), kPlain, -1).token);
    }
    return out;
  };
  EXPECT_EQ(draws(5, false), draws(5, true));
  EXPECT_NE(draws(5, false), draws(6, false));
  EXPECT_NE(draws(std::nullopt, false), draws(std::nullopt, false));
}

}  // namespace
}  // namespace ttsd::engine
