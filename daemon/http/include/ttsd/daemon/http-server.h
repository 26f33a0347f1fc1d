// ttsd's HTTP API on the daemon's I/O context (Boost.Beast): the OpenAI-compatible speech endpoint,
// voices, health, channel control with live events, the control page for an OBS browser dock, and
// ElevenLabs' text-to-speech WebSocket API (an upgrade on the same listener).
// Requests reach the daemon as native-protocol requests over in-process connections (NativeLink):
// a channel's played words too (a listen with events and no audio).
//   HttpServer http(io, config.http, [&] { return server.ConnectInProcess(); }, [&] { return server.MetricsText(); });
//   if (auto s = http.Listen(); !s) fail(s.error());   // logs "HTTP API on http://HOST:PORT/"
//   http.Start(); server.AddFrontEnd(&http);   // Server::Shutdown then stops it accepting
// Thread-safety: constructed, started and run on the I/O thread; not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/daemon/http-config.h"
#include "ttsd/daemon/http-native-link.h"
#include "ttsd/daemon/server.h"

namespace ttsd::daemon {

class HttpConnection;
class WsSession;

// What the server and its connections share; connections hold it, so it outlives the server.
struct HttpShared {
  HttpConfig config;
  // Opens an in-process native connection (Server::ConnectInProcess).
  std::function<Result<NativeLink::Socket>()> connect;
  // GET /metrics: the daemon's metrics in Prometheus' text format (Server::MetricsText); empty: 404.
  std::function<std::string()> metrics;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  size_t connections = 0;  // open now
  bool shutting_down = false;
  std::vector<std::weak_ptr<HttpConnection>> live;
  std::vector<std::weak_ptr<WsSession>> websockets;  // ElevenLabs' API and ttsd's own over WebSocket
};

class HttpServer : public Server::FrontEnd {
 public:
  using Connect = std::function<Result<NativeLink::Socket>()>;
  using MetricsText = std::function<std::string()>;

  HttpServer(boost::asio::io_context& io, const HttpConfig& config, Connect connect, MetricsText metrics = {});
  ~HttpServer() override;

  // Binds config.listen. Errors: kIo (in use, no such address), kBadRequest (a bad address).
  Status Listen();
  void Start();
  // Stops accepting; idle connections close, responses in progress end with the daemon's drain.
  void Shutdown();

  // Server::FrontEnd. Its requests run on native sessions (NativeLink), which the Server drains and
  // closes itself: nothing of its own to close or wait for.
  void StopAccepting() override { Shutdown(); }
  void CloseSessions(bool /*flush*/) override {}
  bool has_sessions() override { return false; }

  uint16_t port() const { return port_; }  // the bound port (config port 0 picks one)

 private:
  void Accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<HttpShared> shared_;
  uint16_t port_ = 0;
};

}  // namespace ttsd::daemon
