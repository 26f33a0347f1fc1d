#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ttsd/engine/voice.h"

namespace ttsd::engine {
namespace {

using nlohmann::json;

Status Invalid(const std::string& dir, const std::string& what) {
  return MakeError(ErrorCode::kModelError, dir + "/voice.json: " + what);
}

}  // namespace

Result<VoiceManifest> VoiceManifest::Read(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path path = fs::path(dir) / "voice.json";
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::unexpected(Invalid(dir, "not a JSON object").error());

  VoiceManifest m;
  try {
    m.format_version = j.value("format_version", 0);
    if (m.format_version != 1) {
      return std::unexpected(Invalid(dir, "format_version " + std::to_string(m.format_version) +
                                              " is not supported (this build reads 1)").error());
    }
    m.name = j.at("name").get<std::string>();
    m.description = j.value("description", "");
    m.languages = j.at("languages").get<std::vector<std::string>>();
    m.speakers = j.at("speakers").get<std::vector<std::string>>();
    m.phonemes = j.at("phonemes").get<std::vector<std::string>>();
    m.sample_rate = j.at("sample_rate").get<int>();
    m.hop_samples = j.at("hop_samples").get<int>();
    m.mel_bins = j.at("mel_bins").get<int>();
    m.acoustic_type = j.at("acoustic_type").get<std::string>();
    const json& stages = j.at("stages");
    m.encoder_file = stages.at("encoder").at("file").get<std::string>();
    m.acoustic_file = stages.at("acoustic").at("file").get<std::string>();
    m.vocoder_file = stages.at("vocoder").at("file").get<std::string>();
    auto optional = [&](const char* stage) -> std::string {
      return stages.contains(stage) ? stages.at(stage).at("file").get<std::string>() : std::string();
    };
    m.speaker_encoder_file = optional("speaker_encoder");
    m.emotion_encoder_file = optional("emotion_encoder");
    m.emotion_text_file = optional("emotion_text");
    if (j.contains("emotion_axes")) m.emotion_axes = j.at("emotion_axes").get<std::vector<std::string>>();
    if (j.contains("batching")) m.batching = j.at("batching").get<bool>();
  } catch (const json::exception& e) {
    return std::unexpected(Invalid(dir, e.what()).error());
  }

  if (m.name.empty() || m.name.size() > 64 ||
      m.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos) {
    return std::unexpected(Invalid(dir, "name must be 1-64 characters of a-z 0-9 - _ .").error());
  }
  if (m.speakers.empty()) return std::unexpected(Invalid(dir, "no speakers").error());
  if (m.phonemes.empty()) return std::unexpected(Invalid(dir, "no phonemes").error());
  if (m.sample_rate < 8000 || m.sample_rate > 192000) return std::unexpected(Invalid(dir, "sample_rate out of range").error());
  if (m.hop_samples < 1 || m.hop_samples > 4096) return std::unexpected(Invalid(dir, "hop_samples out of range").error());
  if (m.mel_bins < 1 || m.mel_bins > 1024) return std::unexpected(Invalid(dir, "mel_bins out of range").error());
  if (m.acoustic_type != "autoregressive" && m.acoustic_type != "streaming") {
    return std::unexpected(Invalid(dir, "acoustic_type must be 'autoregressive' or 'streaming'").error());
  }
  if (!m.emotion_axes.empty() &&
      !std::equal(m.emotion_axes.begin(), m.emotion_axes.end(), kEmotionAxisNames.begin(), kEmotionAxisNames.end())) {
    return std::unexpected(
        Invalid(dir, "emotion_axes must be " + protocol::EmotionAxisList() + " (IndexTTS2's order)").error());
  }
  if (m.emotion_axes.empty() && (!m.emotion_encoder_file.empty() || !m.emotion_text_file.empty())) {
    return std::unexpected(Invalid(dir, "emotion stages need emotion_axes").error());
  }
  for (const std::string* f : {&m.speaker_encoder_file, &m.emotion_encoder_file, &m.emotion_text_file}) {
    if (!f->empty() && (f->find("..") != std::string::npos || (*f)[0] == '/')) {
      return std::unexpected(Invalid(dir, "stage file '" + *f + "' must be a plain relative path").error());
    }
  }
  for (const std::string* f : {&m.encoder_file, &m.acoustic_file, &m.vocoder_file}) {
    if (f->empty() || f->find("..") != std::string::npos || (*f)[0] == '/') {
      return std::unexpected(Invalid(dir, "stage file '" + *f + "' must be a plain relative path").error());
    }
  }
  return m;
}

}  // namespace ttsd::engine
