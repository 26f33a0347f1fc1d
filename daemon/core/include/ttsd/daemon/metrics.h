// ttsd's Prometheus metrics (GET /metrics on the HTTP listener): counters and histograms that requests
// and the scheduler update as they go, and values the I/O thread samples when scraped (queue, channels,
// voices), with the process's resident memory, written in Prometheus' text format by prometheus-cpp.
// Every metric is listed in daemon/http/README.md, "Metrics".
//   Metrics metrics({TTSD_VERSION, engine::LibtorchVersion(), config.engine.device}, config.max_batch);
//   metrics.RequestEnded(FrontEndKind::kNative, "ttsd-en", "ok");   // any thread
//   std::string text = metrics.Text(sample);                     // the I/O thread, when scraped
// Thread-safety: every method is safe from any thread (prometheus-cpp's metrics are atomic and its
// families lock); the MetricsSample that Text takes is made on the I/O thread (Server::MetricsText).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace ttsd::daemon {

// Where a request came in: the native Unix socket, the HTTP listener (its requests reach the core as
// native requests over Server::ConnectInProcess), or Wyoming.
enum class FrontEndKind { kNative, kHttp, kWyoming };
std::string_view FrontEndName(FrontEndKind front_end);  // "native", "http", "wyoming"

// The voice label of a request refused before its voice was known (an unknown voice among them).
inline constexpr std::string_view kNoVoice = "none";

// What the I/O thread reads for one scrape.
struct MetricsSample {
  size_t requests_active = 0;  // open daemon-wide (SessionContext::open_requests)
  size_t requests_queued = 0;  // streams waiting for a worker
  size_t streams_behind = 0;   // of those, the ones a real-time listener would have run out of
  size_t voices_loaded = 0;
  struct Channel {
    std::string name;
    size_t queued = 0;  // utterances waiting behind the one playing
    size_t listeners = 0;
    uint64_t underruns = 0;  // frames short of audio in the middle of an utterance, since the channel appeared
    bool paused = false;     // paused by channel_control (its listeners get silence)
    double gain = 1;         // its volume (channel_control volume), 1 = as spoken
  };
  std::vector<Channel> channels;
};

class Metrics {
 public:
  struct BuildInfo {
    std::string version;   // TTSD_VERSION
    std::string libtorch;  // engine::LibtorchVersion()
    std::string device;    // --device: "cpu", "cuda:0"
  };
  // max_batch: --max-batch, the largest batch a model step can have (its histogram's top bucket).
  Metrics(const BuildInfo& build, size_t max_batch);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // A speech request's end: outcome "ok" or the error's name (ErrorCodeName: "cancelled", "unknown_voice").
  void RequestEnded(FrontEndKind front_end, std::string_view voice, std::string_view outcome);
  // From the request's stream starting to its first audio being generated.
  void FirstAudio(FrontEndKind front_end, std::string_view voice, double seconds);
  void AudioProduced(std::string_view voice, double seconds);
  // A finished request: the model steps' wall time that made its audio over the audio's length (none
  // when audio_s is 0).
  void RealTimeFactor(std::string_view voice, double generation_s, double audio_s);
  void BatchStep(size_t requests);  // one model step over that many streams
  void StreamUnderrun();            // a stream's chunk came after a real-time listener ran dry

  // Everything in Prometheus' text exposition format (version 0.0.4).
  std::string Text(const MetricsSample& sample) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  // Owned by registry_.
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& first_audio_;
  prometheus::Family<prometheus::Histogram>& rtf_;
  prometheus::Family<prometheus::Counter>& audio_;
  prometheus::Histogram& batch_;
  prometheus::Counter& underruns_;
  const std::vector<double> first_audio_buckets_, rtf_buckets_;
};

// Bucket bounds: each step times each power of ten, from low to high inclusive, in order; each value
// is the double nearest its decimal (0.005, not 5 * 0.001). steps in [1, 10), ascending.
std::vector<double> DecadeBuckets(double low, double high, std::span<const double> steps);
// Batch sizes: every size up to 8, then doubling, the last max_batch itself. {1} for max_batch <= 1.
std::vector<double> BatchBuckets(size_t max_batch);
// Resident bytes from /proc/self/statm's text (its second field is resident pages); nullopt if unreadable.
std::optional<uint64_t> ResidentBytes(std::string_view statm, uint64_t page_bytes);

}  // namespace ttsd::daemon
