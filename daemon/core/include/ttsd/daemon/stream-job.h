// A request's engine stream run through the InferenceScheduler, for any front end (the native
// Session, the Wyoming session): the front end says how a chunk becomes bytes and where they go;
// this owns the rest (the daemon-wide request count, logging, metrics, backpressure).
//   context->open_requests.fetch_add(1);
//   auto job = MakeStreamJob(context, executor, serial, {FrontEndKind::kNative, "ttsd-en"}, std::move(stream), outbound,
//                            std::move(sink));
//   context->scheduler->Submit(job);
// Thread-safety: MakeStreamJob runs on the I/O thread; the sink's encode runs on inference
// workers, deliver and fail on the I/O thread (posted to executor).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/daemon/metrics.h"
#include "ttsd/daemon/scheduler.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

struct SessionContext;

// Where a job's audio goes. The callbacks must not assume their front end still exists: they
// capture a weak pointer to it.
struct StreamJobSink {
  // Worker thread: the bytes to send for chunk (empty: nothing to send for it).
  std::function<std::vector<uint8_t>(const engine::Chunk& chunk)> encode;
  // I/O thread, in chunk order: encode's bytes, already added to *outbound; last on the final chunk.
  std::function<void(std::vector<uint8_t> bytes, bool last)> deliver;
  // I/O thread: the terminal error instead of a last chunk (kCancelled included).
  std::function<void(const Error& error)> fail;
};

// What a request is counted under (Metrics): its front end and its voice's name.
struct RequestLabels {
  FrontEndKind front_end = FrontEndKind::kNative;
  std::string voice;
};

// The job for stream. serial names it in logs. When it ends, context->open_requests goes down by
// one (the caller counted it up) before deliver(last) or fail runs. It pauses while *outbound is at
// or above config.max_outbound_bytes; the front end Wake()s it once its writes catch up. With
// context->metrics it counts, under labels, its first audio, its audio, its end and its real-time factor.
// loudness_lufs: encode sees the audio brought to that loudness (codec::LoudnessNormalizer, on the worker:
// 10 ms held back until the last chunk, chunks' sample_offset counting what was handed out; should the
// normalizer fail, the rest passes as it is).
std::shared_ptr<Job> MakeStreamJob(SessionContext* context, boost::asio::any_io_executor executor, uint64_t serial,
                                   RequestLabels labels, std::unique_ptr<engine::Stream> stream,
                                   std::shared_ptr<std::atomic<size_t>> outbound, StreamJobSink sink,
                                   std::optional<double> loudness_lufs = std::nullopt);

// Samples (-1..1) as little-endian PCM in format; s16 is clipped and rounded.
std::vector<uint8_t> EncodePcm(std::span<const float> samples, protocol::SampleFormat format);

// The engine's marks as the wire's.
protocol::Marks ToMarks(std::span<const engine::Mark> marks);

}  // namespace ttsd::daemon
