#include "token-joiner.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ttsd::engine {

std::optional<WindowPlan> TokenJoiner::Next(int64_t ready, bool final, int64_t min_new) const {
  WindowPlan p;
  p.emit_from = emitted_;
  p.emit_to = final ? ready : ready - lookahead_;
  if (p.emit_to <= p.emit_from || (!final && p.emit_to - p.emit_from < min_new)) return std::nullopt;
  p.start = std::max<int64_t>(0, emitted_ - left_context_);
  p.end = ready;
  return p;
}

std::vector<float> TokenJoiner::Join(std::span<const float> window_audio, const WindowPlan& plan) {
  const size_t spt = static_cast<size_t>(samples_per_token_);
  const size_t from = static_cast<size_t>(plan.emit_from - plan.start) * spt;
  const size_t to = std::min(window_audio.size(), static_cast<size_t>(plan.emit_to - plan.start) * spt);
  std::vector<float> out(window_audio.begin() + static_cast<std::ptrdiff_t>(std::min(from, to)),
                         window_audio.begin() + static_cast<std::ptrdiff_t>(to));
  // Raised-cosine fade from the previous decode of these samples into this one.
  const size_t fade = std::min({static_cast<size_t>(fade_samples_), held_.size(), out.size()});
  for (size_t i = 0; i < fade; ++i) {
    const float w = 0.5f - 0.5f * std::cos(std::numbers::pi_v<float> * (static_cast<float>(i) + 0.5f) / fade);
    out[i] = held_[i] * (1.0f - w) + out[i] * w;
  }
  held_.assign(window_audio.begin() + static_cast<std::ptrdiff_t>(to), window_audio.end());
  emitted_ = plan.emit_to;
  return out;
}

void TokenJoiner::Reset() {
  emitted_ = 0;
  held_.clear();
}

}  // namespace ttsd::engine
