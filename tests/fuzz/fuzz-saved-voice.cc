// Fuzzes the saved-voice reader (daemon/voices/include/ttsd/daemon/voice-store.h): a NAME.json file
// of the voice store, with a native voice's embedding or a GPT-SoVITS voice's reference (ids, base64
// float32 arrays through OpenSSL). Checks, beyond the sanitizers: only kIo errors; what is accepted
// holds exactly one speaker, finite floats, whole spectrogram frames, and writes back to a file that
// reads as the same voice.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz-check.h"
#include "ttsd/daemon/voice-store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto voice = ttsd::daemon::ParseSavedVoice(text, "anna");
  if (!voice) {
    FUZZ_CHECK(voice.error().code == ttsd::ErrorCode::kIo, "an unexpected error code");
    return 0;
  }
  FUZZ_CHECK(voice->name == "anna", "another name");
  FUZZ_CHECK(voice->embedding.empty() == (voice->reference != nullptr), "not exactly one speaker");
  for (float x : voice->embedding) FUZZ_CHECK(std::isfinite(x), "an embedding number that is not finite");
  if (const auto& r = voice->reference) {
    FUZZ_CHECK(r->spectrogram_bins > 0 && r->spectrogram.size() % static_cast<size_t>(r->spectrogram_bins) == 0,
               "a spectrogram of partial frames");
    for (float x : r->spectrogram) FUZZ_CHECK(std::isfinite(x), "a spectrogram number that is not finite");
    for (float x : r->speaker) FUZZ_CHECK(std::isfinite(x), "a speaker number that is not finite");
  }
  auto again = ttsd::daemon::ParseSavedVoice(ttsd::daemon::SerializeSavedVoice(*voice), "anna");
  FUZZ_CHECK(again.has_value(), "a voice it wrote does not read back");
  FUZZ_CHECK(again->embedding == voice->embedding && again->voice == voice->voice, "read back differently");
  if (voice->reference) {
    FUZZ_CHECK(again->reference && again->reference->prompts == voice->reference->prompts &&
                   again->reference->phone_ids == voice->reference->phone_ids &&
                   again->reference->text == voice->reference->text,
               "its reference read back differently");
  }
  return 0;
}
