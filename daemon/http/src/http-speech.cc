#include "ttsd/daemon/http-speech.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <nlohmann/json.hpp>

namespace ttsd::daemon {
namespace {

using json = nlohmann::json;

// OpenAI's voice names: clients send them by default. Without a ttsd voice of that name they mean
// the default voice.
constexpr std::array<std::string_view, 13> kOpenAiVoices = {"alloy", "ash",  "ballad",  "coral", "echo",
                                                            "fable", "nova", "onyx",    "sage",  "shimmer",
                                                            "verse", "marin", "cedar"};

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

std::expected<SpeechRequest, HttpError> ParseSpeechRequest(std::string_view body) {
  json in = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object()) return Bad("the request body must be a JSON object", "", "invalid_json");

  SpeechRequest out;
  json native = json::object();
  if (!in.contains("input") || in["input"].is_null()) return Bad("'input' is required", "input", "missing_required_parameter");
  if (!in["input"].is_string()) return Bad("'input' must be a string", "input");
  native["text"] = in["input"];

  std::string format = "wav";
  if (in.contains("response_format") && !in["response_format"].is_null()) {
    if (!in["response_format"].is_string()) return Bad("'response_format' must be a string", "response_format");
    format = in["response_format"].get<std::string>();
  }
  if (format == "wav") {
    out.format = SpeechFormat::kWav;
  } else if (format == "pcm") {
    out.format = SpeechFormat::kPcm;
  } else if (format == "opus") {
    out.format = SpeechFormat::kOpus;
  } else if (format == "mp3" || format == "aac" || format == "flac") {
    return Bad("response_format '" + format + "' is not supported by ttsd: use wav, pcm or opus", "response_format",
               "unsupported_response_format");
  } else {
    return Bad("response_format must be one of wav, pcm, opus", "response_format");
  }
  native["sample_format"] = SpeechBody::SampleFormat(out.format);

  if (in.contains("stream_format") && !in["stream_format"].is_null() && in["stream_format"] != "audio") {
    return Bad("stream_format 'audio' is the only one ttsd streams", "stream_format");
  }

  // voice: "name", "name:speaker", {"id": "name"}; speaker may also come on its own.
  std::string voice;
  if (in.contains("voice") && !in["voice"].is_null()) {
    const json& v = in["voice"];
    if (v.is_string()) {
      voice = v.get<std::string>();
    } else if (v.is_object() && v.contains("id") && v["id"].is_string()) {
      voice = v["id"].get<std::string>();
    } else {
      return Bad("'voice' must be a string", "voice");
    }
  }
  if (in.contains("speaker") && !in["speaker"].is_null()) {
    if (!in["speaker"].is_string()) return Bad("'speaker' must be a string", "speaker");
    native["speaker"] = in["speaker"];
  }
  if (const size_t colon = voice.find(':'); colon != std::string::npos) {
    if (native.contains("speaker")) return Bad("give the speaker once: 'voice' as name:speaker, or 'speaker'", "speaker");
    native["speaker"] = voice.substr(colon + 1);
    voice.resize(colon);
  }
  native["voice"] = voice;

  for (const char* key : {"speed", "emotion", "emotion_text", "emotion_alpha", "duration", "channel", "interrupt"}) {
    if (in.contains(key)) native[key] = in[key];
  }
  if (native.contains("channel") && native["channel"].is_string()) out.channel = native["channel"].get<std::string>();
  out.synthesize = native.dump();
  if (std::find(kOpenAiVoices.begin(), kOpenAiVoices.end(), voice) != kOpenAiVoices.end()) {
    native["voice"] = "";
    out.fallback = native.dump();
  }
  return out;
}

std::string_view ContentType(SpeechFormat format) {
  switch (format) {
    case SpeechFormat::kWav: return "audio/wav";
    case SpeechFormat::kPcm: return "audio/pcm";
    case SpeechFormat::kOpus: return "audio/ogg";
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

Result<std::unique_ptr<SpeechBody>> SpeechBody::Create(SpeechFormat format, uint32_t sample_rate_hz) {
  std::unique_ptr<SpeechBody> body(new SpeechBody(format, sample_rate_hz));
  if (format != SpeechFormat::kOpus) return body;
  auto resampler = codec::Resampler::Create(sample_rate_hz, codec::OggOpusEncoder::kRateHz);
  if (!resampler) return std::unexpected(resampler.error());
  body->resampler_.emplace(std::move(*resampler));
  SpeechBody* self = body.get();
  auto encoder = codec::OggOpusEncoder::Create(codec::OggOpusEncoder::kDefaultBitrateBps,
                                               [self](std::span<const uint8_t> page) -> Status {
                                                 self->pending_.insert(self->pending_.end(), page.begin(), page.end());
                                                 return {};
                                               });
  if (!encoder) return std::unexpected(encoder.error());
  body->opus_ = std::move(*encoder);
  return body;
}

std::vector<uint8_t> SpeechBody::Begin() {
  if (format_ == SpeechFormat::kWav) return StreamingWavHeader(rate_);
  return std::exchange(pending_, {});  // Ogg's header pages (empty for pcm)
}

Status SpeechBody::Encode(std::span<const float> samples_48k) { return opus_->Write(samples_48k); }

Result<std::vector<uint8_t>> SpeechBody::Audio(std::span<const uint8_t> pcm) {
  if (format_ != SpeechFormat::kOpus) return std::vector<uint8_t>(pcm.begin(), pcm.end());
  std::vector<float> samples(pcm.size() / sizeof(float));
  std::memcpy(samples.data(), pcm.data(), samples.size() * sizeof(float));  // f32le on a little-endian host
  auto resampled = resampler_->Process(std::span<const float>(samples));
  if (!resampled) return std::unexpected(resampled.error());
  if (auto s = Encode(*resampled); !s) return std::unexpected(s.error());
  return std::exchange(pending_, {});
}

Result<std::vector<uint8_t>> SpeechBody::Finish() {
  if (format_ != SpeechFormat::kOpus) return std::vector<uint8_t>{};
  auto rest = resampler_->Flush();
  if (!rest) return std::unexpected(rest.error());
  if (auto s = Encode(*rest); !s) return std::unexpected(s.error());
  if (auto s = opus_->Finish(); !s) return std::unexpected(s.error());
  return std::exchange(pending_, {});
}

}  // namespace ttsd::daemon
