#include "ttsd/daemon/http-native-link.h"

#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

namespace asio = boost::asio;
using protocol::FrameType;

NativeLink::NativeLink(Socket socket)
    : socket_(std::move(socket)), decoder_(protocol::kMaxServerPayloadBytes), read_buffer_(64 * 1024) {}

NativeLink::~NativeLink() { Close(); }

void NativeLink::Start(FrameFn on_frame, EndFn on_end) {
  on_frame_ = std::move(on_frame);
  on_end_ = std::move(on_end);
  protocol::Hello hello;
  hello.client = "ttsd-http";
  Send(protocol::EncodeFrame(FrameType::kHello, 0, 0, protocol::Serialize(hello)));
  ReadMore();
}

void NativeLink::Send(std::vector<uint8_t> frame) {
  if (closed_) return;
  write_queue_.push_back(std::move(frame));
  WriteNext();
}

void NativeLink::WriteNext() {
  if (writing_ || closed_ || write_queue_.empty()) return;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_queue_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      if (ec) return self->End({ErrorCode::kIo, "the daemon closed the connection"});
                      self->write_queue_.pop_front();
                      self->WriteNext();
                    });
}

void NativeLink::Resume() {
  if (!paused_) return;
  paused_ = false;
  Deliver();
}

void NativeLink::ReadMore() {
  if (reading_ || closed_ || paused_) return;
  reading_ = true;
  socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    self->reading_ = false;
    if (self->closed_) return;
    if (ec) return self->End({ErrorCode::kShuttingDown, "the daemon closed the connection"});
    self->decoder_.Feed(std::span<const uint8_t>(self->read_buffer_.data(), n));
    self->Deliver();
  });
}

void NativeLink::Deliver() {
  auto keep = shared_from_this();  // a callback may drop the last other reference
  while (!closed_ && !paused_) {
    auto frame = decoder_.Next();
    if (!frame) return End(frame.error());
    if (!*frame) break;
    if (!welcomed_) {
      welcomed_ = true;
      if ((*frame)->header.type == FrameType::kWelcome) continue;
      // An error instead of the welcome (or anything else) goes to the reader as it is.
    }
    on_frame_(std::move(**frame));
  }
  ReadMore();
}

void NativeLink::End(const Error& error) {
  if (closed_) return;
  auto on_end = std::move(on_end_);
  Close();
  if (on_end) on_end(error);
}

void NativeLink::Close() {
  if (closed_) return;
  closed_ = true;
  on_frame_ = nullptr;
  on_end_ = nullptr;
  boost::system::error_code ec;
  socket_.shutdown(Socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace ttsd::daemon
