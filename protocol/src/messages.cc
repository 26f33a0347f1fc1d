#include "ttsd/protocol/messages.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "json-fields.h"

namespace ttsd::protocol {
namespace {

using nlohmann::json;
using namespace json_fields;

Status GetEmotion(const json& j, const char* key, std::optional<EmotionWeights>* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_object()) return MakeError(ErrorCode::kBadRequest, std::string("'") + key + "' must be an object");
  EmotionWeights w{};
  for (const auto& [name, value] : it->items()) {
    size_t axis = 0;
    while (axis < kEmotionAxes && kEmotionAxisNames[axis] != name) ++axis;
    if (axis == kEmotionAxes) {
      return MakeError(ErrorCode::kBadRequest, "unknown emotion axis '" + name + "' (" + EmotionAxisList() + ")");
    }
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0 ||
        value.get<double>() > kMaxEmotionWeight) {
      return MakeError(ErrorCode::kBadRequest,
                       "emotion axis '" + name + "' must be a number from 0 to " + LimitText(kMaxEmotionWeight));
    }
    w[axis] = value.get<double>();
  }
  *out = w;
  return {};
}

}  // namespace

std::string_view SampleFormatName(SampleFormat f) { return f == SampleFormat::kF32Le ? "f32le" : "s16le"; }

Result<SampleFormat> ParseSampleFormat(std::string_view name) {
  if (name == "s16le") return SampleFormat::kS16Le;
  if (name == "f32le") return SampleFormat::kF32Le;
  return MakeError(ErrorCode::kBadRequest, "sample format must be 's16le' or 'f32le', not '" + std::string(name) + "'");
}

size_t BytesPerSample(SampleFormat f) { return f == SampleFormat::kF32Le ? 4 : 2; }

Result<uint32_t> NegotiateVersion(const Hello& hello) {
  uint32_t lo = std::max(hello.min_version, kProtocolVersionMin);
  uint32_t hi = std::min(hello.max_version, kProtocolVersionMax);
  if (lo > hi) {
    return MakeError(ErrorCode::kUnsupportedVersion,
                     "client speaks versions " + std::to_string(hello.min_version) + ".." +
                         std::to_string(hello.max_version) + ", server speaks " +
                         std::to_string(kProtocolVersionMin) + ".." + std::to_string(kProtocolVersionMax));
  }
  return hi;
}

Result<Hello> ParseHello(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  Hello m;
  m.min_version = 0;
  m.max_version = 0;
  TTSD_TRY(GetU32(*j, "min_version", &m.min_version));
  TTSD_TRY(GetU32(*j, "max_version", &m.max_version));
  TTSD_TRY(GetString(*j, "client", &m.client));
  if (m.min_version == 0 || m.max_version < m.min_version) {
    return MakeError(ErrorCode::kBadRequest, "hello needs 1 <= min_version <= max_version");
  }
  return m;
}

Result<Welcome> ParseWelcome(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  Welcome m;
  TTSD_TRY(GetU32(*j, "version", &m.version));
  TTSD_TRY(GetString(*j, "server", &m.server));
  TTSD_TRY(GetU32(*j, "max_payload_bytes", &m.max_payload_bytes));
  return m;
}

// "loudness": absent, null or false: none; true: the default target; a number: that target in LUFS.
static Status GetLoudness(const json& j, std::optional<double>* out) {
  auto it = j.find("loudness");
  if (it == j.end() || it->is_null() || (it->is_boolean() && !it->get<bool>())) return {};
  if (it->is_boolean()) {
    *out = kDefaultLoudnessLufs;
    return {};
  }
  if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < kMinLoudnessLufs ||
      it->get<double>() > kMaxLoudnessLufs) {
    return MakeError(ErrorCode::kBadRequest, "'loudness' must be true or a target of " + LimitText(kMinLoudnessLufs) +
                                                 " to " + LimitText(kMaxLoudnessLufs) + " LUFS");
  }
  *out = it->get<double>();
  return {};
}

