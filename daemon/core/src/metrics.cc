#include "ttsd/daemon/metrics.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>

#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>

namespace ttsd::daemon {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// 1 ms - 5 s: first audio is milliseconds on a warm voice, seconds on a cold or loaded one.
constexpr double kFirstAudioSteps[] = {1, 1.5, 2, 3, 5, 7.5};
constexpr double kRtfSteps[] = {1, 2, 5};

// A family sampled at the scrape, outside the registry.
MetricFamily Sampled(std::string name, std::string help, MetricType type) {
  return MetricFamily{std::move(name), std::move(help), type, {}};
}

ClientMetric Value(MetricType type, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  (type == MetricType::Counter ? m.counter.value : m.gauge.value) = value;
  return m;
}

std::optional<uint64_t> ReadResidentBytes() {
  std::ifstream in("/proc/self/statm");
  const std::string statm((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ResidentBytes(statm, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
}

}  // namespace

std::string_view FrontEndName(FrontEndKind front_end) {
  switch (front_end) {
    case FrontEndKind::kNative: return "native";
    case FrontEndKind::kHttp: return "http";
    case FrontEndKind::kWyoming: return "wyoming";
  }
  return "unknown";
}

std::vector<double> DecadeBuckets(double low, double high, std::span<const double> steps) {
  std::vector<double> out;
  for (int exponent = static_cast<int>(std::floor(std::log10(low))); exponent <= 308; ++exponent) {
    const double scale = std::pow(10.0, std::abs(exponent));  // exact for the exponents used here
    for (double step : steps) {
      // Divided rather than multiplied by a negative power: the result is then the nearest double.
      const double bound = exponent < 0 ? step / scale : step * scale;
      if (bound > high * (1 + 1e-12)) return out;
      if (bound >= low * (1 - 1e-12)) out.push_back(bound);
    }
  }
  return out;
}

std::vector<double> BatchBuckets(size_t max_batch) {
  std::vector<double> out;
  for (size_t size = 1; size <= std::max<size_t>(1, max_batch); size = size < 8 ? size + 1 : size * 2) {
    out.push_back(static_cast<double>(size));
  }
  if (out.back() < static_cast<double>(max_batch)) out.push_back(static_cast<double>(max_batch));
  return out;
}

std::optional<uint64_t> ResidentBytes(std::string_view statm, uint64_t page_bytes) {
  const size_t space = statm.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view rest = statm.substr(space + 1);
  uint64_t pages = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pages);
  if (ec != std::errc() || end == rest.data()) return std::nullopt;
  return pages * page_bytes;
}

Metrics::Metrics(const BuildInfo& build, size_t max_batch)
    : requests_(prometheus::BuildCounter()
                    .Name("ttsd_requests_total")
                    .Help("Speech requests ended, by front end, voice and outcome (ok or the error's name).")
                    .Register(*registry_)),
      first_audio_(prometheus::BuildHistogram()
                       .Name("ttsd_time_to_first_audio_seconds")
                       .Help("From a request's stream starting to its first audio generated.")
                       .Register(*registry_)),
      rtf_(prometheus::BuildHistogram()
               .Name("ttsd_real_time_factor")
               .Help("Per finished request: wall time of the model steps that made its audio over the audio's length.")
               .Register(*registry_)),
      audio_(prometheus::BuildCounter()
                 .Name("ttsd_audio_seconds_total")
                 .Help("Seconds of audio generated for requests, by voice.")
                 .Register(*registry_)),
      batch_(prometheus::BuildHistogram()
                 .Name("ttsd_batch_size")
                 .Help("Streams stepped together in one model step.")
                 .Register(*registry_)
                 .Add({}, BatchBuckets(max_batch))),
      underruns_(prometheus::BuildCounter()
                     .Name("ttsd_stream_underruns_total")
                     .Help("Chunks that came after a listener playing the stream in real time would have run out.")
                     .Register(*registry_)
                     .Add({})),
      first_audio_buckets_(DecadeBuckets(0.001, 5, kFirstAudioSteps)),
      rtf_buckets_(DecadeBuckets(0.005, 10, kRtfSteps)) {
  prometheus::BuildGauge()
      .Name("ttsd_build_info")
      .Help("Always 1: the version, the libtorch it runs on, and the device (--device).")
      .Register(*registry_)
      .Add({{"version", build.version}, {"libtorch", build.libtorch}, {"device", build.device}})
      .Set(1);
}

Metrics::~Metrics() = default;

void Metrics::RequestEnded(FrontEndKind front_end, std::string_view voice, std::string_view outcome) {
  requests_
      .Add({{"front_end", std::string(FrontEndName(front_end))}, {"voice", std::string(voice)},
            {"outcome", std::string(outcome)}})
      .Increment();
}

void Metrics::FirstAudio(FrontEndKind front_end, std::string_view voice, double seconds) {
  first_audio_.Add({{"front_end", std::string(FrontEndName(front_end))}, {"voice", std::string(voice)}},
                   first_audio_buckets_)
      .Observe(seconds);
}

void Metrics::AudioProduced(std::string_view voice, double seconds) {
  audio_.Add({{"voice", std::string(voice)}}).Increment(seconds);
}

void Metrics::RealTimeFactor(std::string_view voice, double generation_s, double audio_s) {
  if (audio_s <= 0) return;
  rtf_.Add({{"voice", std::string(voice)}}, rtf_buckets_).Observe(generation_s / audio_s);
}

void Metrics::BatchStep(size_t requests) { batch_.Observe(static_cast<double>(requests)); }

void Metrics::StreamUnderrun() { underruns_.Increment(); }

std::string Metrics::Text(const MetricsSample& sample) const {
  std::vector<MetricFamily> families = registry_->Collect();
  auto gauge = [&](std::string name, std::string help, double value) {
    families.push_back(Sampled(std::move(name), std::move(help), MetricType::Gauge));
    families.back().metric.push_back(Value(MetricType::Gauge, value));
  };
  gauge("ttsd_requests_active", "Requests open daemon-wide: streams, channel utterances, requests awaiting references.",
        static_cast<double>(sample.requests_active));
  gauge("ttsd_requests_queued", "Streams waiting for an inference worker.", static_cast<double>(sample.requests_queued));
  gauge("ttsd_streams_behind",
        "Streams waiting for a worker that a listener playing them in real time would have run out of by now.",
        static_cast<double>(sample.streams_behind));
  gauge("ttsd_voices_loaded", "Voice packages loaded.", static_cast<double>(sample.voices_loaded));

  MetricFamily queued = Sampled("ttsd_channel_queued_utterances", "Utterances waiting behind the one playing, by channel.",
                                MetricType::Gauge);
  MetricFamily listeners = Sampled("ttsd_channel_listeners", "Listeners, by channel.", MetricType::Gauge);
  MetricFamily underruns = Sampled("ttsd_channel_underruns_total",
                                   "20 ms frames a channel sent short of audio in the middle of an utterance, since "
                                   "the channel appeared.",
                                   MetricType::Counter);
  MetricFamily paused = Sampled("ttsd_channel_paused", "1 while a channel is paused (its listeners get silence), by channel.",
                                MetricType::Gauge);
  MetricFamily volume = Sampled("ttsd_channel_volume", "A channel's volume (gain; 1 = as spoken), by channel.",
                                MetricType::Gauge);
  for (const auto& ch : sample.channels) {
    const std::vector<ClientMetric::Label> label = {{"channel", ch.name}};
    queued.metric.push_back(Value(MetricType::Gauge, static_cast<double>(ch.queued), label));
    listeners.metric.push_back(Value(MetricType::Gauge, static_cast<double>(ch.listeners), label));
    underruns.metric.push_back(Value(MetricType::Counter, static_cast<double>(ch.underruns), label));
    paused.metric.push_back(Value(MetricType::Gauge, ch.paused ? 1.0 : 0.0, label));
    volume.metric.push_back(Value(MetricType::Gauge, ch.gain, label));
  }
  for (auto* family : {&queued, &listeners, &underruns, &paused, &volume}) {
    if (!family->metric.empty()) families.push_back(std::move(*family));
  }
  if (auto rss = ReadResidentBytes()) {
    gauge("process_resident_memory_bytes", "Resident memory size in bytes.", static_cast<double>(*rss));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace ttsd::daemon
