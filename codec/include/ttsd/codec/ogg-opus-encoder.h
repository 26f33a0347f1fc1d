// Live Ogg Opus through libopusenc: 48 kHz mono, 20 ms frames, pages handed out the moment each frame is
// encoded (one frame per page), for files, pipes and HTTP streams that a reader plays while they grow.
//   auto enc = OggOpusEncoder::Create(32000, [&](std::span<const uint8_t> page) { return Send(page); }).value();
//   enc->Write(samples_48k); ...; enc->Finish();
// Thread-safety: one thread at a time; on_page runs on that thread, inside Create, Write and Finish.
//
// Settings (libopusenc's defaults add ~2 s of delay): OPE_SET_MUXING_DELAY(960) (a page per 20 ms frame),
// OPE_SET_DECISION_DELAY(0), OPE_SET_COMMENT_PADDING(0); the OpusHead and OpusTags pages go out at Create
// (ope_encoder_flush_header). libopusenc encodes a frame only once a sample past it has arrived, so the
// stream starts with one sample of silence: each frame is then encoded as soon as its last sample is written,
// instead of a frame (20 ms) later.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "ttsd/protocol/error.h"

struct OggOpusEnc;
struct OggOpusComments;

namespace ttsd::codec {

class OggOpusEncoder {
 public:
  static constexpr uint32_t kRateHz = 48000;
  static constexpr uint32_t kDefaultBitrateBps = 32000;
  static constexpr uint32_t kMinBitrateBps = 6000;
  static constexpr uint32_t kMaxBitrateBps = 510000;

  // Receives whole Ogg pages (bytes borrowed for the call), in stream order. An error stops the encoder:
  // the call that caused the page returns it.
  using PageFn = std::function<Status(std::span<const uint8_t> page)>;

  // Writes the header pages through on_page before returning. Errors: kBadRequest (bitrate outside
  // kMinBitrateBps..kMaxBitrateBps), kInternal (libopusenc refused), on_page's.
  static Result<std::unique_ptr<OggOpusEncoder>> Create(uint32_t bitrate_bps, PageFn on_page);
  ~OggOpusEncoder();
  OggOpusEncoder(const OggOpusEncoder&) = delete;
  OggOpusEncoder& operator=(const OggOpusEncoder&) = delete;

  // samples: 48 kHz mono in [-1, 1]; borrowed. Pages for every frame completed go out before this
  // returns. Errors: kBadRequest (after Finish), kInternal (libopusenc), on_page's.
  Status Write(std::span<const float> samples);
  // Encodes what is left (padded; the last page's granule position trims the padding) and writes the
  // end-of-stream page. Safe to call twice. Errors: as Write.
  Status Finish();

  // The header pages (OpusHead, OpusTags), as they went out first: a reader joining a live stream later
  // needs them before any later page.
  std::span<const uint8_t> headers() const { return headers_; }
  uint64_t pages() const { return pages_; }  // audio pages written so far (headers not counted)

 private:
  explicit OggOpusEncoder(PageFn on_page) : on_page_(std::move(on_page)) {}
  static int WritePage(void* user_data, const unsigned char* page, int32_t len);  // libopusenc's callback
  static int CloseStream(void* user_data);

  PageFn on_page_;
  OggOpusEnc* enc_ = nullptr;            // owned
  OggOpusComments* comments_ = nullptr;  // owned
  bool in_headers_ = false;
  bool finished_ = false;
  std::vector<uint8_t> headers_;
  uint64_t pages_ = 0;
  Status error_;  // the first error on_page returned
};

}  // namespace ttsd::codec
