#include "ttsd/daemon/wyoming-server.h"

#include <spdlog/spdlog.h>

#include "ttsd/daemon/refuse-connection.h"
#include "ttsd/daemon/wyoming-endpoint.h"
#include "ttsd/daemon/wyoming-event.h"
#include "ttsd/daemon/wyoming-session.h"

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
using Tcp = asio::ip::tcp;
using Local = asio::local::stream_protocol;

}  // namespace

WyomingServer::WyomingServer(asio::io_context& io, SessionContext* context)
    : context_(context), tcp_(io), unix_(io) {}

WyomingServer::~WyomingServer() = default;

Status WyomingServer::Listen() {
  const DaemonConfig& config = *context_->config;
  auto endpoint = ParseWyomingEndpoint(config.wyoming);
  if (!endpoint) return std::unexpected(endpoint.error());
  if (endpoint->kind == WyomingEndpoint::Kind::kTcp) {
    if (auto s = ListenTcp(endpoint->host, endpoint->port); !s) return s;
  }
  std::string path = config.wyoming_socket;
  if (endpoint->kind == WyomingEndpoint::Kind::kUnix) path = endpoint->path;
  if (!path.empty()) return ListenUnix(path);
  return {};
}

Status WyomingServer::ListenTcp(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  const Tcp::endpoint endpoint(asio::ip::make_address(host, ec), port);
  if (!ec) tcp_.open(endpoint.protocol(), ec);  // Asio opens sockets close-on-exec
  if (!ec) tcp_.set_option(Tcp::acceptor::reuse_address(true), ec);
  if (!ec) tcp_.bind(endpoint, ec);
  if (!ec) tcp_.listen(asio::socket_base::max_listen_connections, ec);
  WyomingEndpoint bound{WyomingEndpoint::Kind::kTcp, host, port, {}};
  if (ec) return MakeError(ErrorCode::kIo, "cannot listen for Wyoming on " + bound.ToString() + ": " + ec.message());
  tcp_port_ = bound.port = tcp_.local_endpoint().port();
  spdlog::info("wyoming: listening on {}", bound.ToString());
  if (!bound.loopback()) {
    spdlog::warn("wyoming: {} is reachable from other machines, and Wyoming has no authentication: anyone who can "
                 "connect can make this daemon speak. Keep it behind a firewall or on a trusted network.",
                 bound.ToString());
  }
  return {};
}

Status WyomingServer::ListenUnix(const std::string& path) {
  if (auto s = unix_.Listen(path, "Wyoming"); !s) return s;
  spdlog::info("wyoming: listening on unix://{}", path);
  return {};
}

void WyomingServer::Start() {
  if (tcp_.is_open()) AcceptTcp();
  if (unix_.acceptor().is_open()) AcceptUnix();
}

void WyomingServer::AcceptTcp() {
  tcp_.async_accept([this](boost::system::error_code ec, Tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) spdlog::warn("wyoming: accept failed: {}", ec.message());
      if (!tcp_.is_open()) return;
    } else if (Full()) {
      RefuseConnection(std::move(socket), BusyEvent());
    } else {
      boost::system::error_code ignored;
      socket.set_option(Tcp::no_delay(true), ignored);  // every audio chunk goes out at once
      const auto remote = socket.remote_endpoint(ignored);
      const std::string peer = remote.address().to_string() + ":" + std::to_string(remote.port());
      Adopt(std::make_shared<WyomingSession>(Connection::Socket(std::move(socket)), context_, peer));
    }
    AcceptTcp();
  });
}

void WyomingServer::AcceptUnix() {
  unix_.acceptor().async_accept([this](boost::system::error_code ec, Local::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) spdlog::warn("wyoming: accept failed: {}", ec.message());
      if (!unix_.acceptor().is_open()) return;
    } else if (Full()) {
      RefuseConnection(std::move(socket), BusyEvent());
    } else {
      Adopt(std::make_shared<WyomingSession>(Connection::Socket(std::move(socket)), context_, "unix"));
    }
    AcceptUnix();
  });
}

bool WyomingServer::Full() {
  std::erase_if(sessions_, [](const std::weak_ptr<WyomingSession>& s) { return s.expired(); });
  if (sessions_.size() < context_->config->max_connections) return false;
  spdlog::warn("wyoming: {} clients connected, the limit (max-connections): refusing one", sessions_.size());
  return true;
}

std::vector<uint8_t> WyomingServer::BusyEvent() const {
  return EncodeWyomingEvent("error", {{"text", "ttsd has " + std::to_string(sessions_.size()) +
                                                   " Wyoming clients connected, its limit; try again later"},
                                      {"code", std::string(ErrorCodeName(ErrorCode::kBusy))}});
}

void WyomingServer::Adopt(std::shared_ptr<WyomingSession> session) {
  sessions_.push_back(session);
  session->Start();
}

void WyomingServer::StopAccepting() {
  boost::system::error_code ec;
  tcp_.close(ec);
  unix_.acceptor().close(ec);
}

void WyomingServer::CloseSessions(bool flush) {
  for (auto& weak : sessions_) {
    if (auto s = weak.lock()) flush ? s->CloseWhenFlushed() : s->Close();
  }
}

bool WyomingServer::has_sessions() {
  std::erase_if(sessions_, [](const std::weak_ptr<WyomingSession>& s) { return s.expired(); });
  return !sessions_.empty();
}

}  // namespace ttsd::daemon
