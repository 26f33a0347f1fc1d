// ElevenLabs' WebSocket messages and query: parsing, checking and writing (elevenlabs-messages.h).
#include "ttsd/daemon/elevenlabs-messages.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "ttsd/daemon/http-route.h"
#include "ttsd/protocol/limits.h"

namespace ttsd::daemon {
namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 28> kOutputFormats = {
    "pcm_8000",      "pcm_16000",     "pcm_22050",     "pcm_24000",     "pcm_32000",     "pcm_44100",
    "pcm_48000",     "mp3_22050_32",  "mp3_24000_48",  "mp3_44100_32",  "mp3_44100_64",  "mp3_44100_96",
    "mp3_44100_128", "mp3_44100_192", "opus_48000_32", "opus_48000_64", "opus_48000_96", "opus_48000_128",
    "opus_48000_192", "wav_8000",     "wav_16000",     "wav_22050",     "wav_24000",     "wav_32000",
    "wav_44100",     "wav_48000",     "ulaw_8000",     "alaw_8000"};

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: %XX and '+'; a '%' not followed by two hex digits stays as it is.
std::string Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::optional<bool> Boolean(std::string_view v) {
  if (EqualsNoCase(v, "true") || v == "1") return true;
  if (EqualsNoCase(v, "false") || v == "0") return false;
  return std::nullopt;
}

template <typename T>
std::optional<T> Number(std::string_view v) {
  T out{};
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size() || v.empty()) return std::nullopt;
  return out;
}

std::unexpected<ElevenLabsError> Refuse(std::string error, std::string message) {
  return std::unexpected(ElevenLabsError{std::move(error), std::move(message), kClosePolicy});
}

// "pcm_16000" -> pcm at 16 kHz; "mp3_44100_128" -> mp3 at 44.1 kHz, 128 kb/s.
std::optional<SpeechRequest> FormatOf(std::string_view name) {
  if (std::find(kOutputFormats.begin(), kOutputFormats.end(), name) == kOutputFormats.end()) {
    return std::nullopt;
  }
  const size_t a = name.find('_'), b = name.find('_', a + 1);
  const std::string_view codec = name.substr(0, a);
  SpeechRequest r;
  r.sample_rate = Number<uint32_t>(name.substr(a + 1, b == std::string_view::npos ? b : b - a - 1)).value_or(0);
  if (b != std::string_view::npos) r.bitrate_bps = Number<uint32_t>(name.substr(b + 1)).value_or(0) * 1000;
  r.format = codec == "pcm"    ? SpeechFormat::kPcm
             : codec == "mp3"  ? SpeechFormat::kMp3
             : codec == "opus" ? SpeechFormat::kOpus
             : codec == "wav"  ? SpeechFormat::kWav
             : codec == "ulaw" ? SpeechFormat::kUlaw
                               : SpeechFormat::kAlaw;
  return r;
}

bool SameSecret(std::string_view given, std::string_view token) {
  if (given.size() != token.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  return diff == 0;
}

// "Bearer KEY" or the bare key (ElevenLabs' "authorization" query parameter carries either).
std::string_view BareKey(std::string_view key) {
  if (key.size() > 7 && EqualsNoCase(key.substr(0, 7), "Bearer ")) return key.substr(7);
  return key;
}

json AlignmentJson(const ElevenLabsAlignment& a) {
  return {{"chars", a.chars}, {"charStartTimesMs", a.start_ms}, {"charDurationsMs", a.duration_ms}};
}

}  // namespace

std::string ElevenLabsError::Json(const std::string* context_id) const {
  json j = {{"message", message}, {"error", error}, {"code", close_code}};
  if (context_id) j["contextId"] = *context_id;
  return Dump(j);
}

