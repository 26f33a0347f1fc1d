// Test support: a Wyoming client written from the protocol's README (not from ttsd's decoder), over
// a raw TCP or Unix socket, with ways to send hostile bytes; and the port a ttsd logged.
//   WyomingClient c(WyomingPort(daemon)); c.Send("describe"); auto info = c.Read();
// Thread-safety: each object belongs to one test thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/daemon-process.h"

namespace ttsd::testing {

struct WyEvent {
  std::string type;
  nlohmann::json data = nlohmann::json::object();
  std::vector<uint8_t> payload;
  nlohmann::json header;  // the header line as sent
  std::chrono::steady_clock::time_point received;
};

// The TCP port ttsd logged for its Wyoming listener ("wyoming: listening on tcp://HOST:PORT").
inline uint16_t WyomingPort(const DaemonProcess& daemon) {
  EXPECT_TRUE(daemon.WaitForLog("wyoming: listening on tcp://")) << daemon.Log();
  std::smatch m;
  const std::string log = daemon.Log();
  if (!std::regex_search(log, m, std::regex(R"(wyoming: listening on tcp://[^ ]*:(\d+))"))) return 0;
  return static_cast<uint16_t>(std::stoi(m[1]));
}

class WyomingClient {
 public:
  explicit WyomingClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Close();
    int one = 1;
    if (fd_ >= 0) setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  // A Unix socket path.
  explicit WyomingClient(const std::string& path) : fd_(ConnectUnix(path)) {}
  ~WyomingClient() { Close(); }

  bool connected() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }

  bool SendBytes(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Encodes an event: data in a separate block after the header (what the reference library
  // writes) or inline in the header's `data`.
  static std::string Encode(const std::string& type, const nlohmann::json& data = nullptr, bool inline_data = false,
                            const std::string& payload = {}) {
    nlohmann::json header = {{"type", type}, {"version", "1.7.0"}};
    std::string block;
    if (data.is_object() && !data.empty()) {
      if (inline_data) {
        header["data"] = data;
      } else {
        block = data.dump();
        header["data_length"] = block.size();
      }
    }
    if (!payload.empty()) header["payload_length"] = payload.size();
    return header.dump() + "\n" + block + payload;
  }
  bool Send(const std::string& type, const nlohmann::json& data = nullptr, bool inline_data = false) {
    return SendBytes(Encode(type, data, inline_data));
  }

  // The next event, or nullopt on EOF / timeout / a stream that does not follow the format.
  std::optional<WyEvent> Read(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    for (;;) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        break;
      }
      if (!Fill(deadline)) return std::nullopt;
    }
    WyEvent e;
    e.header = nlohmann::json::parse(line, nullptr, false);
    if (e.header.is_discarded() || !e.header.contains("type")) {
      ADD_FAILURE() << "bad header line: " << line;
      return std::nullopt;
    }
    e.type = e.header["type"];
    if (e.header.contains("data") && e.header["data"].is_object()) e.data = e.header["data"];
    const size_t data_length = e.header.value("data_length", size_t{0});
    const size_t payload_length = e.header.value("payload_length", size_t{0});
    while (buffer_.size() < data_length + payload_length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    if (data_length > 0) e.data.update(nlohmann::json::parse(buffer_.substr(0, data_length)));
    e.payload.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(data_length),
                     buffer_.begin() + static_cast<std::ptrdiff_t>(data_length + payload_length));
    buffer_.erase(0, data_length + payload_length);
    e.received = std::chrono::steady_clock::now();
    return e;
  }

  // Reads events up to and including one of type `last` (or an error, EOF, timeout).
  std::vector<WyEvent> ReadUntil(const std::string& last, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::vector<WyEvent> events;
    while (auto e = Read(timeout)) {
      events.push_back(std::move(*e));
      if (events.back().type == last || events.back().type == "error") break;
    }
    return events;
  }

  // True when the server closed the connection (EOF within timeout), whatever it sent before.
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      buffer_.clear();
      if (!Fill(deadline)) return !timed_out_;
    }
    return false;
  }

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    timed_out_ = false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out_ = true;
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      timed_out_ = true;
      return false;
    }
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  bool timed_out_ = false;
};

// Audio of a synthesize answer.
struct WyAudio {
  bool started = false, stopped = false, synthesize_stopped = false;
  int rate = 0, width = 0, channels = 0;
  int chunks = 0;
  size_t samples = 0;
  std::optional<WyEvent> error;
  std::vector<std::string> types;  // every event type in order
};

inline WyAudio Collect(const std::vector<WyEvent>& events) {
  WyAudio a;
  for (const auto& e : events) {
    a.types.push_back(e.type);
    if (e.type == "audio-start") {
      a.started = true;
      a.rate = e.data.value("rate", 0);
      a.width = e.data.value("width", 0);
      a.channels = e.data.value("channels", 0);
    } else if (e.type == "audio-chunk") {
      a.chunks++;
      a.samples += e.payload.size() / 2;
    } else if (e.type == "audio-stop") {
      a.stopped = true;
    } else if (e.type == "synthesize-stopped") {
      a.synthesize_stopped = true;
    } else if (e.type == "error") {
      a.error = e;
    }
  }
  return a;
}

}  // namespace ttsd::testing
