// Test support: reference audio written as real files (WAV, FLAC, ...) with libsndfile: sine,
// noise, speech-like bursts, silence; stereo at 44.1 kHz so that downmixing and resampling are
// exercised.
//   auto bytes = AudioFileBytes(SpeechLike(5.0, 44100), 44100, 2);
//   WriteFile(dir + "/ref.wav", bytes);
// Thread-safety: plain functions.
#pragma once

#include <sndfile.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace ttsd::testing {

// Mono signals at rate_hz.
inline std::vector<float> Sine(double seconds, int rate_hz, double freq_hz = 220, float amplitude = 0.3f) {
  std::vector<float> x(static_cast<size_t>(seconds * rate_hz));
  for (size_t i = 0; i < x.size(); ++i) x[i] = amplitude * std::sin(2 * M_PI * freq_hz * i / rate_hz);
  return x;
}

inline std::vector<float> Noise(double seconds, int rate_hz, float amplitude = 0.2f, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-amplitude, amplitude);
  std::vector<float> x(static_cast<size_t>(seconds * rate_hz));
  for (auto& v : x) v = u(rng);
  return x;
}

// Syllable-like bursts: a harmonic tone with a wandering pitch, 4 bursts a second, pauses between.
inline std::vector<float> SpeechLike(double seconds, int rate_hz, double pitch_hz = 140, unsigned seed = 2) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(0.85, 1.15);
  std::vector<float> x(static_cast<size_t>(seconds * rate_hz));
  double phase = 0, pitch = pitch_hz;
  const size_t syllable = static_cast<size_t>(rate_hz / 4);
  for (size_t i = 0; i < x.size(); ++i) {
    if (i % syllable == 0) pitch = pitch_hz * jitter(rng);
    const double t = static_cast<double>(i % syllable) / syllable;  // 0..1 within the syllable
    const double envelope = t < 0.7 ? std::sin(M_PI * t / 0.7) : 0.0;
    phase += 2 * M_PI * pitch / rate_hz;
    double v = 0;
    for (int h = 1; h <= 5; ++h) v += std::sin(h * phase) / h;
    x[i] = static_cast<float>(0.25 * envelope * v);
  }
  return x;
}

inline std::vector<float> Silence(double seconds, int rate_hz) {
  return std::vector<float>(static_cast<size_t>(seconds * rate_hz), 0.0f);
}

// The bytes of an audio file holding mono (copied to every channel), written by libsndfile.
inline std::vector<uint8_t> AudioFileBytes(const std::vector<float>& mono, int rate_hz, int channels = 2,
                                           int format = SF_FORMAT_WAV | SF_FORMAT_PCM_16) {
  char path[] = "/tmp/ttsd-audio-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  SF_INFO info{};
  info.samplerate = rate_hz;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path, SFM_WRITE, &info);
  if (!f) {
    unlink(path);
    return {};
  }
  std::vector<float> interleaved;
  interleaved.reserve(mono.size() * channels);
  for (float s : mono) {
    for (int c = 0; c < channels; ++c) interleaved.push_back(s);
  }
  sf_writef_float(f, interleaved.data(), static_cast<sf_count_t>(mono.size()));
  sf_close(f);
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unlink(path);
  return bytes;
}

inline void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<uint8_t> BytesOf(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

}  // namespace ttsd::testing