Result<SynthesizeRequest> ParseSynthesize(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  SynthesizeRequest m;
  TTSD_TRY(GetString(*j, "voice", &m.voice));
  TTSD_TRY(GetString(*j, "speaker", &m.speaker));
  TTSD_TRY(GetString(*j, "text", &m.text));
  TTSD_TRY(GetBool(*j, "final", &m.final));
  TTSD_TRY(GetFormat(*j, "sample_format", &m.sample_format));
  TTSD_TRY(GetDouble(*j, "speed", &m.speed));
  if (!std::isfinite(m.speed) || m.speed < kMinSpeed || m.speed > kMaxSpeed) {
    return MakeError(ErrorCode::kBadRequest,
                     "'speed' must be between " + LimitText(kMinSpeed) + " and " + LimitText(kMaxSpeed));
  }
  TTSD_TRY(GetString(*j, "channel", &m.channel));
  TTSD_TRY(GetBool(*j, "interrupt", &m.interrupt));
  if (!m.channel.empty() && !IsValidChannelName(m.channel)) return BadChannelName();
  if (m.interrupt && m.channel.empty()) return MakeError(ErrorCode::kBadRequest, "'interrupt' needs a 'channel'");
  TTSD_TRY(GetLabel(*j, "author", kMaxAuthorBytes, &m.author));
  TTSD_TRY(GetLabel(*j, "source", kMaxSourceBytes, &m.source));
  if (!IsValidUtf8(m.text)) return MakeError(ErrorCode::kMalformedFrame, "text is not valid UTF-8");
  TTSD_TRY(GetEmotion(*j, "emotion", &m.emotion));
  TTSD_TRY(GetString(*j, "emotion_text", &m.emotion_text));
  if (m.emotion_text.size() > kMaxEmotionTextBytes) {
    return MakeError(ErrorCode::kBadRequest,
                     "'emotion_text' is longer than " + std::to_string(kMaxEmotionTextBytes) + " bytes");
  }
  if (!IsValidUtf8(m.emotion_text)) return MakeError(ErrorCode::kMalformedFrame, "emotion_text is not valid UTF-8");
  TTSD_TRY(GetDouble(*j, "emotion_alpha", &m.emotion_alpha));
  if (!std::isfinite(m.emotion_alpha) || m.emotion_alpha < 0 || m.emotion_alpha > kMaxEmotionAlpha) {
    return MakeError(ErrorCode::kBadRequest, "'emotion_alpha' must be between 0 and " + LimitText(kMaxEmotionAlpha));
  }
  TTSD_TRY(GetDouble(*j, "duration", &m.duration_s));
  const bool has_duration = j->contains("duration") && !(*j)["duration"].is_null();
  if (has_duration && (!std::isfinite(m.duration_s) || m.duration_s <= 0 || m.duration_s > kMaxDurationS)) {
    return MakeError(ErrorCode::kBadRequest,
                     "'duration' must be more than 0 and at most " + LimitText(kMaxDurationS) + " seconds");
  }
  if (m.duration_s > 0 && !m.final) {
    return MakeError(ErrorCode::kBadRequest, "'duration' needs the whole text at once ('final': true)");
  }
  TTSD_TRY(GetU32(*j, "references", &m.references));
  if (m.references > kMaxReferences) {
    return MakeError(ErrorCode::kBadRequest, "'references' must be 0 to " + std::to_string(kMaxReferences));
  }
  TTSD_TRY(GetBool(*j, "emotion_reference", &m.emotion_reference));
  TTSD_TRY(GetString(*j, "reference_text", &m.reference_text));
  TTSD_TRY(CheckReferenceText(m.reference_text, m.references));
  TTSD_TRY(GetU32(*j, "top_k", &m.top_k));
  if (m.top_k > kMaxTopK) return MakeError(ErrorCode::kBadRequest, "'top_k' must be 0 to " + std::to_string(kMaxTopK));
  TTSD_TRY(GetDouble(*j, "top_p", &m.top_p));
  if (!std::isfinite(m.top_p) || m.top_p < 0 || m.top_p > 1) {
    return MakeError(ErrorCode::kBadRequest, "'top_p' must be 0 to 1 (0: the voice's own)");
  }
  TTSD_TRY(GetDouble(*j, "temperature", &m.temperature));
  if (!std::isfinite(m.temperature) || (m.temperature != 0 && m.temperature < kMinTemperature) ||
      m.temperature > kMaxTemperature) {
    return MakeError(ErrorCode::kBadRequest, "'temperature' must be between " + LimitText(kMinTemperature) +
                                                 " and " + LimitText(kMaxTemperature) + " (0: the voice's own)");
  }
  TTSD_TRY(GetDouble(*j, "repetition_penalty", &m.repetition_penalty));
  if (!std::isfinite(m.repetition_penalty) || (m.repetition_penalty != 0 && m.repetition_penalty < 1) ||
      m.repetition_penalty > kMaxRepetitionPenalty) {
    return MakeError(ErrorCode::kBadRequest,
                     "'repetition_penalty' must be between 1 and " + LimitText(kMaxRepetitionPenalty) +
                         " (0: the voice's own)");
  }
  if (j->contains("seed") && !(*j)["seed"].is_null()) {
    uint64_t seed = 0;
    TTSD_TRY(GetU64(*j, "seed", &seed));
    m.seed = seed;
  }
  std::string marks;
  TTSD_TRY(GetString(*j, "marks", &marks));
  if (marks == "words") {
    m.marks = MarkLevel::kWords;
  } else if (marks == "phones") {
    m.marks = MarkLevel::kPhones;
  } else if (!marks.empty() && marks != "none") {
    return MakeError(ErrorCode::kBadRequest, "'marks' must be \"words\", \"phones\" or \"none\"");
  }
  TTSD_TRY(GetBool(*j, "ssml", &m.ssml));
  TTSD_TRY(GetLoudness(*j, &m.loudness_lufs));
  return m;
}

