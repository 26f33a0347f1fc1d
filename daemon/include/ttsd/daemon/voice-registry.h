// The voices a daemon serves, loaded once at start and resident until exit.
//   auto reg = VoiceRegistry::Load(config);  // Result<VoiceRegistry>
//   auto v = reg->Find("");                   // the default voice
// Thread-safety: immutable after Load; every method is const and safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ttsd/daemon/daemon-config.h"
#include "ttsd/engine/voice.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

class VoiceRegistry {
 public:
  // Loads every package under config.voice_dirs. Errors: kModelError / kIo from a package,
  // kUnknownVoice when config.default_voice names no loaded voice, kModelError when none loaded
  // or two packages share a name.
  static Result<VoiceRegistry> Load(const DaemonConfig& config);

  // Empty name: the default voice. Errors: kUnknownVoice.
  Result<std::shared_ptr<const engine::Voice>> Find(const std::string& name) const;
  const std::string& default_voice() const { return default_voice_; }
  protocol::VoiceList Describe() const;

 private:
  std::map<std::string, std::shared_ptr<const engine::Voice>> voices_;
  std::string default_voice_;
};

}  // namespace ttsd::daemon
