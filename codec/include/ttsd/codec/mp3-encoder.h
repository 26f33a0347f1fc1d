// Live MP3 through LAME: mono, constant bit rate, every frame handed out the moment LAME produces it, for
// HTTP bodies and files that a player plays while they grow (OpenAI's response_format "mp3").
//   auto enc = Mp3Encoder::Create(Mp3Encoder::NearestRate(hz), 0, [&](std::span<const uint8_t> b) { return Send(b); });
//   enc->Write(samples); ...; enc->Finish();
// Thread-safety: one thread at a time; on_bytes runs on that thread, inside Write and Finish.
//
// The stream is a bare run of MPEG audio frames: no Xing/LAME tag (it would need rewriting once the length
// is known), no ID3 tags, so it is valid from its first byte and any prefix of it plays. Only MPEG's rates
// (SupportsRate); the caller resamples to NearestRate. Output rate = input rate (LAME would otherwise pick a
// lower one for low bit rates). Frames are 1152 samples at 32..48 kHz (MPEG-1), 576 below (MPEG-2, 2.5).
//
// Delay, measured with LAME 3.100 and ffmpeg 5.1 (tests/codec/mp3-encoder-test.cc at 24 kHz, 64 kb/s;
// also at every supported rate, and the lag at 16..96 kb/s):
// - Nothing comes out of Create. The first frame goes out once a frame and 224 samples have been written:
//   800 samples at 8..24 kHz (33 ms at 24 kHz), 1376 at 32..48 kHz (29 ms at 48 kHz). From then on, every
//   Write of >= one frame of input produces output.
// - Decoded, the audio starts 1105 samples late (LAME's 576-sample encoder delay and the decoder's 529;
//   without a LAME tag no decoder can trim them): 46 ms at 24 kHz. Finish (lame_encode_flush) pads the
//   end: the decoded stream is 1105 samples of silence, the input, then less than 2 frames of silence.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "ttsd/protocol/error.h"

struct lame_global_struct;  // lame_t points at this

namespace ttsd::codec {

class Mp3Encoder {
 public:
  static constexpr uint32_t kDefaultBitrateBps = 64000;  // mono speech; the rate's range may clip it (below)

  // Receives MP3 bytes (whole frames; borrowed for the call), in stream order. An error stops the encoder:
  // the call that produced the bytes returns it.
  using ByteFn = std::function<Status(std::span<const uint8_t> bytes)>;

  // MPEG's rates: 8000 11025 12000 16000 22050 24000 32000 44100 48000.
  static bool SupportsRate(uint32_t rate_hz);
  // The smallest supported rate >= rate_hz, else the largest (48000): what to resample to.
  static uint32_t NearestRate(uint32_t rate_hz);
  // The bit rates a rate allows (b/s): 32k..320k at 32..48 kHz, 8k..160k at 16..24 kHz, 8k..64k below.
  // LAME then uses the nearest bit rate of MPEG's table for that rate.
  static uint32_t MinBitrateBps(uint32_t rate_hz);
  static uint32_t MaxBitrateBps(uint32_t rate_hz);

  // bitrate_bps 0: kDefaultBitrateBps. Writes nothing yet. Errors: kBadRequest (a rate !SupportsRate, a
  // bit rate outside MinBitrateBps..MaxBitrateBps of that rate), kInternal (LAME refused).
  static Result<std::unique_ptr<Mp3Encoder>> Create(uint32_t sample_rate_hz, uint32_t bitrate_bps, ByteFn on_bytes);
  ~Mp3Encoder();
  Mp3Encoder(const Mp3Encoder&) = delete;
  Mp3Encoder& operator=(const Mp3Encoder&) = delete;

  // samples: mono in [-1, 1] at sample_rate_hz(); borrowed. Every frame LAME completes goes out before this
  // returns. Errors: kBadRequest (after Finish), kInternal (LAME), on_bytes's.
  Status Write(std::span<const float> samples);
  // Encodes what LAME holds (padded with silence) and hands out the last frames. Safe to call twice.
  // Errors: as Write.
  Status Finish();

  uint32_t sample_rate_hz() const { return sample_rate_hz_; }
  uint32_t bitrate_bps() const { return bitrate_bps_; }  // as asked, before LAME's rounding to its table

 private:
  Mp3Encoder(uint32_t sample_rate_hz, uint32_t bitrate_bps, ByteFn on_bytes)
      : sample_rate_hz_(sample_rate_hz), bitrate_bps_(bitrate_bps), on_bytes_(std::move(on_bytes)) {}
  Status Emit(int lame_rc);  // LAME's return: bytes in out_ to hand out, or its error

  uint32_t sample_rate_hz_;
  uint32_t bitrate_bps_;
  ByteFn on_bytes_;
  lame_global_struct* lame_ = nullptr;  // owned
  std::vector<uint8_t> out_;            // LAME's output buffer, sized for the largest Write piece
  bool finished_ = false;
  Status error_;  // the first error (on_bytes's or LAME's): the encoder stops
};

}  // namespace ttsd::codec
