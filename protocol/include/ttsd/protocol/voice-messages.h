// Bodies of the saved-voice frames (protocol version 2): voice_add -> voice_saved, voice_remove ->
// voice_removed, and the rule for saved voice names.
//   auto add = ParseVoiceAdd(frame.payload);   // Result<VoiceAdd>
//   auto bytes = Serialize(VoiceSaved{"anna", "ttsd-en", 2, 9.5});
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/protocol/error.h"
#include "ttsd/protocol/limits.h"

namespace ttsd::protocol {

// Saved voice names: 1 to kMaxSavedVoiceNameBytes characters of A-Z a-z 0-9 _ . - , not starting with '.'.
bool IsValidSavedVoiceName(std::string_view name);

// Clone a speaker from `references` files (sent as kReference frames) and save it under `name`.
struct VoiceAdd {
  std::string name;
  std::string voice;        // the base voice package; empty: the server's default voice
  uint32_t references = 0;  // 1..kMaxReferences
  bool replace = false;     // overwrite a saved voice of that name (else kVoiceExists)
  // Token voices (GPT-SoVITS): what the first file says (CheckReferenceText); they need it.
  std::string reference_text = {};
};

// The voice is on disk for good.
struct VoiceSaved {
  std::string name;
  std::string voice;        // the base voice package, resolved
  uint32_t references = 0;
  double seconds = 0;       // total length of the references
};

struct VoiceRemove {
  std::string name;
};

struct VoiceRemoved {
  std::string name;
};

// Errors: kMalformedFrame (not a JSON object), kBadRequest (wrong types, a bad name, references
// out of 1..kMaxReferences); unknown fields are ignored.
Result<VoiceAdd> ParseVoiceAdd(std::span<const uint8_t> payload);
Result<VoiceSaved> ParseVoiceSaved(std::span<const uint8_t> payload);
Result<VoiceRemove> ParseVoiceRemove(std::span<const uint8_t> payload);
Result<VoiceRemoved> ParseVoiceRemoved(std::span<const uint8_t> payload);

std::vector<uint8_t> Serialize(const VoiceAdd& m);
std::vector<uint8_t> Serialize(const VoiceSaved& m);
std::vector<uint8_t> Serialize(const VoiceRemove& m);
std::vector<uint8_t> Serialize(const VoiceRemoved& m);

}  // namespace ttsd::protocol
