#include "ttsd/daemon/http-speech.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ttsd/codec/aac-encoder.h"
#include "ttsd/codec/flac-encoder.h"
#include "ttsd/codec/g711.h"
#include "ttsd/codec/mp3-encoder.h"
#include "ttsd/codec/ogg-opus-encoder.h"
#include "ttsd/protocol/limits.h"

namespace ttsd::daemon {
namespace {

using json = nlohmann::json;

// OpenAI's voice names: clients send them by default. Without a ttsd voice of that name they mean
// the default voice.
constexpr std::array<std::string_view, 13> kOpenAiVoices = {"alloy", "ash",  "ballad",  "coral", "echo",
                                                            "fable", "nova", "onyx",    "sage",  "shimmer",
                                                            "verse", "marin", "cedar"};

constexpr std::array<std::pair<std::string_view, SpeechFormat>, 6> kFormats = {{{"mp3", SpeechFormat::kMp3},
                                                                               {"opus", SpeechFormat::kOpus},
                                                                               {"aac", SpeechFormat::kAac},
                                                                               {"flac", SpeechFormat::kFlac},
                                                                               {"wav", SpeechFormat::kWav},
                                                                               {"pcm", SpeechFormat::kPcm}}};

std::unexpected<HttpError> Bad(std::string message, std::string param, std::string code = "invalid_value") {
  return std::unexpected(HttpError{400, "invalid_request_error", std::move(code), std::move(message), std::move(param)});
}

void PutLe(std::vector<uint8_t>* out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}

}  // namespace

// Never throws: a message may quote what the client sent (a request target is any bytes Beast lets
// through, not UTF-8), so invalid UTF-8 is replaced by U+FFFD rather than thrown at the I/O thread.
std::string HttpError::Json() const {
  json e = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}};
  if (!param.empty()) e["param"] = param;
  return json{{"error", e}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

HttpError ToHttpError(const Error& error) {
  HttpError h;
  h.code = std::string(ErrorCodeName(error.code));
  h.message = error.message;
  switch (error.code) {
    case ErrorCode::kUnknownVoice: h.param = "voice"; break;
    case ErrorCode::kUnknownSpeaker: h.param = "speaker"; break;
    case ErrorCode::kEmptyText:
    case ErrorCode::kUnsupportedText: h.param = "input"; break;
    case ErrorCode::kTextTooLong:
      h.status = 413;
      h.param = "input";
      break;
    case ErrorCode::kBusy:
      h.status = 429;
      h.type = "rate_limit_error";
      break;
    case ErrorCode::kVoiceExists: h.status = 409; break;
    case ErrorCode::kUnknownItem: h.status = 404; break;
    case ErrorCode::kShuttingDown:
      h.status = 503;
      h.type = "server_error";
      break;
    case ErrorCode::kTimeout:
      h.status = 504;
      h.type = "server_error";
      break;
    case ErrorCode::kModelError:
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
    case ErrorCode::kCancelled:
      h.status = 500;
      h.type = "server_error";
      break;
    default: break;  // bad_request, malformed_frame, not_supported, bad_audio, ...: 400
  }
  return h;
}

namespace {

// Both endpoints' bodies: OpenAI's (POST /v1/audio/speech) and Kokoro-FastAPI's captioned speech.
std::expected<SpeechRequest, HttpError> Parse(std::string_view body, bool captioned) {
  json in = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object()) return Bad("the request body must be a JSON object", "", "invalid_json");
  auto given = [&](const char* key) { return in.contains(key) && !in[key].is_null(); };
  auto flag = [&](const char* key, bool* out) -> std::expected<void, HttpError> {
    if (!given(key)) return {};
    if (!in[key].is_boolean()) return Bad(std::string("'") + key + "' must be true or false", key);
    *out = in[key].get<bool>();
    return {};
  };

  SpeechRequest out;
  out.captioned = captioned;
  out.timestamps = captioned;  // Kokoro's default
  if (auto ok = flag("return_timestamps", &out.timestamps); !ok) return std::unexpected(ok.error());
  if (captioned) {
    if (auto ok = flag("stream", &out.stream); !ok) return std::unexpected(ok.error());
    for (const char* key : {"stream_format", "channel", "interrupt"}) {
      if (given(key)) return Bad(std::string("'") + key + "' is not a field of captioned speech", key);
    }
    if (given("volume_multiplier")) {
      if (given("volume")) return Bad("give the volume once: 'volume' or 'volume_multiplier'", "volume_multiplier");
      in["volume"] = in["volume_multiplier"];
    }
  }
  json native = json::object();
  if (!given("input")) return Bad("'input' is required", "input", "missing_required_parameter");
  if (!in["input"].is_string()) return Bad("'input' must be a string", "input");
  native["text"] = in["input"];
  const std::string& input = in["input"].get_ref<const std::string&>();
  out.input_chars = static_cast<size_t>(
      std::count_if(input.begin(), input.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));

  if (given("response_format")) {
    if (!in["response_format"].is_string()) return Bad("'response_format' must be a string", "response_format");
    const std::string format = in["response_format"].get<std::string>();
    auto it = std::find_if(kFormats.begin(), kFormats.end(), [&](const auto& f) { return f.first == format; });
    if (it == kFormats.end()) {
      return Bad("response_format must be one of mp3, opus, aac, flac, wav, pcm", "response_format");
    }
    out.format = it->second;
  }
  if (given("stream_format")) {
    if (in["stream_format"] == "sse") {
      out.sse = true;
    } else if (in["stream_format"] != "audio") {
      return Bad("stream_format must be 'audio' or 'sse'", "stream_format");
    }
  }
  if (out.timestamps && !captioned && !out.sse) {
    return Bad("return_timestamps needs stream_format 'sse' (or POST /dev/captioned_speech)", "return_timestamps");
  }
  if (out.timestamps) native["marks"] = "words";
  if (given("sample_rate")) {
    const json& r = in["sample_rate"];
    if (!r.is_number_integer() || r.get<int64_t>() < kMinSpeechRateHz || r.get<int64_t>() > kMaxSpeechRateHz) {
      return Bad("sample_rate must be a whole number of Hz from " + std::to_string(kMinSpeechRateHz) + " to " +
                     std::to_string(kMaxSpeechRateHz),
                 "sample_rate");
    }
    out.sample_rate = r.get<uint32_t>();
  }
  if (given("volume")) {
    const json& v = in["volume"];
    if (!v.is_number() || !(v.get<double>() >= 0 && v.get<double>() <= kMaxVolume)) {
      return Bad("volume must be a number from 0 to 4 (1: as the voice speaks)",
                 captioned && in.contains("volume_multiplier") ? "volume_multiplier" : "volume");
    }
    out.volume = v.get<double>();
  }
  native["sample_format"] = SpeechBody::SampleFormat(out);

  // voice: "name", "name:speaker", {"id": "name"}; speaker may also come on its own.
  std::string voice;
  if (given("voice")) {
    const json& v = in["voice"];
    if (v.is_string()) {
      voice = v.get<std::string>();
    } else if (v.is_object() && v.contains("id") && v["id"].is_string()) {
      voice = v["id"].get<std::string>();
    } else {
      return Bad("'voice' must be a string", "voice");
    }
  }
  if (given("speaker")) {
    if (!in["speaker"].is_string()) return Bad("'speaker' must be a string", "speaker");
    native["speaker"] = in["speaker"];
  }
  if (const size_t colon = voice.find(':'); colon != std::string::npos) {
    if (native.contains("speaker")) return Bad("give the speaker once: 'voice' as name:speaker, or 'speaker'", "speaker");
    native["speaker"] = voice.substr(colon + 1);
    voice.resize(colon);
  }
  if (voice == "default") voice.clear();
  native["voice"] = voice;
  out.openai_voice = std::find(kOpenAiVoices.begin(), kOpenAiVoices.end(), voice) != kOpenAiVoices.end();

  for (const char* key :
       {"speed", "emotion", "emotion_text", "emotion_alpha", "duration", "channel", "interrupt", "author", "source",
        "loudness"}) {
    if (in.contains(key)) native[key] = in[key];
  }
  // A channel's item says where it came from: "http" unless the caller (the control page: "page") says.
  if (native.contains("channel") && !given("source")) native["source"] = "http";
  // OpenAI's style instructions: read by the voice's emotion-from-text stage where it has one.
  if (given("instructions")) {
    if (!in["instructions"].is_string()) return Bad("'instructions' must be a string", "instructions");
    const std::string& text = in["instructions"].get_ref<const std::string&>();
    if (!native.contains("emotion_text") && text.find_first_not_of(" \t\r\n") != std::string::npos) {
      native["emotion_text"] = text.substr(0, protocol::kMaxEmotionTextBytes);
      out.instructions = true;
    }
  }
  if (native.contains("channel") && native["channel"].is_string()) out.channel = native["channel"].get<std::string>();
  if (out.timestamps && !out.channel.empty()) {
    return Bad("return_timestamps and channel do not go together: a channel's words are its events",
               "return_timestamps");
  }
  out.synthesize = native.dump();
  return out;
}

}  // namespace

