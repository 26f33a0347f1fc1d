// Playback through PortAudio into a PulseAudio null sink: underruns over a long request, and the added
// latency from the first chunk received to the first sound in the sink.
//   build/bench/playback-bench --spawn build/daemon/ttsd --voices models/fixtures --seconds 60 --latency-runs 20
// Starts a private PulseAudio server (null sink "vmic", as the tests and README's virtual microphone do) and,
// with --spawn, ttsd on a private socket. parec records vmic's monitor the whole time (20 ms fragments); a
// reader thread timestamps what it delivers. Phase 1 plays one request of at least --seconds of speech and
// counts the sink's underruns, the device's underflows, and 10 ms frames where the recording is silent but
// the speech is not (glitches no counter saw). Phase 2 plays --latency-runs short sentences, one request
// each; a run's latency is the time the audio's first sample reached the recorder (found by correlation
// with the received audio, timed by its fragment's arrival minus the samples after it in the fragment)
// minus the time the first chunk with samples was handed to the sink. parec's fragment (up to 20 ms) is
// included.
// Prints a Markdown table and a JSON line (--json FILE keeps it); exits 1 on any underrun.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "support/daemon-spawn.h"
#include "support/stats.h"
#include "texts.h"
#include "ttsd/client/connection.h"
#include "ttsd/client/portaudio-sink.h"
#include "ttsd/codec/resampler.h"
#include "ttsd/client/synthesis.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using ttsd::client::AudioFormat;
using ttsd::client::AudioSink;
using ttsd::client::PortAudioSink;

constexpr uint32_t kRecordRate = 48000;
constexpr float kLoud = 0.02f;  // a sample above this is sound (the fixture speaks at ~0.04 RMS)

using ttsd::bench::Quantile;

pid_t SpawnProcess(std::vector<std::string> argv, const std::vector<std::string>& env, int stdout_fd,
                   const std::string& log_path) {
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  for (auto& e : env_copy) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (stdout_fd >= 0) dup2(stdout_fd, 1);
    else dup2(log, 1);
    dup2(log, 2);
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
  return pid;
}

