// Mono sample-rate conversion through libsoxr (high quality, linear phase): streaming, chunk by chunk, or
// one-shot over a whole signal, between any two rates in kMinRateHz..kMaxRateHz. ttsd's only user of soxr.
//   auto r = Resampler::Create(16000).value();   // -> 48 kHz; for (chunk : chunks) use(*r.Process(chunk)); use(*r.Flush());
//   auto whole = Resampler::Convert(samples, 44100, 22050);  // Result<std::vector<float>>
// Thread-safety: an instance is used by one thread at a time; Convert is a pure function. Spans returned by
// Process and Flush stay valid until the next call.
//
// Output is aligned with the input (soxr removes its filter delay): after Flush, the output holds exactly
// round(input_samples * output_rate / input_rate) samples. While streaming, soxr works in blocks and holds
// back up to ~30 ms of output for 16 kHz input (~15 ms once running); Flush hands out the rest. At equal
// rates the samples pass through untouched and nothing is held back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ttsd/protocol/error.h"

struct soxr;  // libsoxr's soxr_t points at this

namespace ttsd::codec {

class Resampler {
 public:
  static constexpr uint32_t kOpusRateHz = 48000;
  static constexpr uint32_t kMinRateHz = 1000;
  static constexpr uint32_t kMaxRateHz = 384000;

  // Errors: kBadRequest (a rate outside kMinRateHz..kMaxRateHz), kInternal (soxr refused).
  static Result<Resampler> Create(uint32_t input_rate_hz, uint32_t output_rate_hz = kOpusRateHz);

  // A whole signal at once: input (mono, borrowed for the call) at input_rate_hz, returned at
  // output_rate_hz. Equal rates or no input return the input as it is.
  // Errors: kBadRequest (a rate outside kMinRateHz..kMaxRateHz), kInternal ("libsoxr: ..." when soxr fails).
  static Result<std::vector<float>> Convert(std::span<const float> input, uint32_t input_rate_hz,
                                            uint32_t output_rate_hz);

  Resampler(Resampler&&) noexcept = default;
  Resampler& operator=(Resampler&&) noexcept = default;
  ~Resampler();

  // input: mono samples in [-1, 1] (float) or full-scale int16; borrowed for the call. Returns the output
  // ready so far (possibly empty). Process after Flush starts a fresh signal.
  // Errors: kInternal ("libsoxr: ...") when soxr fails; the signal so far is then lost and the
  // resampler starts a fresh one.
  Result<std::span<const float>> Process(std::span<const float> input);
  Result<std::span<const float>> Process(std::span<const int16_t> input);
  // End of input: returns what soxr still holds and resets for a fresh signal. Errors: as Process.
  Result<std::span<const float>> Flush();

  uint32_t input_rate_hz() const { return input_rate_hz_; }
  uint32_t output_rate_hz() const { return output_rate_hz_; }
  bool passthrough() const { return input_rate_hz_ == output_rate_hz_; }
  uint64_t input_samples() const { return input_samples_; }    // since Create or the last Flush
  uint64_t output_samples() const { return output_samples_; }  // since Create or the last Flush

 private:
  struct SoxrDeleter {
    void operator()(soxr* s) const;
  };

  Resampler(uint32_t input_rate_hz, uint32_t output_rate_hz, soxr* s)
      : input_rate_hz_(input_rate_hz), output_rate_hz_(output_rate_hz), soxr_(s) {}
  Result<std::span<const float>> Run(const float* input, size_t samples);  // input null: end of input
  void Restart();  // forgets the signal so far

  uint32_t input_rate_hz_;
  uint32_t output_rate_hz_;
  std::unique_ptr<soxr, SoxrDeleter> soxr_;  // null when passthrough()
  std::vector<float> converted_;  // int16 input as float
  std::vector<float> out_;
  uint64_t input_samples_ = 0;
  uint64_t output_samples_ = 0;
};

}  // namespace ttsd::codec
