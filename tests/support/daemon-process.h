// Test support: runs the real ttsd binary on a private socket with the fixture voices (through the one
// spawner tests and benches share, daemon-spawn.h), and a raw protocol client for speaking to it frame by frame.
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
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon-spawn.h"
#include "support/proc-stats.h"

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

// The real ttsd with the fixture voices, for one test: SpawnedDaemon (daemon-spawn.h) with the tests' defaults
// (--default-voice fixture-ar, --log-level debug, no warm-up when sanitized), failing the test when it does not
// come up or when its log holds a sanitizer report.
class DaemonProcess {
 public:
  // extra: more ttsd flags (a --socket among them replaces the private socket). wrapper: a command put in
  // front (e.g. systemd-socket-activate -l PATH).
  explicit DaemonProcess(std::vector<std::string> extra = {}, std::vector<std::string> wrapper = {},
                         bool wait_ready = true) {
    SpawnOptions options;
    options.binary = TtsdBinary();
    options.voices = {FixturesDir()};
    options.log_level = "debug";
    options.wrapper = std::move(wrapper);
    options.wait_ready = false;
    for (size_t i = 0; i + 1 < extra.size(); ++i) {
      if (extra[i] == "--socket") {
        options.socket_path = extra[i + 1];
        extra.erase(extra.begin() + static_cast<std::ptrdiff_t>(i), extra.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        break;
      }
    }
    auto has = [&](const char* flag) { return std::find(extra.begin(), extra.end(), flag) != extra.end(); };
    if (!has("--default-voice")) extra.insert(extra.begin(), {"--default-voice", "fixture-ar"});
    // Sanitized, warming the voices up costs seconds per daemon; the plain build's tests cover it.
    if (kSanitized && !has("--no-warmup")) extra.push_back("--no-warmup");
    options.extra_args = std::move(extra);
    auto daemon = SpawnedDaemon::Start(options);
    if (!daemon) {
      ADD_FAILURE() << daemon.error().message;
      return;
    }
    daemon_ = std::move(*daemon);
    if (wait_ready) WaitReady();
  }

  // A sanitizer report in the daemon's log (a sanitized build: tests/sanitizers/) fails the test.
  ~DaemonProcess() {
    if (!daemon_) return;
    Stop();
    const std::string log = Log();
    for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "ERROR: ThreadSanitizer",
                               "WARNING: ThreadSanitizer", ": runtime error: "}) {
      if (auto at = log.find(marker); at != std::string::npos) ADD_FAILURE() << "ttsd: " << log.substr(at);
    }
  }

  void WaitReady() {
    if (!daemon_) return;
    if (auto s = daemon_->WaitReady(std::chrono::seconds(30)); !s) ADD_FAILURE() << "ttsd did not come up: " << s.error().message;
  }

  // True if the process has ended (then exit_status() is set).
  bool Exited() { return !daemon_ || !daemon_->Running(); }

  // Sends SIGTERM and waits up to timeout; returns the exit status (or -1 if it had to be killed).
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(20)) { return daemon_ ? daemon_->Stop(timeout) : -1; }

  int exit_status() const { return daemon_ ? daemon_->exit_status() : -1; }
  pid_t pid() const { return daemon_ ? daemon_->pid() : -1; }
  const std::string& socket_path() const { return daemon_ ? daemon_->socket_path() : empty_; }
  const std::string& dir() const { return daemon_ ? daemon_->dir() : empty_; }
  std::string Log() const { return daemon_ ? daemon_->Log() : ""; }

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
  double CpuSeconds() const { return ProcessCpuSeconds(pid()); }
  long RssKb() const { return ProcessRssKb(pid()); }

 private:
  std::unique_ptr<SpawnedDaemon> daemon_;
  std::string empty_;
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
  protocol::Welcome Handshake(uint32_t max_version = protocol::kProtocolVersionMax) {
    protocol::Hello hello;
    hello.client = "ttsd-test";
    hello.max_version = max_version;
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
  std::vector<protocol::MarkInfo> marks;  // from kMarks frames, in order
  int late_marks = 0;  // marks that arrived after audio past their start
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
      case protocol::FrameType::kMarks: {
        auto marks = protocol::ParseMarks(f->payload).value();
        for (auto& m : marks.marks) {
          if (m.start < r.samples.size()) r.late_marks++;
          r.marks.push_back(std::move(m));
        }
        break;
      }
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
