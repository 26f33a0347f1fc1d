// Live AAC-LC through VisualOn's vo-aacenc: mono, constant bit rate, ADTS framing, every 1024-sample frame
// handed out the moment it is encoded, for HTTP bodies and files that a player plays while they grow
// (OpenAI's response_format "aac").
//   auto enc = AacEncoder::Create(AacEncoder::NearestRate(hz), 0, [&](std::span<const uint8_t> b) { return Send(b); });
//   enc->Write(samples); ...; enc->Finish();
// Thread-safety: one thread at a time; on_bytes runs on that thread, inside Write and Finish.
//
// Each frame is a self-contained ADTS frame (a 7-byte header saying rate, channels and length), so the
// stream needs no header, is valid from its first byte, and a reader may start at any frame. Samples become
// 16-bit as lround(clamp(x, -1, 1) * 32767). Only the rates of SupportsRate: the caller resamples to
// NearestRate (vo-aacenc takes 64..96 kHz too, but crashes or hangs there at low bit rates; speech needs
// none of them). Bit rates outside kMinBitrateBps..MaxBitrateBps are refused here: vo-aacenc would
// silently replace them with its own default, and it crashes (SIGFPE) at 4 kb/s at 44.1 and 48 kHz.
//
// Delay, measured with vo-aacenc 0.1.3 and ffmpeg 5.1 (tests/codec/aac-encoder-test.cc at 24 kHz,
// 64 kb/s; the same at every supported rate, and the lag at 16..96 kb/s):
// - Nothing comes out of Create. A frame goes out as soon as its 1024th sample is written (43 ms at
//   24 kHz): every Write that completes a frame produces output, so any Write of >= 1024 samples does.
// - Decoded, the audio starts kDelaySamples (1600: a frame and 576) late, 67 ms at 24 kHz; ADTS has no
//   field to tell a decoder to trim them. Finish pads the last frame with silence and
//   encodes frames of silence until the last sample written is out: the decoded stream is 1600 samples of
//   silence, the input, then less than a frame of silence.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::codec {

class AacEncoder {
 public:
  static constexpr uint32_t kFrameSamples = 1024;  // AAC-LC's frame
  // How late the input comes out of a decoder (measured; see the header). Finish encodes silence until
  // it is out.
  static constexpr uint32_t kDelaySamples = 1600;
  static constexpr uint32_t kDefaultBitrateBps = 64000;  // mono speech; capped at MaxBitrateBps (8 kHz: 48000)
  static constexpr uint32_t kMinBitrateBps = 16000;

  // Receives ADTS frames (one or more whole frames; borrowed for the call), in stream order. An error stops
  // the encoder: the call that produced the bytes returns it.
  using ByteFn = std::function<Status(std::span<const uint8_t> bytes)>;

  // 8000 11025 12000 16000 22050 24000 32000 44100 48000.
  static bool SupportsRate(uint32_t rate_hz);
  // The smallest supported rate >= rate_hz, else the largest (48000): what to resample to.
  static uint32_t NearestRate(uint32_t rate_hz);
  // vo-aacenc's ceiling: 6 bits per sample, at most 160 kb/s (24 kHz: 144000; 8 kHz: 48000).
  static uint32_t MaxBitrateBps(uint32_t rate_hz);

  // bitrate_bps 0: kDefaultBitrateBps, or MaxBitrateBps(rate) where that is lower. Writes nothing yet.
  // Errors: kBadRequest (a rate !SupportsRate, a bit rate outside kMinBitrateBps..MaxBitrateBps of that
  // rate), kInternal (vo-aacenc refused).
  static Result<std::unique_ptr<AacEncoder>> Create(uint32_t sample_rate_hz, uint32_t bitrate_bps, ByteFn on_bytes);
  ~AacEncoder();
  AacEncoder(const AacEncoder&) = delete;
  AacEncoder& operator=(const AacEncoder&) = delete;

  // samples: mono in [-1, 1] at sample_rate_hz(); borrowed. Every frame completed goes out before this
  // returns; the rest waits for the next Write. Errors: kBadRequest (after Finish), kInternal
  // (vo-aacenc), on_bytes's.
  Status Write(std::span<const float> samples);
  // Pads the last partial frame with silence and encodes frames of silence until the last sample written
  // is out (kDelaySamples; see the header). Safe to call twice. Errors: as Write.
  Status Finish();

  uint32_t sample_rate_hz() const { return sample_rate_hz_; }
  uint32_t bitrate_bps() const { return bitrate_bps_; }
  uint64_t frames() const { return frames_; }  // ADTS frames written so far

 private:
  struct Api;  // vo-aacenc's function table and handle (aac-encoder.cc)

  AacEncoder(uint32_t sample_rate_hz, uint32_t bitrate_bps, ByteFn on_bytes);
  Status EncodeFrame();  // pcm_ (full) -> ADTS frame -> on_bytes

  uint32_t sample_rate_hz_;
  uint32_t bitrate_bps_;
  ByteFn on_bytes_;
  std::unique_ptr<Api> api_;
  std::vector<int16_t> pcm_;  // the frame being filled: kFrameSamples, pcm_filled_ of them written
  size_t pcm_filled_ = 0;
  uint64_t samples_in_ = 0;   // written by the caller
  uint64_t frames_in_ = 0;    // handed to vo-aacenc, padding included
  std::vector<uint8_t> out_;  // vo-aacenc's output buffer
  uint64_t frames_ = 0;
  bool finished_ = false;
  Status error_;  // the first error (on_bytes's or vo-aacenc's): the encoder stops
};

}  // namespace ttsd::codec
