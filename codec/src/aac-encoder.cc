#include "ttsd/codec/aac-encoder.h"

#include <vo-aacenc/cmnMemory.h>
#include <vo-aacenc/voAAC.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>

namespace ttsd::codec {
namespace {

constexpr std::array<uint32_t, 9> kRatesHz = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000};

// One frame's ADTS output is at most 6144 bits per channel plus a 7-byte header; room to spare.
constexpr size_t kOutBytes = 8192;

// vo-aacenc allocates through this table and keeps a pointer to it until Uninit: it must outlive every
// encoder. Its own plain malloc-based functions.
VO_MEM_OPERATOR g_mem_operator = {cmnMemAlloc, cmnMemFree,    cmnMemSet, cmnMemCopy,
                                  cmnMemCheck, cmnMemCompare, cmnMemMove};

std::string VoError(const char* what, VO_U32 rc) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(rc));
  return std::string("vo-aacenc: ") + what + " failed (" + hex + ")";
}

}  // namespace

struct AacEncoder::Api {
  VO_AUDIO_CODECAPI fn{};
  VO_HANDLE handle = nullptr;  // owned: fn.Uninit

  ~Api() {
    if (handle) fn.Uninit(handle);
  }
};

AacEncoder::AacEncoder(uint32_t sample_rate_hz, uint32_t bitrate_bps, ByteFn on_bytes)
    : sample_rate_hz_(sample_rate_hz),
      bitrate_bps_(bitrate_bps),
      on_bytes_(std::move(on_bytes)),
      api_(std::make_unique<Api>()),
      pcm_(kFrameSamples),
      out_(kOutBytes) {}

AacEncoder::~AacEncoder() = default;

bool AacEncoder::SupportsRate(uint32_t rate_hz) {
  return std::find(kRatesHz.begin(), kRatesHz.end(), rate_hz) != kRatesHz.end();
}

uint32_t AacEncoder::NearestRate(uint32_t rate_hz) {
  for (uint32_t r : kRatesHz) {
    if (r >= rate_hz) return r;
  }
  return kRatesHz.back();
}

uint32_t AacEncoder::MaxBitrateBps(uint32_t rate_hz) { return std::min<uint32_t>(160000, 6 * rate_hz); }

Result<std::unique_ptr<AacEncoder>> AacEncoder::Create(uint32_t sample_rate_hz, uint32_t bitrate_bps, ByteFn on_bytes) {
  if (!SupportsRate(sample_rate_hz)) {
    return MakeError(ErrorCode::kBadRequest, "the AAC encoder takes 8000..48000 Hz at MPEG's rates, not " +
                                                 std::to_string(sample_rate_hz) + " (resample to " +
                                                 std::to_string(NearestRate(sample_rate_hz)) + ")");
  }
  const uint32_t hi = MaxBitrateBps(sample_rate_hz);
  if (bitrate_bps == 0) bitrate_bps = std::min(kDefaultBitrateBps, hi);
  if (bitrate_bps < kMinBitrateBps || bitrate_bps > hi) {
    return MakeError(ErrorCode::kBadRequest, "AAC bitrate " + std::to_string(bitrate_bps) + " b/s is outside " +
                                                 std::to_string(kMinBitrateBps) + ".." + std::to_string(hi) + " at " +
                                                 std::to_string(sample_rate_hz) + " Hz");
  }
  std::unique_ptr<AacEncoder> self(new AacEncoder(sample_rate_hz, bitrate_bps, std::move(on_bytes)));
  Api& api = *self->api_;
  if (VO_U32 rc = voGetAACEncAPI(&api.fn); rc != VO_ERR_NONE) {
    return MakeError(ErrorCode::kInternal, VoError("voGetAACEncAPI", rc));
  }
  VO_CODEC_INIT_USERDATA user{};
  user.memflag = VO_IMF_USERMEMOPERATOR;
  user.memData = &g_mem_operator;
  if (VO_U32 rc = api.fn.Init(&api.handle, VO_AUDIO_CodingAAC, &user); rc != VO_ERR_NONE) {
    api.handle = nullptr;
    return MakeError(ErrorCode::kInternal, VoError("Init", rc));
  }
  AACENC_PARAM param{};
  param.sampleRate = static_cast<int>(sample_rate_hz);
  param.bitRate = static_cast<int>(bitrate_bps);
  param.nChannels = 1;
  param.adtsUsed = 1;  // every frame self-contained: no AudioSpecificConfig to send ahead
  if (VO_U32 rc = api.fn.SetParam(api.handle, VO_PID_AAC_ENCPARAM, &param); rc != VO_ERR_NONE) {
    return MakeError(ErrorCode::kInternal, VoError("SetParam", rc));
  }
  return self;
}

Status AacEncoder::EncodeFrame() {
  Api& api = *api_;
  VO_CODECBUFFER in{};
  in.Buffer = reinterpret_cast<VO_PBYTE>(pcm_.data());
  in.Length = static_cast<VO_U32>(pcm_.size() * sizeof(int16_t));
  if (VO_U32 rc = api.fn.SetInputData(api.handle, &in); rc != VO_ERR_NONE) {
    return error_ = MakeError(ErrorCode::kInternal, VoError("SetInputData", rc));
  }
  pcm_filled_ = 0;
  frames_in_++;
  // One frame in, one frame out; ask until vo-aacenc wants more input.
  for (;;) {
    VO_CODECBUFFER out{};
    out.Buffer = out_.data();
    out.Length = static_cast<VO_U32>(out_.size());
    VO_AUDIO_OUTPUTINFO info{};
    const VO_U32 rc = api.fn.GetOutputData(api.handle, &out, &info);
    if (rc == VO_ERR_INPUT_BUFFER_SMALL) return {};
    if (rc != VO_ERR_NONE) return error_ = MakeError(ErrorCode::kInternal, VoError("GetOutputData", rc));
    if (out.Length == 0) return {};  // nothing more for now (not seen: a frame in makes a frame out)
    frames_++;
    if (error_ = on_bytes_(std::span<const uint8_t>(out_.data(), out.Length)); !error_) return error_;
  }
}

Status AacEncoder::Write(std::span<const float> samples) {
  if (finished_) return MakeError(ErrorCode::kBadRequest, "the AAC stream has ended");
  if (!error_) return error_;
  samples_in_ += samples.size();
  for (float f : samples) {
    pcm_[pcm_filled_++] = static_cast<int16_t>(std::lround(std::clamp(f, -1.0f, 1.0f) * 32767.0f));
    if (pcm_filled_ == pcm_.size()) {
      if (auto s = EncodeFrame(); !s) return s;
    }
  }
  return {};
}

Status AacEncoder::Finish() {
  if (finished_) return error_;
  finished_ = true;
  if (!error_) return error_;
  if (samples_in_ == 0) return {};  // no audio: an empty stream
  // The partial frame padded with silence, then frames of silence until the encoder's delay is out.
  while (frames_in_ * kFrameSamples < samples_in_ + kDelaySamples) {
    std::fill(pcm_.begin() + static_cast<std::ptrdiff_t>(pcm_filled_), pcm_.end(), int16_t{0});
    if (auto s = EncodeFrame(); !s) return s;
  }
  return {};
}

}  // namespace ttsd::codec
