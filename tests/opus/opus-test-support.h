// Test support for the Opus outputs: child processes with captured output (ffmpeg, ttsc), free ports, Ogg
// page parsing, and the audio comparisons (RMS, normalized cross-correlation).
//   Child ff({"ffmpeg", "-i", "x.opus", "-f", "f32le", "pipe:1"}); ff.Wait(10s); auto pcm = F32(ff.Stdout());
// Thread-safety: each object belongs to one test thread (its reader threads only append under a mutex).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sndfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon-process.h"
#include "ttsd/codec/resampler.h"

namespace ttsd::testing {

// A child process found on PATH, stdout and stderr captured by reader threads, stdin /dev/null.
class Child {
 public:
  explicit Child(std::vector<std::string> args) : args_(std::move(args)) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) ADD_FAILURE() << "pipe";
    std::vector<char*> argv;
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      int null = open("/dev/null", O_RDONLY);
      dup2(null, 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      execvp(argv[0], argv.data());
      const char msg[] = "exec failed: not installed? (./install-deps.sh installs ffmpeg)\n";
      (void)!write(2, msg, sizeof(msg) - 1);
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_reader_ = std::thread([this, fd = out[0]] { Drain(fd, &out_); });
    err_reader_ = std::thread([this, fd = err[0]] { Drain(fd, &err_); });
  }
  ~Child() {
    if (pid_ > 0) kill(pid_, SIGKILL);
    (void)Wait(std::chrono::seconds(5));
  }

  // Exit code (128+N for signal N), or -1 if it had to be killed after timeout.
  int Wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
        code_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (out_reader_.joinable()) out_reader_.join();
    if (err_reader_.joinable()) err_reader_.join();
    return code_;
  }

  // ffmpeg leaves a blocking network read only on the second SIGINT; its output so far is already ours.
  int Interrupt() {
    for (int i = 0; i < 2 && pid_ > 0; ++i) {
      kill(pid_, SIGINT);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Wait(std::chrono::seconds(5));
  }

  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid_ = -1;
      return false;
    }
    return true;
  }

  std::string Stdout() const {
    std::lock_guard lock(mu_);
    return out_;
  }
  size_t StdoutBytes() const {
    std::lock_guard lock(mu_);
    return out_.size();
  }
  std::string Stderr() const {
    std::lock_guard lock(mu_);
    return err_;
  }
  std::string CommandLine() const {
    std::string s;
    for (const auto& a : args_) s += (s.empty() ? "" : " ") + a;
    return s;
  }

 private:
  void Drain(int fd, std::string* into) {
    char buf[65536];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::lock_guard lock(mu_);
      into->append(buf, static_cast<size_t>(n));
    }
    close(fd);
  }

  std::vector<std::string> args_;
  pid_t pid_ = -1;
  int code_ = -1;
  mutable std::mutex mu_;  // guards out_ and err_
  std::string out_, err_;
  std::thread out_reader_, err_reader_;
};

// Waits until the child's stdout has not grown for `quiet` (or `timeout` passed).
inline void WaitForQuietOutput(const Child& c, std::chrono::milliseconds quiet, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t last = c.StdoutBytes();
  auto since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const size_t now = c.StdoutBytes();
    if (now != last) {
      last = now;
      since = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - since >= quiet) {
      return;
    }
  }
}

