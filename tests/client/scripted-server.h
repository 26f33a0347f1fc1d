// Test support: a scripted ttsd stand-in. It listens on a private Unix socket, accepts one connection on
// its own thread and runs a script that reads and writes hand-built frames (protocol::EncodeFrame).
//   ScriptedServer server([](ServerPeer& p) { p.Handshake(); auto f = p.Read(); ... });
//   auto conn = Connection::Connect(server.path());
// Thread-safety: the script runs on the server thread; path() may be read anywhere; the destructor joins.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon-process.h"
#include "ttsd/protocol/frame.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline Bytes S16Pcm(const std::vector<int16_t>& samples) {
  Bytes out(samples.size() * 2);
  for (size_t i = 0; i < samples.size(); ++i) {
    auto v = static_cast<uint16_t>(samples[i]);
    out[2 * i] = v & 0xff;
    out[2 * i + 1] = v >> 8;
  }
  return out;
}

inline Bytes F32Pcm(const std::vector<float>& samples) {
  Bytes out(samples.size() * 4);
  std::memcpy(out.data(), samples.data(), out.size());
  return out;
}

// The server's end of one connection.
class ServerPeer {
 public:
  explicit ServerPeer(int fd) : fd_(fd) {}
  int fd() const { return fd_; }

  // The next client frame, or nullopt on EOF, timeout or a framing error.
  std::optional<protocol::Frame> Read(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
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

  // The next frame, which must be of the given type (a test failure otherwise).
  std::optional<protocol::Frame> Expect(protocol::FrameType type) {
    auto f = Read();
    if (!f) {
      ADD_FAILURE() << "server: expected frame type " << int(type) << ", got nothing";
      return std::nullopt;
    }
    EXPECT_EQ(f->header.type, type);
    if (f->header.type != type) return std::nullopt;
    return f;
  }

  void SendRaw(std::span<const uint8_t> bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  void Send(protocol::FrameType type, uint32_t id, std::span<const uint8_t> payload, uint8_t flags = 0) {
    SendRaw(protocol::EncodeFrame(type, flags, id, payload));
  }

  // Reads the hello and answers with welcome; returns the hello.
  std::optional<protocol::Hello> Handshake(protocol::Welcome welcome = {1, "scripted", protocol::kMaxClientPayloadBytes}) {
    auto f = Expect(protocol::FrameType::kHello);
    if (!f) return std::nullopt;
    EXPECT_EQ(f->header.request_id, 0u);
    auto hello = protocol::ParseHello(f->payload);
    EXPECT_TRUE(hello.has_value());
    Send(protocol::FrameType::kWelcome, 0, protocol::Serialize(welcome));
    return hello ? std::optional(*hello) : std::nullopt;
  }

  // Reads a kSynthesize and returns its id and body.
  std::optional<std::pair<uint32_t, protocol::SynthesizeRequest>> ExpectSynthesize() {
    auto f = Expect(protocol::FrameType::kSynthesize);
    if (!f) return std::nullopt;
    auto r = protocol::ParseSynthesize(f->payload);
    EXPECT_TRUE(r.has_value());
    if (!r) return std::nullopt;
    return std::pair(f->header.request_id, *r);
  }

  void SendAccepted(uint32_t id, uint32_t rate = 16000, protocol::SampleFormat format = protocol::SampleFormat::kS16Le,
                    uint32_t channels = 1) {
    protocol::Accepted a{"scripted-voice", "spk0", rate, format, channels, ""};
    Send(protocol::FrameType::kAccepted, id, protocol::Serialize(a));
  }

  // An audio chunk of pcm starting at *offset samples; advances *offset.
  void SendAudio(uint32_t id, std::span<const uint8_t> pcm, uint64_t* offset, bool last, uint32_t rate = 16000,
                 protocol::SampleFormat format = protocol::SampleFormat::kS16Le, uint8_t channels = 1) {
    protocol::AudioHeader h{rate, format, channels, *offset};
    Send(protocol::FrameType::kAudio, id, protocol::SerializeAudio(h, pcm), last ? protocol::kFlagLast : 0);
    *offset += pcm.size() / (protocol::BytesPerSample(format) * channels);
  }

  void SendError(uint32_t id, ErrorCode code, const std::string& message) {
    Send(protocol::FrameType::kError, id, protocol::Serialize(protocol::ErrorBody{code, message}));
  }

  // True when the client closed the connection within timeout (frames still arriving are discarded).
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) {
        uint8_t buf[4096];
        if (recv(fd_, buf, sizeof(buf), 0) <= 0) return true;
      }
    }
    return false;
  }

 private:
  int fd_;
  protocol::FrameDecoder decoder_{protocol::kMaxClientPayloadBytes};
};

class ScriptedServer {
 public:
  using Script = std::function<void(ServerPeer&)>;

  explicit ScriptedServer(Script script) {
    path_ = dir_.path() + "/ttsd.sock";
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(listen_fd_, 4) != 0) {
      ADD_FAILURE() << "cannot listen on " << path_ << ": " << std::strerror(errno);
    }
    if (pipe(stop_pipe_) != 0) ADD_FAILURE() << "pipe";
    thread_ = std::thread([this, script = std::move(script)] {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (poll(fds, 2, 10'000) <= 0 || fds[1].revents) return;  // never connected to: nothing to run
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      ServerPeer peer(fd);
      script(peer);
      close(fd);
    });
  }

  ~ScriptedServer() { Join(); }

  // Waits for the script to end (a server that was never connected to stops at once).
  void Join() {
    if (!thread_.joinable()) return;
    if (write(stop_pipe_[1], "x", 1) != 1) ADD_FAILURE() << "stop pipe";
    thread_.join();
    close(listen_fd_);
    close(stop_pipe_[0]);
    close(stop_pipe_[1]);
  }

  const std::string& path() const { return path_; }

 private:
  TempDir dir_;
  std::string path_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace ttsd::testing
