// A listening Unix socket that is safe to create: every front end that serves on a Unix socket
// (the native one, Wyoming) makes its socket here, so none of them skips a check.
//   UnixListener listener(io);
//   if (auto s = listener.Listen("/run/user/1000/ttsd/ttsd.sock"); !s) fail(s.error());
// Thread-safety: constructed and used on the I/O thread; not thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/protocol/error.h"

namespace ttsd::daemon {

class UnixListener {
 public:
  using Acceptor = boost::asio::local::stream_protocol::acceptor;

  explicit UnixListener(boost::asio::io_context& io);
  ~UnixListener();  // removes the socket file Listen created

  // Creates the socket at path and listens on it (close-on-exec, mode 0600 whatever the umask).
  // The directory: created 0700 when missing; refused when it is a symlink, owned by another user
  // (root is fine), or writable by others without the sticky bit. The path: refused when it is a
  // symlink or not a socket, or when something listens on it; a stale socket is removed.
  // owner names the socket in errors: "" for ttsd's own, "Wyoming" for "Wyoming socket".
  // Errors: kIo with the reason.
  Status Listen(const std::string& path, std::string_view owner = "");

  Acceptor& acceptor() { return acceptor_; }

 private:
  Acceptor acceptor_;
  std::string created_;  // the socket file we made, removed at destruction
};

}  // namespace ttsd::daemon
