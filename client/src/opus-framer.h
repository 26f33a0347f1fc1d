// Internal to the Opus sinks: turns a request's PCM chunks (any rate, s16le or f32le, any channel count)
// into 48 kHz mono float in 20 ms frames. Channels are averaged; the rate is changed with Resampler.
//   auto framer = OpusFramer::Create(format).value();
//   framer.Push(pcm, [&](std::span<const float> frame) { return Encode(frame); });   // 960 samples each
//   framer.Finish(on_frame);   // the rest; the last frame may be shorter
// Thread-safety: one thread at a time (the sink's).
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "ttsd/client/audio-sink.h"
#include "ttsd/codec/resampler.h"

namespace ttsd::client {

class OpusFramer {
 public:
  static constexpr uint32_t kRateHz = codec::Resampler::kOpusRateHz;
  static constexpr size_t kFrameSamples = kRateHz / 50;  // 20 ms

  using FrameFn = std::function<Status(std::span<const float> frame)>;

  // Errors: kBadRequest (zero channels, more than 255, or a rate the resampler refuses).
  static Result<OpusFramer> Create(const AudioFormat& format);

  // pcm: interleaved little-endian samples in the format given to Create, whole frames only; borrowed.
  // Calls on_frame for every complete 20 ms frame. Errors: kBadRequest (not whole frames), on_frame's.
  Status Push(std::span<const uint8_t> pcm, const FrameFn& on_frame);
  // End of input: emits what is left, the last frame possibly short (not padded; nothing if empty).
  Status Finish(const FrameFn& on_frame);

  const AudioFormat& format() const { return format_; }

 private:
  OpusFramer(const AudioFormat& format, codec::Resampler resampler) : format_(format), resampler_(std::move(resampler)) {}
  Status Emit(std::span<const float> samples, const FrameFn& on_frame);

  AudioFormat format_;
  codec::Resampler resampler_;
  std::vector<float> mono_;     // the chunk as mono float, before resampling
  std::vector<float> pending_;  // 48 kHz samples not yet a whole frame (< kFrameSamples)
};

}  // namespace ttsd::client
