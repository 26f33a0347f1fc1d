// The OpenAI-compatible speech request (POST /v1/audio/speech) turned into a native synthesize body,
// the response bodies (mp3, flac, aac, Ogg Opus, streaming WAV, raw PCM, G.711 mu-law and A-law; at any
// rate and volume, as audio or as OpenAI's server-sent events; the WebSocket API's audio too), and
// ttsd's errors in OpenAI's shape.
//   auto req = ParseSpeechRequest(body);           // Result<SpeechRequest, HttpError>
//   auto out = SpeechBody::Create(*req, accepted.sample_rate);
// Thread-safety: functions are pure; a SpeechBody belongs to one response (the I/O thread).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// kUlaw, kAlaw: G.711 (codec/g711.h), one byte per sample; the WebSocket API's ulaw_8000 and alaw_8000
// (OpenAI's endpoint does not offer them).
enum class SpeechFormat { kMp3, kWav, kPcm, kOpus, kFlac, kAac, kUlaw, kAlaw };

inline constexpr uint32_t kMinSpeechRateHz = 8000;   // "sample_rate"
inline constexpr uint32_t kMaxSpeechRateHz = 48000;
inline constexpr double kMaxVolume = 4.0;            // "volume": a gain 0..this, the result clipped to [-1, 1]

struct SpeechRequest {
  SpeechFormat format = SpeechFormat::kMp3;  // OpenAI's default
  bool sse = false;                          // stream_format "sse": OpenAI's events instead of raw audio
  // Word timestamps ("return_timestamps"): the native request asks for word marks; they go out as
  // speech.word events (sse) or in the captioned body.
  bool timestamps = false;
  // POST /dev/captioned_speech (Kokoro-FastAPI's): JSON with base64 audio and timestamps, one object per
  // piece of audio as it comes (stream, the default) or one for the whole response.
  bool captioned = false;
  bool stream = true;
  uint32_t sample_rate = 0;                  // 0: the voice's (mp3 and aac: the nearest rate they take)
  uint32_t bitrate_bps = 0;                  // mp3, aac, opus: 0 is the encoder's default
  double volume = 1.0;
  std::string synthesize;  // the native synthesize body (JSON)
  std::string channel;     // non-empty: queue on this channel, answer 202
  size_t input_chars = 0;  // Unicode characters of the input (SSE's usage)
  // How to ask again after a refusal, each once: one of OpenAI's voice names (alloy, nova, ...) that
  // ttsd lacks means the default voice; "instructions" go to the voice's emotion-from-text stage and
  // are dropped for a voice without one.
  bool openai_voice = false;
  bool instructions = false;
  // The synthesize body to send after `error`, or none: the error stands.
  std::optional<std::string> Retry(const Error& error);
};

// Fields: input (required), voice ("name", "name:speaker", a saved voice, "default" or "", OpenAI's
// names), model (ignored), response_format (mp3 default, wav, pcm, opus, flac, aac), speed,
// stream_format ("audio" or "sse"), instructions (see SpeechRequest), sample_rate (8000-48000),
// volume (0-4), and ttsd's speaker, emotion, emotion_text, emotion_alpha, duration, channel,
// interrupt, author and source (a channel's item; source "http" unless given). Values are checked by ttsd's own synthesize parser afterwards. Errors: 400 naming the field.
// return_timestamps (default false) needs stream_format "sse".
std::expected<SpeechRequest, HttpError> ParseSpeechRequest(std::string_view body);

// Kokoro-FastAPI's captioned speech: the same fields as ParseSpeechRequest, less stream_format,
// channel and interrupt, plus stream (default true), return_timestamps (default true) and
// volume_multiplier (as volume); lang_code, normalization_options and return_download_link are
// accepted and ignored. Errors: 400 naming the field.
std::expected<SpeechRequest, HttpError> ParseCaptionedSpeechRequest(std::string_view body);

std::string_view ContentType(SpeechFormat format);

// A RIFF/WAVE header for 16-bit mono PCM of unknown length: the RIFF and data sizes are 0xFFFFFFFF,
// which players read as "until the end of the stream".
std::vector<uint8_t> StreamingWavHeader(uint32_t sample_rate_hz);

// OpenAI's streamed events (stream_format "sse"): one "speech.audio.delta" per piece of the body,
// base64, and "speech.audio.done" with usage (ttsd counts characters, not tokens: input_tokens is the
// input's characters, output_tokens 0).
std::string SseAudioDelta(std::span<const uint8_t> bytes);
std::string Base64(std::span<const uint8_t> bytes);
std::string SseAudioDone(size_t input_chars);

// One response's body: native audio frames' PCM in, the bytes to send out, encoded on the calling
// thread: resampled (soxr) to the request's rate or the format's, scaled by the volume and clipped,
// then encoded (codec/: LAME, libFLAC, vo-aacenc, libopusenc, G.711) or written as 16-bit PCM; every
// piece of encoded audio goes out with the chunk that completed it. The HTTP responses and the WebSocket
// API's audio messages (elevenlabs-session.h) both use it.
class SpeechBody {
 public:
  // voice_rate: the rate the daemon sends. Errors: kInternal / kBadRequest from the encoder or resampler.
  static Result<std::unique_ptr<SpeechBody>> Create(const SpeechRequest& request, uint32_t voice_rate);
  // The sample format to ask ttsd for: s16le where the bytes pass through as they are (wav and pcm at
  // the voice's rate and volume 1), else f32le.
  static std::string_view SampleFormat(const SpeechRequest& request);

  uint32_t rate() const { return rate_; }  // of the audio sent out
  // Bytes that open the body (the WAV header; the FLAC and Ogg headers).
  std::vector<uint8_t> Begin();
  // pcm: one audio frame's samples in SampleFormat(), borrowed. Errors: the encoder's.
  Result<std::vector<uint8_t>> Audio(std::span<const uint8_t> pcm);
  // What is left at the end (the encoder's last frames). Errors: the encoder's.
  Result<std::vector<uint8_t>> Finish();

 private:
  SpeechBody(SpeechFormat format, uint32_t rate, double volume, bool passthrough)
      : format_(format), rate_(rate), volume_(volume), passthrough_(passthrough) {}
  Status Put(std::span<const float> samples);  // resampled: scaled, then encoded or written as s16

  SpeechFormat format_;
  uint32_t rate_;
  double volume_;
  bool passthrough_;
  std::optional<codec::Resampler> resampler_;
  std::function<Status(std::span<const float>)> encode_;  // the encoder's Write; none for wav, pcm, G.711
  std::function<Status()> finish_;                         // the encoder's Finish
  std::vector<float> scaled_;
  std::vector<uint8_t> pending_;  // bytes written by the encoder, not yet handed out
};

}  // namespace ttsd::daemon
