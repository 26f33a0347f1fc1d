#include "ttsd/codec/resampler.h"

#include <soxr.h>

#include <cmath>
#include <string>

namespace ttsd::codec {
namespace {

Status CheckRates(uint32_t input_rate_hz, uint32_t output_rate_hz) {
  for (uint32_t rate : {input_rate_hz, output_rate_hz}) {
    if (rate < Resampler::kMinRateHz || rate > Resampler::kMaxRateHz) {
      return MakeError(ErrorCode::kBadRequest, "cannot resample audio at " + std::to_string(rate) + " Hz (" +
                                                   std::to_string(Resampler::kMinRateHz) + ".." +
                                                   std::to_string(Resampler::kMaxRateHz) + " Hz)");
    }
  }
  return {};
}

std::unexpected<Error> SoxrError(soxr_error_t error) {
  return MakeError(ErrorCode::kInternal, std::string("libsoxr: ") + (error ? error : "unknown error"));
}

}  // namespace

void Resampler::SoxrDeleter::operator()(soxr* s) const { soxr_delete(s); }

Result<Resampler> Resampler::Create(uint32_t input_rate_hz, uint32_t output_rate_hz) {
  if (auto s = CheckRates(input_rate_hz, output_rate_hz); !s) return std::unexpected(s.error());
  if (input_rate_hz == output_rate_hz) return Resampler(input_rate_hz, output_rate_hz, nullptr);
  soxr_error_t error = nullptr;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  soxr_t s = soxr_create(input_rate_hz, output_rate_hz, 1, &error, &io, &quality, &runtime);
  if (error || !s) {
    if (s) soxr_delete(s);
    return MakeError(ErrorCode::kInternal, std::string("libsoxr: ") + (error ? error : "cannot create a resampler"));
  }
  return Resampler(input_rate_hz, output_rate_hz, s);
}

Result<std::vector<float>> Resampler::Convert(std::span<const float> input, uint32_t input_rate_hz,
                                              uint32_t output_rate_hz) {
  if (auto s = CheckRates(input_rate_hz, output_rate_hz); !s) return std::unexpected(s.error());
  if (input_rate_hz == output_rate_hz || input.empty()) return std::vector<float>(input.begin(), input.end());
  const double ratio = static_cast<double>(output_rate_hz) / input_rate_hz;
  std::vector<float> out(static_cast<size_t>(std::ceil(static_cast<double>(input.size()) * ratio)) + 16);
  size_t done = 0;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  soxr_error_t error = soxr_oneshot(input_rate_hz, output_rate_hz, 1, input.data(), input.size(), nullptr, out.data(),
                                    out.size(), &done, &io, &quality, nullptr);
  if (error) return SoxrError(error);
  out.resize(done);
  return out;
}

Resampler::~Resampler() = default;

Result<std::span<const float>> Resampler::Process(std::span<const float> input) {
  input_samples_ += input.size();
  if (passthrough()) {
    output_samples_ += input.size();
    return input;
  }
  return Run(input.data(), input.size());
}

Result<std::span<const float>> Resampler::Process(std::span<const int16_t> input) {
  converted_.resize(input.size());
  for (size_t i = 0; i < input.size(); ++i) converted_[i] = static_cast<float>(input[i]) * (1.0f / 32768.0f);
  input_samples_ += input.size();
  if (passthrough()) {
    output_samples_ += input.size();
    return std::span<const float>(converted_);
  }
  return Run(converted_.data(), converted_.size());
}

Result<std::span<const float>> Resampler::Flush() {
  Result<std::span<const float>> rest = std::span<const float>();
  if (!passthrough()) rest = Run(nullptr, 0);
  Restart();
  return rest;
}

void Resampler::Restart() {
  if (soxr_) soxr_clear(soxr_.get());  // ready for a fresh signal, same configuration
  input_samples_ = 0;
  output_samples_ = 0;
}

Result<std::span<const float>> Resampler::Run(const float* input, size_t samples) {
  out_.clear();
  const double ratio = static_cast<double>(output_rate_hz_) / input_rate_hz_;
  // Room for this input's share plus what soxr may still hold; the loop grows it when that is not enough.
  const size_t room = static_cast<size_t>(static_cast<double>(samples) * ratio) + 4096;
  size_t consumed = 0;
  for (;;) {
    const size_t at = out_.size();
    out_.resize(at + room);
    size_t used = 0, produced = 0;
    // A null input tells soxr the signal has ended: it then returns what it holds.
    soxr_error_t error = soxr_process(soxr_.get(), input ? input + consumed : nullptr, samples - consumed, &used,
                                      out_.data() + at, room, &produced);
    out_.resize(at + produced);
    consumed += used;
    if (error) {
      out_.clear();
      Restart();
      return SoxrError(error);
    }
    if (input && consumed == samples && produced < room) break;
    if (!input && produced == 0) break;
  }
  output_samples_ += out_.size();
  return std::span<const float>(out_);
}

}  // namespace ttsd::codec
