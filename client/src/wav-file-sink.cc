#include "ttsd/client/wav-file-sink.h"

#include <fcntl.h>
#include <sndfile.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

namespace ttsd::client {

// Chunks arrive little-endian and are copied into native samples with memcpy.
static_assert(std::endian::native == std::endian::little, "WavFileSink assumes a little-endian host");

Result<std::unique_ptr<WavFileSink>> WavFileSink::Create(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
  return std::unique_ptr<WavFileSink>(new WavFileSink(fd, path));
}

WavFileSink::~WavFileSink() { (void)Close(); }

Status WavFileSink::Open(const AudioFormat& format) {
  if (closed_) return MakeError(ErrorCode::kBadRequest, Describe() + " is already closed");
  if (file_) return MakeError(ErrorCode::kBadRequest, Describe() + " is already open");
  if (format.sample_rate_hz == 0 || format.channels == 0 || format.sample_rate_hz > INT32_MAX ||
      format.channels > 1024) {
    return MakeError(ErrorCode::kBadRequest, "cannot write a WAV file with " +
                                                 std::to_string(format.sample_rate_hz) + " Hz and " +
                                                 std::to_string(format.channels) + " channels");
  }
  SF_INFO info{};
  info.samplerate = static_cast<int>(format.sample_rate_hz);
  info.channels = static_cast<int>(format.channels);
  info.format = SF_FORMAT_WAV |
                (format.sample_format == protocol::SampleFormat::kF32Le ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_16);
  SNDFILE* file = sf_open_fd(fd_, SFM_WRITE, &info, /*close_desc=*/SF_TRUE);
  if (!file) return MakeError(ErrorCode::kIo, "cannot write " + path_ + ": " + sf_strerror(nullptr));
  fd_ = -1;  // libsndfile closes it
  file_ = file;
  format_ = format;
  // Rewrite the header after every write: the file is complete up to the last chunk at all times.
  sf_command(file_, SFC_SET_UPDATE_HEADER_AUTO, nullptr, SF_TRUE);
  return {};
}

Status WavFileSink::Write(std::span<const uint8_t> pcm) {
  if (!file_) return MakeError(ErrorCode::kBadRequest, Describe() + " is not open");
  const size_t frame_bytes = format_.frame_bytes();
  if (pcm.size() % frame_bytes != 0) {
    return MakeError(ErrorCode::kBadRequest, "audio chunk of " + std::to_string(pcm.size()) +
                                                 " bytes is not whole frames of " + std::to_string(frame_bytes));
  }
  if (pcm.empty()) return {};
  const auto frames = static_cast<sf_count_t>(pcm.size() / frame_bytes);
  sf_count_t written;
  if (format_.sample_format == protocol::SampleFormat::kF32Le) {
    f32_.resize(pcm.size() / sizeof(float));
    std::memcpy(f32_.data(), pcm.data(), pcm.size());
    written = sf_writef_float(file_, f32_.data(), frames);
  } else {
    s16_.resize(pcm.size() / sizeof(int16_t));
    std::memcpy(s16_.data(), pcm.data(), pcm.size());
    written = sf_writef_short(file_, s16_.data(), frames);
  }
  if (written != frames) return MakeError(ErrorCode::kIo, "cannot write " + path_ + ": " + sf_strerror(file_));
  return {};
}

Status WavFileSink::Close() {
  if (closed_) return {};
  closed_ = true;
  if (!file_) {
    // Never opened: no audio came, so leave no empty, headerless file behind.
    ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
    return {};
  }
  int rc = sf_close(file_);
  file_ = nullptr;
  if (rc != 0) return MakeError(ErrorCode::kIo, "cannot finish " + path_ + ": " + sf_error_number(rc));
  return {};
}

}  // namespace ttsd::client