std::string_view MarkKindName(MarkInfo::Kind kind) {
  switch (kind) {
    case MarkInfo::Kind::kSentence: return "sentence";
    case MarkInfo::Kind::kWord: return "word";
    case MarkInfo::Kind::kPhone: return "phone";
  }
  return "word";
}

Result<Marks> ParseMarks(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  Marks m;
  if (!j->contains("marks") || !(*j)["marks"].is_array()) {
    return MakeError(ErrorCode::kMalformedFrame, "'marks' must be an array");
  }
  for (const json& e : (*j)["marks"]) {
    if (!e.is_object()) return MakeError(ErrorCode::kMalformedFrame, "a mark must be an object");
    MarkInfo mark;
    std::string kind;
    TTSD_TRY(GetString(e, "kind", &kind));
    if (kind == "sentence") {
      mark.kind = MarkInfo::Kind::kSentence;
    } else if (kind == "word") {
      mark.kind = MarkInfo::Kind::kWord;
    } else if (kind == "phone") {
      mark.kind = MarkInfo::Kind::kPhone;
    } else {
      continue;  // a kind from a newer server
    }
    TTSD_TRY(GetString(e, "text", &mark.text));
    TTSD_TRY(GetU64(e, "text_begin", &mark.text_begin));
    TTSD_TRY(GetU64(e, "text_end", &mark.text_end));
    TTSD_TRY(GetU64(e, "start", &mark.start));
    TTSD_TRY(GetU64(e, "end", &mark.end));
    if (mark.text_end < mark.text_begin || mark.end < mark.start) {
      return MakeError(ErrorCode::kMalformedFrame, "a mark ends before it begins");
    }
    m.marks.push_back(std::move(mark));
  }
  return m;
}

Result<Accepted> ParseAccepted(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  Accepted m;
  TTSD_TRY(GetString(*j, "voice", &m.voice));
  TTSD_TRY(GetString(*j, "speaker", &m.speaker));
  TTSD_TRY(GetU32(*j, "sample_rate", &m.sample_rate));
  TTSD_TRY(GetFormat(*j, "sample_format", &m.sample_format));
  TTSD_TRY(GetU32(*j, "channels", &m.channels));
  TTSD_TRY(GetString(*j, "channel", &m.channel));
  TTSD_TRY(GetU64(*j, "item", &m.item));
  TTSD_TRY(GetU32(*j, "listeners", &m.listeners));
  return m;
}