ElevenLabsError ToElevenLabsError(const Error& error) {
  ElevenLabsError e{std::string(ErrorCodeName(error.code)), error.message, kClosePolicy};
  if (error.code == ErrorCode::kShuttingDown) e.close_code = kCloseGoingAway;
  if (error.code == ErrorCode::kModelError || error.code == ErrorCode::kInternal || error.code == ErrorCode::kIo) {
    e.close_code = kCloseInternal;
  }
  return e;
}

ElevenLabsError InvalidInputMessage(std::string detail) {
  return {"invalid_input_message",
          "Could not parse input message, make sure it is a json and follows the schema outlined in protocol. (" +
              detail + ")",
          kClosePolicy};
}

ElevenLabsError InactivityError(uint32_t timeout_s) {
  return {"input_timeout_exceeded",
          "Have not received a new text input within the timeout of " + std::to_string(timeout_s) +
              " seconds. Streaming input terminated. Please make sure to either feed the input in the timely "
              "manner, or to send the end of input text (empty string \"\") when done.",
          kClosePolicy};
}

ElevenLabsError TooManyContextsError() {
  return {"max_active_conversations",
          "Maximum simultaneous contexts per WebSocket connection exceeded (" + std::to_string(kElevenLabsMaxContexts) +
              "). Please close an existing context before opening a new one.",
          kClosePolicy};
}

std::span<const std::string_view> ElevenLabsOutputFormats() { return kOutputFormats; }

std::expected<ElevenLabsOptions, ElevenLabsError> ParseElevenLabsQuery(std::string_view target) {
  ElevenLabsOptions out;
  out.audio = *FormatOf(out.output_format);
  const size_t q = target.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string key = Decode(pair.substr(0, eq));
    const std::string value = eq == std::string_view::npos ? std::string() : Decode(pair.substr(eq + 1));
    if (key == "output_format") {
      auto format = FormatOf(value);
      if (!format) {
        return Refuse("invalid_output_format", "output_format '" + value + "' is not one ttsd makes: pcm_8000..pcm_48000, "
                      "mp3_22050_32, mp3_24000_48, mp3_44100_32..192, opus_48000_32..192, wav_8000..wav_48000, "
                      "ulaw_8000, alaw_8000");
      }
      out.output_format = value;
      out.audio = *format;
    } else if (key == "inactivity_timeout") {
      auto s = Number<uint32_t>(value);
      if (!s || *s < 1 || *s > kElevenLabsMaxInactivityS) {
        return Refuse("invalid_request", "inactivity_timeout must be a whole number of seconds from 1 to " +
                                             std::to_string(kElevenLabsMaxInactivityS));
      }
      out.inactivity_timeout_s = *s;
    } else if (key == "auto_mode" || key == "enable_ssml_parsing") {
      auto b = Boolean(value);
      if (!b) return Refuse("invalid_request", key + " must be true or false");
      (key == "auto_mode" ? out.auto_mode : out.ssml) = *b;
    } else if (key == "seed") {
      auto s = Number<uint64_t>(value);
      if (!s || *s > 4294967295u) return Refuse("invalid_request", "seed must be a whole number from 0 to 4294967295");
      out.seed = *s;
    } else if (key == "authorization" || key == "xi_api_key" || key == "xi-api-key") {
      out.api_key = std::string(BareKey(value));
    }
  }
  return out;
}

