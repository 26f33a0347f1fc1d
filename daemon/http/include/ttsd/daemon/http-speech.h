// The OpenAI-compatible speech request (POST /v1/audio/speech) turned into a native synthesize body,
// the response body formats (streaming WAV, raw PCM, Ogg Opus), and ttsd's errors in OpenAI's shape.
//   auto req = ParseSpeechRequest(body);           // Result<SpeechRequest, HttpError>
//   auto out = SpeechBody::Create(req->format, accepted.sample_rate);
// Thread-safety: functions are pure; a SpeechBody belongs to one response (the I/O thread).
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/codec/ogg-opus-encoder.h"
#include "ttsd/codec/resampler.h"
#include "ttsd/protocol/error.h"

namespace ttsd::daemon {

// An error as an HTTP status and OpenAI's body {"error": {"message", "type", "param", "code"}}.
struct HttpError {
  int status = 400;
  std::string type = "invalid_request_error";  // or server_error, authentication_error, rate_limit_error
  std::string code;                            // ttsd's error name ("unknown_voice"), or ours
  std::string message;
  std::string param;                           // the request field at fault; empty: null

  std::string Json() const;  // never throws; invalid UTF-8 becomes U+FFFD
};

// unknown_voice/speaker, bad fields, empty or unspeakable text -> 400; text_too_long -> 413;
// busy -> 429; shutting_down -> 503; timeout -> 504; model or internal errors -> 500.
HttpError ToHttpError(const Error& error);

enum class SpeechFormat { kWav, kPcm, kOpus };

struct SpeechRequest {
  SpeechFormat format = SpeechFormat::kWav;
  std::string synthesize;  // the native synthesize body (JSON)
  // Set when voice was one of OpenAI's own names (alloy, nova, ...): the body to send with the
  // default voice instead if ttsd has no voice of that name.
  std::optional<std::string> fallback;
  std::string channel;     // non-empty: queue on this channel, answer 202
};

// Fields: input (required), voice ("name", "name:speaker", a saved voice, or OpenAI's names),
// model (ignored), response_format (wav default, pcm, opus; mp3/aac/flac are refused), speed,
// stream_format ("audio" only), instructions (ignored), and ttsd's speaker, emotion,
// emotion_text, emotion_alpha, duration, channel, interrupt. Values are checked by ttsd's own
// synthesize parser afterwards. Errors: 400 naming the field.
std::expected<SpeechRequest, HttpError> ParseSpeechRequest(std::string_view body);

std::string_view ContentType(SpeechFormat format);

// A RIFF/WAVE header for 16-bit mono PCM of unknown length: the RIFF and data sizes are 0xFFFFFFFF,
// which players read as "until the end of the stream".
std::vector<uint8_t> StreamingWavHeader(uint32_t sample_rate_hz);

// One response's body: native audio frames' PCM in, the bytes to send out. Opus runs the samples
// through the resampler to 48 kHz and libopusenc (a page per 20 ms frame) on the calling thread.
class SpeechBody {
 public:
  // Errors: kInternal / kBadRequest from the encoder or resampler.
  static Result<std::unique_ptr<SpeechBody>> Create(SpeechFormat format, uint32_t sample_rate_hz);
  // The sample format to ask ttsd for: s16le for wav and pcm, f32le for opus.
  static std::string_view SampleFormat(SpeechFormat format) { return format == SpeechFormat::kOpus ? "f32le" : "s16le"; }

  // Bytes that open the body (the WAV header; Ogg's header pages).
  std::vector<uint8_t> Begin();
  // pcm: one audio frame's samples in SampleFormat(format), borrowed. Errors: the encoder's.
  Result<std::vector<uint8_t>> Audio(std::span<const uint8_t> pcm);
  // What is left at the end (Ogg's last pages). Errors: the encoder's.
  Result<std::vector<uint8_t>> Finish();

 private:
  SpeechBody(SpeechFormat format, uint32_t rate) : format_(format), rate_(rate) {}
  Status Encode(std::span<const float> samples_48k);

  SpeechFormat format_;
  uint32_t rate_;
  std::optional<codec::Resampler> resampler_;      // opus only
  std::unique_ptr<codec::OggOpusEncoder> opus_;    // opus only
  std::vector<uint8_t> pending_;                   // pages written by the encoder, not yet handed out
};

}  // namespace ttsd::daemon
