#include "ttsd/daemon/reference-audio.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <string>

#include "ttsd/codec/resampler.h"

namespace ttsd::daemon {
namespace {

// libsndfile's virtual I/O over a byte span: read-only, seekable.
struct MemoryFile {
  std::span<const uint8_t> bytes;
  sf_count_t pos = 0;
};

sf_count_t MemLength(void* user) { return static_cast<sf_count_t>(static_cast<MemoryFile*>(user)->bytes.size()); }

sf_count_t MemSeek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const auto size = static_cast<sf_count_t>(f->bytes.size());
  sf_count_t base = whence == SEEK_CUR ? f->pos : whence == SEEK_END ? size : 0;
  f->pos = std::clamp<sf_count_t>(base + offset, 0, size);
  return f->pos;
}

sf_count_t MemRead(void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const auto size = static_cast<sf_count_t>(f->bytes.size());
  const sf_count_t n = std::clamp<sf_count_t>(count, 0, size - f->pos);
  if (n > 0) std::memcpy(ptr, f->bytes.data() + f->pos, static_cast<size_t>(n));
  f->pos += n;
  return n;
}

sf_count_t MemWrite(const void*, sf_count_t, void*) { return 0; }

sf_count_t MemTell(void* user) { return static_cast<MemoryFile*>(user)->pos; }

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

std::unexpected<Error> Bad(std::string_view what, const std::string& message) {
  return MakeError(ErrorCode::kBadAudio, std::string(what) + ": " + message);
}

// Seconds of 20 ms frames whose RMS is above threshold.
double ActiveSeconds(std::span<const float> x, int rate_hz, float threshold) {
  const size_t frame = static_cast<size_t>(rate_hz) / 50;
  size_t active = 0;
  for (size_t start = 0; start + frame <= x.size(); start += frame) {
    double energy = 0;
    for (size_t i = start; i < start + frame; ++i) energy += double(x[i]) * x[i];
    if (std::sqrt(energy / frame) > threshold) ++active;
  }
  return static_cast<double>(active) * 0.02;
}

}  // namespace

Result<ReferenceAudio> DecodeReference(std::span<const uint8_t> bytes, int rate_hz, const ReferenceLimits& limits,
                                       std::string_view what) {
  if (bytes.empty()) return Bad(what, "not an audio file: the file is empty");
  MemoryFile file{bytes, 0};
  SF_VIRTUAL_IO io{MemLength, MemSeek, MemRead, MemWrite, MemTell};
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SndfileCloser> sf(sf_open_virtual(&io, SFM_READ, &info, &file));
  if (!sf) return Bad(what, std::string("not an audio file: ") + sf_strerror(nullptr));
  if (info.channels < 1 || info.channels > ReferenceLimits::kMaxChannels) {
    return Bad(what, fmt::format("has {} channels; at most {}", info.channels, ReferenceLimits::kMaxChannels));
  }
  if (info.samplerate < ReferenceLimits::kMinRateHz || info.samplerate > ReferenceLimits::kMaxRateHz) {
    return Bad(what, fmt::format("has a sample rate of {} Hz; {} to {} Hz are accepted", info.samplerate,
                                 ReferenceLimits::kMinRateHz, ReferenceLimits::kMaxRateHz));
  }
  const double declared_s = static_cast<double>(info.frames) / info.samplerate;
  auto too_long = [&](double s) {
    return Bad(what, fmt::format("is {:.1f} s long; at most {:g} s (max_reference_s)", s, limits.max_file_s));
  };
  if (info.frames > 0 && declared_s > limits.max_file_s) return too_long(declared_s);

  // Read in blocks, downmixing as we go; stop once past the limit (some formats do not declare a length).
  const auto max_frames = static_cast<sf_count_t>(limits.max_file_s * info.samplerate) + 1;
  std::vector<float> mono;
  std::vector<float> block(4096 * static_cast<size_t>(info.channels));
  for (;;) {
    const sf_count_t got = sf_readf_float(sf.get(), block.data(), 4096);
    if (got <= 0) break;
    for (sf_count_t i = 0; i < got; ++i) {
      float sum = 0;
      for (int c = 0; c < info.channels; ++c) sum += block[static_cast<size_t>(i * info.channels + c)];
      float v = sum / static_cast<float>(info.channels);
      mono.push_back(std::isfinite(v) ? std::clamp(v, -1.0f, 1.0f) : 0.0f);
    }
    if (static_cast<sf_count_t>(mono.size()) > max_frames) {
      return too_long(static_cast<double>(mono.size()) / info.samplerate);
    }
  }
  if (sf_error(sf.get()) != SF_ERR_NO_ERROR && mono.empty()) {
    return Bad(what, std::string("not an audio file: ") + sf_strerror(sf.get()));
  }
  const double seconds = static_cast<double>(mono.size()) / info.samplerate;
  if (seconds < limits.min_file_s) {
    return Bad(what, fmt::format("is {:.2f} s long; at least {:g} s", seconds, limits.min_file_s));
  }
  auto resampled =
      codec::Resampler::Convert(mono, static_cast<uint32_t>(info.samplerate), static_cast<uint32_t>(rate_hz));
  if (!resampled) return std::unexpected(resampled.error());
  ReferenceAudio out;
  out.samples = std::move(*resampled);
  out.seconds = seconds;
  out.active_s = ActiveSeconds(out.samples, rate_hz, limits.active_rms);
  if (out.active_s < limits.min_active_s) {
    return Bad(what, fmt::format("is silent: {:.2f} s of sound above -40 dBFS; at least {:g} s", out.active_s,
                                 limits.min_active_s));
  }
  return out;
}

Status CheckSpeakerReferences(std::span<const ReferenceAudio> references, const ReferenceLimits& limits) {
  if (references.empty()) return MakeError(ErrorCode::kBadAudio, "no speaker reference audio");
  double total = 0;
  for (const auto& r : references) total += r.seconds;
  if (total < limits.min_total_s) {
    return MakeError(ErrorCode::kBadAudio,
                     fmt::format("the speaker references last {:.2f} s together; at least {:g} s (min_reference_s)",
                                 total, limits.min_total_s));
  }
  return {};
}

}  // namespace ttsd::daemon
