// One WebSocket on the HTTP listener (Boost.Beast), after HttpConnection hands over its socket: the
// handshake, reading messages, a queue of messages to write with backpressure on the daemon, closing.
// What the messages mean is a subclass's: ElevenLabsSession (ElevenLabs' API), NativeWsSession (ttsd's
// own protocol). Each talks to the daemon over its own NativeLink.
//   class MySession : public WsSession { void OnOpen() override; void OnMessage(...) override; };
//   auto ws = std::make_shared<MySession>(std::move(socket), shared, ...);
//   ws->Start(std::move(upgrade_request));  // the handshake, then OnOpen and OnMessage until either side closes
// Ownership: pending socket operations and the link's callbacks hold the session; Teardown (the socket's
// end) closes the link and lets it go. HttpShared::websockets holds it weakly for Shutdown.
// Thread-safety: every method runs on the I/O thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "ttsd/daemon/http-native-link.h"
#include "ttsd/daemon/http-server.h"

namespace ttsd::daemon {

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  using Tcp = boost::asio::ip::tcp;
  using Upgrade = boost::beast::http::request<boost::beast::http::string_body>;
  static constexpr size_t kPauseBytes = 256 << 10;  // queued messages that pause the daemon (as HTTP)
  static constexpr size_t kResumeBytes = 64 << 10;

  // max_message_bytes: a client message above it closes the socket with 1009.
  WsSession(Tcp::socket socket, std::shared_ptr<HttpShared> shared, size_t max_message_bytes);
  virtual ~WsSession();

  void Start(Upgrade upgrade);
  // The daemon is stopping (HttpServer::Shutdown).
  virtual void Shutdown() {}

 protected:
  // The handshake is done; messages are being read.
  virtual void OnOpen() = 0;
  virtual void OnMessage(std::string_view data, bool binary) = 0;
  // The socket is closing or gone: drop what refers to the daemon's requests (the link is closed).
  virtual void Forget() {}

  // Opens this socket's native link to the daemon (Server::ConnectInProcess).
  Status ConnectLink(NativeLink::FrameFn on_frame, NativeLink::EndFn on_end);
  // request: the native request a message belongs to (0: none), so that DropQueued can find it.
  void Send(std::string data, uint32_t request = 0, bool binary = false);
  // A cancelled request's messages that are still queued go no further (the front one may be on the
  // wire already and stays).
  void DropQueued(uint32_t request);
  // Queues the close after what is queued; the daemon's requests are cancelled now.
  void CloseSocket(uint16_t code, std::string reason);
  bool accepted() const { return accepted_; }
  bool closing() const { return closing_ || torn_down_; }
  boost::asio::any_io_executor executor() { return ws_.get_executor(); }
  template <typename T>
  std::shared_ptr<T> Self() { return std::static_pointer_cast<T>(shared_from_this()); }

  std::shared_ptr<HttpShared> shared_;
  std::shared_ptr<NativeLink> link_;

 private:
  struct Outgoing {
    std::string data;
    uint32_t request = 0;
    bool binary = false;
  };
  void Read();
  void WriteNext();
  void Teardown();

  boost::beast::websocket::stream<Tcp::socket> ws_;
  size_t max_message_bytes_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<Outgoing> out_;  // messages not yet written (the front one while it is being written)
  size_t queued_bytes_ = 0;
  bool accepted_ = false;  // the handshake is done
  bool writing_ = false;
  bool closing_ = false;   // a close is queued: nothing more is read or sent
  bool close_sent_ = false;
  bool torn_down_ = false;
  boost::beast::websocket::close_reason close_;
};

}  // namespace ttsd::daemon
