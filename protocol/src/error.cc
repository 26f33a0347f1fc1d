#include "ttsd/protocol/error.h"

namespace ttsd {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kUnsupportedVersion: return "unsupported_version";
    case ErrorCode::kMalformedFrame: return "malformed_frame";
    case ErrorCode::kFrameTooLarge: return "frame_too_large";
    case ErrorCode::kUnknownFrameType: return "unknown_frame_type";
    case ErrorCode::kBadRequest: return "bad_request";
    case ErrorCode::kUnknownVoice: return "unknown_voice";
    case ErrorCode::kUnknownSpeaker: return "unknown_speaker";
    case ErrorCode::kEmptyText: return "empty_text";
    case ErrorCode::kTextTooLong: return "text_too_long";
    case ErrorCode::kUnsupportedText: return "unsupported_text";
    case ErrorCode::kDuplicateRequest: return "duplicate_request";
    case ErrorCode::kUnknownRequest: return "unknown_request";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kBusy: return "busy";
    case ErrorCode::kShuttingDown: return "shutting_down";
    case ErrorCode::kModelError: return "model_error";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kIo: return "io_error";
    case ErrorCode::kInternal: return "internal_error";
    case ErrorCode::kBadAudio: return "bad_audio";
    case ErrorCode::kNotSupported: return "not_supported";
    case ErrorCode::kVoiceExists: return "voice_exists";
    case ErrorCode::kUnknownItem: return "unknown_item";
  }
  return "unknown_error";
}

std::string Error::ToString() const {
  std::string out(ErrorCodeName(code));
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

}  // namespace ttsd
