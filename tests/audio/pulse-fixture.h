// Test support for playback on a headless machine: a private PulseAudio server with a null sink (the
// "virtual microphone" vmic, plus a default sink "speakers"), a parec recorder of a sink's monitor, a way
// to run ttsc with an environment of our choosing, and the signal analysis the assertions use.
//   PulseServer pulse; pulse.Start();  Recorder rec(pulse, "vmic.monitor"); rec.WaitForData();
//   RunResult r = RunProgram({TtscBinary(), "say", "--device", "vmic", "hi"}, pulse.Env());  auto pcm = rec.Stop();
// Thread-safety: each object belongs to one test thread (Recorder reads parec's output on a thread of its own).
// Needs pulseaudio and pulseaudio-utils (install-deps.sh installs them); without them the tests fail, they do
// not skip.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon-process.h"
#include "ttsd/codec/resampler.h"

extern char** environ;

namespace ttsd::testing {

constexpr uint32_t kSinkRateHz = 48000;  // the null sinks' rate; parec records at it too

inline bool OnPath(const std::string& program) {
  std::string path = getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin";
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// This process's environment without the variables that say where a sound server is, plus extra ("K=V").
inline std::vector<std::string> CleanEnv(const std::vector<std::string>& extra) {
  static const char* const kDropped[] = {"PULSE_SERVER=", "PULSE_SINK=", "PULSE_SOURCE=", "PULSE_CLIENTCONFIG=",
                                         "PULSE_RUNTIME_PATH=", "PULSE_COOKIE=", "XDG_RUNTIME_DIR=", "HOME=",
                                         "PIPEWIRE_RUNTIME_DIR=", "TTSD_SOCKET="};
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view v(*e);
    if (std::none_of(std::begin(kDropped), std::end(kDropped), [&](const char* d) { return v.starts_with(d); })) {
      env.emplace_back(v);
    }
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// Starts argv with env (each "K=V"), stdout and stderr to files; returns its pid.
inline pid_t Spawn(std::vector<std::string> argv, std::vector<std::string> env, const std::string& out_path,
                   const std::string& err_path) {
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  return pid;
}

// Waits for pid up to timeout, then kills it; returns the exit code (128+N for signal N, -1 if killed).
inline int WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "process " << pid << " did not finish within " << timeout.count() << " ms";
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs argv to completion (at most timeout) with env; captures stdout and stderr.
inline RunResult RunProgram(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                     std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
  TempDir dir;
  const std::string out = dir.path() + "/out", err = dir.path() + "/err";
  RunResult r;
  r.exit_code = WaitExit(Spawn(argv, env, out, err), timeout);
  r.out = ReadText(out);
  r.err = ReadText(err);
  return r;
}

// A private PulseAudio server, as NOTES.md describes: its own XDG_RUNTIME_DIR and HOME, an anonymous unix
// socket, a null sink "speakers" (the default sink) and the virtual microphone: null sink "vmic" with the
// source "vmic_mic" remapped from its monitor. Clients reach it through Env(); autospawn is off everywhere.
class PulseServer {
 public:
  PulseServer() {
    runtime_dir_ = dir_.path() + "/run";
    home_ = dir_.path() + "/home";
    mkdir(runtime_dir_.c_str(), 0700);
    mkdir((runtime_dir_ + "/pulse").c_str(), 0700);
    mkdir(home_.c_str(), 0700);
    client_conf_ = dir_.path() + "/client.conf";
    std::ofstream(client_conf_) << "autospawn = no\n";
  }
  ~PulseServer() { Stop(); }

  // Starts the server and waits until it answers. Fails the test (no skip) when pulseaudio is missing.
  bool Start() {
    if (!OnPath("pulseaudio") || !OnPath("parec") || !OnPath("pactl")) {
      ADD_FAILURE() << "pulseaudio, parec and pactl are needed (./install-deps.sh installs pulseaudio and "
                       "pulseaudio-utils)";
      return false;
    }
    std::vector<std::string> argv = {
        "/usr/bin/env", "pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--log-level=warning",
        "--load=module-native-protocol-unix socket=" + socket_path() + " auth-anonymous=1",
        "--load=module-null-sink sink_name=speakers rate=48000 channels=1",
        "--load=module-null-sink sink_name=vmic rate=48000 channels=1",
        "--load=module-remap-source source_name=vmic_mic master=vmic.monitor"};
    pid_ = Spawn(argv, Env(), dir_.path() + "/pulse.out", dir_.path() + "/pulse.log");
    for (int i = 0; i < 400; ++i) {
      int fd = ConnectUnix(socket_path());
      if (fd >= 0) {
        close(fd);
        // "speakers" is the default sink, so playing into vmic takes a sink name (--device or PULSE_SINK).
        RunResult r = RunProgram({"/usr/bin/env", "pactl", "set-default-sink", "speakers"}, Env(), std::chrono::seconds(10));
        if (r.exit_code != 0) {
          ADD_FAILURE() << "pactl set-default-sink failed: " << r.err << "\npulseaudio log:\n" << Log();
          return false;
        }
        return true;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "pulseaudio did not come up; log:\n" << Log();
    return false;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    if (WaitExitQuietly(std::chrono::seconds(5)) < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

  std::string socket_path() const { return runtime_dir_ + "/pulse/native"; }
  std::string Log() const { return ReadText(dir_.path() + "/pulse.log"); }

  // The environment a client needs to reach this server and no other, plus extra ("K=V").
  std::vector<std::string> Env(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> env = {"XDG_RUNTIME_DIR=" + runtime_dir_, "HOME=" + home_,
                                    "PULSE_SERVER=unix:" + socket_path(), "PULSE_CLIENTCONFIG=" + client_conf_};
    env.insert(env.end(), extra.begin(), extra.end());
    return CleanEnv(env);
  }

  // The same variables in this process, for in-process PortAudio (set before the first Pa_Initialize).
  void ApplyToThisProcess() const {
    unsetenv("PULSE_SINK");
    setenv("XDG_RUNTIME_DIR", runtime_dir_.c_str(), 1);
    setenv("HOME", home_.c_str(), 1);
    setenv("PULSE_SERVER", ("unix:" + socket_path()).c_str(), 1);
    setenv("PULSE_CLIENTCONFIG", client_conf_.c_str(), 1);
  }

  // An environment with no reachable server: empty runtime dir and home, autospawn off.
  std::vector<std::string> NoServerEnv() const {
    const std::string empty = dir_.path() + "/empty";
    mkdir(empty.c_str(), 0700);
    return CleanEnv({"XDG_RUNTIME_DIR=" + empty, "HOME=" + empty, "PULSE_CLIENTCONFIG=" + client_conf_});
  }

 private:
  int WaitExitQuietly(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

  TempDir dir_;
  std::string runtime_dir_, home_, client_conf_;
  pid_t pid_ = -1;
};

// parec recording a source (a sink's monitor) at 48 kHz mono s16le with 20 ms latency, into memory.
class Recorder {
 public:
  Recorder(const PulseServer& pulse, const std::string& source) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe";
      return;
    }
    std::vector<std::string> argv = {"/usr/bin/env", "parec", "-d", source, "--rate=48000", "--channels=1",
                                     "--format=s16le", "--latency-msec=20", "--raw"};
    std::vector<std::string> env = pulse.Env();
    std::vector<char*> args, envp;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      execve(args[0], args.data(), envp.data());
      _exit(127);
    }
    close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] {
      uint8_t buf[8192];
      for (;;) {
        const ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) break;
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(mu_);
        bytes_.insert(bytes_.end(), buf, buf + n);
        if (first_data_ == std::chrono::steady_clock::time_point{}) first_data_ = now;
        arrivals_.push_back({bytes_.size() / 2, now});
      }
      close(fd);
    });
  }
  ~Recorder() { (void)Stop(); }

  // Waits until parec delivers data: an idle null sink's monitor stays silent for up to ~2 s after the
  // first recorder attaches (NOTES.md), and audio played before that is never recorded.
  bool WaitForData(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (samples_so_far() > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  size_t samples_so_far() {
    std::lock_guard lock(mu_);
    return bytes_.size() / 2;
  }

  // When (steady clock) the sample at index reached us: the arrival of the read that carried it. parec's own
  // buffering (20 ms) comes on top.
  std::chrono::steady_clock::time_point ArrivalOf(size_t index) {
    std::lock_guard lock(mu_);
    for (const auto& a : arrivals_) {
      if (a.end_sample > index) return a.at;
    }
    return arrivals_.empty() ? std::chrono::steady_clock::time_point{} : arrivals_.back().at;
  }

  // Ends parec; returns everything recorded, as floats.
  std::vector<float> Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (reader_.joinable()) reader_.join();
    std::lock_guard lock(mu_);
    std::vector<float> out(bytes_.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = static_cast<int16_t>(bytes_[2 * i] | bytes_[2 * i + 1] << 8) / 32768.0f;
    }
    return out;
  }

 private:
  struct Arrival {
    size_t end_sample;
    std::chrono::steady_clock::time_point at;
  };
  pid_t pid_ = -1;
  std::thread reader_;
  std::mutex mu_;  // guards bytes_, arrivals_, first_data_
  std::vector<uint8_t> bytes_;
  std::vector<Arrival> arrivals_;
  std::chrono::steady_clock::time_point first_data_{};
};

// ---- Signal analysis ----

inline std::vector<float> ReadWavMono(const std::string& path, int* rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return {};
  std::vector<float> all(static_cast<size_t>(info.frames) * info.channels);
  sf_readf_float(f, all.data(), info.frames);
  sf_close(f);
  *rate = info.samplerate;
  if (info.channels == 1) return all;
  std::vector<float> mono(static_cast<size_t>(info.frames));
  for (size_t i = 0; i < mono.size(); ++i) mono[i] = all[i * info.channels];
  return mono;
}

inline std::vector<float> ResampleTo48k(const std::vector<float>& in, uint32_t rate_hz) {
  auto r = codec::Resampler::Create(rate_hz, kSinkRateHz);
  if (!r) {
    ADD_FAILURE() << r.error().message;
    return {};
  }
  std::vector<float> out;
  auto a = r->Process(std::span<const float>(in)).value();
  out.insert(out.end(), a.begin(), a.end());
  auto b = r->Flush().value();
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

inline double Rms(const float* x, size_t n) {
  double e = 0;
  for (size_t i = 0; i < n; ++i) e += static_cast<double>(x[i]) * x[i];
  return n ? std::sqrt(e / n) : 0;
}

// Normalized cross-correlation of a[offset..offset+n) with b[0..n); samples outside a count as zero.
inline double Ncc(const std::vector<float>& a, long offset, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    const long j = offset + static_cast<long>(i);
    const double x = (j >= 0 && j < static_cast<long>(a.size())) ? a[static_cast<size_t>(j)] : 0.0;
    ab += x * b[i];
    aa += x * x;
    bb += static_cast<double>(b[i]) * b[i];
  }
  return (aa > 0 && bb > 0) ? ab / std::sqrt(aa * bb) : 0;
}

// 10 ms RMS frames.
inline std::vector<double> Envelope(const std::vector<float>& x, size_t frame) {
  std::vector<double> env(x.size() / frame);
  for (size_t i = 0; i < env.size(); ++i) env[i] = Rms(x.data() + i * frame, frame);
  return env;
}

struct Alignment {
  long lag = 0;       // ref[i] is at rec[lag + i]
  double ncc = 0;     // over the whole reference
};

// Where ref (48 kHz) sits in rec: envelopes first (10 ms frames, every lag), then sample by sample within
// ±15 ms of that over the reference's first second.
inline Alignment Align(const std::vector<float>& rec, const std::vector<float>& ref) {
  constexpr size_t kFrame = kSinkRateHz / 100;
  const auto er = Envelope(rec, kFrame), ef = Envelope(ref, kFrame);
  Alignment best;
  if (er.empty() || ef.empty()) return best;
  double best_score = -1;
  long best_frame = 0;
  for (long l = -static_cast<long>(ef.size()) / 2; l < static_cast<long>(er.size()); ++l) {
    double s = 0;
    for (size_t i = 0; i < ef.size(); ++i) {
      const long j = l + static_cast<long>(i);
      if (j >= 0 && j < static_cast<long>(er.size())) s += er[static_cast<size_t>(j)] * ef[i];
    }
    if (s > best_score) {
      best_score = s;
      best_frame = l;
    }
  }
  const size_t window = std::min<size_t>(ref.size(), kSinkRateHz);
  double best_ncc = -2;
  for (long lag = best_frame * static_cast<long>(kFrame) - 720; lag <= best_frame * static_cast<long>(kFrame) + 720;
       ++lag) {
    const double c = Ncc(rec, lag, ref.data(), window);
    if (c > best_ncc) {
      best_ncc = c;
      best.lag = lag;
    }
  }
  best.ncc = Ncc(rec, best.lag, ref.data(), ref.size());
  return best;
}

// First and last 10 ms frame whose RMS is above threshold, in samples (end exclusive); {0, 0} when none.
inline std::pair<size_t, size_t> AudibleExtent(const std::vector<float>& x, double threshold) {
  constexpr size_t kFrame = kSinkRateHz / 100;
  const auto env = Envelope(x, kFrame);
  size_t first = env.size(), last = 0;
  for (size_t i = 0; i < env.size(); ++i) {
    if (env[i] > threshold) {
      first = std::min(first, i);
      last = i;
    }
  }
  if (first == env.size()) return {0, 0};
  return {first * kFrame, (last + 1) * kFrame};
}

}  // namespace ttsd::testing
