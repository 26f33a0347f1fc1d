#include "ttsd/codec/mp3-encoder.h"

#include <lame.h>

#include <algorithm>
#include <array>
#include <cstdarg>
#include <string>

namespace ttsd::codec {
namespace {

constexpr std::array<uint32_t, 9> kRatesHz = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};

// LAME takes at most this many samples per call here, so that out_ has a fixed size: LAME asks for
// 1.25 * samples + 7200 bytes.
constexpr size_t kPieceSamples = 4096;
constexpr size_t kOutBytes = kPieceSamples * 5 / 4 + 7200;

// LAME prints warnings and statistics to stderr unless told otherwise; the codec logs nothing.
void Quiet(const char*, va_list) {}

std::string LameError(int rc) {
  switch (rc) {
    case -1: return "LAME: output buffer too small";
    case -2: return "LAME: out of memory";
    case -3: return "LAME: parameters not initialised";
    case -4: return "LAME: psychoacoustic model failed";
    default: return "LAME: error " + std::to_string(rc);
  }
}

}  // namespace

bool Mp3Encoder::SupportsRate(uint32_t rate_hz) {
  return std::find(kRatesHz.begin(), kRatesHz.end(), rate_hz) != kRatesHz.end();
}

uint32_t Mp3Encoder::NearestRate(uint32_t rate_hz) {
  for (uint32_t r : kRatesHz) {
    if (r >= rate_hz) return r;
  }
  return kRatesHz.back();
}

uint32_t Mp3Encoder::MinBitrateBps(uint32_t rate_hz) { return rate_hz >= 32000 ? 32000 : 8000; }

uint32_t Mp3Encoder::MaxBitrateBps(uint32_t rate_hz) {
  if (rate_hz >= 32000) return 320000;  // MPEG-1
  if (rate_hz >= 16000) return 160000;  // MPEG-2
  return 64000;                         // MPEG-2.5
}

Result<std::unique_ptr<Mp3Encoder>> Mp3Encoder::Create(uint32_t sample_rate_hz, uint32_t bitrate_bps, ByteFn on_bytes) {
  if (!SupportsRate(sample_rate_hz)) {
    return MakeError(ErrorCode::kBadRequest, "MP3 cannot carry " + std::to_string(sample_rate_hz) +
                                                 " Hz (MPEG's rates: 8000..48000; resample to " +
                                                 std::to_string(NearestRate(sample_rate_hz)) + ")");
  }
  if (bitrate_bps == 0) bitrate_bps = kDefaultBitrateBps;
  const uint32_t lo = MinBitrateBps(sample_rate_hz), hi = MaxBitrateBps(sample_rate_hz);
  if (bitrate_bps < lo || bitrate_bps > hi) {
    return MakeError(ErrorCode::kBadRequest, "MP3 bitrate " + std::to_string(bitrate_bps) + " b/s is outside " +
                                                 std::to_string(lo) + ".." + std::to_string(hi) + " at " +
                                                 std::to_string(sample_rate_hz) + " Hz");
  }
  std::unique_ptr<Mp3Encoder> self(new Mp3Encoder(sample_rate_hz, bitrate_bps, std::move(on_bytes)));
  self->lame_ = lame_init();
  if (!self->lame_) return MakeError(ErrorCode::kInternal, "LAME: cannot create an encoder");
  lame_t lame = self->lame_;
  lame_set_errorf(lame, &Quiet);
  lame_set_debugf(lame, &Quiet);
  lame_set_msgf(lame, &Quiet);
  const int rate = static_cast<int>(sample_rate_hz);
  const int settings[] = {
      lame_set_num_channels(lame, 1),  // mono in
      lame_set_mode(lame, MONO),       // and out
      lame_set_in_samplerate(lame, rate),
      lame_set_out_samplerate(lame, rate),                                 // no resampling inside LAME
      lame_set_VBR(lame, vbr_off),                                         // constant bit rate
      lame_set_brate(lame, static_cast<int>((bitrate_bps + 500) / 1000)),  // kb/s
      lame_set_bWriteVbrTag(lame, 0),  // no Xing/LAME frame: nothing to rewrite at the end
  };
  for (int rc : settings) {
    if (rc != 0) return MakeError(ErrorCode::kInternal, LameError(rc));
  }
  lame_set_write_id3tag_automatic(lame, 0);  // no ID3v2 ahead, no ID3v1 behind
  if (const int rc = lame_init_params(lame); rc < 0) return MakeError(ErrorCode::kInternal, LameError(rc));
  self->out_.resize(kOutBytes);
  return self;
}

Mp3Encoder::~Mp3Encoder() {
  if (lame_) lame_close(lame_);
}

Status Mp3Encoder::Emit(int lame_rc) {
  if (lame_rc < 0) {
    error_ = MakeError(ErrorCode::kInternal, LameError(lame_rc));
  } else if (lame_rc > 0) {
    error_ = on_bytes_(std::span<const uint8_t>(out_.data(), static_cast<size_t>(lame_rc)));
  }
  return error_;
}

Status Mp3Encoder::Write(std::span<const float> samples) {
  if (finished_) return MakeError(ErrorCode::kBadRequest, "the MP3 stream has ended");
  if (!error_) return error_;
  while (!samples.empty()) {
    const size_t n = std::min(samples.size(), kPieceSamples);
    // Mono: LAME reads only the left channel.
    const int rc = lame_encode_buffer_ieee_float(lame_, samples.data(), nullptr, static_cast<int>(n), out_.data(),
                                                 static_cast<int>(out_.size()));
    if (auto s = Emit(rc); !s) return s;
    samples = samples.subspan(n);
  }
  return {};
}

Status Mp3Encoder::Finish() {
  if (finished_) return error_;
  finished_ = true;
  if (!error_) return error_;
  return Emit(lame_encode_flush(lame_, out_.data(), static_cast<int>(out_.size())));
}

}  // namespace ttsd::codec
