// ttsd's own protocol over one WebSocket (GET /v1/ws; protocol/README.md, "The protocol over WebSocket"),
// for browsers: the client's JSON messages become frames on this socket's own NativeLink, the daemon's
// frames come back as JSON messages, audio frames as binary ones (native-ws-messages.h). After hello
// the mapping adds nothing of its own: every rule is the daemon's Session's.
//   auto ws = std::make_shared<NativeWsSession>(std::move(socket), shared, /*token_given=*/true);
//   ws->Start(std::move(upgrade_request));
// Thread-safety: every method runs on the I/O thread.
#pragma once

#include <memory>
#include <set>
#include <string_view>

#include "ttsd/daemon/native-ws-messages.h"
#include "ttsd/daemon/ws-session.h"

namespace ttsd::daemon {

class NativeWsSession : public WsSession {
 public:
  // token_given: the upgrade request carried the bearer token, or none is needed; otherwise hello
  // must carry it.
  NativeWsSession(Tcp::socket socket, std::shared_ptr<HttpShared> shared, bool token_given);

  // The daemon is stopping: a socket without a link yet closes now (1001); the others when the
  // daemon, having drained, closes their link.
  void Shutdown() override;

 private:
  void OnOpen() override;
  void OnMessage(std::string_view data, bool binary) override;
  void OnHello(const NativeWsIn& in);
  void OnFrame(const protocol::Frame& frame);
  void Answer(const NativeWsError& error) { Send(NativeWsErrorMessage(error)); }
  void Fail(ErrorCode code, std::string message, uint16_t close_code);  // error (id 0), then close

  bool token_given_;
  bool hello_ = false;
  // Requests the client cancelled that have not ended: their audio still on its way from the daemon is
  // dropped here (barge-in), their terminal frame is not.
  std::set<uint32_t> cancelled_;
};

}  // namespace ttsd::daemon
