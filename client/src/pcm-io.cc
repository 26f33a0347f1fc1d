#include "pcm-io.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ttsd::client {

Status ToMono(std::span<const uint8_t> pcm, const AudioFormat& format, float int16_full_scale, std::vector<float>* mono) {
  const size_t frame_bytes = format.frame_bytes();
  if (pcm.size() % frame_bytes != 0) {
    return MakeError(ErrorCode::kBadRequest, "audio chunk of " + std::to_string(pcm.size()) +
                                                 " bytes is not whole frames of " + std::to_string(frame_bytes));
  }
  const size_t frames = pcm.size() / frame_bytes;
  const size_t channels = format.channels;
  mono->assign(frames, 0.0f);
  const float scale = 1.0f / static_cast<float>(channels);
  if (format.sample_format == protocol::SampleFormat::kF32Le) {
    for (size_t i = 0; i < frames * channels; ++i) {
      float v;
      std::memcpy(&v, pcm.data() + i * sizeof(float), sizeof(float));
      (*mono)[i / channels] += v * scale;
    }
  } else {
    for (size_t i = 0; i < frames * channels; ++i) {
      int16_t v;
      std::memcpy(&v, pcm.data() + i * sizeof(int16_t), sizeof(int16_t));
      (*mono)[i / channels] += static_cast<float>(v) * (scale / int16_full_scale);
    }
  }
  return {};
}

Status WriteAll(int fd, std::span<const uint8_t> bytes, const std::string& what) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kIo, "cannot write " + what + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace ttsd::client