std::expected<SpeechRequest, HttpError> ParseSpeechRequest(std::string_view body) { return Parse(body, false); }

std::expected<SpeechRequest, HttpError> ParseCaptionedSpeechRequest(std::string_view body) { return Parse(body, true); }

std::optional<std::string> SpeechRequest::Retry(const Error& error) {
  json native = json::parse(synthesize, nullptr, /*allow_exceptions=*/false);
  if (native.is_discarded()) return std::nullopt;
  if (error.code == ErrorCode::kUnknownVoice && openai_voice) {
    openai_voice = false;
    native["voice"] = "";  // one of OpenAI's voice names: the default voice speaks
  } else if (error.code == ErrorCode::kNotSupported && instructions) {
    instructions = false;
    native.erase("emotion_text");  // accepted, and ignored by a voice that cannot read them
  } else {
    return std::nullopt;
  }
  synthesize = native.dump();
  return synthesize;
}

std::string_view ContentType(SpeechFormat format) {
  switch (format) {
    case SpeechFormat::kMp3: return "audio/mpeg";
    case SpeechFormat::kWav: return "audio/wav";
    case SpeechFormat::kPcm: return "audio/pcm";
    case SpeechFormat::kOpus: return "audio/ogg";
    case SpeechFormat::kFlac: return "audio/flac";
    case SpeechFormat::kAac: return "audio/aac";
    case SpeechFormat::kUlaw: return "audio/basic";
    case SpeechFormat::kAlaw: return "audio/x-alaw-basic";
  }
  return "application/octet-stream";
}

