#include "ttsd/daemon/connection.h"

#include <spdlog/spdlog.h>

#include "ttsd/daemon/session.h"

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;

}  // namespace

Connection::Connection(Socket socket, SessionContext* context, std::string log_name, std::string peer)
    : context_(context),
      id_(context->next_connection_id.fetch_add(1)),
      socket_(std::move(socket)),
      log_name_(std::move(log_name)),
      peer_(std::move(peer)),
      read_buffer_(16 * 1024),
      outbound_bytes_(std::make_shared<std::atomic<size_t>>(0)),
      idle_timer_(socket_.get_executor()) {}

Connection::~Connection() = default;

void Connection::Start() {
  if (peer_.empty()) {
    spdlog::debug("{} {} opened", log_name_, id_);
  } else {
    spdlog::debug("{} {} from {}", log_name_, id_, peer_);
  }
  ArmIdleTimer();
  ReadMore();
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  OnClose();
  boost::system::error_code ec;
  idle_timer_.cancel();
  socket_.shutdown(Socket::shutdown_both, ec);
  socket_.close(ec);
  // Let go of ourselves from a later handler, never from inside a method of ours.
  if (keep_alive_) asio::post(socket_.get_executor(), [hold = std::move(keep_alive_)] {});
}

void Connection::CloseWhenFlushed() {
  if (closed_) return;
  OnCloseWhenFlushed();
  closing_ = true;
  WriteNext();
}

void Connection::Fail(const Error& error) {
  spdlog::warn("{} {}: {} — closing", log_name_, id_, error.ToString());
  OnFail(error);
  closing_ = true;  // nothing more is queued after the error
  WriteNext();
}

void Connection::ArmIdleTimer(std::chrono::steady_clock::duration delay) {
  const int timeout = context_->config->idle_timeout_s;
  if (timeout <= 0 || closed_) return;
  idle_timer_.expires_after(delay.count() > 0 ? delay : std::chrono::seconds(timeout));
  idle_timer_.async_wait([weak = weak_from_this(), timeout](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->closed_) return;
    if (!self->HasOpenWork()) {
      // Idle counts from the last message in or out: a request that just ended is not an idle period.
      const auto quiet = std::chrono::steady_clock::now() - self->last_activity_;
      if (quiet < std::chrono::seconds(timeout)) return self->ArmIdleTimer(std::chrono::seconds(timeout) - quiet);
      spdlog::info("{} {} idle: closing", self->log_name_, self->id_);
      return self->Close();
    }
    self->OnIdleWithOpenWork(timeout);
    self->ArmIdleTimer();
  });
}

void Connection::ReadMore() {
  if (closed_ || closing_ || input_ended_) return;
  socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    if (self->closed_) return;
    if (ec) {
      if (ec == asio::error::eof) {
        self->input_ended_ = true;
        // No read is pending from now on, and jobs hold only weak pointers: stay alive until closed.
        self->keep_alive_ = self;
        return self->OnInputEnded();
      }
      if (ec != asio::error::operation_aborted) spdlog::debug("{} {} read error: {}", self->log_name_, self->id_, ec.message());
      return self->Close();
    }
    if (self->closing_) return;  // what a client sends after our last answer is not read
    // Only whole messages count as activity: a client trickling one endless message still goes idle.
    const bool whole = self->OnBytes(std::span<const uint8_t>(self->read_buffer_.data(), n));
    if (self->closing_ || self->closed_) return;
    if (whole) {
      self->last_activity_ = std::chrono::steady_clock::now();
      self->ArmIdleTimer();
    }
    // A client that sends without reading our answers waits until it has read them.
    if (self->outbound_bytes_->load() > 2 * self->context_->config->max_outbound_bytes) {
      self->read_paused_ = true;
      return;
    }
    self->ReadMore();
  });
}

bool Connection::SendLive(std::vector<uint8_t> bytes) {
  if (closed_ || closing_) return false;
  if (outbound_bytes_->load() > context_->config->max_outbound_bytes) {
    if (dropped_live_++ % 50 == 0) {
      spdlog::warn("{} {} is not reading its channel audio: {} frames dropped", log_name_, id_, dropped_live_);
    }
    return true;
  }
  Send(std::move(bytes));
  return true;
}

void Connection::Send(std::vector<uint8_t> bytes, bool counted) {
  if (closed_ || closing_) {
    if (counted) outbound_bytes_->fetch_sub(bytes.size());
    return;
  }
  if (!counted) outbound_bytes_->fetch_add(bytes.size());
  write_queue_.push_back(std::move(bytes));
  WriteNext();
}

void Connection::WriteNext() {
  if (writing_ || closed_) return;
  if (write_queue_.empty()) {
    if (closing_) Close();
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_queue_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writing_ = false;
                      if (self->write_queue_.empty()) return;  // closed meanwhile
                      self->outbound_bytes_->fetch_sub(self->write_queue_.front().size());
                      self->write_queue_.pop_front();
                      if (ec) return self->Close();
                      self->last_activity_ = std::chrono::steady_clock::now();
                      const size_t max = self->context_->config->max_outbound_bytes;
                      if (self->outbound_bytes_->load() < max / 2) self->OnWritesCaughtUp();
                      if (self->read_paused_ && self->outbound_bytes_->load() <= max) {
                        self->read_paused_ = false;
                        self->ReadMore();
                      }
                      self->WriteNext();
                    });
}

}  // namespace ttsd::daemon
