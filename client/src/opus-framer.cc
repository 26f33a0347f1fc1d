#include "opus-framer.h"

#include <bit>
#include <cstring>
#include <string>

#include "pcm-io.h"

namespace ttsd::client {

static_assert(std::endian::native == std::endian::little, "OpusFramer reads little-endian samples with memcpy");

Result<OpusFramer> OpusFramer::Create(const AudioFormat& format) {
  if (format.channels == 0 || format.channels > 255) {
    return MakeError(ErrorCode::kBadRequest,
                     "cannot encode Opus from " + std::to_string(format.channels) + " channels");
  }
  auto resampler = codec::Resampler::Create(format.sample_rate_hz, kRateHz);
  if (!resampler) return std::unexpected(resampler.error());
  return OpusFramer(format, std::move(*resampler));
}

Status OpusFramer::Push(std::span<const uint8_t> pcm, const FrameFn& on_frame) {
  if (auto s = ToMono(pcm, format_, 32768.0f, &mono_); !s) return s;
  auto resampled = resampler_.Process(std::span<const float>(mono_));
  if (!resampled) return std::unexpected(resampled.error());
  return Emit(*resampled, on_frame);
}

Status OpusFramer::Finish(const FrameFn& on_frame) {
  auto rest = resampler_.Flush();
  if (!rest) return std::unexpected(rest.error());
  if (auto s = Emit(*rest, on_frame); !s) return s;
  if (pending_.empty()) return {};
  std::vector<float> last;
  last.swap(pending_);
  return on_frame(last);
}

Status OpusFramer::Emit(std::span<const float> samples, const FrameFn& on_frame) {
  // Top up a partial frame first, then hand out whole frames straight from the resampler's output.
  if (!pending_.empty()) {
    const size_t take = std::min(kFrameSamples - pending_.size(), samples.size());
    pending_.insert(pending_.end(), samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(take));
    samples = samples.subspan(take);
    if (pending_.size() < kFrameSamples) return {};
    auto s = on_frame(pending_);
    pending_.clear();
    if (!s) return s;
  }
  while (samples.size() >= kFrameSamples) {
    if (auto s = on_frame(samples.first(kFrameSamples)); !s) return s;
    samples = samples.subspan(kFrameSamples);
  }
  pending_.assign(samples.begin(), samples.end());
  return {};
}

}  // namespace ttsd::client