std::vector<uint8_t> StreamingWavHeader(uint32_t sample_rate_hz) {
  std::vector<uint8_t> h;
  h.reserve(44);
  auto tag = [&](const char* t) { h.insert(h.end(), t, t + 4); };
  tag("RIFF");
  PutLe(&h, 0xFFFFFFFFu, 4);  // unknown length
  tag("WAVE");
  tag("fmt ");
  PutLe(&h, 16, 4);
  PutLe(&h, 1, 2);  // PCM
  PutLe(&h, 1, 2);  // mono
  PutLe(&h, sample_rate_hz, 4);
  PutLe(&h, sample_rate_hz * 2, 4);  // bytes per second
  PutLe(&h, 2, 2);                   // block align
  PutLe(&h, 16, 2);                  // bits per sample
  tag("data");
  PutLe(&h, 0xFFFFFFFFu, 4);
  return h;
}

std::string Base64(std::span<const uint8_t> bytes) {
  std::string b64(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), bytes.data(), static_cast<int>(bytes.size()));
  b64.resize(static_cast<size_t>(n));
  return b64;
}

std::string SseAudioDelta(std::span<const uint8_t> bytes) {
  return "data: {\"type\":\"speech.audio.delta\",\"audio\":\"" + Base64(bytes) + "\"}\n\n";
}

std::string SseAudioDone(size_t input_chars) {
  const json usage = {{"input_tokens", input_chars}, {"output_tokens", 0}, {"total_tokens", input_chars}};
  return "data: " + json{{"type", "speech.audio.done"}, {"usage", usage}}.dump() + "\n\n";
}

std::string_view SpeechBody::SampleFormat(const SpeechRequest& r) {
  const bool raw = r.format == SpeechFormat::kWav || r.format == SpeechFormat::kPcm;
  return raw && r.sample_rate == 0 && r.volume == 1.0 ? "s16le" : "f32le";
}

