// Reference audio for voice cloning and emotion: the bytes of an audio file (WAV, FLAC, Ogg, ...;
// whatever libsndfile reads) decoded in memory, downmixed to mono, resampled to the voice's rate
// and checked for length and sound. Pure bytes -> Result, so a fuzzer can call it directly.
//   auto ref = DecodeReference(bytes, voice->sample_rate(), limits, "reference 1");
//   if (!ref) reply(ref.error());   // kBadAudio, with a message for the user
// Thread-safety: pure functions, safe from any thread. Runs on inference workers in ttsd.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::daemon {

struct ReferenceLimits {
  double min_file_s = 1.0;    // each file at least
  double max_file_s = 15.0;   // each file at most (config max_reference_s)
  double min_total_s = 3.0;   // the speaker references together at least (config min_reference_s)
  double min_active_s = 0.5;  // sound (20 ms frames louder than active_rms) in each file at least
  float active_rms = 0.01f;   // -40 dBFS

  static constexpr int kMaxChannels = 8;
  static constexpr int kMinRateHz = 4000;
  static constexpr int kMaxRateHz = 192000;
};

struct ReferenceAudio {
  std::vector<float> samples;  // mono, -1..1, at the rate asked for
  double seconds = 0;
  double active_s = 0;  // seconds of 20 ms frames above active_rms
};

// Decodes one file; `what` names it in messages ("reference 2", "emotion reference").
// Errors (all kBadAudio): "not an audio file: <libsndfile's reason>", more than kMaxChannels
// channels or a rate outside kMinRateHz..kMaxRateHz, shorter than min_file_s, longer than
// max_file_s, "silent" (less than min_active_s of sound).
Result<ReferenceAudio> DecodeReference(std::span<const uint8_t> bytes, int rate_hz, const ReferenceLimits& limits,
                                       std::string_view what);

// The speaker references of one request together. Errors: kBadAudio when they last less than
// limits.min_total_s, or there are none.
Status CheckSpeakerReferences(std::span<const ReferenceAudio> references, const ReferenceLimits& limits);

}  // namespace ttsd::daemon
