// Fuzzes the reference-audio reader (daemon/voices/include/ttsd/daemon/reference-audio.h): the bytes of an
// uploaded audio file through libsndfile (WAV, FLAC, Ogg, ... from memory), downmix, libsoxr and
// the length and loudness checks. Checks, beyond the sanitizers: accepted audio is finite, within
// the limits it was checked against, and as long as it says at the rate asked for.
// Input: byte 0 picks the voice's rate (16, 22.05, 24 or 48 kHz); the rest is the file.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz-check.h"
#include "ttsd/daemon/reference-audio.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  constexpr int kRates[] = {16000, 22050, 24000, 48000};
  const int rate = kRates[data[0] % 4];
  const ttsd::daemon::ReferenceLimits limits;
  auto ref = ttsd::daemon::DecodeReference(std::span<const uint8_t>(data + 1, size - 1), rate, limits, "reference");
  if (!ref) {
    FUZZ_CHECK(ref.error().code == ttsd::ErrorCode::kBadAudio || ref.error().code == ttsd::ErrorCode::kInternal,
               "an unexpected error code");
    return 0;
  }
  FUZZ_CHECK(ref->seconds >= limits.min_file_s && ref->seconds <= limits.max_file_s + 0.001, "length outside the limits");
  FUZZ_CHECK(ref->active_s >= limits.min_active_s, "accepted audio that is silent");
  const double expected = ref->seconds * rate;
  FUZZ_CHECK(std::abs(static_cast<double>(ref->samples.size()) - expected) <= 0.01 * expected + 64,
             "sample count does not match the length");
  for (float x : ref->samples) FUZZ_CHECK(std::isfinite(x), "a sample that is not finite");
  const ttsd::daemon::ReferenceAudio refs[] = {*ref};
  (void)ttsd::daemon::CheckSpeakerReferences(refs, limits);
  return 0;
}
