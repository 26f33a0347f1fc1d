#include "ttsd/codec/flac-encoder.h"

#include <FLAC/format.h>
#include <FLAC/stream_encoder.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>

namespace ttsd::codec {

// libFLAC calls these inside init, process and finish, on the caller's thread.
struct FlacCallbacks {
  static FLAC__StreamEncoderWriteStatus Write(const FLAC__StreamEncoder*, const FLAC__byte buffer[], size_t bytes,
                                              uint32_t, uint32_t, void* client_data) {
    auto* self = static_cast<FlacEncoder*>(client_data);
    return self->Deliver({buffer, bytes}) ? FLAC__STREAM_ENCODER_WRITE_STATUS_OK
                                          : FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR;
  }
  // A live stream cannot go back: libFLAC then leaves STREAMINFO as written at init (see the header).
  static FLAC__StreamEncoderSeekStatus Seek(const FLAC__StreamEncoder*, FLAC__uint64, void*) {
    return FLAC__STREAM_ENCODER_SEEK_STATUS_UNSUPPORTED;
  }
  static FLAC__StreamEncoderTellStatus Tell(const FLAC__StreamEncoder*, FLAC__uint64*, void*) {
    return FLAC__STREAM_ENCODER_TELL_STATUS_UNSUPPORTED;
  }
};

namespace {

// libFLAC takes this many samples per call here, so that pcm_ has a fixed size.
constexpr size_t kPieceSamples = 4096;

}  // namespace

struct FlacEncoder::Library {
  FLAC__StreamEncoder* enc = FLAC__stream_encoder_new();  // owned; null when libFLAC is out of memory

  ~Library() {
    // Unfinished, libFLAC's delete only frees: it encodes and writes nothing more.
    if (enc) FLAC__stream_encoder_delete(enc);
  }
};

FlacEncoder::FlacEncoder(uint32_t sample_rate_hz, ByteFn on_bytes)
    : sample_rate_hz_(sample_rate_hz), on_bytes_(std::move(on_bytes)), lib_(std::make_unique<Library>()) {}

FlacEncoder::~FlacEncoder() {
  // Were libFLAC to write while deleting, on_bytes (whose captures may be gone) is not called.
  error_ = MakeError(ErrorCode::kCancelled, "the FLAC encoder is being destroyed");
  lib_.reset();
}

bool FlacEncoder::SupportsRate(uint32_t rate_hz) { return rate_hz > 0 && FLAC__format_sample_rate_is_subset(rate_hz); }

Result<std::unique_ptr<FlacEncoder>> FlacEncoder::Create(uint32_t sample_rate_hz, uint32_t, ByteFn on_bytes) {
  if (!SupportsRate(sample_rate_hz)) {
    return MakeError(ErrorCode::kBadRequest, "FLAC's streamable subset cannot carry " + std::to_string(sample_rate_hz) +
                                                 " Hz (1..65535 Hz, or a multiple of 10 Hz up to 655350)");
  }
  std::unique_ptr<FlacEncoder> self(new FlacEncoder(sample_rate_hz, std::move(on_bytes)));
  FLAC__StreamEncoder* enc = self->lib_->enc;
  if (!enc) return MakeError(ErrorCode::kInternal, "libFLAC: cannot create an encoder");
  // The level first: it sets the block size, which ours then overrides.
  const bool set =
      FLAC__stream_encoder_set_channels(enc, 1) && FLAC__stream_encoder_set_bits_per_sample(enc, 16) &&
      FLAC__stream_encoder_set_sample_rate(enc, sample_rate_hz) &&
      FLAC__stream_encoder_set_compression_level(enc, kCompressionLevel) &&
      FLAC__stream_encoder_set_blocksize(enc, kBlockSamples) && FLAC__stream_encoder_set_streamable_subset(enc, true) &&
      FLAC__stream_encoder_set_total_samples_estimate(enc, 0) && FLAC__stream_encoder_set_verify(enc, false);
  if (!set) return MakeError(ErrorCode::kInternal, "libFLAC: cannot configure the encoder");
  const FLAC__StreamEncoderInitStatus init = FLAC__stream_encoder_init_stream(
      enc, &FlacCallbacks::Write, &FlacCallbacks::Seek, &FlacCallbacks::Tell, nullptr, self.get());
  if (!self->error_) return std::unexpected(self->error_.error());  // on_bytes refused the header
  if (init != FLAC__STREAM_ENCODER_INIT_STATUS_OK) {
    if (init == FLAC__STREAM_ENCODER_INIT_STATUS_ENCODER_ERROR) return std::unexpected(self->LibraryError().error());
    return MakeError(ErrorCode::kInternal, std::string("libFLAC: ") + FLAC__StreamEncoderInitStatusString[init]);
  }
  self->pcm_.resize(kPieceSamples);
  return self;
}

bool FlacEncoder::Deliver(std::span<const uint8_t> bytes) {
  if (!error_) return false;  // an earlier write failed: libFLAC stops at the first, but be sure
  // No exception may cross into libFLAC.
  try {
    error_ = on_bytes_(bytes);
  } catch (const std::exception& e) {
    error_ = MakeError(ErrorCode::kInternal, std::string("writing FLAC bytes: ") + e.what());
  }
  return error_.has_value();
}

Status FlacEncoder::LibraryError() const {
  return MakeError(ErrorCode::kInternal, std::string("libFLAC: ") +
                                             FLAC__StreamEncoderStateString[FLAC__stream_encoder_get_state(lib_->enc)]);
}

Status FlacEncoder::Write(std::span<const float> samples) {
  if (finished_) return MakeError(ErrorCode::kBadRequest, "the FLAC stream has ended");
  if (!error_) return error_;
  while (!samples.empty()) {
    const size_t n = std::min(samples.size(), kPieceSamples);
    for (size_t i = 0; i < n; ++i) {
      pcm_[i] = static_cast<int32_t>(std::lround(std::clamp(samples[i], -1.0f, 1.0f) * 32767.0f));
    }
    const bool ok = FLAC__stream_encoder_process_interleaved(lib_->enc, pcm_.data(), static_cast<uint32_t>(n));
    if (!error_) return error_;  // on_bytes's error first: libFLAC reports it only as a failed call
    if (!ok) return LibraryError();
    samples = samples.subspan(n);
  }
  return {};
}

Status FlacEncoder::Finish() {
  if (finished_) return error_;
  finished_ = true;
  if (!error_) return error_;
  const bool ok = FLAC__stream_encoder_finish(lib_->enc);
  if (!error_) return error_;
  if (!ok) return LibraryError();
  return {};
}

}  // namespace ttsd::codec