inline std::vector<float> F32(const std::string& bytes) {
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A WAV file as mono float, and its rate.
inline std::vector<float> ReadWav(const std::string& path, int* rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  std::vector<float> out(static_cast<size_t>(info.frames * info.channels));
  sf_readf_float(f, out.data(), info.frames);
  sf_close(f);
  *rate = info.samplerate;
  return out;
}

inline std::vector<float> To48k(const std::vector<float>& in, uint32_t rate) {
  auto r = codec::Resampler::Create(rate);
  if (!r) {
    ADD_FAILURE() << r.error().ToString();
    return {};
  }
  auto a = r->Process(std::span<const float>(in)).value();
  std::vector<float> out(a.begin(), a.end());
  auto b = r->Flush().value();
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

inline double Rms(std::span<const float> x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return x.empty() ? 0 : std::sqrt(s / static_cast<double>(x.size()));
}

struct Match {
  double ncc = -1;  // normalized cross-correlation at the best lag
  long lag = 0;     // decoded[i + lag] lines up with reference[i]
};

// The best normalized cross-correlation of decoded against reference over lags min_lag..max_lag, on the
// overlap of the two.
inline Match BestMatch(const std::vector<float>& decoded, const std::vector<float>& reference, long min_lag,
                       long max_lag) {
  Match best;
  for (long lag = min_lag; lag <= max_lag; ++lag) {
    const long start = std::max<long>(0, -lag);
    const long end = std::min<long>(static_cast<long>(reference.size()), static_cast<long>(decoded.size()) - lag);
    if (end - start < 4800) continue;
    double xy = 0, xx = 0, yy = 0;
    for (long i = start; i < end; ++i) {
      const double x = decoded[static_cast<size_t>(i + lag)], y = reference[static_cast<size_t>(i)];
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    const double ncc = xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : 0;
    if (ncc > best.ncc) best = {ncc, lag};
  }
  return best;
}

// A port where nothing listens now (bound and released: a small race with other programs, fine here).
inline uint16_t FreePort(int type) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

inline bool UdpPortFree(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// An even UDP port whose odd neighbour (RTCP, which ffmpeg also opens) is free too.
inline uint16_t FreeRtpPort() {
  std::mt19937 rng(std::random_device{}());
  for (int i = 0; i < 200; ++i) {
    const uint16_t p = static_cast<uint16_t>(20000 + 2 * (rng() % 20000));
    if (UdpPortFree(p) && UdpPortFree(static_cast<uint16_t>(p + 1))) return p;
  }
  ADD_FAILURE() << "no free UDP port pair";
  return 0;
}

// True once some process has the UDP port bound (per /proc/net/udp and udp6).
inline bool UdpPortBound(uint16_t port) {
  char hex[8];
  std::snprintf(hex, sizeof(hex), ":%04X", port);
  for (const char* table : {"/proc/net/udp", "/proc/net/udp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string slot, local;
      words >> slot >> local;
      if (local.size() > 5 && local.compare(local.size() - 5, 5, hex) == 0) return true;
    }
  }
  return false;
}

inline bool WaitUntil(const std::function<bool()>& ready, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ready();
}

inline bool TcpAccepts(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// One Ogg page: the fields the tests look at.
struct OggPage {
  uint8_t header_type = 0;  // 2: beginning of stream, 4: end of stream
  int64_t granule = 0;
  uint32_t serial = 0;
  uint32_t sequence = 0;
  std::vector<size_t> packet_sizes;  // packets that end on this page
  std::string body;
};

// Splits bytes into pages; stops at anything that is not a whole page.
inline std::vector<OggPage> ParseOggPages(std::string_view bytes) {
  std::vector<OggPage> pages;
  while (bytes.size() >= 27 && bytes.substr(0, 4) == "OggS") {
    auto u8 = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
    auto le = [&](size_t i, int n) {
      uint64_t v = 0;
      for (int k = n - 1; k >= 0; --k) v = v << 8 | u8(i + static_cast<size_t>(k));
      return v;
    };
    OggPage p;
    p.header_type = u8(5);
    p.granule = static_cast<int64_t>(le(6, 8));
    p.serial = static_cast<uint32_t>(le(14, 4));
    p.sequence = static_cast<uint32_t>(le(18, 4));
    const size_t segments = u8(26);
    if (bytes.size() < 27 + segments) break;
    size_t body = 0, packet = 0;
    for (size_t i = 0; i < segments; ++i) {
      body += u8(27 + i);
      packet += u8(27 + i);
      if (u8(27 + i) < 255) {
        p.packet_sizes.push_back(packet);
        packet = 0;
      }
    }
    if (bytes.size() < 27 + segments + body) break;
    p.body = std::string(bytes.substr(27 + segments, body));
    pages.push_back(std::move(p));
    bytes.remove_prefix(27 + segments + body);
  }
  return pages;
}

}  // namespace ttsd::testing
