// WsSession: the WebSocket's handshake, reading, the write queue and closing (ws-session.h).
#include "ttsd/daemon/ws-session.h"

#include <spdlog/spdlog.h>

#include <boost/beast/core/buffers_to_string.hpp>

#include "ttsd/protocol/messages.h"
#include "ttsd/version.h"

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

// A close frame's reason holds at most 123 bytes of UTF-8: cut on a character boundary; a message that
// quotes bytes a client sent may not be UTF-8, and then the reason is left empty.
std::string CloseReason(std::string reason) {
  if (!protocol::IsValidUtf8(reason)) return "";
  if (reason.size() <= 123) return reason;
  size_t n = 123;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  reason.resize(n);
  return reason;
}

}  // namespace

WsSession::WsSession(Tcp::socket socket, std::shared_ptr<HttpShared> shared, size_t max_message_bytes)
    : shared_(std::move(shared)), ws_(std::move(socket)), max_message_bytes_(max_message_bytes) {
  shared_->connections++;
}

WsSession::~WsSession() {
  shared_->connections--;
  if (link_) link_->Close();
}

void WsSession::Start(Upgrade upgrade) {
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "ttsd/" TTSD_VERSION); }));
  ws_.read_message_max(max_message_bytes_);
  ws_.auto_fragment(false);
  auto self = shared_from_this();
  ws_.async_accept(upgrade, [self](beast::error_code ec) {
    if (ec) {
      spdlog::debug("http: websocket handshake failed: {}", ec.message());
      return self->Teardown();
    }
    self->accepted_ = true;
    self->Read();  // from now on: the client's messages, and its answer to our close
    self->OnOpen();
  });
}

Status WsSession::ConnectLink(NativeLink::FrameFn on_frame, NativeLink::EndFn on_end) {
  auto socket = shared_->connect();
  if (!socket) return std::unexpected(socket.error());
  link_ = std::make_shared<NativeLink>(std::move(*socket));
  link_->Start(std::move(on_frame), std::move(on_end));
  return {};
}

void WsSession::Read() {
  ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) {
      if (ec != websocket::error::closed) spdlog::debug("http: websocket read: {}", ec.message());
      return self->Teardown();
    }
    const std::string data = beast::buffers_to_string(self->read_buffer_.data());
    self->read_buffer_.consume(self->read_buffer_.size());
    if (!self->closing()) self->OnMessage(data, !self->ws_.got_text());
    self->Read();
  });
}

void WsSession::Send(std::string data, uint32_t request, bool binary) {
  if (closing()) return;
  queued_bytes_ += data.size();
  out_.push_back({std::move(data), request, binary});
  if (link_ && queued_bytes_ >= kPauseBytes) link_->Pause();  // the daemon pauses generation in turn
  WriteNext();
}

void WsSession::DropQueued(uint32_t request) {
  for (auto it = out_.begin() + (writing_ && !out_.empty() ? 1 : 0); it != out_.end();) {
    if (it->request != request) {
      ++it;
      continue;
    }
    queued_bytes_ -= it->data.size();
    it = out_.erase(it);
  }
  if (link_ && queued_bytes_ < kResumeBytes) link_->Resume();
}

void WsSession::WriteNext() {
  if (writing_ || !accepted_ || torn_down_) return;
  auto self = shared_from_this();
  if (out_.empty()) {
    if (!closing_ || close_sent_) return;
    close_sent_ = true;
    writing_ = true;
    // The peer answers with its close frame, which ends the pending read (Teardown).
    ws_.async_close(close_, [self](beast::error_code ec) {
      self->writing_ = false;
      if (ec) self->Teardown();
    });
    return;
  }
  writing_ = true;
  ws_.binary(out_.front().binary);
  ws_.async_write(asio::buffer(out_.front().data), [self](beast::error_code ec, size_t) {
    self->writing_ = false;
    if (ec) {
      spdlog::debug("http: websocket write: {}", ec.message());
      return self->Teardown();
    }
    self->queued_bytes_ -= self->out_.front().data.size();
    self->out_.pop_front();
    if (self->link_ && self->queued_bytes_ < kResumeBytes) self->link_->Resume();
    self->WriteNext();
  });
}

void WsSession::CloseSocket(uint16_t code, std::string reason) {
  if (closing()) return;
  closing_ = true;
  close_ = websocket::close_reason(static_cast<websocket::close_code>(code), CloseReason(std::move(reason)));
  if (link_) link_->Close();
  link_.reset();
  Forget();
  WriteNext();
}

void WsSession::Teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  if (link_) link_->Close();
  link_.reset();
  Forget();
  out_.clear();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).close(ec);
}

}  // namespace ttsd::daemon
