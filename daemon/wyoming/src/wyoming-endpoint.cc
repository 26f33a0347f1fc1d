#include "ttsd/daemon/wyoming-endpoint.h"

#include <charconv>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio/ip/address.hpp>

#include "ttsd/protocol/limits.h"

namespace ttsd::daemon {

bool WyomingEndpoint::loopback() const {
  if (kind != Kind::kTcp) return false;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

std::string WyomingEndpoint::ToString() const {
  switch (kind) {
    case Kind::kOff: return "off";
    case Kind::kUnix: return "unix://" + path;
    case Kind::kTcp: break;
  }
  const bool v6 = host.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<WyomingEndpoint> ParseWyomingEndpoint(std::string_view text) {
  WyomingEndpoint e;
  if (text.empty() || text == "off") return e;
  if (text == "on") text = kWyomingDefaultEndpoint;
  const auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kBadRequest, "wyoming endpoint '" + std::string(text) + "': " + why +
                                                 " (want tcp://HOST:PORT, unix:///PATH, on or off)");
  };
  if (text.starts_with("unix://")) {
    e.kind = WyomingEndpoint::Kind::kUnix;
    e.path = std::string(text.substr(7));
    if (e.path.empty() || e.path.front() != '/') return bad("the socket path must be absolute");
    if (e.path.size() > protocol::kMaxSocketPathBytes) {
      return bad("the socket path is longer than " + std::to_string(protocol::kMaxSocketPathBytes) + " bytes");
    }
    return e;
  }
  if (!text.starts_with("tcp://")) return bad("unknown scheme");
  std::string_view rest = text.substr(6);
  std::string_view host, port;
  if (rest.starts_with("[")) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || rest.substr(close + 1, 1) != ":") return bad("bad [IPv6]:PORT");
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("no port");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return bad("the port must be 0 to 65535");
  }
  e.kind = WyomingEndpoint::Kind::kTcp;
  e.port = static_cast<uint16_t>(value);
  e.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  boost::system::error_code parse_error;
  boost::asio::ip::make_address(e.host, parse_error);
  if (parse_error) return bad("the host must be an IP address or localhost");
  return e;
}

}  // namespace ttsd::daemon
