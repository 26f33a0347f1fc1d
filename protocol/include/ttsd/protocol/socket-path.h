// Where ttsd listens and ttsc connects: --socket PATH, else $TTSD_SOCKET, else
// $XDG_RUNTIME_DIR/ttsd/ttsd.sock, else /tmp/ttsd-$UID/ttsd.sock.
//   std::string path = ResolveSocketPath(flag_value);
// Thread-safety: reads the environment; call before starting threads that change it.
#pragma once

#include <string>
#include <string_view>

namespace ttsd::protocol {

std::string ResolveSocketPath(std::string_view flag_value);

}  // namespace ttsd::protocol
