// Exponential backoff with jitter for reconnecting: each failure doubles the wait up to a cap, and the
// wait drawn is uniform in [half, all] of it, so many clients that lost the same server spread out.
//   Backoff b; auto wait = b.Next();  // after a failure;  b.Reset();  // after a success
// Thread-safety: one owner thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace ttsd::chat {

class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds first = std::chrono::milliseconds(500),
                   std::chrono::milliseconds cap = std::chrono::seconds(30))
      : first_(first), cap_(std::max(cap, first)), next_(first), rng_(std::random_device{}()) {}

  // The wait before the next attempt; the one after will be twice as long (up to the cap).
  std::chrono::milliseconds Next() {
    const auto base = next_;
    next_ = std::min(cap_, next_ * 2);
    std::uniform_int_distribution<long long> jitter(base.count() / 2, base.count());
    return std::chrono::milliseconds(jitter(rng_));
  }
  void Reset() { next_ = first_; }

 private:
  std::chrono::milliseconds first_, cap_, next_;
  std::mt19937_64 rng_;
};

}  // namespace ttsd::chat
