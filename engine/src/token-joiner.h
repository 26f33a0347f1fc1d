// Streams one sentence's audio out of overlapping vocoder windows. GPT-SoVITS's vocoder reads its
// whole token sequence both ways, so the audio of the newest tokens changes once more follow: each
// window re-decodes a bounded left context, the last `lookahead` tokens' audio is held back until the
// next window, and each join fades from the held audio into the new decode of the same samples.
//   TokenJoiner j(1280, 24, 4, 1280);
//   if (auto plan = j.Next(ready, eos, 10)) out = j.Join(vocode(tokens[plan->start, plan->end)), *plan);
// Thread-safety: a plain value; one per stream.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ttsd::engine {

// How token voices stream (Stream::NextTokens): hand out 6 tokens (0.24 s) first, then 24 (0.96 s)
// at a time; re-decode 24 tokens of context to the left, hold the newest 4 back, fade over one token
// (40 ms at 32 kHz) at each join.
struct TokenSchedule {
  static constexpr int64_t kFirstTokens = 6, kChunkTokens = 24;
  static constexpr int kLeftContext = 24, kLookahead = 4, kFadeSamples = 1280;
};

// A window to decode, tokens [start, end), of which [emit_from, emit_to) are handed out now.
struct WindowPlan {
  int64_t start = 0, end = 0, emit_from = 0, emit_to = 0;
};

class TokenJoiner {
 public:
  TokenJoiner(int samples_per_token, int left_context, int lookahead, int fade_samples)
      : samples_per_token_(samples_per_token), left_context_(left_context), lookahead_(lookahead),
        fade_samples_(fade_samples) {}

  // The next window once `ready` tokens exist: at least `min_new` tokens to hand out beyond the
  // lookahead, or, when `final`, everything left (nullopt when nothing is).
  std::optional<WindowPlan> Next(int64_t ready, bool final, int64_t min_new) const;
  // The samples of plan's emitted tokens, given the window's audio (samples_per_token per token),
  // faded in over the previous window's held audio.
  std::vector<float> Join(std::span<const float> window_audio, const WindowPlan& plan);

  int64_t emitted() const { return emitted_; }  // tokens handed out so far
  void Reset();                                  // a new sentence

 private:
  int samples_per_token_, left_context_, lookahead_, fade_samples_;
  int64_t emitted_ = 0;
  std::vector<float> held_;  // the last window's audio from emitted_ on
};

}  // namespace ttsd::engine
