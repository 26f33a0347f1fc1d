#include "ttsd/client/ogg-opus-sink.h"


#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "opus-framer.h"
#include "pcm-io.h"

namespace ttsd::client {

OggOpusSink::OggOpusSink(int fd, bool owns_fd, std::string name, uint32_t bitrate_bps)
    : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)), bitrate_bps_(bitrate_bps) {}

Result<std::unique_ptr<OggOpusSink>> OggOpusSink::CreateFile(const std::string& path, uint32_t bitrate_bps) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
  auto sink = std::make_unique<OggOpusSink>(fd, /*owns_fd=*/true, path, bitrate_bps);
  sink->unlink_if_unused_ = true;
  return sink;
}

OggOpusSink::~OggOpusSink() { (void)Close(); }

Status OggOpusSink::Open(const AudioFormat& format) {
  if (closed_ || fd_ < 0) return MakeError(ErrorCode::kBadRequest, Describe() + " is already closed");
  if (encoder_) return MakeError(ErrorCode::kBadRequest, Describe() + " is already open");
  if (format.sample_rate_hz == 0) return MakeError(ErrorCode::kBadRequest, "audio format has a zero rate");
  auto framer = OpusFramer::Create(format);
  if (!framer) return std::unexpected(framer.error());
  auto encoder = codec::OggOpusEncoder::Create(bitrate_bps_, [this](std::span<const uint8_t> page) { return WriteBytes(page); });
  if (!encoder) return std::unexpected(encoder.error());
  framer_ = std::make_unique<OpusFramer>(std::move(*framer));
  encoder_ = std::move(*encoder);
  return {};
}

Status OggOpusSink::Write(std::span<const uint8_t> pcm) {
  if (!encoder_ || closed_) return MakeError(ErrorCode::kBadRequest, Describe() + " is not open");
  return framer_->Push(pcm, [this](std::span<const float> frame) { return encoder_->Write(frame); });
}

Status OggOpusSink::Close() {
  if (closed_) return {};
  closed_ = true;
  Status status;
  if (encoder_) {
    status = framer_->Finish([this](std::span<const float> frame) { return encoder_->Write(frame); });
    if (auto s = encoder_->Finish(); status && !s) status = s;
  } else if (unlink_if_unused_) {
    ::unlink(name_.c_str());  // never opened: no audio came, leave no empty file behind
  }
  if (owns_fd_ && fd_ >= 0 && ::close(fd_) != 0 && status) {
    status = MakeError(ErrorCode::kIo, "cannot finish " + name_ + ": " + std::strerror(errno));
  }
  fd_ = -1;
  return status;
}

Status OggOpusSink::WriteBytes(std::span<const uint8_t> bytes) { return WriteAll(fd_, bytes, Describe()); }

}  // namespace ttsd::client