std::expected<ElevenLabsMessage, ElevenLabsError> ParseElevenLabsMessage(std::string_view text) {
  const json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded()) return std::unexpected(InvalidInputMessage("not JSON"));
  if (!in.is_object()) return std::unexpected(InvalidInputMessage("not a JSON object"));
  auto given = [&](const char* key) { return in.contains(key) && !in[key].is_null(); };
  auto bad = [](const char* key, const char* want) {
    return std::unexpected(InvalidInputMessage(std::string("'") + key + "' must be " + want));
  };
  ElevenLabsMessage m;
  for (const char* key : {"text", "context_id", "xi_api_key", "xi-api-key", "authorization"}) {
    if (!given(key)) continue;
    if (!in[key].is_string()) return bad(key, "a string");
    std::string value = in[key].get<std::string>();
    if (key == std::string_view("text")) {
      m.text = std::move(value);
    } else if (key == std::string_view("context_id")) {
      if (value.size() > kElevenLabsMaxContextIdBytes) return bad(key, "at most 256 bytes");
      m.context_id = std::move(value);
    } else {
      m.api_key = std::string(BareKey(value));
    }
  }
  const std::array<std::pair<const char*, bool*>, 4> flags = {{{"flush", &m.flush},
                                                               {"close_context", &m.close_context},
                                                               {"close_socket", &m.close_socket},
                                                               {"try_trigger_generation", &m.try_trigger_generation}}};
  for (const auto& [key, out] : flags) {
    if (!given(key)) continue;
    if (!in[key].is_boolean()) return bad(key, "true or false");
    *out = in[key].get<bool>();
  }
  for (const char* key : {"generation_config", "generator_config"}) {
    if (given(key) && !in[key].is_object()) return bad(key, "an object");
  }
  if (given("voice_settings")) {
    const json& v = in["voice_settings"];
    if (!v.is_object()) return bad("voice_settings", "an object");
    if (v.contains("speed") && !v["speed"].is_null()) {
      const json& s = v["speed"];
      if (!s.is_number() || !(s.get<double>() >= protocol::kMinSpeed && s.get<double>() <= protocol::kMaxSpeed)) {
        return bad("voice_settings.speed", "a number from 0.25 to 4");
      }
      m.speed = s.get<double>();
    }
  }
  return m;
}

std::string SerializeElevenLabsMessage(const ElevenLabsMessage& m) {
  json j = json::object();
  if (m.text) j["text"] = *m.text;
  if (m.context_id) j["context_id"] = *m.context_id;
  if (m.flush) j["flush"] = true;
  if (m.close_context) j["close_context"] = true;
  if (m.close_socket) j["close_socket"] = true;
  if (m.try_trigger_generation) j["try_trigger_generation"] = true;
  if (m.speed) j["voice_settings"] = {{"speed", *m.speed}};
  if (m.api_key) j["xi_api_key"] = *m.api_key;
  return Dump(j);
}

std::string ElevenLabsAudioJson(std::span<const uint8_t> audio, const ElevenLabsAlignment* alignment,
                                const std::string* context_id) {
  json j = {{"audio", Base64(audio)}, {"isFinal", nullptr}};
  j["alignment"] = alignment ? AlignmentJson(*alignment) : json(nullptr);
  j["normalizedAlignment"] = j["alignment"];
  if (context_id) j["contextId"] = *context_id;
  return Dump(j);
}

std::string ElevenLabsFinalJson(const std::string* context_id) {
  if (context_id) return Dump({{"isFinal", true}, {"contextId", *context_id}});
  return Dump({{"audio", nullptr}, {"isFinal", true}, {"normalizedAlignment", nullptr}, {"alignment", nullptr}});
}

std::expected<ElevenLabsKey, HttpError> CheckElevenLabsKey(std::string_view token, std::string_view authorization,
                                                          std::string_view xi_api_key, std::string_view query_key) {
  if (token.empty()) return ElevenLabsKey::kGiven;
  bool any = false;
  for (std::string_view key : {authorization, xi_api_key, query_key}) {
    if (key.empty()) continue;
    any = true;
    if (SameSecret(BareKey(key), token)) return ElevenLabsKey::kGiven;
  }
  if (!any) return ElevenLabsKey::kInFirstMessage;
  return std::unexpected(HttpError{401, "invalid_request_error", "invalid_api_key", "wrong API key", ""});
}

bool ElevenLabsKeyMatches(std::string_view token, const std::optional<std::string>& key) {
  return token.empty() || (key && SameSecret(*key, token));
}

}  // namespace ttsd::daemon
