#include "ttsd/daemon/http-config.h"

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <fstream>

namespace ttsd::daemon {

Result<HttpEndpoint> HttpConfig::Endpoint() const {
  const std::string bad = "http = '" + listen + "': expected HOST:PORT (127.0.0.1:5002, [::1]:5002, 0.0.0.0:5002) or off";
  std::string host;
  std::string port;
  if (!listen.empty() && listen.front() == '[') {
    const size_t close = listen.find("]:");
    if (close == std::string::npos) return MakeError(ErrorCode::kBadRequest, bad);
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos || listen.find(':') != colon) return MakeError(ErrorCode::kBadRequest, bad);
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return MakeError(ErrorCode::kBadRequest, bad);
  }
  boost::system::error_code error;
  auto address = boost::asio::ip::make_address(host, error);
  if (error) return MakeError(ErrorCode::kBadRequest, bad);
  return HttpEndpoint{host, static_cast<uint16_t>(value), address.is_loopback()};
}

Status HttpConfig::Validate() const {
  if (!enabled()) return {};
  auto endpoint = Endpoint();
  if (!endpoint) return std::unexpected(endpoint.error());
  if (!endpoint->loopback && token.empty() && token_file.empty()) {
    return MakeError(ErrorCode::kBadRequest,
                     "http = '" + listen + "' is reachable from other machines: set http-token (or http-token-file) "
                     "so that requests must carry it, or listen on 127.0.0.1");
  }
  if (max_connections < 1) return MakeError(ErrorCode::kBadRequest, "http-max-connections must be >= 1");
  return {};
}

Status HttpConfig::LoadToken() {
  if (!token.empty() || token_file.empty()) return {};
  std::ifstream in(token_file);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read http-token-file " + token_file);
  std::string line;
  std::getline(in, line);
  const auto first = line.find_first_not_of(" \t\r\n");
  const auto last = line.find_last_not_of(" \t\r\n");
  if (first == std::string::npos) return MakeError(ErrorCode::kBadRequest, "http-token-file " + token_file + " is empty");
  token = line.substr(first, last - first + 1);
  return {};
}

void HttpConfig::AddFlags(CLI::App& app) {
  app.add_option("--http", listen, "HTTP API (OpenAI-compatible speech, control page): HOST:PORT, or off")
      ->capture_default_str();
  // The token keys also take the spelling with underscores (http_token) in the config file.
  app.add_option("--http-token,--http_token", token, "bearer token HTTP requests must carry (required beyond loopback)");
  app.add_option("--http-token-file,--http_token_file", token_file, "read the bearer token from this file's first line");
  app.add_option("--http-max-connections", max_connections, "HTTP connections open at once")->capture_default_str();
}

std::string HttpConfig::ToString() const {
  if (!enabled()) return "http=off";
  return "http=" + listen + " http_token=" + (token.empty() && token_file.empty() ? "(none)" : "(set)") +
         " http_max_connections=" + std::to_string(max_connections);
}

}  // namespace ttsd::daemon
