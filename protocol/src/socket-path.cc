#include "ttsd/protocol/socket-path.h"

#include <unistd.h>

#include <cstdlib>

namespace ttsd::protocol {

std::string ResolveSocketPath(std::string_view flag_value) {
  if (!flag_value.empty()) return std::string(flag_value);
  if (const char* env = std::getenv("TTSD_SOCKET"); env && *env) return env;
  if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run) return std::string(run) + "/ttsd/ttsd.sock";
  return "/tmp/ttsd-" + std::to_string(getuid()) + "/ttsd.sock";
}

}  // namespace ttsd::protocol
