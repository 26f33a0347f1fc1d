// Test support: runs the real ttsd binary on a private socket with the fixture voices, and a raw
// protocol client for speaking to it frame by frame.
//   DaemonProcess d({"--max-text-bytes", "100"}); RawClient c(d.socket_path()); c.Handshake();
// Thread-safety: each object belongs to one test thread.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "proc-stats.h"

#include "ttsd/protocol/frame.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::testing {

// A sanitizer build: its quarantine keeps freed memory, so RSS bounds say nothing there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

// How much later than its audio's length a request played out in real time may end: the first chunk's
// compute, which a sanitized build's cold voice (no warm-up there) stretches.
inline constexpr double kPlayoutLateS = kSanitized ? 1.0 : 0.3;

inline std::string FixturesDir() { return std::string(TTSD_SOURCE_DIR) + "/models/fixtures"; }
inline std::string TtsdBinary() { return std::string(TTSD_BINARY_DIR) + "/daemon/ttsd"; }
inline std::string TtscBinary() { return std::string(TTSD_BINARY_DIR) + "/client/ttsc"; }

// A fresh private directory under /tmp, removed at destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ttsd-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline int ConnectUnix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class DaemonProcess {
 public:
  // extra: more ttsd flags. wrapper: a command put in front (e.g. systemd-socket-activate -l PATH).
  explicit DaemonProcess(std::vector<std::string> extra = {}, std::vector<std::string> wrapper = {},
                         bool wait_ready = true) {
    socket_path_ = dir_.path() + "/ttsd.sock";
    log_path_ = dir_.path() + "/ttsd.log";
    // A --socket among the extra flags replaces the private default.
    for (size_t i = 0; i + 1 < extra.size(); ++i) {
      if (extra[i] == "--socket") {
        socket_path_ = extra[i + 1];
        extra.erase(extra.begin() + static_cast<std::ptrdiff_t>(i), extra.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        break;
      }
    }
    // Saved voices stay private to the test unless it names a store.
    if (std::find(extra.begin(), extra.end(), "--voice-store") == extra.end()) {
      extra.push_back("--voice-store");
      extra.push_back(dir_.path() + "/saved-voices");
    }
    std::vector<std::string> args = wrapper;
    for (std::string a : {TtsdBinary(), std::string("--socket"), socket_path_, std::string("--voices"), FixturesDir(),
                          std::string("--default-voice"), std::string("fixture-ar"), std::string("--log-level"),
                          std::string("debug")}) {
      args.push_back(a);
    }
    // Sanitized, warming the voices up costs seconds per daemon; the plain build's tests cover it.
    if (kSanitized && std::find(extra.begin(), extra.end(), "--no-warmup") == extra.end()) {
      args.push_back("--no-warmup");
    }
    // No HTTP API unless a test asks for one: tests run in parallel and would all want port 5002.
    if (std::find(extra.begin(), extra.end(), "--http") == extra.end()) {
      args.push_back("--http");
      args.push_back("off");
    }
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(log, 2);
      dup2(log, 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    if (wait_ready) WaitReady();
  }

  // A sanitizer report in the daemon's log (a sanitized build: tests/sanitizers/) fails the test.
  ~DaemonProcess() {
    Stop();
    const std::string log = Log();
    for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "ERROR: ThreadSanitizer",
                               "WARNING: ThreadSanitizer", ": runtime error: "}) {
      if (auto at = log.find(marker); at != std::string::npos) ADD_FAILURE() << "ttsd: " << log.substr(at);
    }
  }

  void WaitReady() {
    for (int i = 0; i < 600; ++i) {
      int fd = ConnectUnix(socket_path_);
      if (fd >= 0) {
        close(fd);
        return;
      }
      if (Exited()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "ttsd did not come up; log:\n" << Log();
  }

  // True if the process has ended (then exit_status() is set).
  bool Exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = status;
      pid_ = -1;
      return true;
    }
    return false;
  }

  // Sends SIGTERM and waits up to timeout; returns the exit status (or -1 if it had to be killed).
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      auto deadline = std::chrono::steady_clock::now() + timeout;
      while (!Exited() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
        status_ = -1;
      }
    }
    return status_;
  }

  int exit_status() const { return status_; }
  pid_t pid() const { return pid_; }
  const std::string& socket_path() const { return socket_path_; }
  const std::string& dir() const { return dir_.path(); }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Waits until the log contains needle.
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Log().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // The daemon's CPU time so far (user + system), in seconds; VmRSS in KiB. -1 when unreadable.
  double CpuSeconds() const { return bench::ProcessCpuSeconds(pid_); }
  long RssKb() const { return bench::ProcessRssKb(pid_); }

 private:
  TempDir dir_;
  std::string socket_path_, log_path_;
  pid_t pid_ = -1;
  int status_ = -1;
};

