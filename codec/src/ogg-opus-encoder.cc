#include "ttsd/codec/ogg-opus-encoder.h"

#include <opusenc.h>

#include <exception>
#include <string>

namespace ttsd::codec {

Result<std::unique_ptr<OggOpusEncoder>> OggOpusEncoder::Create(uint32_t bitrate_bps, PageFn on_page) {
  if (bitrate_bps < kMinBitrateBps || bitrate_bps > kMaxBitrateBps) {
    return MakeError(ErrorCode::kBadRequest, "Opus bitrate " + std::to_string(bitrate_bps) + " b/s is outside " +
                                                 std::to_string(kMinBitrateBps) + ".." +
                                                 std::to_string(kMaxBitrateBps));
  }
  std::unique_ptr<OggOpusEncoder> self(new OggOpusEncoder(std::move(on_page)));
  self->comments_ = ope_comments_create();
  if (!self->comments_) return MakeError(ErrorCode::kInternal, "libopusenc: cannot create comments");
  ope_comments_add(self->comments_, "ENCODER", "ttsd");
  OpusEncCallbacks callbacks{&OggOpusEncoder::WritePage, &OggOpusEncoder::CloseStream};
  int error = OPE_OK;
  self->enc_ = ope_encoder_create_callbacks(&callbacks, self.get(), self->comments_, kRateHz, 1, 0, &error);
  if (!self->enc_ || error != OPE_OK) {
    return MakeError(ErrorCode::kInternal, std::string("libopusenc: ") + ope_strerror(error));
  }
  const int settings[] = {
      ope_encoder_ctl(self->enc_, OPE_SET_MUXING_DELAY(960)),
      ope_encoder_ctl(self->enc_, OPE_SET_DECISION_DELAY(0)),
      ope_encoder_ctl(self->enc_, OPE_SET_COMMENT_PADDING(0)),
      ope_encoder_ctl(self->enc_, OPUS_SET_BITRATE(static_cast<opus_int32>(bitrate_bps))),
      ope_encoder_ctl(self->enc_, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)),
      ope_encoder_ctl(self->enc_, OPUS_SET_EXPERT_FRAME_DURATION(OPUS_FRAMESIZE_20_MS)),
  };
  for (int rc : settings) {
    if (rc != OPE_OK) return MakeError(ErrorCode::kInternal, std::string("libopusenc: ") + ope_strerror(rc));
  }
  self->in_headers_ = true;
  const int rc = ope_encoder_flush_header(self->enc_);
  self->in_headers_ = false;
  if (rc != OPE_OK) return MakeError(ErrorCode::kInternal, std::string("libopusenc: ") + ope_strerror(rc));
  if (!self->error_) return std::unexpected(self->error_.error());
  // One sample of silence ahead of the audio: see the header.
  const float lead = 0.0f;
  if (auto s = self->Write({&lead, 1}); !s) return std::unexpected(s.error());
  return self;
}

OggOpusEncoder::~OggOpusEncoder() {
  if (enc_) ope_encoder_destroy(enc_);
  if (comments_) ope_comments_destroy(comments_);
}

int OggOpusEncoder::WritePage(void* user_data, const unsigned char* page, int32_t len) {
  auto* self = static_cast<OggOpusEncoder*>(user_data);
  const std::span<const uint8_t> bytes(page, static_cast<size_t>(len));
  if (self->in_headers_) self->headers_.insert(self->headers_.end(), bytes.begin(), bytes.end());
  if (!self->error_) return 1;  // an earlier page failed: drop the rest (1: failure)
  // No exception may cross into libopusenc.
  try {
    if (!self->in_headers_) self->pages_++;
    self->error_ = self->on_page_(bytes);
  } catch (const std::exception& e) {
    self->error_ = MakeError(ErrorCode::kInternal, std::string("writing an Ogg page: ") + e.what());
  }
  return self->error_ ? 0 : 1;  // 0: success
}

int OggOpusEncoder::CloseStream(void*) { return 0; }

Status OggOpusEncoder::Write(std::span<const float> samples) {
  if (finished_) return MakeError(ErrorCode::kBadRequest, "the Ogg Opus stream has ended");
  if (!error_) return error_;
  while (!samples.empty()) {
    // libopusenc takes an int count; write in pieces well below it.
    const size_t n = std::min<size_t>(samples.size(), 1 << 20);
    const int rc = ope_encoder_write_float(enc_, samples.data(), static_cast<int>(n));
    if (!error_) return error_;  // on_page's error first: libopusenc reports it only as a failed write
    if (rc != OPE_OK) return MakeError(ErrorCode::kInternal, std::string("libopusenc: ") + ope_strerror(rc));
    samples = samples.subspan(n);
  }
  return {};
}

Status OggOpusEncoder::Finish() {
  if (finished_) return error_;
  finished_ = true;
  if (!error_) return error_;
  const int rc = ope_encoder_drain(enc_);
  if (!error_) return error_;
  if (rc != OPE_OK) return MakeError(ErrorCode::kInternal, std::string("libopusenc: ") + ope_strerror(rc));
  return {};
}

}  // namespace ttsd::codec
