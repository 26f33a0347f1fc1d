#include "ttsd/daemon/voice-registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

namespace ttsd::daemon {

Result<VoiceRegistry> VoiceRegistry::Load(const std::vector<std::string>& voice_dirs, const std::string& default_voice,
                                           const engine::EngineConfig& engine) {
  namespace fs = std::filesystem;
  std::vector<std::string> packages;
  for (const auto& dir : voice_dirs) {
    std::error_code ec;
    if (fs::exists(fs::path(dir) / "voice.json", ec)) {
      packages.push_back(dir);
      continue;
    }
    if (!fs::is_directory(dir, ec)) return MakeError(ErrorCode::kIo, "voice directory '" + dir + "' does not exist");
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (fs::exists(entry.path() / "voice.json", ec)) found.push_back(entry.path().string());
    }
    std::sort(found.begin(), found.end());
    packages.insert(packages.end(), found.begin(), found.end());
  }
  VoiceRegistry reg;
  for (const auto& dir : packages) {
    auto voice = engine::Voice::Load(dir, engine);
    if (!voice) return std::unexpected(voice.error());
    const std::string name = (*voice)->name();
    if (!reg.voices_.emplace(name, *voice).second) {
      return MakeError(ErrorCode::kModelError, "two voice packages are named '" + name + "' (second in " + dir + ")");
    }
  }
  if (reg.voices_.empty()) {
    return MakeError(ErrorCode::kModelError, "no voice packages (directories with voice.json) found");
  }
  reg.default_voice_ = default_voice.empty() ? reg.voices_.begin()->first : default_voice;
  if (!reg.voices_.contains(reg.default_voice_)) {
    return MakeError(ErrorCode::kUnknownVoice, "default voice '" + reg.default_voice_ + "' was not loaded");
  }
  return reg;
}

Result<std::shared_ptr<const engine::Voice>> VoiceRegistry::Find(const std::string& name) const {
  auto it = voices_.find(name.empty() ? default_voice_ : name);
  if (it == voices_.end()) return MakeError(ErrorCode::kUnknownVoice, "no voice named '" + name + "'");
  return it->second;
}

protocol::VoiceList VoiceRegistry::Describe() const {
  protocol::VoiceList list;
  list.default_voice = default_voice_;
  for (const auto& [name, voice] : voices_) {
    const auto& m = voice->manifest();
    list.voices.push_back({name, m.description, m.languages, m.speakers, static_cast<uint32_t>(m.sample_rate)});
  }
  return list;
}

}  // namespace ttsd::daemon
