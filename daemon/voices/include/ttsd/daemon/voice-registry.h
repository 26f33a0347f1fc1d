// The voices a daemon serves: loaded at start, and re-scanned on request (SIGHUP) so that a voice
// package written into a voice directory (a fine-tune, a download) is served without a restart.
//   auto reg = VoiceRegistry::Load(config.voice_dirs, config.default_voice, config.engine);
//   auto v = reg->Find("");                   // the default voice
//   auto report = reg->Rescan();              // later: new, changed and removed packages
// A voice found keeps working for whoever holds it (shared_ptr) while a rescan replaces or removes it.
// Thread-safety: Find, Describe and default_voice are safe from any thread, also during Rescan. Rescan
// loads packages (seconds each) on the calling thread, never under the lock; one Rescan at a time
// (a second caller waits for the first).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ttsd/engine/engine-config.h"
#include "ttsd/engine/voice.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

// What one Rescan did, by voice name; problems are "dir: reason" and leave what was served before.
struct RescanReport {
  std::vector<std::string> added, reloaded, removed;
  std::vector<std::string> problems;
};

class VoiceRegistry {
 public:
  // Loads every package in voice_dirs (each a package or a directory of packages) with engine's
  // settings. default_voice empty: the first by name. Errors: kModelError / kIo from a package,
  // kUnknownVoice when default_voice names no loaded voice, kModelError when none loaded or two
  // packages share a name.
  static Result<std::unique_ptr<VoiceRegistry>> Load(const std::vector<std::string>& voice_dirs,
                                                     const std::string& default_voice,
                                                     const engine::EngineConfig& engine);

  // Empty name: the default voice. Errors: kUnknownVoice.
  Result<std::shared_ptr<const engine::Voice>> Find(const std::string& name) const;
  const std::string& default_voice() const { return default_voice_; }
  protocol::VoiceList Describe() const;

  // Looks at voice_dirs again: loads packages that are new, reloads those whose voice.json changed
  // (modification time or size) and drops those that are gone. A package that fails to load, or
  // whose name another package has, is reported and changes nothing; the default voice is never
  // dropped (a package that replaces it must keep its name).
  RescanReport Rescan();

 private:
  struct Package {
    std::string name;
    std::filesystem::file_time_type modified;
    uintmax_t size = 0;
  };
  VoiceRegistry(std::vector<std::string> voice_dirs, engine::EngineConfig engine)
      : voice_dirs_(std::move(voice_dirs)), engine_(std::move(engine)) {}

  const std::vector<std::string> voice_dirs_;
  const engine::EngineConfig engine_;
  std::string default_voice_;  // set by Load, constant after
  std::mutex rescan_mutex_;    // one Rescan at a time; guards packages_
  std::map<std::string, Package> packages_;  // by package directory
  mutable std::mutex mutex_;                 // guards voices_
  std::map<std::string, std::shared_ptr<const engine::Voice>> voices_;
};

}  // namespace ttsd::daemon