// Speaks the protocol frame by frame over a real Unix socket.
class RawClient {
 public:
  explicit RawClient(const std::string& path) : fd_(ConnectUnix(path)), decoder_(protocol::kMaxServerPayloadBytes) {}
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  bool SendBytes(std::span<const uint8_t> bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  bool Send(protocol::FrameType type, uint32_t id, std::span<const uint8_t> payload, uint8_t flags = 0) {
    return SendBytes(protocol::EncodeFrame(type, flags, id, payload));
  }
  bool SendText(uint32_t id, const std::string& text, bool final) {
    return Send(protocol::FrameType::kText, id, {reinterpret_cast<const uint8_t*>(text.data()), text.size()},
                final ? protocol::kFlagFinal : 0);
  }
  bool Synthesize(uint32_t id, const protocol::SynthesizeRequest& r) {
    return Send(protocol::FrameType::kSynthesize, id, protocol::Serialize(r));
  }

  // Handshake; returns the welcome.
  protocol::Welcome Handshake() {
    protocol::Hello hello;
    hello.client = "ttsd-test";
    EXPECT_TRUE(Send(protocol::FrameType::kHello, 0, protocol::Serialize(hello)));
    auto f = Read();
    EXPECT_TRUE(f.has_value());
    if (!f || f->header.type != protocol::FrameType::kWelcome) {
      ADD_FAILURE() << "no welcome";
      return {};
    }
    return protocol::ParseWelcome(f->payload).value();
  }

  // The next frame, or nullopt on EOF / timeout / framing error.
  std::optional<protocol::Frame> Read(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto f = decoder_.Next();
      if (!f) return std::nullopt;
      if (*f) return std::move(**f);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      uint8_t buf[65536];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return std::nullopt;
      decoder_.Feed({buf, static_cast<size_t>(n)});
    }
  }

  // True when the server closed the connection (EOF within timeout).
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) > 0) {
        uint8_t buf[4096];
        ssize_t n = recv(fd_, buf, sizeof(buf), 0);
        if (n <= 0) return true;
      }
    }
    return false;
  }

 private:
  int fd_;
  protocol::FrameDecoder decoder_;
};

// Everything one request produced.
struct RequestResult {
  bool accepted = false;
  std::vector<float> samples;
  int chunks = 0;
  uint32_t sample_rate = 0;
  bool offsets_contiguous = true;
  bool last = false;
  std::optional<protocol::ErrorBody> error;
};

// Reads frames until request id ends (last audio or error); frames of other ids go to others.
inline RequestResult CollectRequest(RawClient& c, uint32_t id, std::map<uint32_t, RequestResult>* others = nullptr) {
  std::map<uint32_t, RequestResult> local;
  auto& all = others ? *others : local;
  for (;;) {
    auto f = c.Read();
    if (!f) {
      ADD_FAILURE() << "connection ended before request " << id << " did";
      return all[id];
    }
    RequestResult& r = all[f->header.request_id];
    switch (f->header.type) {
      case protocol::FrameType::kAccepted: r.accepted = true; break;
      case protocol::FrameType::kError: r.error = protocol::ParseErrorBody(f->payload).value(); break;
      case protocol::FrameType::kAudio: {
        std::span<const uint8_t> pcm;
        auto h = protocol::ParseAudioHeader(f->payload, &pcm).value();
        r.sample_rate = h.sample_rate;
        if (h.sample_offset != r.samples.size()) r.offsets_contiguous = false;
        if (h.sample_format == protocol::SampleFormat::kF32Le) {
          const float* p = reinterpret_cast<const float*>(pcm.data());
          r.samples.insert(r.samples.end(), p, p + pcm.size() / 4);
        } else {
          for (size_t i = 0; i + 1 < pcm.size(); i += 2) {
            r.samples.push_back(static_cast<int16_t>(pcm[i] | pcm[i + 1] << 8) / 32768.0f);
          }
        }
        r.chunks++;
        if (f->header.flags & protocol::kFlagLast) r.last = true;
        break;
      }
      default: break;
    }
    if (f->header.request_id == id && (r.last || r.error)) return r;
  }
}

}  // namespace ttsd::testing
