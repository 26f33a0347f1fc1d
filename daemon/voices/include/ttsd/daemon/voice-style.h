// What a request asks for beyond its text: a speaker cloned from reference recordings and an
// emotion made of explicit weights, a description and a reference recording. Turned into the
// engine's StreamOptions fields; the encoders are model compute, so PrepareStyle runs on an
// inference worker, never on the I/O thread.
//   if (auto s = CheckStyleSupport(*voice, needs); !s) reply(s.error());    // I/O thread, cheap
//   auto style = PrepareStyle(*voice, inputs, limits);                      // a worker
// Thread-safety: pure functions over a const Voice; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ttsd/daemon/reference-audio.h"
#include "ttsd/daemon/voice-store.h"
#include "ttsd/engine/voice.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

// The stages a request needs from its voice.
struct StyleNeeds {
  bool clone = false;          // reference files, or a saved voice
  bool references = false;     // reference files
  bool reference_text = false; // their transcript (token voices)
  bool emotion = false;        // any emotion source
  bool emotion_text = false;   // a description
  bool emotion_audio = false;  // an emotion reference recording

  static StyleNeeds Of(const protocol::SynthesizeRequest& request, bool saved_voice);
};

// Errors: kNotSupported naming the voice and the missing stage; kBadRequest for references to a
// token voice without their transcript (ttsd does not run upstream's reference-free mode).
Status CheckStyleSupport(const engine::Voice& voice, const StyleNeeds& needs);

// A saved voice's speaker on its base voice: whether it fits (Errors: kModelError, made for another
// version of the voice) and the StreamOptions fields that carry it.
Status CheckSavedVoice(const SavedVoice& saved, const engine::Voice& base);
void UseSavedVoice(const SavedVoice& saved, engine::StreamOptions* options);

// The StreamOptions of a synthesize request before any model stage: its text and fields, the saved
// voice's speaker (if any), its explicit emotion weights.
engine::StreamOptions RequestOptions(const protocol::SynthesizeRequest& request, const SavedVoice* saved);

struct StyleInputs {
  std::vector<std::vector<uint8_t>> speaker_files;  // encoded audio files, as sent
  std::optional<std::vector<uint8_t>> emotion_file;
  std::optional<protocol::EmotionWeights> emotion;  // explicit weights
  std::string emotion_text;
  std::string reference_text;  // token voices: what the first speaker file says

  // True when computing the style needs a model (not just the explicit weights).
  bool needs_worker() const { return !speaker_files.empty() || emotion_file || !emotion_text.empty(); }
};

struct Style {
  std::vector<float> speaker_embedding;          // empty: the voice's own speakers
  std::shared_ptr<const engine::TokenReference> token_reference;  // token voices' speaker; null: their own
  std::optional<engine::EmotionVector> emotion;  // the sum of the sources, each axis clipped to 0..1
  uint32_t references = 0;                       // speaker files used
  double reference_s = 0;                        // their total length
};

// Decodes and checks the reference files, embeds the speaker, reads the emotions and adds them up.
// Errors: kBadAudio (a file, or the files together; the message says which), kNotSupported,
// kBadRequest (emotion text the voice refuses), kModelError.
Result<Style> PrepareStyle(const engine::Voice& voice, const StyleInputs& inputs, const ReferenceLimits& limits);

// Explicit weights alone, clipped to 0..1 (no model needed).
engine::EmotionVector ToEmotionVector(const protocol::EmotionWeights& weights);

}  // namespace ttsd::daemon
