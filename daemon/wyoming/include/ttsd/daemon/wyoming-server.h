// The Wyoming listeners of ttsd: TCP (config `wyoming`, e.g. tcp://127.0.0.1:10200) and/or a Unix
// socket (`wyoming_socket`), each connection a WyomingSession on the daemon's SessionContext, so
// Wyoming requests share the voices, the scheduler and the request limits with native clients.
// Wyoming has no authentication: anything that can connect can make the daemon speak, so an
// address beyond loopback is bound only when configured, and a warning is logged.
// At most max_connections Wyoming clients at once: the next gets an `error` event (busy) and is closed.
// The Unix socket gets every check ttsd's own socket gets (UnixListener).
//   WyomingServer w(io, server.context()); if (auto s = w.Listen(); !s) fail(s.error());
//   server.AddFrontEnd(&w); w.Start();
// Thread-safety: constructed and used on the I/O thread; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/daemon/server.h"
#include "ttsd/daemon/session.h"
#include "ttsd/daemon/unix-listener.h"

namespace ttsd::daemon {

class WyomingSession;

class WyomingServer : public Server::FrontEnd {
 public:
  WyomingServer(boost::asio::io_context& io, SessionContext* context);  // context not owned
  ~WyomingServer() override;  // removes the Unix socket file it created

  // Binds what context->config asks for (nothing when both keys are off); logs each address, the
  // TCP port as bound (port 0 picks one). Errors: kBadRequest (an endpoint), kIo (cannot bind).
  Status Listen();
  void Start();  // accepts connections
  void StopAccepting() override;
  // Closes every connection: after writing what is queued (flush), or at once.
  void CloseSessions(bool flush) override;
  bool has_sessions() override;
  uint16_t tcp_port() const { return tcp_port_; }  // 0 when not on TCP

 private:
  Status ListenTcp(const std::string& host, uint16_t port);
  Status ListenUnix(const std::string& path);
  void AcceptTcp();
  void AcceptUnix();
  // True (and logged) when max_connections Wyoming clients are connected already.
  bool Full();
  std::vector<uint8_t> BusyEvent() const;  // the error event a client past the limit gets
  void Adopt(std::shared_ptr<WyomingSession> session);

  SessionContext* context_;  // not owned
  boost::asio::ip::tcp::acceptor tcp_;
  UnixListener unix_;
  uint16_t tcp_port_ = 0;
  std::vector<std::weak_ptr<WyomingSession>> sessions_;
};

}  // namespace ttsd::daemon
