// Test support: a tiny blocking HTTP/1.1 client over a raw TCP socket that records each body chunk
// as it arrives (chunked transfer decoded), and the port of a ttsd started with --http 127.0.0.1:0.
//   HttpResponse r = HttpRequest(port, "POST", "/v1/audio/speech", R"({"input":"Hi"})");
//   EXPECT_EQ(r.status, 200); EXPECT_GT(r.chunks.size(), 1u);
// Thread-safety: plain functions; each call uses its own socket.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/daemon-process.h"

namespace ttsd::testing {

struct HttpChunk {
  std::string data;
  double at_ms = 0;  // since the request was sent
};

struct HttpResponse {
  int status = 0;                              // 0: no response
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;                            // the whole body, chunks joined
  std::vector<HttpChunk> chunks;               // body pieces as they arrived (transfer chunks when chunked)
  bool chunked = false;
  bool complete = false;  // the body ended properly (last chunk, or Content-Length reached)
  double first_body_ms = -1;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

inline int ConnectTcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Reads a response from fd. Waits at most timeout for each read. carry: bytes read past this response
// (the next one's, on a kept-alive connection), used first and refilled; null when none can follow.
inline HttpResponse ReadHttpResponse(int fd, std::chrono::steady_clock::time_point sent,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                     std::string* carry = nullptr) {
  HttpResponse r;
  std::string local;
  std::string& in = carry ? *carry : local;
  auto ms = [&] { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count(); };
  auto more = [&]() -> bool {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    in.append(buf, static_cast<size_t>(n));
    return true;
  };
  size_t end;
  while ((end = in.find("\r\n\r\n")) == std::string::npos) {
    if (!more()) return r;
  }
  std::string head = in.substr(0, end);
  in.erase(0, end + 4);
  r.status = std::stoi(head.substr(9, 3));
  for (size_t pos = head.find("\r\n"); pos != std::string::npos;) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      const size_t value = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = value == std::string::npos ? "" : line.substr(value);
    }
    pos = next;
  }
  auto add = [&](std::string data) {
    if (data.empty()) return;
    if (r.first_body_ms < 0) r.first_body_ms = ms();
    r.body += data;
    r.chunks.push_back({std::move(data), ms()});
  };
  r.chunked = r.header("transfer-encoding") == "chunked";
  if (r.chunked) {
    for (;;) {
      while ((end = in.find("\r\n")) == std::string::npos) {
        if (!more()) return r;
      }
      const size_t size = std::stoul(in.substr(0, end), nullptr, 16);
      while (in.size() < end + 2 + size + 2) {
        if (!more()) return r;
      }
      if (size == 0) {
        in.erase(0, end + 4);  // "0\r\n\r\n"
        r.complete = true;
        return r;
      }
      add(in.substr(end + 2, size));
      in.erase(0, end + 2 + size + 2);
    }
  }
  const std::string length = r.header("content-length");
  const size_t want = length.empty() ? std::string::npos : std::stoul(length);
  while (in.size() < want && more()) {
  }
  const size_t take = std::min(want, in.size());
  add(in.substr(0, take));
  in.erase(0, take);
  r.complete = want == std::string::npos || r.body.size() == want;
  return r;
}

// One request on a fresh connection (Connection: close). extra: more header lines, each "Name: value".
inline HttpResponse HttpRequest(int port, const std::string& method, const std::string& path,
                                const std::string& body = "", std::vector<std::string> extra = {},
                                std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  int fd = ConnectTcp(port);
  if (fd < 0) {
    ADD_FAILURE() << "cannot connect to 127.0.0.1:" << port;
    return {};
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n";
  bool typed = false;
  for (const auto& h : extra) {
    req += h + "\r\n";
    typed |= h.rfind("Content-Type:", 0) == 0;
  }
  if (!body.empty() && !typed) req += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  const auto sent = std::chrono::steady_clock::now();
  send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  HttpResponse r = ReadHttpResponse(fd, sent, timeout);
  close(fd);
  return r;
}

// The port of a ttsd started with --http 127.0.0.1:0, from its log line "HTTP API on http://HOST:PORT/".
inline int HttpPort(const DaemonProcess& daemon) {
  if (!daemon.WaitForLog("HTTP API on http://")) {
    ADD_FAILURE() << "no HTTP API line in the log:\n" << daemon.Log();
    return -1;
  }
  std::smatch m;
  const std::string log = daemon.Log();
  if (!std::regex_search(log, m, std::regex(R"(HTTP API on http://[^ ]*:(\d+)/)"))) return -1;
  return std::stoi(m[1]);
}

// s16le PCM bytes as floats.
inline std::vector<float> S16ToFloat(std::string_view bytes) {
  std::vector<float> out;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    out.push_back(static_cast<int16_t>(static_cast<uint8_t>(bytes[i]) | static_cast<uint8_t>(bytes[i + 1]) << 8) /
                  32768.0f);
  }
  return out;
}

}  // namespace ttsd::testing
