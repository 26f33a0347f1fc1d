#include "ttsd/client/raw-pcm-sink.h"


#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pcm-io.h"

namespace ttsd::client {

Result<std::unique_ptr<RawPcmSink>> RawPcmSink::CreateFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
  return std::make_unique<RawPcmSink>(fd, /*owns_fd=*/true, path);
}

RawPcmSink::~RawPcmSink() { (void)Close(); }

Status RawPcmSink::Open(const AudioFormat& format) {
  if (fd_ < 0) return MakeError(ErrorCode::kBadRequest, Describe() + " is already closed");
  if (format.sample_rate_hz == 0 || format.channels == 0) {
    return MakeError(ErrorCode::kBadRequest, "audio format has zero rate or channels");
  }
  format_ = format;
  open_ = true;
  return {};
}

Status RawPcmSink::Write(std::span<const uint8_t> pcm) {
  if (!open_ || fd_ < 0) return MakeError(ErrorCode::kBadRequest, Describe() + " is not open");
  if (pcm.size() % format_.frame_bytes() != 0) {
    return MakeError(ErrorCode::kBadRequest, "audio chunk of " + std::to_string(pcm.size()) +
                                                 " bytes is not whole frames of " +
                                                 std::to_string(format_.frame_bytes()));
  }
  return WriteAll(fd_, pcm, Describe());
}

Status RawPcmSink::Close() {
  open_ = false;
  if (fd_ < 0) return {};
  int fd = fd_;
  fd_ = -1;
  if (owns_fd_ && ::close(fd) != 0) {
    return MakeError(ErrorCode::kIo, "cannot finish " + name_ + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace ttsd::client
