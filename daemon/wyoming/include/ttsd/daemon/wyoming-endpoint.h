// Where the Wyoming server listens, as the `wyoming` config key spells it.
//   auto e = ParseWyomingEndpoint("tcp://127.0.0.1:10200");  // Result<WyomingEndpoint>
//   if (e->kind == WyomingEndpoint::Kind::kTcp && !e->loopback()) warn();
// Thread-safety: plain values and a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ttsd/protocol/error.h"

namespace ttsd::daemon {

// What `wyoming = "on"` (or a bare --wyoming) means; 10200 is the Wyoming TTS port by convention.
inline constexpr std::string_view kWyomingDefaultEndpoint = "tcp://127.0.0.1:10200";

struct WyomingEndpoint {
  enum class Kind { kOff, kTcp, kUnix };
  Kind kind = Kind::kOff;
  std::string host;  // kTcp: an IP address (IPv6 without brackets)
  uint16_t port = 0; // kTcp: 0 picks a free port (tests)
  std::string path;  // kUnix

  bool loopback() const;  // kTcp on 127.0.0.0/8 or ::1
  std::string ToString() const;  // "tcp://127.0.0.1:10200", "unix:///run/x.sock", "off"
};

// "" or "off": off. "on": kWyomingDefaultEndpoint. "tcp://HOST:PORT" with HOST an IPv4 address,
// [IPv6] or localhost (no name lookups). "unix://PATH" with an absolute PATH.
// Errors: kBadRequest saying what is wrong.
Result<WyomingEndpoint> ParseWyomingEndpoint(std::string_view text);

}  // namespace ttsd::daemon
