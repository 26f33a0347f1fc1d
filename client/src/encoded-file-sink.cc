#include "ttsd/client/encoded-file-sink.h"


#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "pcm-io.h"

namespace ttsd::client {

static_assert(std::endian::native == std::endian::little, "EncodedFileSink reads little-endian samples with memcpy");

namespace {

constexpr uint32_t kFallbackRateHz = 48000;  // FLAC, for a rate its streamable subset cannot carry
constexpr uint32_t kMaxChannels = 255;

// Creates format's encoder at rate_hz, handing its bytes to on_bytes.
template <typename Codec, typename Variant>
Result<Variant> CreateEncoder(uint32_t rate_hz, uint32_t bitrate_bps, typename Codec::ByteFn on_bytes) {
  auto encoder = Codec::Create(rate_hz, bitrate_bps, std::move(on_bytes));
  if (!encoder) return std::unexpected(encoder.error());
  return Variant(std::move(*encoder));
}

}  // namespace

std::string_view EncodedFormatName(EncodedFormat format) {
  switch (format) {
    case EncodedFormat::kMp3: return "MP3";
    case EncodedFormat::kFlac: return "FLAC";
    case EncodedFormat::kAac: return "AAC";
  }
  return "?";
}

EncodedFileSink::EncodedFileSink(int fd, bool owns_fd, std::string name, EncodedFormat format, uint32_t bitrate_bps)
    : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)), format_(format), bitrate_bps_(bitrate_bps) {}

Result<std::unique_ptr<EncodedFileSink>> EncodedFileSink::CreateFile(const std::string& path, EncodedFormat format,
                                                                     uint32_t bitrate_bps) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
  auto sink = std::make_unique<EncodedFileSink>(fd, /*owns_fd=*/true, path, format, bitrate_bps);
  sink->unlink_if_unused_ = true;
  return sink;
}

EncodedFileSink::~EncodedFileSink() { (void)Close(); }

uint32_t EncodedFileSink::EncoderRateHz(EncodedFormat format, uint32_t input_rate_hz) {
  switch (format) {
    case EncodedFormat::kMp3: return codec::Mp3Encoder::NearestRate(input_rate_hz);
    case EncodedFormat::kAac: return codec::AacEncoder::NearestRate(input_rate_hz);
    case EncodedFormat::kFlac: return codec::FlacEncoder::SupportsRate(input_rate_hz) ? input_rate_hz : kFallbackRateHz;
  }
  return kFallbackRateHz;
}

Status EncodedFileSink::Open(const AudioFormat& format) {
  if (closed_ || fd_ < 0) return MakeError(ErrorCode::kBadRequest, Describe() + " is already closed");
  if (encoder_) return MakeError(ErrorCode::kBadRequest, Describe() + " is already open");
  if (format.sample_rate_hz == 0 || format.channels == 0 || format.channels > kMaxChannels) {
    return MakeError(ErrorCode::kBadRequest, "cannot encode " + std::string(EncodedFormatName(format_)) + " from " +
                                                 std::to_string(format.sample_rate_hz) + " Hz and " +
                                                 std::to_string(format.channels) + " channels");
  }
  const uint32_t rate_hz = EncoderRateHz(format_, format.sample_rate_hz);
  auto resampler = codec::Resampler::Create(format.sample_rate_hz, rate_hz);
  if (!resampler) return std::unexpected(resampler.error());
  auto on_bytes = [this](std::span<const uint8_t> bytes) { return WriteBytes(bytes); };
  Result<Encoder> encoder;
  switch (format_) {
    case EncodedFormat::kMp3:
      encoder = CreateEncoder<codec::Mp3Encoder, Encoder>(rate_hz, bitrate_bps_, on_bytes);
      break;
    case EncodedFormat::kFlac:
      encoder = CreateEncoder<codec::FlacEncoder, Encoder>(rate_hz, bitrate_bps_, on_bytes);
      break;
    case EncodedFormat::kAac:
      encoder = CreateEncoder<codec::AacEncoder, Encoder>(rate_hz, bitrate_bps_, on_bytes);
      break;
  }
  if (!encoder) return std::unexpected(encoder.error());
  input_ = format;
  encoder_rate_hz_ = rate_hz;
  resampler_.emplace(std::move(*resampler));
  encoder_.emplace(std::move(*encoder));
  return {};
}

Status EncodedFileSink::Write(std::span<const uint8_t> pcm) {
  if (!encoder_ || closed_) return MakeError(ErrorCode::kBadRequest, Describe() + " is not open");
  // 1/32767: the encoders turn floats back into 16 bits as lround(x * 32767).
  if (auto s = ToMono(pcm, input_, 32767.0f, &mono_); !s) return s;
  if (pcm.empty()) return {};
  auto resampled = resampler_->Process(std::span<const float>(mono_));
  if (!resampled) return std::unexpected(resampled.error());
  return Encode(*resampled);
}

Status EncodedFileSink::Close() {
  if (closed_) return {};
  closed_ = true;
  Status status;
  if (encoder_) {
    if (auto rest = resampler_->Flush(); !rest) {
      status = std::unexpected(rest.error());
    } else {
      status = Encode(*rest);
    }
    if (auto s = FinishEncoder(); status && !s) status = s;
  } else if (unlink_if_unused_) {
    ::unlink(name_.c_str());  // never opened: no audio came, leave no empty file behind
  }
  if (owns_fd_ && fd_ >= 0 && ::close(fd_) != 0 && status) {
    status = MakeError(ErrorCode::kIo, "cannot finish " + name_ + ": " + std::strerror(errno));
  }
  fd_ = -1;
  return status;
}

Status EncodedFileSink::Encode(std::span<const float> samples) {
  if (samples.empty()) return {};
  return std::visit([samples](auto& encoder) { return encoder->Write(samples); }, *encoder_);
}

Status EncodedFileSink::FinishEncoder() {
  return std::visit([](auto& encoder) { return encoder->Finish(); }, *encoder_);
}

Status EncodedFileSink::WriteBytes(std::span<const uint8_t> bytes) { return WriteAll(fd_, bytes, Describe()); }

}  // namespace ttsd::client
