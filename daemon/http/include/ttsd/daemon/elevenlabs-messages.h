// ElevenLabs' text-to-speech WebSocket API (stream-input, multi-stream-input) as typed values: the
// upgrade request's query (output_format, inactivity_timeout, ...), the client's JSON messages, the
// server's messages (audio with character alignment, isFinal, errors), and the API key rules. Pure, so
// that the unit tests and the fuzzer (tests/fuzz/fuzz-elevenlabs.cc) call it with anything.
//   auto options = ParseElevenLabsQuery(target);        // std::expected<ElevenLabsOptions, ElevenLabsError>
//   auto message = ParseElevenLabsMessage(ws_text);     // {"text": "Hello ", "context_id": "c1", "flush": true}
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/daemon/http-speech.h"

namespace ttsd::daemon {

inline constexpr uint32_t kElevenLabsDefaultInactivityS = 20;  // ElevenLabs' default inactivity_timeout
inline constexpr uint32_t kElevenLabsMaxInactivityS = 180;     // and its largest
inline constexpr size_t kElevenLabsMaxContexts = 5;            // open contexts per socket (multi-stream-input)
inline constexpr size_t kElevenLabsMaxContextIdBytes = 256;    // a context_id (it is echoed in every message)
inline constexpr uint16_t kCloseNormal = 1000, kCloseGoingAway = 1001, kClosePolicy = 1008, kCloseInternal = 1011;

// An error as ElevenLabs sends it, a text frame {"message", "error", "code"} ("contextId" when it is
// one context's), then, unless only a context failed, a close frame with close_code and message as its
// reason. error is ElevenLabs' code (input_timeout_exceeded, invalid_input_message,
// max_active_conversations, invalid_api_key, invalid_output_format) or ttsd's error name where it has
// none (text_too_long, unknown_voice, busy, ...).
struct ElevenLabsError {
  std::string error = "invalid_input_message";
  std::string message;
  uint16_t close_code = kClosePolicy;

  // context_id: null for the socket's own errors. Never throws (invalid UTF-8 becomes U+FFFD).
  std::string Json(const std::string* context_id = nullptr) const;
};

// ttsd's typed errors (a native error frame) in ElevenLabs' shape: the code's name, close 1008; 1011 for
// model and internal errors, 1001 for shutting_down.
ElevenLabsError ToElevenLabsError(const Error& error);
ElevenLabsError InvalidInputMessage(std::string detail);
ElevenLabsError InactivityError(uint32_t timeout_s);  // input_timeout_exceeded, ElevenLabs' words
ElevenLabsError TooManyContextsError();                // max_active_conversations, ElevenLabs' words

// The query of GET /v1/text-to-speech/{voice}/(multi-)stream-input. Known and unused parameters
// (model_id, language_code, enable_logging, sync_alignment, apply_text_normalization, ...) are ignored.
struct ElevenLabsOptions {
  std::string output_format = "mp3_44100_128";  // ElevenLabs' (and its SDK's) default
  SpeechRequest audio;                          // format, sample_rate and bitrate_bps for SpeechBody
  uint32_t inactivity_timeout_s = kElevenLabsDefaultInactivityS;
  bool auto_mode = false;  // each text message is spoken at once (a text frame with FLUSH)
  bool ssml = false;       // enable_ssml_parsing: the native request's "ssml"
  std::optional<uint64_t> seed;  // token voices' seed (0..4294967295)
  std::string api_key;           // "authorization" (or "xi_api_key") in the query, percent-decoded
};

// target: the request target, path and query. Values are percent-decoded, booleans read without case
// ("True" from old clients). Errors: invalid_output_format (an output_format ElevenLabs does not list,
// or one ttsd cannot make), invalid_request (inactivity_timeout outside 1..180, a bad boolean or seed).
std::expected<ElevenLabsOptions, ElevenLabsError> ParseElevenLabsQuery(std::string_view target);

// The output formats accepted, in ElevenLabs' spelling: pcm_8000..pcm_48000, mp3_22050_32,
// mp3_24000_48, mp3_44100_{32,64,96,128,192}, opus_48000_{32,64,96,128,192} (Ogg pages),
// wav_8000..wav_48000, ulaw_8000, alaw_8000.
std::span<const std::string_view> ElevenLabsOutputFormats();

// One client message. Absent and null fields are alike.
struct ElevenLabsMessage {
  std::optional<std::string> text;        // "text": a delta; " " begins, "" ends (stream-input) or keeps alive
  std::optional<std::string> context_id;  // "context_id" (multi-stream-input; absent: the default context)
  bool flush = false;                     // speak what has come so far now
  bool close_context = false;
  bool close_socket = false;
  bool try_trigger_generation = false;    // accepted and ignored: ttsd speaks each sentence once it is whole
  std::optional<double> speed;            // "voice_settings": {"speed"}, 0.25..4 (ttsd's range)
  std::optional<std::string> api_key;     // "xi_api_key", "xi-api-key" or "authorization"
};

// A JSON object; text, context_id and the key strings; flush, close_context, close_socket and
// try_trigger_generation booleans; voice_settings and generation_config objects (only speed is read);
// unknown keys ignored. Errors: invalid_input_message naming what is wrong (not JSON, a field of the
// wrong type, a context_id over 256 bytes, a speed outside 0.25..4).
std::expected<ElevenLabsMessage, ElevenLabsError> ParseElevenLabsMessage(std::string_view json);
// A JSON text that ParseElevenLabsMessage reads back as message.
std::string SerializeElevenLabsMessage(const ElevenLabsMessage& message);

// "alignment" (and "normalizedAlignment", the same here): each character of the text with its start
// and duration in whole milliseconds of one message's audio. The three arrays are equally long.
struct ElevenLabsAlignment {
  std::vector<std::string> chars;
  std::vector<int64_t> start_ms;
  std::vector<int64_t> duration_ms;
};

// {"audio": base64, "isFinal": null, "normalizedAlignment": A|null, "alignment": A|null} (+ "contextId").
std::string ElevenLabsAudioJson(std::span<const uint8_t> audio, const ElevenLabsAlignment* alignment,
                                const std::string* context_id);
// stream-input: {"audio": null, "isFinal": true, "normalizedAlignment": null, "alignment": null};
// multi-stream-input: {"isFinal": true, "contextId": id}.
std::string ElevenLabsFinalJson(const std::string* context_id);

// Whether the upgrade request already carries the API key: the Authorization header (Bearer), the
// xi-api-key header or the query's key. token: http-token, empty when none (nothing is asked).
enum class ElevenLabsKey { kGiven, kInFirstMessage };
// Errors: 401 invalid_api_key when a key is given and it is not the token.
std::expected<ElevenLabsKey, HttpError> CheckElevenLabsKey(std::string_view token, std::string_view authorization,
                                                          std::string_view xi_api_key, std::string_view query_key);
// A key from the first message (or none): whether it is the token.
bool ElevenLabsKeyMatches(std::string_view token, const std::optional<std::string>& key);

}  // namespace ttsd::daemon