Result<VoiceList> ParseVoiceList(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  VoiceList m;
  TTSD_TRY(GetString(*j, "default_voice", &m.default_voice));
  auto it = j->find("voices");
  if (it == j->end() || !it->is_array()) return MakeError(ErrorCode::kMalformedFrame, "'voices' must be an array");
  for (const auto& v : *it) {
    if (!v.is_object()) return MakeError(ErrorCode::kMalformedFrame, "each voice must be an object");
    VoiceInfo info;
    TTSD_TRY(GetString(v, "name", &info.name));
    TTSD_TRY(GetString(v, "description", &info.description));
    TTSD_TRY(GetStringList(v, "languages", &info.languages));
    TTSD_TRY(GetStringList(v, "speakers", &info.speakers));
    TTSD_TRY(GetU32(v, "sample_rate", &info.sample_rate));
    m.voices.push_back(std::move(info));
  }
  if (auto saved = j->find("saved"); saved != j->end() && !saved->is_null()) {
    if (!saved->is_array()) return MakeError(ErrorCode::kMalformedFrame, "'saved' must be an array");
    for (const auto& v : *saved) {
      if (!v.is_object()) return MakeError(ErrorCode::kMalformedFrame, "each saved voice must be an object");
      SavedVoiceInfo info;
      TTSD_TRY(GetString(v, "name", &info.name));
      TTSD_TRY(GetString(v, "voice", &info.voice));
      TTSD_TRY(GetU32(v, "references", &info.references));
      TTSD_TRY(GetDouble(v, "seconds", &info.seconds));
      TTSD_TRY(GetString(v, "created", &info.created));
      m.saved.push_back(std::move(info));
    }
  }
  return m;
}

Result<ErrorBody> ParseErrorBody(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  ErrorBody m;
  uint32_t code = static_cast<uint32_t>(ErrorCode::kInternal);
  TTSD_TRY(GetU32(*j, "code", &code));
  TTSD_TRY(GetString(*j, "message", &m.message));
  // ErrorCode is 16 bits: a larger number must not wrap onto a real code (65549 is not 13).
  if (code > std::numeric_limits<std::underlying_type_t<ErrorCode>>::max()) {
    return MakeError(ErrorCode::kBadRequest, "'code' must be at most 65535");
  }
  m.code = static_cast<ErrorCode>(code);
  return m;
}

Result<AudioHeader> ParseAudioHeader(std::span<const uint8_t> payload, std::span<const uint8_t>* pcm) {
  if (payload.size() < kAudioHeaderBytes) return MakeError(ErrorCode::kMalformedFrame, "audio payload too short");
  const uint8_t* p = payload.data();
  AudioHeader h;
  h.sample_rate = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
  if (p[4] != 1 && p[4] != 2) return MakeError(ErrorCode::kMalformedFrame, "unknown sample format in audio header");
  h.sample_format = static_cast<SampleFormat>(p[4]);
  h.channels = p[5];
  h.sample_offset = 0;
  for (int i = 0; i < 8; ++i) h.sample_offset |= uint64_t{p[8 + i]} << (8 * i);
  if (h.channels == 0 || h.sample_rate == 0) return MakeError(ErrorCode::kMalformedFrame, "audio header has zero rate or channels");
  size_t frame_bytes = BytesPerSample(h.sample_format) * h.channels;
  std::span<const uint8_t> body = payload.subspan(kAudioHeaderBytes);
  if (body.size() % frame_bytes != 0) return MakeError(ErrorCode::kMalformedFrame, "audio payload is not whole samples");
  if (pcm) *pcm = body;
  return h;
}

Result<std::string> ParseText(std::span<const uint8_t> payload) {
  std::string s(payload.begin(), payload.end());
  if (!IsValidUtf8(s)) return MakeError(ErrorCode::kMalformedFrame, "text is not valid UTF-8");
  return s;
}

std::vector<uint8_t> Serialize(const Marks& m) {
  json marks = json::array();
  for (const MarkInfo& e : m.marks) {
    marks.push_back({{"kind", MarkKindName(e.kind)},
                     {"text", e.text},
                     {"text_begin", e.text_begin},
                     {"text_end", e.text_end},
                     {"start", e.start},
                     {"end", e.end}});
  }
  return Dump({{"marks", marks}});
}

std::vector<uint8_t> Serialize(const Hello& m) {
  return Dump({{"min_version", m.min_version}, {"max_version", m.max_version}, {"client", m.client}});
}

std::vector<uint8_t> Serialize(const Welcome& m) {
  return Dump({{"version", m.version}, {"server", m.server}, {"max_payload_bytes", m.max_payload_bytes}});
}

