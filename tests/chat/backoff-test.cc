// Backoff: waits double up to the cap, each drawn within [half, all] of its step, and Reset starts over.
#include <gtest/gtest.h>

#include <set>

#include "ttsd/chat/backoff.h"

namespace ttsd::chat {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesWithJitterUpToTheCap) {
  for (int round = 0; round < 50; ++round) {
    Backoff b(milliseconds(100), milliseconds(1000));
    const long long steps[] = {100, 200, 400, 800, 1000, 1000, 1000};
    for (long long step : steps) {
      const long long w = b.Next().count();
      EXPECT_GE(w, step / 2);
      EXPECT_LE(w, step);
    }
    b.Reset();
    EXPECT_LE(b.Next().count(), 100);
  }
}

TEST(Backoff, JitterSpreadsTheWaits) {
  Backoff b(milliseconds(1000), milliseconds(1000));
  std::set<long long> seen;
  for (int i = 0; i < 100; ++i) seen.insert(b.Next().count());
  EXPECT_GT(seen.size(), 20u);
}

}  // namespace
}  // namespace ttsd::chat
