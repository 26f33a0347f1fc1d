// The daemon's voices as Wyoming clients see them: the `info` answer to `describe` (one TTS
// program, "ttsd", with every voice package and saved voice), and the voice a `synthesize` or
// `synthesize-start` event asks for.
//   Send("info", WyomingInfo(*context));
//   auto choice = ResolveWyomingVoice(*context, event.data["voice"]);  // Result<WyomingVoiceChoice>
// Thread-safety: I/O thread (the SessionContext's voices and store are safe to read there).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ttsd/daemon/session.h"

namespace ttsd::daemon {

struct WyomingVoiceChoice {
  ResolvedVoice voice;
  std::string speaker;  // empty: the voice's default speaker (or a saved voice's own)
};

nlohmann::json WyomingInfo(const SessionContext& context);

// voice: the event's `voice` object ({name, language, speaker}, each optional) or null. A name picks
// a package or a saved voice; else a language picks the default voice if it speaks it, else the
// first voice by name that does ("en" matches "en-us", "en_US" matches "en-us"); else the default.
// Errors: kBadRequest (fields of the wrong type, a speaker for a saved voice), kUnknownVoice,
// kModelError (a saved voice made for another version of its package).
Result<WyomingVoiceChoice> ResolveWyomingVoice(const SessionContext& context, const nlohmann::json& voice);

}  // namespace ttsd::daemon
