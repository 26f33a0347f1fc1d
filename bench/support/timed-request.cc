#include "timed-request.h"

#include <algorithm>

#include "ttsd/protocol/frame.h"

namespace ttsd::bench {

using Clock = std::chrono::steady_clock;

double TimedRequest::max_lateness_ms() const {
  if (chunks.empty() || sample_rate == 0) return 0;
  double worst = -1e9;
  uint64_t before = 0;
  for (const auto& c : chunks) {
    const double late_s = (c.at_s - chunks.front().at_s) - static_cast<double>(before) / sample_rate;
    worst = std::max(worst, late_s * 1000);
    before += c.samples;
  }
  return worst;
}

Result<TimedRequest> SpeakTimed(client::Connection& conn, const protocol::SynthesizeRequest& request,
                                std::chrono::milliseconds frame_timeout) {
  const auto start = Clock::now();
  auto id = conn.StartSynthesis(request);
  if (!id) return std::unexpected(id.error());
  TimedRequest r;
  for (;;) {
    auto f = conn.ReadFrame(frame_timeout);
    if (!f) return std::unexpected(f.error());
    const auto now = Clock::now();
    if (f->header.request_id != *id) continue;
    if (f->header.type == protocol::FrameType::kError) {
      auto body = protocol::ParseErrorBody(f->payload);
      return MakeError(body ? body->code : ErrorCode::kInternal, body ? body->message : "malformed error frame");
    }
    if (f->header.type != protocol::FrameType::kAudio) continue;
    std::span<const uint8_t> pcm;
    auto h = protocol::ParseAudioHeader(f->payload, &pcm);
    if (!h) return std::unexpected(h.error());
    r.sample_rate = h->sample_rate;
    const uint64_t n = pcm.size() / protocol::BytesPerSample(h->sample_format);
    const double at_s = std::chrono::duration<double>(now - start).count();
    if (n > 0) {
      if (r.chunks.empty()) r.ttfa_ms = at_s * 1000;
      r.chunks.push_back({at_s, n});
      r.samples += n;
    }
    if (f->header.flags & protocol::kFlagLast) {
      r.wall_s = at_s;
      return r;
    }
  }
}

}  // namespace ttsd::bench
