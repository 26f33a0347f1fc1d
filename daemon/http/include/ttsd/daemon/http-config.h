// Settings of ttsd's HTTP API (the OpenAI-compatible speech endpoint and the control page): where it
// listens, the bearer token, and its limits. Keys of the config file and flags: http, http-token,
// http-token-file, http-max-connections.
//   HttpConfig c; c.listen = "0.0.0.0:5002"; c.token = "s3cret"; if (auto s = c.Validate(); !s) fail(s.error());
//   CLI::App app; c.AddFlags(app);   // --http, --http-token, ...: parsing fills c
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ttsd/protocol/error.h"

namespace CLI {
class App;
}  // namespace CLI

namespace ttsd::daemon {

// An address to listen on: an IPv4 or IPv6 literal (or "localhost") and a port (0: any free one).
struct HttpEndpoint {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  uint16_t port = 0;
  bool loopback = true;  // only this machine can connect
};

struct HttpConfig {
  static constexpr const char* kDefaultListen = "127.0.0.1:5002";
  static constexpr size_t kMaxBodyBytes = 1 << 20;     // a request body (JSON); larger is 413
  static constexpr size_t kMaxUploadBytes = 32 << 20;  // an upload (POST /v1/voices: recordings)
  static constexpr size_t kMaxHeaderBytes = 16 << 10;  // the request line and headers; larger is 431
  static constexpr int kIdleTimeoutS = 30;             // waiting for (and reading) a request
  static constexpr int kWriteStallTimeoutS = 30;       // a client that reads nothing of its response

  std::string listen = kDefaultListen;  // HOST:PORT, [IPv6]:PORT, or "off"
  std::string token;                    // bearer token; empty: none (loopback only)
  std::string token_file;               // read into token at startup when token is empty
  size_t max_connections = 64;          // more are answered 503 and closed

  bool enabled() const { return listen != "off"; }
  // Errors: kBadRequest naming what is wrong: the address, a token missing while listening beyond
  // loopback, max_connections 0.
  Status Validate() const;
  // Parses listen. Errors: kBadRequest.
  Result<HttpEndpoint> Endpoint() const;
  // Fills token from token_file (the first line, spaces trimmed) when token is empty.
  // Errors: kIo (unreadable), kBadRequest (empty).
  Status LoadToken();
  std::string ToString() const;  // never shows the token
  // Registers --http, --http-token, --http-token-file and --http-max-connections (the token keys also
  // spelled with underscores), defaults shown as they are now. The flags point into *this: it must
  // outlive app's parse.
  void AddFlags(CLI::App& app);
};

}  // namespace ttsd::daemon
