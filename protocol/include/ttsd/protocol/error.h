// The one error type of ttsd: a numeric code that travels on the wire plus a human message.
//   ttsd::Result<Voice> r = LoadVoice(dir);
//   if (!r) log(r.error().ToString());
// Thread-safety: plain values; copy freely.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace ttsd {

// Stable numbers: they are part of the wire protocol (protocol/README.md). Append only.
enum class ErrorCode : uint16_t {
  kOk = 0,
  kUnsupportedVersion = 1,  // no protocol version in common
  kMalformedFrame = 2,      // header or payload cannot be parsed
  kFrameTooLarge = 3,       // payload length above the receiver's cap
  kUnknownFrameType = 4,
  kBadRequest = 5,          // well-formed frame with invalid fields or in the wrong state
  kUnknownVoice = 6,
  kUnknownSpeaker = 7,
  kEmptyText = 8,
  kTextTooLong = 9,
  kUnsupportedText = 10,    // the text frontend cannot turn this text into phones
  kDuplicateRequest = 11,   // request id already open on this connection
  kUnknownRequest = 12,     // request id not open on this connection
  kCancelled = 13,
  kBusy = 14,               // a limit on open requests was reached; retry later
  kShuttingDown = 15,
  kModelError = 16,         // a voice package is invalid or a model stage failed
  kTimeout = 17,
  kIo = 18,                 // file or socket error
  kInternal = 19,
  kBadAudio = 20,           // reference audio unreadable, silent, too short or too long
  kNotSupported = 21,       // the voice lacks the stage a feature needs (cloning, emotion)
  kVoiceExists = 22,        // a saved voice of that name exists (and replace was not asked)
  kUnknownItem = 23,        // no item of that id is queued or playing on the channel (it may have just ended)
};

// "unknown_voice" etc.; "unknown_error" for numbers this build does not know.
std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  std::string ToString() const;  // "unknown_voice: no voice named 'x'"
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace ttsd