void StopProcess(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 500; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(10ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// A private PulseAudio server with the null sink vmic; its variables are set in this process too.
class PulseServer {
 public:
  explicit PulseServer(const std::string& dir) : dir_(dir) {
    runtime_ = dir + "/run";
    mkdir(runtime_.c_str(), 0700);
    mkdir((runtime_ + "/pulse").c_str(), 0700);
    mkdir((dir + "/home").c_str(), 0700);
    std::ofstream(dir + "/client.conf") << "autospawn = no\n";
    setenv("XDG_RUNTIME_DIR", runtime_.c_str(), 1);
    setenv("HOME", (dir + "/home").c_str(), 1);
    setenv("PULSE_SERVER", ("unix:" + runtime_ + "/pulse/native").c_str(), 1);
    setenv("PULSE_CLIENTCONFIG", (dir + "/client.conf").c_str(), 1);
    unsetenv("PULSE_SINK");
  }
  ~PulseServer() { StopProcess(pid_); }

  bool Start() {
    pid_ = SpawnProcess({"pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--log-level=warning",
                         "--load=module-native-protocol-unix socket=" + runtime_ + "/pulse/native auth-anonymous=1",
                         "--load=module-null-sink sink_name=vmic rate=48000 channels=1"},
                        Env(), -1, dir_ + "/pulse.log");
    for (int i = 0; i < 400; ++i) {
      if (access((runtime_ + "/pulse/native").c_str(), F_OK) == 0) {
        std::this_thread::sleep_for(50ms);
        return true;
      }
      std::this_thread::sleep_for(25ms);
    }
    return false;
  }

  static std::vector<std::string> Env() {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    return env;
  }

 private:
  std::string dir_, runtime_;
  pid_t pid_ = -1;
};

// parec on vmic.monitor, timestamping what it delivers.
class Recorder {
 public:
  explicit Recorder(const std::string& dir) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = SpawnProcess({"parec", "-d", "vmic.monitor", "--rate=48000", "--channels=1", "--format=s16le",
                         "--latency-msec=20", "--raw"},
                        PulseServer::Env(), fds[1], dir + "/parec.log");
    close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] {
      uint8_t buf[4096];
      size_t carry = 0;
      uint8_t odd = 0;
      for (;;) {
        const ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) break;
        const auto now = Clock::now();
        std::lock_guard lock(mu_);
        size_t i = 0;
        if (carry) {
          samples_.push_back(static_cast<int16_t>(odd | buf[0] << 8) / 32768.0f);
          i = 1;
          carry = 0;
        }
        for (; i + 1 < static_cast<size_t>(n); i += 2) {
          samples_.push_back(static_cast<int16_t>(buf[i] | buf[i + 1] << 8) / 32768.0f);
        }
        if (i < static_cast<size_t>(n)) {
          odd = buf[i];
          carry = 1;
        }
        arrivals_.push_back({samples_.size(), now});
      }
      close(fd);
    });
  }
  ~Recorder() { Stop(); }

  void Stop() {
    StopProcess(pid_);
    pid_ = -1;
    if (reader_.joinable()) reader_.join();
  }

  size_t size() {
    std::lock_guard lock(mu_);
    return samples_.size();
  }

  // The first sample at or after from above threshold, and the time it was played (its fragment's arrival,
  // minus the samples after it in that fragment).
  std::optional<std::pair<size_t, Clock::time_point>> FirstLoud(size_t from, float threshold) {
    std::lock_guard lock(mu_);
    for (size_t i = from; i < samples_.size(); ++i) {
      if (std::fabs(samples_[i]) <= threshold) continue;
      for (const auto& a : arrivals_) {
        if (a.end > i) {
          const auto behind = std::chrono::duration<double>(static_cast<double>(a.end - 1 - i) / kRecordRate);
          return std::pair{i, a.at - std::chrono::duration_cast<Clock::duration>(behind)};
        }
      }
    }
    return std::nullopt;
  }

  // When the sample at index was played: its fragment's arrival minus the samples after it in the fragment.
  std::optional<Clock::time_point> TimeOf(size_t index) {
    std::lock_guard lock(mu_);
    for (const auto& a : arrivals_) {
      if (a.end > index) {
        const auto behind = std::chrono::duration<double>(static_cast<double>(a.end - 1 - index) / kRecordRate);
        return a.at - std::chrono::duration_cast<Clock::duration>(behind);
      }
    }
    return std::nullopt;
  }

  std::vector<float> Range(size_t from, size_t to) {
    std::lock_guard lock(mu_);
    to = std::min(to, samples_.size());
    return from < to ? std::vector<float>(samples_.begin() + static_cast<long>(from), samples_.begin() + static_cast<long>(to))
                     : std::vector<float>{};
  }

 private:
  struct Arrival {
    size_t end;
    Clock::time_point at;
  };
  pid_t pid_ = -1;
  std::thread reader_;
  std::mutex mu_;  // guards samples_, arrivals_
  std::vector<float> samples_;
  std::vector<Arrival> arrivals_;
};

// Passes everything to the player, noting when the first samples went in and keeping them.
class TimingSink final : public AudioSink {
 public:
  explicit TimingSink(PortAudioSink* player) : player_(player) {}
  ttsd::Status Open(const AudioFormat& format) override {
    format_ = format;
    return player_->Open(format);
  }
  ttsd::Status Write(std::span<const uint8_t> pcm) override {
    if (!pcm.empty() && !first_write_) first_write_ = Clock::now();
    for (size_t i = 0; i + 1 < pcm.size(); i += 2) pcm_.push_back(static_cast<int16_t>(pcm[i] | pcm[i + 1] << 8));
    return player_->Write(pcm);
  }
  ttsd::Status Close() override { return player_->Close(); }
  std::string Describe() const override { return player_->Describe(); }

  std::optional<Clock::time_point> first_write_;
  std::vector<int16_t> pcm_;
  AudioFormat format_;

 private:
  PortAudioSink* player_;  // not owned
};

struct PlayResult {
  bool ok = false;
  std::string error;
  double audio_s = 0;
  uint64_t underruns = 0, device_underflows = 0;
  double output_latency_ms = 0;
  std::optional<Clock::time_point> first_write;
  std::vector<int16_t> pcm;
  uint32_t rate = 0;
};

