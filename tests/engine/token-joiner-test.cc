// TokenJoiner: which token windows a GPT-SoVITS stream vocodes and how their audio is joined. A
// vocoder that rendered every window alike would give back exactly the whole decode; one whose
// windows differ is faded, with no step at the join; the work per window stays bounded.
#include "../../engine/src/token-joiner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace ttsd::engine {
namespace {

constexpr int kSpt = 8;  // samples per token, small for the test

// The "whole utterance" audio: a slow sine, kSpt samples per token.
float Whole(size_t i) { return std::sin(0.05f * static_cast<float>(i)); }

std::vector<float> Window(const WindowPlan& p, float offset = 0) {
  std::vector<float> out;
  for (size_t i = static_cast<size_t>(p.start) * kSpt; i < static_cast<size_t>(p.end) * kSpt; ++i) {
    out.push_back(Whole(i) + offset);
  }
  return out;
}

TEST(TokenJoiner, WaitsForEnoughTokensBeyondTheLookahead) {
  TokenJoiner j(kSpt, 24, 4, kSpt);
  EXPECT_FALSE(j.Next(9, false, 6));  // 5 beyond the lookahead of 4
  auto p = j.Next(10, false, 6);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->start, 0);
  EXPECT_EQ(p->end, 10);
  EXPECT_EQ(p->emit_from, 0);
  EXPECT_EQ(p->emit_to, 6);
  EXPECT_FALSE(j.Next(0, true, 6));  // nothing at all
  auto fin = j.Next(3, true, 6);     // the end hands out everything, however little
  ASSERT_TRUE(fin);
  EXPECT_EQ(fin->emit_to, 3);
}

TEST(TokenJoiner, IdenticalWindowsGiveTheWholeDecodeBack) {
  TokenJoiner j(kSpt, 24, 4, kSpt);
  std::vector<float> out;
  const int64_t total = 200;
  int64_t ready = 0;
  bool first = true;
  while (j.emitted() < total) {
    ready = std::min<int64_t>(total, ready + 1);
    auto p = j.Next(ready, ready == total, first ? 6 : 24);
    if (!p) continue;
    first = false;
    auto piece = j.Join(Window(*p), *p);
    out.insert(out.end(), piece.begin(), piece.end());
  }
  ASSERT_EQ(out.size(), static_cast<size_t>(total) * kSpt);
  for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], Whole(i), 1e-6) << "sample " << i;
}

TEST(TokenJoiner, DifferingWindowsAreFadedWithoutAStep) {
  TokenJoiner j(kSpt, 24, 4, 4 * kSpt);
  auto p1 = j.Next(10, false, 6);
  ASSERT_TRUE(p1);
  auto a = j.Join(Window(*p1, 0.0f), *p1);
  auto p2 = j.Next(34, false, 24);
  ASSERT_TRUE(p2);
  auto b = j.Join(Window(*p2, 0.2f), *p2);  // this window renders everything 0.2 higher
  ASSERT_FALSE(b.empty());
  // The join starts on the held audio (the first window's) and ends on the new window's.
  const size_t seam = a.size();
  EXPECT_NEAR(b.front(), Whole(seam), 0.02);
  EXPECT_NEAR(b[4 * kSpt], Whole(seam + 4 * kSpt) + 0.2f, 1e-6);
  float largest_step = 0;
  std::vector<float> all(a);
  all.insert(all.end(), b.begin(), b.end());
  for (size_t i = 1; i < all.size(); ++i) largest_step = std::max(largest_step, std::abs(all[i] - all[i - 1]));
  EXPECT_LT(largest_step, 0.1f);  // the sine alone moves by at most 0.05 per sample; the offset is spread out
}

TEST(TokenJoiner, WindowsStayBoundedAsTheUtteranceGrows) {
  TokenJoiner j(kSpt, 24, 4, kSpt);
  int64_t ready = 0;
  int windows = 0;
  while (ready < 1500) {
    ready += 1;
    auto p = j.Next(ready, false, 24);
    if (!p) continue;
    ++windows;
    EXPECT_LE(p->end - p->start, 24 + 24 + 4 + 1) << "window " << windows;
    j.Join(Window(*p), *p);
  }
  EXPECT_GT(windows, 50);
}

}  // namespace
}  // namespace ttsd::engine
