#include "ttsd/client/http-ogg-sink.h"

#include "opus-framer.h"
#include "real-time-pacer.h"

namespace ttsd::client {

Result<std::unique_ptr<HttpOggSink>> HttpOggSink::Create(const HttpStreamOptions& options, uint32_t bitrate_bps,
                                                         bool pace) {
  std::unique_ptr<HttpOggSink> sink(new HttpOggSink());
  sink->pace_ = pace;
  sink->pacer_ = std::make_unique<RealTimePacer>();
  auto server = HttpStreamServer::Start(options);
  if (!server) return std::unexpected(server.error());
  sink->server_ = std::move(*server);
  // Header pages come out inside OggOpusEncoder::Create, before encoder_ is set: they become the preamble
  // rather than a broadcast.
  HttpOggSink* self = sink.get();
  auto encoder = codec::OggOpusEncoder::Create(bitrate_bps, [self](std::span<const uint8_t> page) -> Status {
    if (self->encoder_) self->server_->Broadcast(page);
    return {};
  });
  if (!encoder) return std::unexpected(encoder.error());
  sink->server_->SetPreamble((*encoder)->headers());
  sink->encoder_ = std::move(*encoder);
  return sink;
}

HttpOggSink::~HttpOggSink() { (void)Close(); }

Status HttpOggSink::Open(const AudioFormat& format) {
  if (closed_) return MakeError(ErrorCode::kBadRequest, Describe() + " is already closed");
  if (framer_) return MakeError(ErrorCode::kBadRequest, Describe() + " is already open");
  if (format.sample_rate_hz == 0) return MakeError(ErrorCode::kBadRequest, "audio format has a zero rate");
  auto framer = OpusFramer::Create(format);
  if (!framer) return std::unexpected(framer.error());
  framer_ = std::make_unique<OpusFramer>(std::move(*framer));
  // The lead-in: see the header.
  const std::vector<float> silence(OpusFramer::kFrameSamples, 0.0f);
  return WriteFrame(silence);
}

Status HttpOggSink::Write(std::span<const uint8_t> pcm) {
  if (!framer_ || closed_) return MakeError(ErrorCode::kBadRequest, Describe() + " is not open");
  return framer_->Push(pcm, [this](std::span<const float> frame) { return WriteFrame(frame); });
}

Status HttpOggSink::WriteFrame(std::span<const float> frame) {
  if (pace_) pacer_->Wait(std::chrono::microseconds(frame.size() * 1'000'000 / OpusFramer::kRateHz));
  return encoder_->Write(frame);
}

Status HttpOggSink::Close() {
  if (closed_) return {};
  closed_ = true;
  Status status;
  if (framer_) status = framer_->Finish([this](std::span<const float> frame) { return WriteFrame(frame); });
  if (encoder_) {
    if (auto s = encoder_->Finish(); status && !s) status = s;
  }
  if (server_) server_->Finish();
  return status;
}

}  // namespace ttsd::client
