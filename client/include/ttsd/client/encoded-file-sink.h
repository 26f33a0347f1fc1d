// An AudioSink that encodes MP3 (LAME), FLAC (libFLAC) or AAC (vo-aacenc, ADTS) live, to a file or to stdout:
// every byte an encoder hands out is written with write(2) at once (no user-space buffer), so
// `ttsc say -o mp3:- | ffplay -` or a player reading a growing file hears it while it is made.
//   auto sink = EncodedFileSink::CreateFile("out.mp3", EncodedFormat::kMp3).value();   // or
//   EncodedFileSink(STDOUT_FILENO, /*owns_fd=*/false, "stdout", EncodedFormat::kFlac)
// Thread-safety: one thread at a time. Writing to a closed pipe raises SIGPIPE unless the program ignores
// it (ttsc does); then Write reports kIo.
//
// Mono: channels are averaged. MP3 and AAC take only MPEG's rates, so the audio is resampled (soxr) to
// the nearest one at or above the input's (16, 22.05 and 24 kHz, the voices' usual rates, pass through);
// FLAC keeps the input's rate. s16le samples are scaled by 1/32767, the inverse of the encoders' own
// conversion back to 16 bits, so FLAC returns an s16le input sample for sample (bar -32768: -32767).
// The streams need no header rewritten at the end (codec/'s encoder headers say why): a file is playable
// from its first frame while it grows, and valid up to its last whole frame if ttsc is killed.
// Delay before a reader sees audio: what the encoder holds (MP3: 800 samples at 16..24 kHz; FLAC: a
// 1152-sample block; AAC: a 1024-sample frame), and ~30 ms in soxr when resampling.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ttsd/client/audio-sink.h"
#include "ttsd/codec/aac-encoder.h"
#include "ttsd/codec/flac-encoder.h"
#include "ttsd/codec/mp3-encoder.h"
#include "ttsd/codec/resampler.h"

namespace ttsd::client {

// "MP3", "FLAC", "AAC": for messages.
std::string_view EncodedFormatName(EncodedFormat format);

class EncodedFileSink final : public AudioSink {
 public:
  // fd: where the encoded stream goes; closed by Close only when owns_fd. name: for messages.
  // bitrate_bps: MP3 and AAC (0: the encoder's default, 64 kb/s); FLAC ignores it.
  EncodedFileSink(int fd, bool owns_fd, std::string name, EncodedFormat format, uint32_t bitrate_bps = 0);
  // Creates or truncates path now. Errors: kIo.
  static Result<std::unique_ptr<EncodedFileSink>> CreateFile(const std::string& path, EncodedFormat format,
                                                             uint32_t bitrate_bps = 0);
  ~EncodedFileSink() override;

  // The rate format's encoder runs at for input at input_rate_hz: MP3, AAC: NearestRate; FLAC: the
  // input's own where the streamable subset carries it, else 48000.
  static uint32_t EncoderRateHz(EncodedFormat format, uint32_t input_rate_hz);

  // Any rate the resampler takes (1..384 kHz), 1..255 channels, s16le or f32le. FLAC writes its header now.
  // Errors: kBadRequest (a format it cannot take, a bit rate the encoder refuses, already open or closed),
  // kIo, kInternal.
  Status Open(const AudioFormat& format) override;
  // Errors: kBadRequest (not open, not whole frames), kIo, kInternal.
  Status Write(std::span<const uint8_t> pcm) override;
  // Encodes what the resampler and the encoder still hold and writes it. A file closed without Open is
  // removed. Errors: kIo, kInternal.
  Status Close() override;
  std::string Describe() const override {
    return std::string(EncodedFormatName(format_)) + (owns_fd_ ? " file " : " on ") + name_;
  }

  EncodedFormat format() const { return format_; }
  uint32_t encoder_rate_hz() const { return encoder_rate_hz_; }  // 0 before Open

 private:
  using Encoder = std::variant<std::unique_ptr<codec::Mp3Encoder>, std::unique_ptr<codec::FlacEncoder>,
                               std::unique_ptr<codec::AacEncoder>>;

  Status WriteBytes(std::span<const uint8_t> bytes);  // the encoders' ByteFn
  Status Encode(std::span<const float> samples);      // into whichever encoder
  Status FinishEncoder();

  int fd_;
  bool owns_fd_;
  std::string name_;
  EncodedFormat format_;
  uint32_t bitrate_bps_;
  bool unlink_if_unused_ = false;  // a file we created
  bool closed_ = false;
  AudioFormat input_;
  uint32_t encoder_rate_hz_ = 0;
  std::optional<codec::Resampler> resampler_;  // set by Open
  std::optional<Encoder> encoder_;             // set by Open
  std::vector<float> mono_;                    // the chunk as mono float, before resampling
};

}  // namespace ttsd::client
