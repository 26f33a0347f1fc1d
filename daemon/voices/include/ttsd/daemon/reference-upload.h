// Collects the reference audio files of one request from its kReference frames: the speaker files
// one after another (a piece with kFlagEndOfFile ends each), and at most one emotion file (pieces
// flagged kFlagEmotion), the two interleaved freely.
//   ReferenceUpload up(2, /*emotion_file=*/false, 16 << 20);
//   if (auto s = up.Add(frame.header.flags, frame.payload); !s) fail(s.error());
//   if (up.complete()) run(up.TakeSpeakerFiles());
// Thread-safety: a plain value, used on the I/O thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::daemon {

class ReferenceUpload {
 public:
  ReferenceUpload(uint32_t speaker_files, bool emotion_file, size_t max_file_bytes)
      : expected_(speaker_files), emotion_expected_(emotion_file), max_file_bytes_(max_file_bytes) {}

  // Errors: kBadRequest (a piece of a file that was not announced: a speaker file past the count,
  // an emotion piece when none was announced or after it ended), kBadAudio (a file over
  // max_file_bytes).
  Status Add(uint8_t flags, std::span<const uint8_t> piece);

  bool complete() const { return files_.size() == expected_ && (!emotion_expected_ || emotion_done_); }
  size_t held_bytes() const { return held_bytes_; }
  uint32_t expected_files() const { return expected_; }

  std::vector<std::vector<uint8_t>> TakeSpeakerFiles() { return std::move(files_); }
  std::vector<uint8_t> TakeEmotionFile() { return std::move(emotion_); }

 private:
  uint32_t expected_;
  bool emotion_expected_;
  size_t max_file_bytes_;
  std::vector<std::vector<uint8_t>> files_;  // finished speaker files
  std::vector<uint8_t> current_;             // the speaker file arriving now
  std::vector<uint8_t> emotion_;
  bool emotion_done_ = false;
  size_t held_bytes_ = 0;
};

}  // namespace ttsd::daemon
