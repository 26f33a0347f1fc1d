// The transport every front end's client connection shares: the socket, a reader that hands bytes
// to the protocol, a bounded write queue whose bytes inference workers see (backpressure), reading
// paused while the client does not read, an idle watchdog, and closing at once or once flushed.
// A protocol (Session, WyomingSession) derives from it and fills in the hooks below.
//   class MySession : public Connection { bool OnBytes(std::span<const uint8_t> b) override; ... };
//   auto s = std::make_shared<MySession>(std::move(socket), context); s->Start();
// Thread-safety: every method runs on the I/O thread (the single thread running the io_context);
// worker threads reach a connection only by posting to that context. Lifetime: pending reads and
// writes hold the connection (shared_from_this); after the client's EOF it holds itself until
// Close. Anything else (jobs, timers, channel callbacks) must hold a weak pointer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/protocol/error.h"

namespace ttsd::daemon {

struct SessionContext;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;

  // log_name starts every log line ("connection", "wyoming connection"); peer is the client's
  // address for the log, empty when it says nothing. context is not owned.
  Connection(Socket socket, SessionContext* context, std::string log_name, std::string peer = {});
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Arms the idle watchdog and starts reading.
  void Start();
  // Ends the protocol's work (OnClose) and closes the socket. Queued bytes are dropped.
  void Close();
  // Lets the protocol end its work (OnCloseWhenFlushed), writes what is queued, then closes.
  void CloseWhenFlushed();
  uint64_t id() const { return id_; }

 protected:
  // --- Hooks. All run on the I/O thread.
  // Bytes from the client: decode and handle every whole message in them. True when at least one
  // whole message arrived (activity for the idle watchdog). May call Fail or Close.
  virtual bool OnBytes(std::span<const uint8_t> bytes) = 0;
  // The client closed its sending side. Default: Close().
  virtual void OnInputEnded() { Close(); }
  // Whether requests are open (the connection is not idle however quiet it is).
  virtual bool HasOpenWork() const = 0;
  // A whole idle period passed with work open: end what was abandoned.
  virtual void OnIdleWithOpenWork(int timeout_s) = 0;
  // The write queue fell under half of max_outbound_bytes: wake paused jobs.
  virtual void OnWritesCaughtUp() {}
  // Close is under way: cancel the work. Nothing can be sent any more.
  virtual void OnClose() {}
  // CloseWhenFlushed is under way: end the work; last messages may still be sent.
  virtual void OnCloseWhenFlushed() {}
  // Fail is under way: cancel the work and Send the error message.
  virtual void OnFail(const Error& error) = 0;

  // --- For the protocol.
  // Queues bytes; already counted in outbound() when counted is true. Dropped once closing.
  void Send(std::vector<uint8_t> bytes, bool counted = false);
  // For live audio: dropped (not queued) while the client is behind. False once closing.
  bool SendLive(std::vector<uint8_t> bytes);
  // Logs error, lets the protocol answer it (OnFail), then closes once that is written.
  void Fail(const Error& error);
  // For OnBytes: feeds bytes to decoder (Feed(span), Next() -> Result<optional<Message>>) and hands
  // each whole message to handle until closing; a decoding error Fails. True when one was whole.
  template <typename Decoder, typename Handle>
  bool DecodeAll(Decoder& decoder, std::span<const uint8_t> bytes, Handle handle) {
    decoder.Feed(bytes);
    bool whole = false;
    for (;;) {
      auto message = decoder.Next();
      if (!message) {
        Fail(message.error());
        return whole;
      }
      if (!*message) return whole;
      whole = true;
      handle(std::move(**message));
      if (closing_ || closed_) return whole;
    }
  }

  // The bytes posted by workers or queued, not yet written; shared with jobs for backpressure.
  const std::shared_ptr<std::atomic<size_t>>& outbound() const { return outbound_bytes_; }
  boost::asio::any_io_executor executor() { return socket_.get_executor(); }
  const std::string& log_name() const { return log_name_; }
  bool closing() const { return closing_; }
  bool closed() const { return closed_; }
  bool input_ended() const { return input_ended_; }
  // This connection as its protocol's class.
  template <typename T>
  std::shared_ptr<T> SharedAs() {
    return std::static_pointer_cast<T>(shared_from_this());
  }

  SessionContext* const context_;  // not owned
  const uint64_t id_;              // daemon-wide, for logs

 private:
  void ReadMore();
  void WriteNext();
  // Fires after delay (0: the idle timeout); closes the connection once no work is open and
  // nothing whole went in or out for the idle timeout.
  void ArmIdleTimer(std::chrono::steady_clock::duration delay = {});

  Socket socket_;
  std::string log_name_;
  std::string peer_;
  std::vector<uint8_t> read_buffer_;
  std::deque<std::vector<uint8_t>> write_queue_;
  bool writing_ = false;
  bool closing_ = false;      // close once the write queue is empty
  bool closed_ = false;
  bool read_paused_ = false;  // reading stops while the client does not read our answers
  bool input_ended_ = false;  // the client half-closed: no read is pending any more
  std::shared_ptr<Connection> keep_alive_;  // set once input ended, until Close
  std::shared_ptr<std::atomic<size_t>> outbound_bytes_;
  uint64_t dropped_live_ = 0;
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
};

}  // namespace ttsd::daemon
