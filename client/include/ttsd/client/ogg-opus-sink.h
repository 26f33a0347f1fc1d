// An AudioSink that writes Ogg Opus (48 kHz mono, 20 ms frames, ~32 kb/s) to a file or to stdout as the
// audio arrives: the header pages at Open, then one page per 20 ms frame written with write(2) the moment it
// is encoded, so `ttsc say -o ogg:- | ffplay -f ogg -` or a reader of a growing file hears it at once.
//   auto sink = OggOpusSink::CreateFile("out.opus", 32000).value();   // or OggOpusSink(STDOUT_FILENO, false, "stdout", 32000)
// Thread-safety: one thread at a time. Writing to a closed pipe raises SIGPIPE unless the program ignores
// it (ttsc does); then Write reports kIo.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "ttsd/client/audio-sink.h"
#include "ttsd/codec/ogg-opus-encoder.h"

namespace ttsd::client {

class OpusFramer;

class OggOpusSink final : public AudioSink {
 public:
  // fd: where the Ogg stream goes; closed by Close only when owns_fd. name: for messages.
  OggOpusSink(int fd, bool owns_fd, std::string name, uint32_t bitrate_bps = codec::OggOpusEncoder::kDefaultBitrateBps);
  // Creates or truncates path now. Errors: kIo.
  static Result<std::unique_ptr<OggOpusSink>> CreateFile(const std::string& path,
                                                         uint32_t bitrate_bps = codec::OggOpusEncoder::kDefaultBitrateBps);
  ~OggOpusSink() override;

  // Any rate (resampled to 48 kHz), any channel count (averaged). Writes the header pages.
  // Errors: kBadRequest (a format the encoder cannot take, or a bad bitrate), kIo, kInternal.
  Status Open(const AudioFormat& format) override;
  Status Write(std::span<const uint8_t> pcm) override;
  // Encodes the rest and writes the end-of-stream page. A file closed without Open is removed.
  Status Close() override;
  std::string Describe() const override { return "Ogg Opus " + std::string(owns_fd_ ? "file " : "on ") + name_; }

 private:
  Status WriteBytes(std::span<const uint8_t> bytes);

  int fd_;
  bool owns_fd_;
  std::string name_;
  uint32_t bitrate_bps_;
  bool unlink_if_unused_ = false;  // a file we created
  bool closed_ = false;
  std::unique_ptr<OpusFramer> framer_;      // set by Open
  std::unique_ptr<codec::OggOpusEncoder> encoder_;  // set by Open
};

}  // namespace ttsd::client
