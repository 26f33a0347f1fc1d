#include "ttsd/daemon/voice-registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ttsd::daemon {
namespace {

namespace fs = std::filesystem;

// The package directories in voice_dirs, sorted within each. Errors: kIo for a missing directory.
Result<std::vector<std::string>> ListPackages(const std::vector<std::string>& voice_dirs) {
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
  return packages;
}

// voice.json's modification time and size: what tells a rewritten package.
bool Stamp(const std::string& dir, fs::file_time_type* modified, uintmax_t* size) {
  std::error_code ec;
  const fs::path manifest = fs::path(dir) / "voice.json";
  *modified = fs::last_write_time(manifest, ec);
  if (ec) return false;
  *size = fs::file_size(manifest, ec);
  return !ec;
}

}  // namespace

Result<std::unique_ptr<VoiceRegistry>> VoiceRegistry::Load(const std::vector<std::string>& voice_dirs,
                                                           const std::string& default_voice,
                                                           const engine::EngineConfig& engine) {
  auto packages = ListPackages(voice_dirs);
  if (!packages) return std::unexpected(packages.error());
  std::unique_ptr<VoiceRegistry> reg(new VoiceRegistry(voice_dirs, engine));
  for (const auto& dir : *packages) {
    Package package;
    Stamp(dir, &package.modified, &package.size);
    auto voice = engine::Voice::Load(dir, engine);
    if (!voice) return std::unexpected(voice.error());
    package.name = (*voice)->name();
    if (!reg->voices_.emplace(package.name, *voice).second) {
      return MakeError(ErrorCode::kModelError, "two voice packages are named '" + package.name + "' (second in " + dir + ")");
    }
    reg->packages_.emplace(dir, std::move(package));
  }
  if (reg->voices_.empty()) {
    return MakeError(ErrorCode::kModelError, "no voice packages (directories with voice.json) found");
  }
  reg->default_voice_ = default_voice.empty() ? reg->voices_.begin()->first : default_voice;
  if (!reg->voices_.contains(reg->default_voice_)) {
    return MakeError(ErrorCode::kUnknownVoice, "default voice '" + reg->default_voice_ + "' was not loaded");
  }
  return reg;
}

Result<std::shared_ptr<const engine::Voice>> VoiceRegistry::Find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = voices_.find(name.empty() ? default_voice_ : name);
  if (it == voices_.end()) return MakeError(ErrorCode::kUnknownVoice, "no voice named '" + name + "'");
  return it->second;
}

protocol::VoiceList VoiceRegistry::Describe() const {
  protocol::VoiceList list;
  list.default_voice = default_voice_;
  std::lock_guard lock(mutex_);
  for (const auto& [name, voice] : voices_) {
    const auto& m = voice->manifest();
    list.voices.push_back({name, m.description, m.languages, m.speakers, static_cast<uint32_t>(m.sample_rate)});
  }
  return list;
}

RescanReport VoiceRegistry::Rescan() {
  std::lock_guard rescanning(rescan_mutex_);
  RescanReport report;
  auto listed = ListPackages(voice_dirs_);
  if (!listed) {
    report.problems.push_back(listed.error().message);
    return report;
  }
  // Gone: dropped, unless it is the default voice.
  for (auto it = packages_.begin(); it != packages_.end();) {
    if (std::find(listed->begin(), listed->end(), it->first) != listed->end()) {
      ++it;
      continue;
    }
    if (it->second.name == default_voice_) {
      report.problems.push_back(it->first + ": the default voice's package is gone; it stays loaded");
      ++it;
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      voices_.erase(it->second.name);
    }
    report.removed.push_back(it->second.name);
    it = packages_.erase(it);
  }
  for (const std::string& dir : *listed) {
    Package package;
    if (!Stamp(dir, &package.modified, &package.size)) continue;  // vanished meanwhile
    const auto known = packages_.find(dir);
    if (known != packages_.end() && known->second.modified == package.modified && known->second.size == package.size) {
      continue;
    }
    auto voice = engine::Voice::Load(dir, engine_);
    if (!voice) {
      report.problems.push_back(dir + ": " + voice.error().message);
      continue;
    }
    package.name = (*voice)->name();
    const bool replacing = known != packages_.end();
    if (replacing && known->second.name != package.name && known->second.name == default_voice_) {
      report.problems.push_back(dir + ": renames the default voice '" + default_voice_ + "'; not loaded");
      continue;
    }
    bool taken = false;
    for (const auto& [other_dir, other] : packages_) taken |= other_dir != dir && other.name == package.name;
    if (taken) {
      report.problems.push_back(dir + ": another package is already named '" + package.name + "'; not loaded");
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      if (replacing && known->second.name != package.name) voices_.erase(known->second.name);
      voices_[package.name] = *voice;
    }
    (replacing ? report.reloaded : report.added).push_back(package.name);
    packages_[dir] = std::move(package);
  }
  return report;
}

}  // namespace ttsd::daemon
