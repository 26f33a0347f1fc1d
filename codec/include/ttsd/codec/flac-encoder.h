// Live FLAC through libFLAC: 16-bit mono at the caller's rate, small blocks handed out the moment each is
// encoded, for HTTP bodies and files that a player plays while they grow (OpenAI's response_format "flac").
//   auto enc = FlacEncoder::Create(24000, 0, [&](std::span<const uint8_t> b) { return Send(b); }).value();
//   enc->Write(samples); ...; enc->Finish();
// Thread-safety: one thread at a time; on_bytes runs on that thread, inside Create, Write and Finish.
//
// Settings: compression level 5, kBlockSamples-sample blocks (level 5 alone would take 4096), the
// streamable subset (every frame header says its rate and size), no seek table. Samples become 16-bit as
// lround(clamp(x, -1, 1) * 32767), like the WAV and PCM outputs; decoded, they come back exactly. Measured
// on flite speech at 24 kHz: 1152-sample blocks make the stream 5% larger than 4096 (127 against
// 121 kb/s; 576 would add 13%); level 5 encodes ~1600x faster than real time on one core (level 8:
// ~600x), so the level costs no latency, only the block size does.
//
// The length is unknown up front and the stream cannot seek, so the STREAMINFO block written at Create
// stays as it is: total samples 0 ("unknown"), MD5 all zeros ("not computed": decoders skip the check),
// minimum and maximum frame sizes 0 ("unknown"). libFLAC would rewrite them at Finish through the seek
// callback; ours answers "unsupported" and libFLAC leaves them (it computes the MD5 all the same: its
// public API cannot turn that off). Decoders play such a stream to its end (every frame carries its own
// sample number and CRC); what they cannot tell before the end is its duration, and seeking in a saved
// file means a scan. ffmpeg decodes it exactly (tests/codec/flac-encoder-test.cc).
//
// Delay, measured with libFLAC 1.4.2 (tests/codec/flac-encoder-test.cc; the same at 8..48 kHz): Create
// writes the header ("fLaC", STREAMINFO, VORBIS_COMMENT). libFLAC encodes a block once one sample past it
// has arrived, so the first frame goes out when kBlockSamples + 1 samples have been written (48 ms at
// 24 kHz); from then on, every Write of >= kBlockSamples samples produces output. Decoded, the audio is
// not delayed at all, and Finish encodes the last, shorter block: the decoded stream is the input, sample
// for sample.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::codec {

class FlacEncoder {
 public:
  static constexpr uint32_t kBlockSamples = 1152;
  static constexpr uint32_t kCompressionLevel = 5;

  // Receives FLAC bytes (the header's blocks, then whole frames; borrowed for the call), in stream order.
  // An error stops the encoder: the call that produced the bytes returns it.
  using ByteFn = std::function<Status(std::span<const uint8_t> bytes)>;

  // The rates the streamable subset can carry (libFLAC's FLAC__format_sample_rate_is_subset): 1..65535 Hz,
  // and multiples of 10 Hz up to 655350.
  static bool SupportsRate(uint32_t rate_hz);

  // bitrate_bps: ignored (FLAC is lossless; the parameter keeps Create alike across the encoders).
  // Writes the header through on_bytes before returning. Errors: kBadRequest (a rate !SupportsRate),
  // kInternal (libFLAC refused), on_bytes's.
  static Result<std::unique_ptr<FlacEncoder>> Create(uint32_t sample_rate_hz, uint32_t bitrate_bps, ByteFn on_bytes);
  ~FlacEncoder();
  FlacEncoder(const FlacEncoder&) = delete;
  FlacEncoder& operator=(const FlacEncoder&) = delete;

  // samples: mono in [-1, 1] at sample_rate_hz(); borrowed. Every block completed goes out before this
  // returns (see the header for the one sample libFLAC waits for). Errors: kBadRequest (after Finish),
  // kInternal (libFLAC), on_bytes's.
  Status Write(std::span<const float> samples);
  // Encodes the last, shorter block. Safe to call twice. Errors: as Write.
  Status Finish();

  uint32_t sample_rate_hz() const { return sample_rate_hz_; }

 private:
  struct Library;  // libFLAC's encoder (flac-encoder.cc)

  FlacEncoder(uint32_t sample_rate_hz, ByteFn on_bytes);
  friend struct FlacCallbacks;                   // libFLAC's callbacks (flac-encoder.cc), client_data: this
  bool Deliver(std::span<const uint8_t> bytes);  // on_bytes, unless an earlier call failed; false: stop
  Status LibraryError() const;                   // the encoder's state as kInternal

  uint32_t sample_rate_hz_;
  ByteFn on_bytes_;
  std::unique_ptr<Library> lib_;
  std::vector<int32_t> pcm_;  // a Write piece as libFLAC's integers
  bool finished_ = false;
  Status error_;  // the first error on_bytes returned
};

}  // namespace ttsd::codec
