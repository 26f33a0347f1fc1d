// Benchmark support: one synthesis request over the native protocol, timed by the client: time to first
// audio, every audio frame's arrival, and whether playback starting at the first frame would run dry.
//   auto r = SpeakTimed(*conn, {.voice = "ttsd-en", .text = "Hello."});  // Result<TimedRequest>
//   r->ttfa_ms; r->rtf(); r->max_lateness_ms() > jitter_ms  // an underrun
// Thread-safety: a Connection's reader is one thread at a time; one request in flight per call.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "ttsd/client/connection.h"
#include "ttsd/protocol/error.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::bench {

struct ChunkArrival {
  double at_s = 0;       // since the request was sent
  uint64_t samples = 0;  // samples in this frame (> 0)
};

struct TimedRequest {
  double ttfa_ms = 0;  // synthesize sent -> first audio frame with samples received
  double wall_s = 0;   // synthesize sent -> last audio frame received
  uint32_t sample_rate = 0;
  uint64_t samples = 0;
  std::vector<ChunkArrival> chunks;  // audio frames with samples, in arrival order

  double audio_s() const { return sample_rate ? static_cast<double>(samples) / sample_rate : 0; }
  double rtf() const { return audio_s() > 0 ? wall_s / audio_s() : 0; }
  // Playback that starts when the first frame arrives runs dry before frame k when it arrives later than the
  // audio before it lasts: (at_k - at_0) > samples_before_k / rate. The worst such margin over all frames,
  // in ms; <= 0 when playback would never have waited.
  double max_lateness_ms() const;
};

// Sends request and reads frames until its last audio frame; frames of other requests are skipped.
// Errors: the server's kError for the request (its code and message), Connection's errors, kTimeout when
// no frame comes within frame_timeout.
Result<TimedRequest> SpeakTimed(client::Connection& conn, const protocol::SynthesizeRequest& request,
                                std::chrono::milliseconds frame_timeout = std::chrono::seconds(60));

}  // namespace ttsd::bench
