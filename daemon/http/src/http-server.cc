#include "ttsd/daemon/http-server.h"

#include <spdlog/spdlog.h>

#include "ttsd/daemon/elevenlabs-session.h"
#include "ttsd/daemon/http-connection.h"

namespace ttsd::daemon {

namespace asio = boost::asio;
using Tcp = asio::ip::tcp;

HttpServer::HttpServer(asio::io_context& io, const HttpConfig& config, Connect connect, MetricsText metrics)
    : acceptor_(io), shared_(std::make_shared<HttpShared>()) {
  shared_->config = config;
  shared_->connect = std::move(connect);
  shared_->metrics = std::move(metrics);
}

HttpServer::~HttpServer() { Shutdown(); }

Status HttpServer::Listen() {
  auto endpoint = shared_->config.Endpoint();
  if (!endpoint) return std::unexpected(endpoint.error());
  const Tcp::endpoint at(asio::ip::make_address(endpoint->host), endpoint->port);
  boost::system::error_code ec;
  acceptor_.open(at.protocol(), ec);  // Asio opens sockets close-on-exec
  if (!ec) acceptor_.set_option(Tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(at, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot listen on http://" + shared_->config.listen + ": " + ec.message());
  port_ = acceptor_.local_endpoint().port();
  const bool v6 = at.address().is_v6();
  spdlog::info("HTTP API on http://{}{}{}:{}/{}", v6 ? "[" : "", endpoint->host, v6 ? "]" : "", port_,
               shared_->config.token.empty() ? "" : " (bearer token required)");
  return {};
}

void HttpServer::Start() { Accept(); }

void HttpServer::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, Tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      spdlog::warn("http: accept failed: {}", ec.message());
    } else {
      auto connection = std::make_shared<HttpConnection>(std::move(socket), shared_);
      if (shared_->connections > shared_->config.max_connections) {
        spdlog::warn("http: {} connections open, the limit: refusing one", shared_->config.max_connections);
        connection->RejectBusy();
      } else {
        std::erase_if(shared_->live, [](const std::weak_ptr<HttpConnection>& c) { return c.expired(); });
        shared_->live.push_back(connection);
        connection->Start();
      }
    }
    Accept();
  });
}

void HttpServer::Shutdown() {
  if (shared_->shutting_down) return;
  shared_->shutting_down = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& weak : shared_->live) {
    if (auto c = weak.lock()) c->Shutdown();
  }
  for (auto& weak : shared_->websockets) {
    if (auto ws = weak.lock()) ws->Shutdown();
  }
}

}  // namespace ttsd::daemon
