// A small HTTP/1.1 server that sends one live byte stream to any number of clients at once: each client
// that GETs one of the stream's paths receives the preamble (for Ogg: the header pages), then every
// Broadcast made after it connected, as a chunked response (HTTP/1.0 clients: until the connection
// closes). Loopback addresses only, unless allow_remote. TCP_NODELAY on every connection.
//   auto server = HttpStreamServer::Start({.host = "127.0.0.1", .port = 8090}).value();
//   server->SetPreamble(headers); server->Broadcast(page); ...; server->Finish();
// Thread-safety: the owner thread calls every public method; the server's own thread (started by Start,
// joined by Finish) runs the acceptor and the connections and alone touches everything under io_. The two
// meet only through asio::post (FIFO, so broadcasts keep their order) and the atomic counters.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::client {

struct HttpStreamOptions {
  static constexpr size_t kMaxClientsLimit = 1024;

  std::string host = "127.0.0.1";  // numeric IPv4/IPv6 address, or "localhost"
  uint16_t port = 8090;            // 0: any free port (port() tells which)
  bool allow_remote = false;       // serve on a non-loopback address: anyone who reaches it can listen
  std::string content_type = "audio/ogg";
  std::vector<std::string> paths = {"/", "/stream.ogg", "/stream.opus"};  // anything else: 404
  size_t max_clients = 32;
  size_t max_queued_bytes = 1 << 20;  // per client: one that falls this far behind is disconnected
  std::chrono::milliseconds request_timeout{5000};  // to send the request line and headers

  // Errors: kBadRequest saying what is wrong (a non-loopback host without allow_remote, no paths,
  // max_clients 0 or above kMaxClientsLimit, a host that is not an address).
  Status Validate() const;
};

class HttpStreamServer {
 public:
  // Binds and listens now (so a busy port fails at once) and starts the server thread.
  // Errors: Validate's, kIo (cannot bind or listen).
  static Result<std::unique_ptr<HttpStreamServer>> Start(const HttpStreamOptions& options);
  ~HttpStreamServer();  // Finish(0 ms)
  HttpStreamServer(const HttpStreamServer&) = delete;
  HttpStreamServer& operator=(const HttpStreamServer&) = delete;

  // What every client receives first; replaces an earlier preamble for clients that connect later.
  void SetPreamble(std::span<const uint8_t> bytes);
  // bytes (copied) go to every client streaming now, as one chunk. Clients that connect later start at
  // a later broadcast, so each broadcast should be a unit a reader can start from (an Ogg page).
  void Broadcast(std::span<const uint8_t> bytes);
  // Waits until at least `count` clients receive the stream. Errors: kCancelled (*cancel became true;
  // cancel may be null; not owned), kTimeout (timeout passed; 0 waits for ever), kShuttingDown (finished).
  Status WaitForClients(size_t count, std::chrono::milliseconds timeout, const std::atomic<bool>* cancel);
  // Ends every response (the chunked terminator), waits up to `grace` for clients to receive what is
  // queued, closes every connection and joins the server thread. Safe to call twice.
  void Finish(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  size_t clients() const { return streaming_->load(); }  // receiving the stream now
  uint64_t clients_served() const { return served_->load(); }  // ever started streaming
  uint16_t port() const { return port_; }
  std::string url() const;  // "http://127.0.0.1:8090/"

 
  struct Impl;  // opaque: everything the server thread touches

 private:
  explicit HttpStreamServer(std::shared_ptr<Impl> impl);

  std::shared_ptr<Impl> impl_;
  std::shared_ptr<std::atomic<size_t>> streaming_;
  std::shared_ptr<std::atomic<uint64_t>> served_;
  std::shared_ptr<std::atomic<size_t>> connections_;  // open connections, streaming or not
  std::thread thread_;
  uint16_t port_ = 0;
  std::string host_;
  bool finished_ = false;
};

}  // namespace ttsd::client