Result<std::unique_ptr<SpeechBody>> SpeechBody::Create(const SpeechRequest& request, uint32_t voice_rate) {
  uint32_t rate = request.sample_rate ? request.sample_rate : voice_rate;
  if (request.format == SpeechFormat::kMp3) rate = codec::Mp3Encoder::NearestRate(rate);
  if (request.format == SpeechFormat::kAac) rate = codec::AacEncoder::NearestRate(rate);
  if (request.format == SpeechFormat::kOpus) rate = codec::OggOpusEncoder::kRateHz;
  std::unique_ptr<SpeechBody> body(
      new SpeechBody(request.format, rate, request.volume, SampleFormat(request) == "s16le"));
  if (body->passthrough_) return body;
  auto resampler = codec::Resampler::Create(voice_rate, rate);
  if (!resampler) return std::unexpected(resampler.error());
  body->resampler_.emplace(std::move(*resampler));
  SpeechBody* self = body.get();
  auto keep = [self](std::span<const uint8_t> bytes) -> Status {
    self->pending_.insert(self->pending_.end(), bytes.begin(), bytes.end());
    return {};
  };
  auto hold = [&](auto encoder) -> Status {
    if (!encoder) return std::unexpected(encoder.error());
    auto shared = std::shared_ptr(std::move(*encoder));
    self->encode_ = [shared](std::span<const float> s) { return shared->Write(s); };
    self->finish_ = [shared] { return shared->Finish(); };
    return {};
  };
  Status made;
  const uint32_t bitrate = request.bitrate_bps;
  switch (request.format) {
    case SpeechFormat::kMp3: made = hold(codec::Mp3Encoder::Create(rate, bitrate, keep)); break;
    case SpeechFormat::kAac: made = hold(codec::AacEncoder::Create(rate, bitrate, keep)); break;
    case SpeechFormat::kFlac: made = hold(codec::FlacEncoder::Create(rate, 0, keep)); break;
    case SpeechFormat::kOpus:
      made = hold(codec::OggOpusEncoder::Create(bitrate ? bitrate : codec::OggOpusEncoder::kDefaultBitrateBps, keep));
      break;
    case SpeechFormat::kWav:
    case SpeechFormat::kPcm:
    case SpeechFormat::kUlaw:
    case SpeechFormat::kAlaw: break;
  }
  if (!made) return std::unexpected(made.error());
  return body;
}

std::vector<uint8_t> SpeechBody::Begin() {
  if (format_ == SpeechFormat::kWav) return StreamingWavHeader(rate_);
  return std::exchange(pending_, {});  // what the encoder wrote at Create (FLAC's and Ogg's headers)
}

Status SpeechBody::Put(std::span<const float> samples) {
  std::span<const float> out = samples;
  if (volume_ != 1.0) {
    scaled_.resize(samples.size());
    const float gain = static_cast<float>(volume_);
    for (size_t i = 0; i < samples.size(); ++i) scaled_[i] = std::clamp(samples[i] * gain, -1.0f, 1.0f);
    out = scaled_;
  }
  if (encode_) return encode_(out);
  for (float f : out) {  // wav and pcm: 16-bit little-endian; G.711: a byte per sample
    const auto v = static_cast<int16_t>(std::lround(std::clamp(f, -1.0f, 1.0f) * 32767.0f));
    if (format_ == SpeechFormat::kUlaw || format_ == SpeechFormat::kAlaw) {
      pending_.push_back(format_ == SpeechFormat::kUlaw ? codec::LinearToMulaw(v) : codec::LinearToAlaw(v));
      continue;
    }
    pending_.push_back(static_cast<uint8_t>(v & 0xff));
    pending_.push_back(static_cast<uint8_t>((static_cast<uint16_t>(v) >> 8) & 0xff));
  }
  return {};
}

Result<std::vector<uint8_t>> SpeechBody::Audio(std::span<const uint8_t> pcm) {
  if (passthrough_) return std::vector<uint8_t>(pcm.begin(), pcm.end());
  std::vector<float> samples(pcm.size() / sizeof(float));
  std::memcpy(samples.data(), pcm.data(), samples.size() * sizeof(float));  // f32le on a little-endian host
  auto resampled = resampler_->Process(std::span<const float>(samples));
  if (!resampled) return std::unexpected(resampled.error());
  if (auto s = Put(*resampled); !s) return std::unexpected(s.error());
  return std::exchange(pending_, {});
}

Result<std::vector<uint8_t>> SpeechBody::Finish() {
  if (passthrough_) return std::vector<uint8_t>{};
  auto rest = resampler_->Flush();
  if (!rest) return std::unexpected(rest.error());
  if (auto s = Put(*rest); !s) return std::unexpected(s.error());
  if (finish_) {
    if (auto s = finish_(); !s) return std::unexpected(s.error());
  }
  return std::exchange(pending_, {});
}

}  // namespace ttsd::daemon
