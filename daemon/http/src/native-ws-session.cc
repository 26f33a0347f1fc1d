// NativeWsSession: hello, then messages to frames and frames to messages (native-ws-session.h).
#include "ttsd/daemon/native-ws-session.h"

#include <spdlog/spdlog.h>

#include "ttsd/daemon/elevenlabs-messages.h"

namespace ttsd::daemon {

namespace {
constexpr uint16_t kCloseProtocol = 1002;
}  // namespace

NativeWsSession::NativeWsSession(Tcp::socket socket, std::shared_ptr<HttpShared> shared, bool token_given)
    : WsSession(std::move(socket), std::move(shared), kNativeWsMaxMessageBytes), token_given_(token_given) {}

void NativeWsSession::OnOpen() {
  if (shared_->shutting_down) Shutdown();
}

void NativeWsSession::Shutdown() {
  if (accepted() && !link_) Fail(ErrorCode::kShuttingDown, "ttsd is shutting down", kCloseGoingAway);
}

void NativeWsSession::OnMessage(std::string_view data, bool binary) {
  if (binary) {
    return Answer({0, {ErrorCode::kUnknownFrameType, "binary messages are the server's (audio); send JSON text"}});
  }
  auto in = ParseNativeWsMessage(data);
  if (!hello_) {
    if (!in || !in->hello) {
      return Fail(ErrorCode::kBadRequest, "the first message is hello: {\"type\":\"hello\",\"min_version\":1,\"max_version\":3}",
                  kClosePolicy);
    }
    return OnHello(*in);
  }
  if (!in) return Answer(in.error());
  if (in->hello) return Answer({0, {ErrorCode::kBadRequest, "hello was sent already"}});
  if (!link_) return;  // the link has ended: the close is on its way
  link_->Send(std::move(in->frame));
  // A cancelled request's audio that is still queued here goes no further (its terminal frame does).
  if (in->type == protocol::FrameType::kCancel) {
    cancelled_.insert(in->id);
    DropQueued(in->id);
  }
}

void NativeWsSession::OnHello(const NativeWsIn& in) {
  if (!token_given_ && !ElevenLabsKeyMatches(shared_->config.token, in.token)) {
    return Fail(ErrorCode::kBadRequest,
                in.token ? "wrong token" : "this ttsd needs its http-token: 'token' in hello, or 'Authorization: Bearer' on the upgrade",
                kClosePolicy);
  }
  auto version = protocol::NegotiateVersion(*in.hello);
  if (!version) return Fail(version.error().code, version.error().message, kCloseProtocol);
  auto self = Self<NativeWsSession>();
  auto linked = ConnectLink([self](protocol::Frame frame) { self->OnFrame(frame); },
                            // The daemon closed the connection (shutting down, idle) or broke framing.
                            [self](const Error& error) { self->Fail(error.code, error.message, kCloseGoingAway); });
  if (!linked) return Fail(linked.error().code, linked.error().message, kCloseInternal);
  hello_ = true;
  Send(NativeWsWelcome(*version, protocol::kMaxClientPayloadBytes));
}

void NativeWsSession::OnFrame(const protocol::Frame& frame) {
  if (closing()) return;
  const uint32_t id = frame.header.request_id;
  // Only audio that is not a request's last may be dropped by a cancel.
  const bool droppable = frame.header.type == protocol::FrameType::kAudio && !(frame.header.flags & protocol::kFlagLast);
  if (cancelled_.contains(id)) {
    if (droppable) return;
    const auto t = frame.header.type;
    if (t == protocol::FrameType::kAudio || t == protocol::FrameType::kError || t == protocol::FrameType::kDone) {
      cancelled_.erase(id);  // its end: the id may be used again
    }
  }
  auto out = NativeWsMessage(frame);
  if (!out) return;
  Send(std::move(out->data), droppable ? id : 0, out->binary);
}

void NativeWsSession::Fail(ErrorCode code, std::string message, uint16_t close_code) {
  if (closing()) return;
  spdlog::debug("http: websocket closed ({}): {}", ErrorCodeName(code), message);
  Send(NativeWsErrorMessage({0, {code, message}}));
  CloseSocket(close_code, std::move(message));
}

}  // namespace ttsd::daemon
