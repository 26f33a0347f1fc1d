// The voices a daemon serves, loaded once at start and resident until exit.
//   auto reg = VoiceRegistry::Load(config.voice_dirs, config.default_voice, config.engine);
//   auto v = reg->Find("");                   // the default voice
// Thread-safety: immutable after Load; every method is const and safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ttsd/engine/engine-config.h"
#include "ttsd/engine/voice.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

class VoiceRegistry {
 public:
  // Loads every package in voice_dirs (each a package or a directory of packages) with engine's
  // settings. default_voice empty: the first by name. Errors: kModelError / kIo from a package,
  // kUnknownVoice when default_voice names no loaded voice, kModelError when none loaded or two
  // packages share a name.
  static Result<VoiceRegistry> Load(const std::vector<std::string>& voice_dirs, const std::string& default_voice,
                                    const engine::EngineConfig& engine);

  // Empty name: the default voice. Errors: kUnknownVoice.
  Result<std::shared_ptr<const engine::Voice>> Find(const std::string& name) const;
  const std::string& default_voice() const { return default_voice_; }
  protocol::VoiceList Describe() const;

 private:
  std::map<std::string, std::shared_ptr<const engine::Voice>> voices_;
  std::string default_voice_;
};

}  // namespace ttsd::daemon
