#include "ttsd/daemon/stream-job.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "ttsd/codec/loudness-normalizer.h"
#include "ttsd/daemon/session.h"

namespace ttsd::daemon {

std::vector<uint8_t> EncodePcm(std::span<const float> samples, protocol::SampleFormat format) {
  std::vector<uint8_t> out(samples.size() * protocol::BytesPerSample(format));
  if (format == protocol::SampleFormat::kF32Le) {
    std::memcpy(out.data(), samples.data(), out.size());  // x86-64 and arm64 are little-endian
    return out;
  }
  for (size_t i = 0; i < samples.size(); ++i) {
    float s = std::clamp(samples[i], -1.0f, 1.0f);
    auto v = static_cast<int16_t>(std::lrintf(s * 32767.0f));
    out[2 * i] = static_cast<uint8_t>(v & 0xff);
    out[2 * i + 1] = static_cast<uint8_t>((v >> 8) & 0xff);
  }
  return out;
}

namespace {

// A request's audio at a loudness: chunks in, the same chunks with their samples levelled out (one
// 10 ms block later, the rest with the last chunk). Used by the job's worker, one at a time.
class RequestLoudness {
 public:
  explicit RequestLoudness(codec::LoudnessNormalizer n) : n_(std::move(n)) {}

  engine::Chunk Level(const engine::Chunk& chunk) {
    engine::Chunk out = chunk;
    out.sample_offset = handed_out_;
    if (failed_) return Count(out);
    auto ready = n_.Process(chunk.samples);
    if (!ready) {  // libebur128 failed (out of memory): the rest passes as it is; one block stays behind
      spdlog::warn("loudness: {}; the rest of the request passes unchanged", ready.error().ToString());
      failed_ = true;
      return Count(out);
    }
    samples_.assign(ready->begin(), ready->end());
    if (chunk.is_last) {
      if (auto rest = n_.Finish()) samples_.insert(samples_.end(), rest->begin(), rest->end());
    }
    out.samples = samples_;
    return Count(out);
  }

 private:
  engine::Chunk Count(const engine::Chunk& chunk) {
    handed_out_ += chunk.samples.size();
    return chunk;
  }
  codec::LoudnessNormalizer n_;
  std::vector<float> samples_;  // what the last Level handed out
  uint64_t handed_out_ = 0;
  bool failed_ = false;
};

std::shared_ptr<RequestLoudness> MakeLoudness(std::optional<double> lufs, int rate, uint64_t serial) {
  if (!lufs) return nullptr;
  codec::LoudnessOptions options;
  options.target_lufs = *lufs;
  auto made = codec::LoudnessNormalizer::Create(static_cast<uint32_t>(rate), options);
  if (!made) {
    spdlog::warn("request #{}: not normalized: {}", serial, made.error().ToString());
    return nullptr;
  }
  made->Start();
  return std::make_shared<RequestLoudness>(std::move(*made));
}

}  // namespace

std::shared_ptr<Job> MakeStreamJob(SessionContext* context, boost::asio::any_io_executor executor, uint64_t serial,
                                   RequestLabels labels, std::unique_ptr<engine::Stream> stream,
                                   std::shared_ptr<std::atomic<size_t>> outbound, StreamJobSink sink,
                                   std::optional<double> loudness_lufs) {
  auto job = std::make_shared<Job>();
  job->serial = serial;
  const int rate = stream->sample_rate();
  job->stream = std::move(stream);
  const auto started = std::chrono::steady_clock::now();
  const size_t max_outbound = context->config->max_outbound_bytes;
  auto shared_sink = std::make_shared<StreamJobSink>(std::move(sink));
  Metrics* metrics = context->metrics;
  auto shared_labels = std::make_shared<const RequestLabels>(std::move(labels));
  Job* self = job.get();  // the callbacks belong to the job: it outlives every call of theirs

  // Both callbacks run on a worker thread; the bytes are built there and handed to the I/O thread.
  // Workers call it one at a time (the scheduler hands a job to one worker per step).
  auto loudness = MakeLoudness(loudness_lufs, rate, serial);
  job->on_chunk = [=, first_ms = -1.0](const engine::Chunk& chunk) mutable {
    auto bytes = shared_sink->encode(loudness ? loudness->Level(chunk) : chunk);
    outbound->fetch_add(bytes.size());
    const auto since_start = [&] {
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    };
    if (first_ms < 0 && !chunk.samples.empty()) {
      first_ms = since_start();
      if (metrics) metrics->FirstAudio(shared_labels->front_end, shared_labels->voice, first_ms / 1000);
    }
    if (metrics && !chunk.samples.empty()) {
      metrics->AudioProduced(shared_labels->voice, static_cast<double>(chunk.samples.size()) / rate);
    }
    if (chunk.is_last) {
      const double audio_s = static_cast<double>(chunk.sample_offset + chunk.samples.size()) / rate;
      spdlog::info("request #{} done: {:.2f} s of audio in {:.0f} ms, the first after {:.1f} ms", serial, audio_s,
                   since_start(), first_ms);
      if (metrics) {
        metrics->RequestEnded(shared_labels->front_end, shared_labels->voice, "ok");
        metrics->RealTimeFactor(shared_labels->voice, self->step_s, audio_s);
      }
    }
    boost::asio::post(executor, [=, bytes = std::move(bytes), last = chunk.is_last]() mutable {
      if (last) context->open_requests.fetch_sub(1);
      shared_sink->deliver(std::move(bytes), last);
    });
  };
  job->on_error = [=, stream = job->stream.get()](const Error& error) {
    const double audio_s = static_cast<double>(stream->samples_produced()) / rate;
    if (error.code == ErrorCode::kCancelled) {
      spdlog::info("request #{} cancelled: generation stopped after {:.2f} s of audio", serial, audio_s);
    } else {
      spdlog::warn("request #{} failed: {}", serial, error.ToString());
    }
    if (metrics) metrics->RequestEnded(shared_labels->front_end, shared_labels->voice, ErrorCodeName(error.code));
    boost::asio::post(executor, [=] {
      context->open_requests.fetch_sub(1);
      shared_sink->fail(error);
    });
  };
  job->can_send = [outbound, max_outbound] { return outbound->load() < max_outbound; };
  return job;
}

}  // namespace ttsd::daemon

namespace ttsd::daemon {

static_assert(static_cast<int>(engine::MarkLevel::kPhones) == static_cast<int>(protocol::MarkLevel::kPhones));
static_assert(static_cast<int>(engine::MarkKind::kPhone) == static_cast<int>(protocol::MarkInfo::Kind::kPhone));

protocol::Marks ToMarks(std::span<const engine::Mark> marks) {
  protocol::Marks out;
  out.marks.reserve(marks.size());
  for (const engine::Mark& m : marks) {
    out.marks.push_back({static_cast<protocol::MarkInfo::Kind>(m.kind), m.text, m.text_begin, m.text_end, m.start, m.end});
  }
  return out;
}

}  // namespace ttsd::daemon
