#include "ttsc/cli.h"

#include <iostream>

#include "ttsd/protocol/socket-path.h"
#include "ttsd/version.h"

namespace ttsd::ttsc {

int Report(const Error& e, int exit_code) {
  std::cerr << "ttsc: " << e.ToString() << '\n';
  return exit_code;
}

int Usage(const std::string& message) {
  std::cerr << "ttsc: " << message << "\nRun 'ttsc --help' for usage.\n";
  return kExitUsage;
}

Result<std::unique_ptr<client::Connection>> Connect(const GlobalOptions& global) {
  client::ConnectOptions options;
  options.client_name = "ttsc/" TTSD_VERSION;
  if (global.timeout_s > 0) options.handshake_timeout = global.timeout();
  return client::Connection::Connect(protocol::ResolveSocketPath(global.socket), options);
}

}  // namespace ttsd::ttsc