PlayResult Play(ttsd::client::Connection* conn, const std::string& voice, const std::string& text) {
  PlayResult r;
  ttsd::client::PlaybackOptions options;
  options.device = "vmic";
  auto player = PortAudioSink::Create(options);
  if (!player) {
    r.error = player.error().ToString();
    return r;
  }
  TimingSink sink(player->get());
  ttsd::protocol::SynthesizeRequest request;
  request.voice = voice;
  request.text = text;
  auto syn = ttsd::client::Synthesis::Start(conn, request);
  if (!syn) {
    r.error = syn.error().ToString();
    return r;
  }
  auto status = syn->Receive(&sink);
  if (!status) {
    r.error = status.error().ToString();
    return r;
  }
  r.ok = true;
  r.audio_s = syn->stats().audio_s;
  r.underruns = (*player)->underruns();
  r.device_underflows = (*player)->device_underflows();
  r.output_latency_ms = (*player)->output_latency_s() * 1000;
  r.first_write = sink.first_write_;
  r.pcm = std::move(sink.pcm_);
  r.rate = sink.format_.sample_rate_hz;
  return r;
}

std::vector<float> To48k(const std::vector<int16_t>& pcm, uint32_t rate) {
  auto r = ttsd::codec::Resampler::Create(rate, kRecordRate);
  if (!r) return {};
  std::vector<float> out;
  auto a = r->Process(std::span<const int16_t>(pcm));
  if (!a) return {};
  out.insert(out.end(), a->begin(), a->end());
  auto b = r->Flush();
  if (!b) return {};
  out.insert(out.end(), b->begin(), b->end());
  return out;
}

// 10 ms frames where the speech has sound (RMS above a tenth of its overall RMS) but the recording, at the
// same place, has less than a tenth of the speech's RMS there: audio lost on the way.
int GlitchFrames(const std::vector<float>& rec, long offset, const std::vector<float>& ref, size_t ref_onset,
                 double* ncc) {
  const size_t frame = kRecordRate / 100;
  double total = 0;
  for (float x : ref) total += static_cast<double>(x) * x;
  const double ref_rms = std::sqrt(total / std::max<size_t>(ref.size(), 1));
  int glitches = 0;
  double ab = 0, aa = 0, bb = 0;
  for (size_t f = ref_onset / frame; (f + 1) * frame <= ref.size(); ++f) {
    double er = 0, ec = 0;
    for (size_t i = f * frame; i < (f + 1) * frame; ++i) {
      const long j = static_cast<long>(i) + offset;
      const double c = (j >= 0 && j < static_cast<long>(rec.size())) ? rec[static_cast<size_t>(j)] : 0.0;
      er += static_cast<double>(ref[i]) * ref[i];
      ec += c * c;
      ab += c * ref[i];
    }
    aa += ec;
    bb += er;
    const double rms_ref = std::sqrt(er / frame), rms_rec = std::sqrt(ec / frame);
    if (rms_ref > 0.1 * ref_rms && rms_rec < 0.1 * rms_ref) ++glitches;
  }
  *ncc = (aa > 0 && bb > 0) ? ab / std::sqrt(aa * bb) : 0;
  return glitches;
}

// The offset d (rec[i + d] is ref[i]) with the highest correlation within +-30 ms of guess, judged over a
// second of the reference from its first loud sample.
long BestOffset(const std::vector<float>& rec, const std::vector<float>& ref, size_t ref_onset, long guess) {
  const size_t end = std::min(ref.size(), ref_onset + kRecordRate);
  long best = guess;
  double best_c = -2;
  for (long d = guess - 1440; d <= guess + 1440; ++d) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = ref_onset; i < end; ++i) {
      const long j = static_cast<long>(i) + d;
      const double c = (j >= 0 && j < static_cast<long>(rec.size())) ? rec[static_cast<size_t>(j)] : 0.0;
      ab += c * ref[i];
      aa += c * c;
      bb += static_cast<double>(ref[i]) * ref[i];
    }
    const double ncc = (aa > 0 && bb > 0) ? ab / std::sqrt(aa * bb) : -2;
    if (ncc > best_c) {
      best_c = ncc;
      best = d;
    }
  }
  return best;
}

