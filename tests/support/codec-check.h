// Test support for audio encoders: a speech-like signal that is hard on a codec, an encoder fed in
// uneven chunks (recording what came out when), ffmpeg's decoding of the bytes, and the lag and
// normalized cross-correlation between input and decoded audio.
//   auto run = EncodeInChunks<codec::Mp3Encoder>(HarmonicVoice(2.0, 24000), 24000);
//   auto decoded = DecodeWithFfmpeg(run.bytes, "mp3", 24000);
//   EXPECT_GE(Ncc(input, decoded, BestLag(input, decoded)), 0.995);
// ffmpeg is required at run time (./install-deps.sh --test installs it). Thread-safety: plain functions.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "support/run-command.h"
#include "ttsd/protocol/error.h"

namespace ttsd::testing {

// A harmonic tone whose pitch glides between 100 and 250 Hz, harmonics up to 4 kHz falling off as 1/h,
// in 4 syllables a second with pauses between (harder on a codec than SpeechLike, whose 5 harmonics
// stop below 1 kHz).
inline std::vector<float> HarmonicVoice(double seconds, uint32_t rate_hz) {
  std::vector<float> x(static_cast<size_t>(seconds * rate_hz));
  double phase = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    const double pitch = 175 + 75 * std::sin(2 * M_PI * 0.7 * t);
    phase += 2 * M_PI * pitch / rate_hz;
    const double syllable = std::fmod(t * 4, 1.0);  // 0..1 within the syllable
    const double envelope = syllable < 0.75 ? std::sin(M_PI * syllable / 0.75) : 0.0;
    double v = 0;
    for (int h = 1; h * pitch < std::min(4000.0, rate_hz / 2.0); ++h) v += std::sin(h * phase) / h;
    x[i] = static_cast<float>(0.3 * envelope * v);
  }
  return x;
}

struct EncodedRun {
  std::vector<uint8_t> bytes;
  size_t header_bytes = 0;             // written inside Create
  size_t bytes_after_half_second = 0;  // when the first Write past 0.5 s of input returned
  size_t bytes_before_finish = 0;
  size_t calls = 0;                    // of the byte callback
};

// Encoder::Create(rate, bitrate, on_bytes), then Write in chunks of 480, 1000 and 37 samples in turn,
// then Finish (each expected to succeed).
template <typename Encoder>
EncodedRun EncodeInChunks(std::span<const float> signal, uint32_t rate_hz, uint32_t bitrate_bps = 0) {
  EncodedRun e;
  auto enc = Encoder::Create(rate_hz, bitrate_bps, [&](std::span<const uint8_t> b) -> Status {
    e.bytes.insert(e.bytes.end(), b.begin(), b.end());
    e.calls++;
    return {};
  });
  if (!enc) {
    ADD_FAILURE() << enc.error().ToString();
    return e;
  }
  e.header_bytes = e.bytes.size();
  const size_t chunks[] = {480, 1000, 37};
  size_t at = 0;
  for (size_t i = 0; at < signal.size(); ++i) {
    const size_t n = std::min(chunks[i % 3], signal.size() - at);
    const bool before_half = at < rate_hz / 2;
    EXPECT_TRUE((*enc)->Write(signal.subspan(at, n)).has_value());
    at += n;
    if (before_half && at >= rate_hz / 2) e.bytes_after_half_second = e.bytes.size();
  }
  e.bytes_before_finish = e.bytes.size();
  EXPECT_TRUE((*enc)->Finish().has_value());
  return e;
}

// ffmpeg's decoding of bytes (format: its demuxer's name) as mono samples at rate_hz, in sample_format
// (ffmpeg's: f32le or s16le), as raw bytes; empty (and a test failure) if ffmpeg fails.
inline std::string DecodeBytesWithFfmpeg(const std::vector<uint8_t>& bytes, const char* format, uint32_t rate_hz,
                                         const char* sample_format) {
  char in_path[] = "/tmp/ttsd-codec-in-XXXXXX";
  char out_path[] = "/tmp/ttsd-codec-out-XXXXXX";
  close(mkstemp(in_path));
  close(mkstemp(out_path));
  std::ofstream(in_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  auto run = RunCommand({"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", format, "-i", in_path, "-f",
                         sample_format, "-ac", "1", "-ar", std::to_string(rate_hz), "-y", out_path});
  std::string out;
  if (!run || run->exit_code != 0) {
    ADD_FAILURE() << "ffmpeg failed (./install-deps.sh --test installs it): "
                  << (run ? run->out : run.error().ToString());
  } else {
    std::ifstream f(out_path, std::ios::binary);
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  unlink(in_path);
  unlink(out_path);
  return out;
}

inline std::vector<float> DecodeWithFfmpeg(const std::vector<uint8_t>& bytes, const char* format, uint32_t rate_hz) {
  const std::string raw = DecodeBytesWithFfmpeg(bytes, format, rate_hz, "f32le");
  std::vector<float> out(raw.size() / sizeof(float));
  std::memcpy(out.data(), raw.data(), out.size() * sizeof(float));
  return out;
}

// Normalized cross-correlation of decoded[i + lag] against input[i], every step-th i of the overlap.
inline double Ncc(const std::vector<float>& input, const std::vector<float>& decoded, long lag, long step = 1) {
  const long start = std::max<long>(0, -lag);
  const long end = std::min<long>(static_cast<long>(input.size()), static_cast<long>(decoded.size()) - lag);
  double xy = 0, xx = 0, yy = 0;
  for (long i = start; i < end; i += step) {
    const double x = input[static_cast<size_t>(i)], y = decoded[static_cast<size_t>(i + lag)];
    xy += x * y, xx += x * x, yy += y * y;
  }
  return xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : 0;
}

// The lag within +-max_lag samples where decoded best matches input: every 4th lag on every 4th sample
// (for signals mostly below a quarter of the rate), then every lag around the best.
inline long BestLag(const std::vector<float>& input, const std::vector<float>& decoded, long max_lag = 4096) {
  long best = 0;
  double best_ncc = -2;
  for (long lag = -max_lag; lag <= max_lag; lag += 4) {
    if (const double c = Ncc(input, decoded, lag, 4); c > best_ncc) best_ncc = c, best = lag;
  }
  const long coarse = best;
  for (long lag = coarse - 4; lag <= coarse + 4; ++lag) {
    if (const double c = Ncc(input, decoded, lag); c > best_ncc) best_ncc = c, best = lag;
  }
  return best;
}

}  // namespace ttsd::testing
