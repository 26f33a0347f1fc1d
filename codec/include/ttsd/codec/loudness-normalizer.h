// Evens out speech loudness utterance by utterance while it streams: EBU R128 loudness (libebur128) measured
// on the utterance so far, a gain that brings it to a target (default -16 LUFS, what streaming platforms
// normalize to), and a true-peak limiter (default -1 dBTP) so that the gain never clips.
//   auto n = LoudnessNormalizer::Create(48000).value();
//   n.Start(prior);                 // a new utterance; prior: its voice's loudness last time, if known
//   for (chunk : chunks) send(*n.Process(chunk));
//   send(*n.Finish());              // the held-back block; n.measured_lufs() is this utterance's loudness
// Thread-safety: one thread at a time. Spans returned stay valid until the next call.
//
// How it decides. Audio is cut into 10 ms blocks. Each chunk is measured as soon as it arrives (so a chunk is
// its own look-ahead: the first block of a 1 s chunk is gained by what the whole second sounds like), then
// each block gets the gain target - estimate, where the estimate is the utterance's integrated loudness so
// far blended with the prior (the prior weighs as much as kPriorWeightS seconds of measurement; without a
// prior and before 400 ms of audio, the loudness of what there is once there is kFirstEstimateS of it; until
// then the audio passes unchanged). The gain moves at most kFastSlewDbPerS in
// the first second and kSlewDbPerS after, except that the first block with anything to measure takes it at
// once, and stays within [-kMaxCutDb, max_gain_db]. The limiter knows each
// block's true peak (libebur128's 4x oversampling) before it lets the block before it out, ramps down across
// that block so the loud one starts at a safe gain, and recovers at kReleaseDbPerS. So output lags input by
// one block (10 ms) until Finish.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::codec {

struct LoudnessOptions {
  double target_lufs = -16;       // integrated loudness to bring each utterance to
  double true_peak_dbtp = -1;     // ceiling for the output's true peak
  double max_gain_db = 20;        // a whisper is not brought up further than this
  // Errors: kBadRequest naming the field (target -70..-5 LUFS, ceiling -20..0 dBTP, max gain 0..40 dB).
  Status Validate() const;
};

class LoudnessNormalizer {
 public:
  static constexpr double kBlockS = 0.010;
  static constexpr double kPriorWeightS = 1.0;
  static constexpr double kSlewDbPerS = 12.0;
  static constexpr double kFastSlewDbPerS = 40.0;  // over the first kFastSlewS of an utterance, while the
  static constexpr double kFastSlewS = 1.0;         // estimate is still settling
  static constexpr double kFirstEstimateS = 0.2;    // less audio than this says too little about a voice
  static constexpr double kReleaseDbPerS = 40.0;
  static constexpr double kMaxCutDb = 30.0;

  // Errors: kBadRequest (options, or a rate outside 8000..192000), kInternal (libebur128 refused).
  static Result<LoudnessNormalizer> Create(uint32_t sample_rate_hz, LoudnessOptions options = {});

  LoudnessNormalizer(LoudnessNormalizer&&) noexcept;
  LoudnessNormalizer& operator=(LoudnessNormalizer&&) noexcept;
  ~LoudnessNormalizer();

  // A new utterance: measurement starts over, anything held from the last one is dropped (call Finish to
  // have it). prior_lufs: what this voice measured before (measured_lufs of an earlier utterance), if known.
  void Start(std::optional<double> prior_lufs = std::nullopt);
  // input: mono samples in [-1, 1]; returns the samples ready (all but the last, unfinished block).
  // Errors: kInternal (libebur128 failed; the utterance then passes through at the gain it had).
  Result<std::span<const float>> Process(std::span<const float> input);
  // The end of the utterance: the samples held back. Start is implied for what comes next.
  Result<std::span<const float>> Finish();

  // The utterance's integrated loudness so far (gated, as R128 measures it); nullopt before 400 ms of
  // audio above the gate. A good prior for the voice's next utterance.
  std::optional<double> measured_lufs() const;
  // The gain applied to the last block handed out, in dB (the loudness gain and the limiter together).
  double last_gain_db() const { return last_gain_db_; }
  uint32_t sample_rate_hz() const { return rate_; }
  const LoudnessOptions& options() const { return options_; }

 private:
  struct Meter;
  LoudnessNormalizer(uint32_t rate, LoudnessOptions options, std::unique_ptr<Meter> meter);
  Status Measure(std::span<const float> input);
  std::optional<double> DesiredGainDb() const;  // nullopt: nothing to go by yet
  void EmitBlocks(bool finish);

  uint32_t rate_;
  LoudnessOptions options_;
  std::unique_ptr<Meter> meter_;
  size_t block_;                    // samples per block
  std::optional<double> prior_lufs_;
  std::vector<float> pending_;      // measured input not yet handed out, from a block boundary
  std::vector<double> block_peaks_; // the true peak of each whole block of pending_, linear
  std::vector<float> out_;
  uint64_t measured_samples_ = 0;
  bool started_ = false;            // a block of this utterance has been handed out
  double agc_db_ = 0;               // the loudness gain of the last block handed out
  double limit_ = 1;                // the limiter's gain at the start of the next block, linear
  double last_gain_db_ = 0;
  double partial_peak_ = 0;         // true peak of pending_'s unfinished block so far
  bool finished_ = false;           // Finish was called: the next Process starts a new utterance
};

}  // namespace ttsd::codec
