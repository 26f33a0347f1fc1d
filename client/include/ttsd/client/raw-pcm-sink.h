// An AudioSink that writes the raw PCM bytes, exactly as they arrive, to a file descriptor (stdout for
// `ttsc say -o -`), one write per chunk with no user-space buffering, so a pipe reader gets audio at once.
//   RawPcmSink sink(STDOUT_FILENO, /*owns_fd=*/false, "stdout");
// Thread-safety: one thread at a time. Writing to a closed pipe raises SIGPIPE unless the program
// ignores it (ttsc does); then Write reports kIo.
#pragma once

#include <memory>
#include <string>

#include "ttsd/client/audio-sink.h"

namespace ttsd::client {

class RawPcmSink final : public AudioSink {
 public:
  // fd: where PCM goes; closed by Close only when owns_fd. name: for messages.
  RawPcmSink(int fd, bool owns_fd, std::string name) : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)) {}
  // Creates or truncates path. Errors: kIo.
  static Result<std::unique_ptr<RawPcmSink>> CreateFile(const std::string& path);
  ~RawPcmSink() override;

  Status Open(const AudioFormat& format) override;
  Status Write(std::span<const uint8_t> pcm) override;
  Status Close() override;
  std::string Describe() const override { return "raw PCM on " + name_; }

 private:
  int fd_;
  bool owns_fd_;
  std::string name_;
  AudioFormat format_;
  bool open_ = false;
};

}  // namespace ttsd::client
