#include <algorithm>
#include <cstdio>
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

bool PlainRelative(const std::string& f) { return !f.empty() && f.find("..") == std::string::npos && f[0] != '/'; }

bool ValidName(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") == std::string::npos;
}

// A GPT-SoVITS package: upstream's export files, its symbol table and a reference (models/README.md).
Result<VoiceManifest> ReadGptSovits(const std::string& dir, const json& j) {
  namespace fs = std::filesystem;
  VoiceManifest m;
  m.family = "gpt-sovits";
  GptSovitsManifest& g = m.gpt_sovits;
  std::string min_libtorch;
  try {
    m.name = j.at("name").get<std::string>();
    m.description = j.value("description", "");
    m.languages = j.at("languages").get<std::vector<std::string>>();
    m.sample_rate = j.at("sample_rate").get<int>();
    m.hop_samples = j.at("samples_per_token").get<int>();
    g.version = j.at("gpt_sovits_version").get<std::string>();
    g.t2s_file = j.at("t2s_file").get<std::string>();
    g.vits_file = j.at("vits_file").get<std::string>();
    g.ssl_file = j.at("ssl_file").get<std::string>();
    g.symbols_file = j.at("symbols_file").get<std::string>();
    g.reference_audio = j.at("reference_audio").get<std::string>();
    g.reference_text = j.at("reference_text").get<std::string>();
    min_libtorch = j.value("min_libtorch", "2.0");
    g.top_k = j.value("top_k", 15);
    g.top_p = j.value("top_p", 1.0);
    g.temperature = j.value("temperature", 1.0);
    g.repetition_penalty = j.value("repetition_penalty", 1.35);
    g.dtype = j.value("dtype", "fp32");
    g.lexicon_file = j.value("lexicon_file", "");
    g.bert_file = j.value("bert_file", "");
    g.bert_vocab_file = j.value("bert_vocab_file", "");
  } catch (const json::exception& e) {
    return std::unexpected(Invalid(dir, e.what()).error());
  }
  if (!ValidName(m.name)) return std::unexpected(Invalid(dir, "name must be 1-64 characters of a-z 0-9 - _ .").error());
  if (g.version != "v2" && g.version != "v2Pro" && g.version != "v2ProPlus") {
    return std::unexpected(Invalid(dir, "gpt_sovits_version must be v2, v2Pro or v2ProPlus").error());
  }
  if (m.sample_rate != 32000) return std::unexpected(Invalid(dir, "sample_rate must be 32000 (GPT-SoVITS v2)").error());
  if (m.hop_samples != 1280) return std::unexpected(Invalid(dir, "samples_per_token must be 1280 (25 tokens/s at 32 kHz)").error());
  if (std::sscanf(min_libtorch.c_str(), "%d.%d", &g.min_libtorch_major, &g.min_libtorch_minor) != 2) {
    return std::unexpected(Invalid(dir, "min_libtorch must be MAJOR.MINOR, e.g. \"2.0\"").error());
  }
  if (g.top_k < 1 || g.top_k > 1024) return std::unexpected(Invalid(dir, "top_k must be 1-1024").error());
  if (!(g.top_p > 0 && g.top_p <= 1)) return std::unexpected(Invalid(dir, "top_p must be above 0 and at most 1").error());
  if (!(g.temperature >= protocol::kMinTemperature && g.temperature <= protocol::kMaxTemperature)) {
    return std::unexpected(Invalid(dir, "temperature must be between " + protocol::LimitText(protocol::kMinTemperature) +
                                            " and " + protocol::LimitText(protocol::kMaxTemperature)).error());
  }
  if (!(g.repetition_penalty >= 1 && g.repetition_penalty <= protocol::kMaxRepetitionPenalty)) {
    return std::unexpected(
        Invalid(dir, "repetition_penalty must be between 1 and " + protocol::LimitText(protocol::kMaxRepetitionPenalty))
            .error());
  }
  if (g.dtype != "fp32" && g.dtype != "fp16") return std::unexpected(Invalid(dir, "dtype must be fp32 or fp16").error());
  for (const std::string* f : {&g.t2s_file, &g.vits_file, &g.ssl_file, &g.symbols_file, &g.reference_audio}) {
    if (!PlainRelative(*f)) return std::unexpected(Invalid(dir, "file '" + *f + "' must be a plain relative path").error());
  }
  for (const std::string* f : {&g.lexicon_file, &g.bert_file, &g.bert_vocab_file}) {
    if (!f->empty() && !PlainRelative(*f)) {
      return std::unexpected(Invalid(dir, "file '" + *f + "' must be a plain relative path").error());
    }
  }
  if (g.bert_file.empty() != g.bert_vocab_file.empty()) {
    return std::unexpected(Invalid(dir, "bert_file and bert_vocab_file come together (or neither)").error());
  }
  if (g.reference_text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return std::unexpected(Invalid(dir, "reference_text is empty").error());
  }
  const fs::path symbols_path = fs::path(dir) / g.symbols_file;
  std::ifstream in(symbols_path);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read " + symbols_path.string());
  json symbols = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (symbols.is_discarded() || !symbols.is_array() || symbols.empty()) {
    return std::unexpected(Invalid(dir, g.symbols_file + " is not a JSON list of symbols").error());
  }
  for (const json& s : symbols) {
    if (!s.is_string()) return std::unexpected(Invalid(dir, g.symbols_file + " holds a symbol that is no string").error());
    m.phonemes.push_back(s.get<std::string>());
  }
  m.speakers = {"default"};
  m.acoustic_type = "tokens";
  m.mel_bins = 0;
  return m;
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
    m.family = j.value("family", "native");
    if (m.family == "gpt-sovits") return ReadGptSovits(dir, j);
    if (m.family != "native") return std::unexpected(Invalid(dir, "family must be 'native' or 'gpt-sovits'").error());
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
    m.audio_delay_samples = j.value("audio_delay_samples", 0);
    m.mel_fmin = j.value("mel_fmin", 0.0);
    m.mel_fmax = j.value("mel_fmax", 0.0);
  } catch (const json::exception& e) {
    return std::unexpected(Invalid(dir, e.what()).error());
  }

  if (!ValidName(m.name)) {
    return std::unexpected(Invalid(dir, "name must be 1-64 characters of a-z 0-9 - _ .").error());
  }
  if (m.speakers.empty()) return std::unexpected(Invalid(dir, "no speakers").error());
  if (m.phonemes.empty()) return std::unexpected(Invalid(dir, "no phonemes").error());
  if (m.sample_rate < 8000 || m.sample_rate > 192000) return std::unexpected(Invalid(dir, "sample_rate out of range").error());
  if (m.hop_samples < 1 || m.hop_samples > 4096) return std::unexpected(Invalid(dir, "hop_samples out of range").error());
  if (m.audio_delay_samples < 0 || m.audio_delay_samples > 8 * m.hop_samples) {
    return std::unexpected(Invalid(dir, "audio_delay_samples must be 0 to 8 hops").error());
  }
  if (m.mel_fmax != 0 && !(m.mel_fmin >= 0 && m.mel_fmin < m.mel_fmax && m.mel_fmax <= m.sample_rate / 2.0)) {
    return std::unexpected(Invalid(dir, "mel_fmin and mel_fmax must satisfy 0 <= mel_fmin < mel_fmax <= sample_rate / 2").error());
  }
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