size_t FirstLoudIndex(const std::vector<float>& x) {
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::fabs(x[i]) > kLoud) return i;
  }
  return x.size();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"playback-bench: underruns and added latency of PortAudio playback into a PulseAudio null sink"};
  std::string socket, spawn, voices = "models/fixtures", voice, json_path;
  double seconds = 60;
  int latency_runs = 20;
  app.add_option("--socket", socket, "use a running daemon");
  app.add_option("--spawn", spawn, "start this ttsd binary on a private socket");
  app.add_option("--voices", voices, "voices for --spawn")->capture_default_str();
  app.add_option("--voice", voice, "voice to speak with (default: the daemon's)");
  app.add_option("--seconds", seconds, "length of the long request's speech")->capture_default_str();
  app.add_option("--latency-runs", latency_runs, "short requests timed for latency")->capture_default_str();
  app.add_option("--json", json_path, "write the results here");
  CLI11_PARSE(app, argc, argv);

  char tmpl[] = "/tmp/playback-bench-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  // Destroyed last, in this order: the daemon, the PulseAudio server, then their directory.
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  PulseServer pulse(dir);
  if (!pulse.Start()) {
    std::fprintf(stderr, "playback-bench: pulseaudio did not start (./install-deps.sh installs it)\n");
    return 1;
  }
  std::unique_ptr<ttsd::testing::SpawnedDaemon> daemon;  // stopped when it goes out of scope
  if (!spawn.empty()) {
    std::vector<std::string> extra;
    if (!voice.empty()) extra = {"--default-voice", voice};
    auto d = ttsd::testing::SpawnedDaemon::Start({.binary = spawn, .voices = {voices}, .extra_args = extra});
    if (!d) {
      std::fprintf(stderr, "playback-bench: %s\n", d.error().message.c_str());
      return 1;
    }
    daemon = std::move(*d);
    socket = daemon->socket_path();
  }
  std::unique_ptr<ttsd::client::Connection> conn;
  for (int i = 0; i < 600 && !conn && !socket.empty(); ++i) {
    auto c = ttsd::client::Connection::Connect(socket);
    if (c) conn = std::move(*c);
    else std::this_thread::sleep_for(50ms);
  }
  if (!conn) {
    std::fprintf(stderr, "playback-bench: cannot connect to ttsd (--spawn or --socket)\n");
    return 1;
  }

  // The long text: sentences until the speech lasts --seconds (measured by synthesizing without playing).
  std::string long_text;
  double long_s = 0;
  const auto& sentences = ttsd::bench::ShortSentences();
  for (size_t i = 0; long_s < seconds && i < 1000; ++i) {
    long_text += (long_text.empty() ? "" : " ") + sentences[i % sentences.size()];
    ttsd::protocol::SynthesizeRequest request;
    request.voice = voice;
    request.text = long_text;
    auto syn = ttsd::client::Synthesis::Start(conn.get(), request);
    struct NullSink final : AudioSink {
      ttsd::Status Open(const AudioFormat&) override { return {}; }
      ttsd::Status Write(std::span<const uint8_t>) override { return {}; }
      ttsd::Status Close() override { return {}; }
      std::string Describe() const override { return "nothing"; }
    } null_sink;
    if (!syn || !syn->Receive(&null_sink)) {
      std::fprintf(stderr, "playback-bench: synthesis failed\n");
      return 1;
    }
    long_s = syn->stats().audio_s;
  }

  Recorder rec(dir);
  for (int i = 0; i < 1000 && rec.size() == 0; ++i) std::this_thread::sleep_for(10ms);  // idle null sink: ~2 s
  if (rec.size() == 0) {
    std::fprintf(stderr, "playback-bench: parec recorded nothing\n");
    return 1;
  }

  // Phase 1: the long request.
  std::fprintf(stderr, "playback-bench: playing %.1f s of speech\n", long_s);
  const size_t long_from = rec.size();
  PlayResult long_run = Play(conn.get(), voice, long_text);
  std::this_thread::sleep_for(300ms);
  if (!long_run.ok) {
    std::fprintf(stderr, "playback-bench: %s\n", long_run.error.c_str());
    return 1;
  }
  const auto ref = To48k(long_run.pcm, long_run.rate);
  const size_t ref_onset = FirstLoudIndex(ref);
  const auto rec_onset = rec.FirstLoud(long_from, kLoud);
  double ncc = 0;
  int glitches = -1;
  if (rec_onset) {
    const auto recorded = rec.Range(long_from, rec.size());
    const long guess = static_cast<long>(rec_onset->first - long_from) - static_cast<long>(ref_onset);
    glitches = GlitchFrames(recorded, BestOffset(recorded, ref, ref_onset, guess), ref, ref_onset, &ncc);
  }

  // Phase 2: latency of short requests.
  std::vector<double> latencies;
  uint64_t short_underruns = 0;
  for (int i = 0; i < latency_runs; ++i) {
    const size_t from = rec.size();
    PlayResult r = Play(conn.get(), voice, sentences[static_cast<size_t>(i) % sentences.size()]);
    std::this_thread::sleep_for(200ms);
    if (!r.ok || !r.first_write) {
      std::fprintf(stderr, "playback-bench: %s\n", r.error.c_str());
      return 1;
    }
    short_underruns += r.underruns;
    const auto onset = rec.FirstLoud(from, kLoud);
    const auto short_ref = To48k(r.pcm, r.rate);
    if (!onset) continue;
    // Where the audio's first sample is in the recording, then when that sample reached parec.
    const size_t ref_onset = FirstLoudIndex(short_ref);
    const auto recorded = rec.Range(from, rec.size());
    const long guess = static_cast<long>(onset->first - from) - static_cast<long>(ref_onset);
    const long start = BestOffset(recorded, short_ref, ref_onset, guess);
    const auto played = rec.TimeOf(from + static_cast<size_t>(std::max<long>(start, 0)));
    if (!played) continue;
    latencies.push_back(std::chrono::duration<double, std::milli>(*played - *r.first_write).count());
    std::fprintf(stderr, "\r[%d/%d]", i + 1, latency_runs);
  }
  std::fprintf(stderr, "\n");
  rec.Stop();
  if (daemon) daemon->Stop();

  nlohmann::json out = {
      {"device", "PulseAudio null sink vmic (48 kHz mono) via ALSA pulse plugin"},
      {"voice", voice.empty() ? "(default)" : voice},
      {"long_run",
       {{"audio_s", long_run.audio_s},
        {"underruns", long_run.underruns},
        {"device_underflows", long_run.device_underflows},
        {"glitch_frames_10ms", glitches},
        {"recording_ncc", ncc},
        {"output_latency_ms", long_run.output_latency_ms}}},
      {"latency",
       {{"runs", latencies.size()},
        {"added_ms_p50", Quantile(latencies, 0.5)},
        {"added_ms_p90", Quantile(latencies, 0.9)},
        {"added_ms_min", latencies.empty() ? 0 : *std::min_element(latencies.begin(), latencies.end())},
        {"added_ms_max", latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end())},
        {"underruns", short_underruns}}}};
  std::printf("| run | audio s | underruns | device underflows | glitch frames | NCC |\n|---|---|---|---|---|---|\n");
  std::printf("| long | %.1f | %llu | %llu | %d | %.3f |\n", long_run.audio_s,
              static_cast<unsigned long long>(long_run.underruns),
              static_cast<unsigned long long>(long_run.device_underflows), glitches, ncc);
  std::printf("\n| latency runs | added p50 ms | p90 ms | min ms | max ms | underruns |\n|---|---|---|---|---|---|\n");
  std::printf("| %zu | %.1f | %.1f | %.1f | %.1f | %llu |\n", latencies.size(), Quantile(latencies, 0.5),
              Quantile(latencies, 0.9), out["latency"]["added_ms_min"].get<double>(),
              out["latency"]["added_ms_max"].get<double>(), static_cast<unsigned long long>(short_underruns));
  std::printf("%s\n", out.dump().c_str());
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return long_run.underruns == 0 && short_underruns == 0 ? 0 : 1;
}
