// Added delay of the Opus network outputs, as a receiver sees it: from the moment a chunk is handed to the
// sink (AudioSink::Write, what ttsc does with each chunk it receives) to the moment ffmpeg's decoded PCM
// for that audio comes out of ffmpeg, over RTP (through the SDP) and over HTTP-Ogg, with the low-delay
// ffmpeg options the README gives for OBS. Targets: RTP <= 30 ms, HTTP-Ogg <= 50 ms.
//   build/bench/opus-delay-bench --bursts 20 --json bench/results/opus-delay.json
// The sink is fed in real time like an output channel (`ttsc listen`): 20 ms chunks of 48 kHz silence, with
// a 100 ms tone burst every 500 ms starting on a chunk boundary. ffmpeg writes f32le to a pipe that a
// reader thread timestamps; a burst's delay is the time its first loud decoded sample arrived minus the
// time its first chunk went into Write. Prints a Markdown table and a JSON line; --json FILE keeps it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

#include "support/stats.h"
#include "ttsd/client/http-ogg-sink.h"
#include "ttsd/client/rtp-opus-sink.h"

namespace {

using Clock = std::chrono::steady_clock;
using ttsd::client::AudioFormat;
using ttsd::client::AudioSink;

constexpr float kBurstAmplitude = 0.5f;
constexpr float kOnsetThreshold = 0.05f;    // decoded |x| above this is the burst
constexpr size_t kQuietBeforeOnset = 9600;  // 200 ms below the threshold re-arms the detector

using ttsd::bench::Quantile;

// ffmpeg with its stdout on a pipe that a thread reads, timestamping the onset of every burst.
class Receiver {
 public:
  explicit Receiver(std::vector<std::string> args) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) std::perror("pipe");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      int null = open("/dev/null", O_RDONLY);
      dup2(null, 0);
      dup2(out[1], 1);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    reader_ = std::thread([this, fd = out[0]] { Read(fd); });
  }
  ~Receiver() { Stop(); }

  // ffmpeg leaves a blocking network read on the second SIGINT.
  void Stop() {
    if (pid_ > 0) {
      for (int i = 0; i < 2; ++i) {
        kill(pid_, SIGINT);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      const auto deadline = Clock::now() + std::chrono::seconds(3);
      while (waitpid(pid_, nullptr, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
          kill(pid_, SIGKILL);
          waitpid(pid_, nullptr, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      pid_ = -1;
    }
    if (reader_.joinable()) reader_.join();
  }

  uint64_t samples() const { return samples_.load(); }
  std::vector<Clock::time_point> onsets() const {
    std::lock_guard lock(mu_);
    return onsets_;
  }

 private:
  void Read(int fd) {
    std::vector<char> buf(1 << 16);
    size_t carry = 0;  // bytes of a partial sample kept from the last read
    size_t quiet = kQuietBeforeOnset;
    for (;;) {
      ssize_t n = read(fd, buf.data() + carry, buf.size() - carry);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      const auto now = Clock::now();
      const size_t bytes = carry + static_cast<size_t>(n);
      const size_t count = bytes / sizeof(float);
      for (size_t i = 0; i < count; ++i) {
        float x;
        std::memcpy(&x, buf.data() + i * sizeof(float), sizeof(float));
        if (std::fabs(x) > kOnsetThreshold) {
          if (quiet >= kQuietBeforeOnset) {
            std::lock_guard lock(mu_);
            onsets_.push_back(now);
          }
          quiet = 0;
        } else {
          quiet++;
        }
      }
      samples_ += count;
      carry = bytes - count * sizeof(float);
      std::memmove(buf.data(), buf.data() + count * sizeof(float), carry);
    }
    close(fd);
  }

  pid_t pid_ = -1;
  std::thread reader_;
  std::atomic<uint64_t> samples_{0};
  mutable std::mutex mu_;  // guards onsets_
  std::vector<Clock::time_point> onsets_;
};

struct Result {
  std::string transport;
  std::vector<double> delays_ms;
  int bursts = 0;
};

// Feeds sink in real time and returns the delay of every burst that came out.
Result Run(const std::string& transport, AudioSink* sink, Receiver* receiver, uint32_t rate_hz, int chunk_ms,
           int bursts, const std::function<bool()>& ready) {
  Result r;
  r.transport = transport;
  const size_t chunk = rate_hz * static_cast<uint32_t>(chunk_ms) / 1000;
  const int chunks_per_burst = 100 / chunk_ms, chunks_per_period = 500 / chunk_ms;
  std::vector<float> silence(chunk, 0.0f), tone(chunk);
  auto bytes = [](const std::vector<float>& v) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(float));
  };
  if (!sink->Open(AudioFormat{rate_hz, 1, ttsd::protocol::SampleFormat::kF32Le})) {
    std::fprintf(stderr, "opus-delay-bench: cannot open %s\n", sink->Describe().c_str());
    return r;
  }
  std::vector<Clock::time_point> written;
  auto next = Clock::now();
  uint64_t n = 0;  // samples written
  // Silence until ffmpeg decodes, then a second more so everything is in its steady state.
  int warmup_left = -1, burst_chunk = -1;
  const auto give_up = Clock::now() + std::chrono::seconds(20);
  while (static_cast<int>(written.size()) < bursts || burst_chunk >= 0) {
    if (warmup_left < 0 && ready()) warmup_left = 1000 / chunk_ms;
    if (warmup_left < 0 && Clock::now() > give_up) {
      std::fprintf(stderr, "opus-delay-bench: ffmpeg decoded nothing from %s\n", sink->Describe().c_str());
      break;
    }
    const std::vector<float>* data = &silence;
    if (warmup_left > 0) {
      warmup_left--;
    } else if (warmup_left == 0) {
      if (burst_chunk < 0) burst_chunk = 0;
      if (burst_chunk < chunks_per_burst) {
        for (size_t i = 0; i < chunk; ++i) {
          tone[i] = kBurstAmplitude * static_cast<float>(std::sin(2 * std::numbers::pi * 1000.0 *
                                                                  static_cast<double>(n + i) / rate_hz));
        }
        data = &tone;
      }
    }
    std::this_thread::sleep_until(next);
    if (data == &tone && burst_chunk == 0) written.push_back(Clock::now());
    if (!sink->Write(bytes(*data))) {
      std::fprintf(stderr, "opus-delay-bench: write to %s failed\n", sink->Describe().c_str());
      break;
    }
    n += chunk;
    next += std::chrono::milliseconds(chunk_ms);
    if (burst_chunk >= 0 && ++burst_chunk == chunks_per_period) burst_chunk = -1;
  }
  // Let the last burst come out before stopping.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  (void)sink->Close();
  receiver->Stop();
  auto onsets = receiver->onsets();
  r.bursts = static_cast<int>(written.size());
  // Pair each burst with the first onset after it was written (a missing onset skips its burst).
  size_t o = 0;
  for (const auto& w : written) {
    while (o < onsets.size() && onsets[o] < w) o++;
    if (o == onsets.size()) break;
    const double ms = std::chrono::duration<double, std::milli>(onsets[o] - w).count();
    if (ms < 400) {
      r.delays_ms.push_back(ms);
      o++;
    }
  }
  return r;
}

std::vector<std::string> FfmpegArgs(const std::string& ffmpeg, std::vector<std::string> input) {
  std::vector<std::string> args = {ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error"};
  args.insert(args.end(), input.begin(), input.end());
  for (const char* a : {"-ac", "1", "-ar", "48000", "-f", "f32le", "-flush_packets", "1", "pipe:1"}) args.push_back(a);
  return args;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Added delay of ttsc's Opus network outputs (RTP, HTTP-Ogg) as ffmpeg decodes them."};
  std::string ffmpeg = "ffmpeg", json_path, only;
  int bursts = 20, chunk_ms = 20;
  uint32_t rate_hz = 48000;
  uint16_t rtp_port = 0, http_port = 0;
  app.add_option("--ffmpeg", ffmpeg, "the ffmpeg to run")->capture_default_str();
  app.add_option("--bursts", bursts, "tone bursts per transport")->capture_default_str()->check(CLI::Range(1, 1000));
  app.add_option("--rate", rate_hz, "sample rate of the audio handed to the sink (48000: an output channel; "
                                    "16000: the fixture voices, resampled by the sink)")
      ->capture_default_str()
      ->check(CLI::Range(8000u, 48000u));
  app.add_option("--chunk-ms", chunk_ms, "chunk length, written in real time")
      ->capture_default_str()
      ->check(CLI::IsMember({10, 20, 50, 100}));
  app.add_option("--only", only, "rtp or http (default: both)")->check(CLI::IsMember({"rtp", "http"}));
  app.add_option("--rtp-port", rtp_port, "UDP port for RTP (default: a free even port)");
  app.add_option("--http-port", http_port, "TCP port for HTTP (default: any free port)");
  app.add_option("--json", json_path, "write the results here");
  CLI11_PARSE(app, argc, argv);

  char tmpl[] = "/tmp/opus-delay-bench-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::vector<Result> results;
  nlohmann::json commands;

  if (only.empty() || only == "rtp") {
    if (rtp_port == 0) rtp_port = static_cast<uint16_t>(20000 + 2 * (getpid() % 10000));
    ttsd::client::RtpOptions options;
    options.port = rtp_port;
    options.sdp_path = dir + "/stream.sdp";
    auto sink = ttsd::client::RtpOpusSink::Create(options);
    if (!sink) {
      std::fprintf(stderr, "opus-delay-bench: %s\n", sink.error().ToString().c_str());
      return 1;
    }
    auto args = FfmpegArgs(ffmpeg, {"-protocol_whitelist", "file,udp,rtp", "-analyzeduration", "0", "-probesize",
                                    "32", "-fflags", "nobuffer", "-i", options.sdp_path});
    commands["rtp"] = Join(args);
    Receiver receiver(args);
    std::fprintf(stderr, "opus-delay-bench: RTP to 127.0.0.1:%u ...\n", rtp_port);
    results.push_back(Run("rtp", sink->get(), &receiver, rate_hz, chunk_ms, bursts,
                          [&] { return receiver.samples() > 0; }));
  }
  if (only.empty() || only == "http") {
    ttsd::client::HttpStreamOptions options;
    options.port = http_port;
    auto sink = ttsd::client::HttpOggSink::Create(options);
    if (!sink) {
      std::fprintf(stderr, "opus-delay-bench: %s\n", sink.error().ToString().c_str());
      return 1;
    }
    const std::string url = "http://127.0.0.1:" + std::to_string((*sink)->server().port()) + "/stream.ogg";
    auto args = FfmpegArgs(ffmpeg, {"-analyzeduration", "0", "-probesize", "32", "-fflags", "nobuffer", "-f", "ogg",
                                    "-i", url});
    commands["http"] = Join(args);
    Receiver receiver(args);
    std::fprintf(stderr, "opus-delay-bench: HTTP-Ogg at %s ...\n", url.c_str());
    auto* http = sink->get();
    results.push_back(Run("http", http, &receiver, rate_hz, chunk_ms, bursts,
                          [&] { return http->server().clients() > 0 && receiver.samples() > 0; }));
  }
  std::filesystem::remove_all(dir);

  nlohmann::json out = {{"bench", "opus-delay"}, {"input_rate_hz", rate_hz}, {"chunk_ms", chunk_ms},
                        {"ffmpeg_commands", commands}};
  std::printf("| transport | input | bursts detected | delay p50 ms | p90 ms | min ms | max ms | target ms |\n"
              "|---|---|---|---|---|---|---|---|\n");
  bool ok = true;
  for (const auto& r : results) {
    const double target = r.transport == "rtp" ? 30 : 50;
    const double p50 = Quantile(r.delays_ms, 0.5);
    ok = ok && !r.delays_ms.empty() && static_cast<int>(r.delays_ms.size()) == r.bursts && p50 <= target;
    const auto [mn, mx] = r.delays_ms.empty() ? std::pair(0.0, 0.0)
                                              : std::pair(*std::min_element(r.delays_ms.begin(), r.delays_ms.end()),
                                                          *std::max_element(r.delays_ms.begin(), r.delays_ms.end()));
    std::printf("| %s | %u Hz, %d ms chunks | %zu/%d | %.1f | %.1f | %.1f | %.1f | %.0f |\n",
                r.transport == "rtp" ? "RTP (SDP)" : "HTTP-Ogg", rate_hz, chunk_ms, r.delays_ms.size(), r.bursts, p50,
                Quantile(r.delays_ms, 0.9), mn, mx, target);
    out[r.transport] = {{"bursts", r.bursts},          {"detected", r.delays_ms.size()},
                        {"delay_ms_p50", p50},         {"delay_ms_p90", Quantile(r.delays_ms, 0.9)},
                        {"delay_ms_min", mn},          {"delay_ms_max", mx},
                        {"target_ms", target},         {"delays_ms", r.delays_ms}};
  }
  out["within_targets"] = ok;
  std::printf("%s\n", out.dump().c_str());
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return ok ? 0 : 1;
}
