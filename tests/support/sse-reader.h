// Test support: reads a server-sent event stream (GET over HTTP/1.1, chunked) on a thread of its own
// and keeps every event with the moment it arrived, for tests that compare events with the audio.
//   SseReader events(port, "/v1/channels/stream/events");
//   events.WaitFor([](const auto& all) { return all.size() > 3; });
//   for (const SseEvent& e : events.Events()) ... e.name, e.data (JSON), e.at
// Thread-safety: construct, query and destroy on one test thread; the reader thread only appends,
// under the mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/http-client.h"

namespace ttsd::testing {

struct SseEvent {
  std::string name;                          // "message" when the event has no name
  nlohmann::json data;                       // its data parsed as JSON (null when it is not JSON)
  std::chrono::steady_clock::time_point at;  // when the read that completed it returned
};

class SseReader {
 public:
  using Clock = std::chrono::steady_clock;

  // extra: more header lines ("Authorization: Bearer T").
  SseReader(int port, const std::string& path, std::vector<std::string> extra = {}) : fd_(ConnectTcp(port)) {
    if (fd_ < 0) {
      ADD_FAILURE() << "cannot connect to 127.0.0.1:" << port;
      return;
    }
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
    for (const auto& h : extra) req += h + "\r\n";
    req += "\r\n";
    send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
    thread_ = std::thread([this] { Run(); });
  }
  ~SseReader() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }

  std::vector<SseEvent> Events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  // The events named name, in order.
  std::vector<SseEvent> Named(const std::string& name) const {
    std::vector<SseEvent> out;
    for (auto& e : Events()) {
      if (e.name == name) out.push_back(e);
    }
    return out;
  }
  int status() const { return status_; }

  // Waits until done(events so far) is true.
  bool WaitFor(const std::function<bool(const std::vector<SseEvent>&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (done(Events())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done(Events());
  }

 private:
  void Run() {
    std::string in, body;
    bool head_done = false;
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[65536];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      const auto at = Clock::now();
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
      if (!head_done) {
        const size_t end = in.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        status_ = std::stoi(in.substr(9, 3));
        in.erase(0, end + 4);
        head_done = true;
      }
      // Chunked transfer: take each whole chunk's data.
      for (;;) {
        const size_t line = in.find("\r\n");
        if (line == std::string::npos) break;
        const size_t size = std::stoul(in.substr(0, line), nullptr, 16);
        if (size == 0 || in.size() < line + 2 + size + 2) break;
        body += in.substr(line + 2, size);
        in.erase(0, line + 2 + size + 2);
      }
      for (size_t end; (end = body.find("\n\n")) != std::string::npos;) {
        SseEvent e{"message", nullptr, at};
        std::string data;
        for (size_t pos = 0; pos < end;) {
          size_t next = body.find('\n', pos);
          if (next == std::string::npos || next > end) next = end;
          const std::string l = body.substr(pos, next - pos);
          if (l.rfind("event: ", 0) == 0) e.name = l.substr(7);
          if (l.rfind("data: ", 0) == 0) data += l.substr(6);
          pos = next + 1;
        }
        body.erase(0, end + 2);
        if (data.empty()) continue;  // retry:, comments
        e.data = nlohmann::json::parse(data, nullptr, false);
        std::lock_guard lock(mu_);
        events_.push_back(std::move(e));
      }
    }
  }

  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> status_{0};
  mutable std::mutex mu_;  // guards events_
  std::vector<SseEvent> events_;
};

}  // namespace ttsd::testing
