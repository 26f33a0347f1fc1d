// Answers a connection that is over a limit and closes it, without ever waiting on the client:
// writes one short answer (a busy error), shuts down sending, reads and discards what the client
// still sends so that TCP does not reset the answer away, and closes on EOF or after one second.
//   RefuseConnection(std::move(socket), protocol::EncodeFrame(...));
// Thread-safety: call on the I/O thread that runs the socket's executor; the helper owns the socket.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

namespace ttsd::daemon {

namespace refuse_detail {

template <typename Socket>
struct Refusal {
  Refusal(Socket s, std::vector<uint8_t> a) : socket(std::move(s)), answer(std::move(a)), timer(socket.get_executor()) {}
  Socket socket;
  std::vector<uint8_t> answer;
  boost::asio::steady_timer timer;
  std::array<uint8_t, 4096> sink{};
};

template <typename Socket>
void Discard(std::shared_ptr<Refusal<Socket>> r) {
  r->socket.async_read_some(boost::asio::buffer(r->sink), [r](boost::system::error_code ec, size_t) {
    if (!ec) return Discard(r);
    boost::system::error_code ignored;
    r->timer.cancel();
    r->socket.close(ignored);
  });
}

}  // namespace refuse_detail

template <typename Socket>
void RefuseConnection(Socket socket, std::vector<uint8_t> answer) {
  auto r = std::make_shared<refuse_detail::Refusal<Socket>>(std::move(socket), std::move(answer));
  r->timer.expires_after(std::chrono::seconds(1));
  r->timer.async_wait([r](boost::system::error_code ec) {
    boost::system::error_code ignored;
    if (!ec) r->socket.close(ignored);  // the client neither read nor closed: give up on it
  });
  boost::asio::async_write(r->socket, boost::asio::buffer(r->answer), [r](boost::system::error_code ec, size_t) {
    boost::system::error_code ignored;
    if (ec) {
      r->timer.cancel();
      r->socket.close(ignored);  // close(ec) returns an error_code: `return close(...)` made this lambda
      return;                    // non-void, and the path below then fell off its end (UB, a crash)
    }
    r->socket.shutdown(Socket::shutdown_send, ignored);
    refuse_detail::Discard(r);
  });
}

}  // namespace ttsd::daemon
