// An AudioSink that writes a WAV file through libsndfile as chunks arrive: PCM_16 for s16le, FLOAT for f32le.
// The header is rewritten after every chunk, so the file is a valid WAV at any moment (even if ttsc is killed).
//   auto sink = WavFileSink::Create("out.wav").value(); sink->Open({16000, 1, SampleFormat::kS16Le});
// Thread-safety: one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ttsd/client/audio-sink.h"

struct sf_private_tag;  // libsndfile's SNDFILE

namespace ttsd::client {

class WavFileSink final : public AudioSink {
 public:
  // Creates or truncates path now. Errors: kIo ("cannot write out.wav: Permission denied").
  static Result<std::unique_ptr<WavFileSink>> Create(const std::string& path);
  ~WavFileSink() override;

  Status Open(const AudioFormat& format) override;
  Status Write(std::span<const uint8_t> pcm) override;
  // Finishes the file. A sink closed without Open (the request failed first) removes the empty file.
  Status Close() override;
  std::string Describe() const override { return "WAV file " + path_; }

 private:
  WavFileSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_;  // owned until Open hands it to libsndfile; -1 after
  std::string path_;
  sf_private_tag* file_ = nullptr;  // owned; closed by Close
  AudioFormat format_;
  bool closed_ = false;
  std::vector<int16_t> s16_;  // aligned copies of the chunk being written
  std::vector<float> f32_;
};

}  // namespace ttsd::client
