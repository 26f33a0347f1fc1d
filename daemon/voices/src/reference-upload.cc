#include "ttsd/daemon/reference-upload.h"

#include <string>

#include "ttsd/protocol/frame.h"

namespace ttsd::daemon {

Status ReferenceUpload::Add(uint8_t flags, std::span<const uint8_t> piece) {
  const bool emotion = (flags & protocol::kFlagEmotion) != 0;
  const bool end = (flags & protocol::kFlagEndOfFile) != 0;
  if (emotion) {
    if (!emotion_expected_) {
      return MakeError(ErrorCode::kBadRequest, "an emotion reference arrived but the request announced none");
    }
    if (emotion_done_) return MakeError(ErrorCode::kBadRequest, "a second emotion reference arrived");
  } else if (files_.size() == expected_) {
    return MakeError(ErrorCode::kBadRequest, "more speaker reference files arrived than the " +
                                                 std::to_string(expected_) + " announced");
  }
  std::vector<uint8_t>& file = emotion ? emotion_ : current_;
  if (file.size() + piece.size() > max_file_bytes_) {
    return MakeError(ErrorCode::kBadAudio, std::string(emotion ? "the emotion reference" : "reference " +
                                                       std::to_string(files_.size() + 1)) +
                                               " is larger than " + std::to_string(max_file_bytes_) +
                                               " bytes (max_reference_bytes)");
  }
  file.insert(file.end(), piece.begin(), piece.end());
  held_bytes_ += piece.size();
  if (end) {
    if (emotion) {
      emotion_done_ = true;
    } else {
      files_.push_back(std::move(current_));
      current_.clear();
    }
  }
  return {};
}

}  // namespace ttsd::daemon