std::vector<uint8_t> Serialize(const SynthesizeRequest& m) {
  json j = {{"text", m.text}, {"final", m.final}, {"sample_format", SampleFormatName(m.sample_format)}};
  if (!m.voice.empty()) j["voice"] = m.voice;
  if (!m.speaker.empty()) j["speaker"] = m.speaker;
  if (m.speed != 1.0) j["speed"] = m.speed;
  if (!m.channel.empty()) j["channel"] = m.channel;
  if (m.interrupt) j["interrupt"] = true;
  if (!m.author.empty()) j["author"] = m.author;
  if (!m.source.empty()) j["source"] = m.source;
  if (m.emotion) {
    json e = json::object();
    for (size_t i = 0; i < kEmotionAxes; ++i) {
      if ((*m.emotion)[i] != 0) e[std::string(kEmotionAxisNames[i])] = (*m.emotion)[i];
    }
    j["emotion"] = e;
  }
  if (!m.emotion_text.empty()) j["emotion_text"] = m.emotion_text;
  if (m.emotion_alpha != 1.0) j["emotion_alpha"] = m.emotion_alpha;
  if (m.duration_s > 0) j["duration"] = m.duration_s;
  if (m.references > 0) j["references"] = m.references;
  if (m.emotion_reference) j["emotion_reference"] = true;
  if (!m.reference_text.empty()) j["reference_text"] = m.reference_text;
  if (m.top_k > 0) j["top_k"] = m.top_k;
  if (m.top_p > 0) j["top_p"] = m.top_p;
  if (m.temperature > 0) j["temperature"] = m.temperature;
  if (m.repetition_penalty > 0) j["repetition_penalty"] = m.repetition_penalty;
  if (m.seed) j["seed"] = *m.seed;
  if (m.marks == MarkLevel::kWords) j["marks"] = "words";
  if (m.marks == MarkLevel::kPhones) j["marks"] = "phones";
  if (m.ssml) j["ssml"] = true;
  if (m.loudness_lufs) j["loudness"] = *m.loudness_lufs;
  return Dump(j);
}

std::vector<uint8_t> Serialize(const Accepted& m) {
  json j = {{"voice", m.voice},
            {"speaker", m.speaker},
            {"sample_rate", m.sample_rate},
            {"sample_format", SampleFormatName(m.sample_format)},
            {"channels", m.channels}};
  if (!m.channel.empty()) j["channel"] = m.channel;
  if (m.item != 0) {  // a channel request: its item, and how many hear it (0 is worth a warning)
    j["item"] = m.item;
    j["listeners"] = m.listeners;
  }
  return Dump(j);
}

std::vector<uint8_t> Serialize(const VoiceList& m) {
  json voices = json::array();
  for (const auto& v : m.voices) {
    voices.push_back({{"name", v.name},
                      {"description", v.description},
                      {"languages", v.languages},
                      {"speakers", v.speakers},
                      {"sample_rate", v.sample_rate}});
  }
  json j = {{"default_voice", m.default_voice}, {"voices", voices}};
  if (m.saved.empty()) return Dump(j);  // absent means none; version 1 bodies stay as they were
  json saved = json::array();
  for (const auto& v : m.saved) {
    saved.push_back({{"name", v.name},
                     {"voice", v.voice},
                     {"references", v.references},
                     {"seconds", v.seconds},
                     {"created", v.created}});
  }
  j["saved"] = saved;
  return Dump(j);
}

std::vector<uint8_t> Serialize(const ErrorBody& m) {
  return Dump({{"code", static_cast<uint32_t>(m.code)}, {"name", ErrorCodeName(m.code)}, {"message", m.message}});
}

std::vector<uint8_t> SerializeAudio(const AudioHeader& h, std::span<const uint8_t> pcm) {
  std::vector<uint8_t> out(kAudioHeaderBytes + pcm.size(), 0);
  uint8_t* p = out.data();
  for (int i = 0; i < 4; ++i) p[i] = (h.sample_rate >> (8 * i)) & 0xff;
  p[4] = static_cast<uint8_t>(h.sample_format);
  p[5] = h.channels;
  for (int i = 0; i < 8; ++i) p[8 + i] = (h.sample_offset >> (8 * i)) & 0xff;
  if (!pcm.empty()) std::memcpy(p + kAudioHeaderBytes, pcm.data(), pcm.size());
  return out;
}

Status CheckReferenceText(std::string_view text, uint32_t references) {
  if (text.empty()) return {};
  if (references == 0) return MakeError(ErrorCode::kBadRequest, "'reference_text' needs 'references'");
  if (text.size() > kMaxReferenceTextBytes) {
    return MakeError(ErrorCode::kBadRequest,
                     "'reference_text' is longer than " + std::to_string(kMaxReferenceTextBytes) + " bytes");
  }
  if (!IsValidUtf8(text)) return MakeError(ErrorCode::kMalformedFrame, "reference_text is not valid UTF-8");
  return {};
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace ttsd::protocol
