// What ttsc's command files share: exit codes, the global options, connecting, reporting errors.
//   auto conn = Connect(global); if (!conn) return Report(conn.error(), kExitNoConnection);
// Thread-safety: main thread only (they write to stderr).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "ttsd/client/connection.h"
#include "ttsd/protocol/error.h"

namespace ttsd::ttsc {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNoConnection = 3;

struct GlobalOptions {
  std::string socket;
  double timeout_s = 30;

  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
  }
};

// Prints "ttsc: <name>: <message>" and returns exit_code.
int Report(const Error& e, int exit_code);
// Prints the message and a pointer to --help; returns kExitUsage.
int Usage(const std::string& message);
// Connects to ttsd at --socket / $TTSD_SOCKET / the default path. Errors: Connection::Connect's.
Result<std::unique_ptr<client::Connection>> Connect(const GlobalOptions& global);

}  // namespace ttsd::ttsc
