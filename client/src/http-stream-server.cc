#include "ttsd/client/http-stream-server.h"

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <deque>
#include <istream>
#include <set>
#include <sstream>

namespace ttsd::client {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Bytes = std::shared_ptr<const std::vector<uint8_t>>;

constexpr size_t kMaxRequestBytes = 8192;
constexpr size_t kMaxBuffersPerWrite = 64;

Bytes MakeBytes(std::string_view s) { return std::make_shared<const std::vector<uint8_t>>(s.begin(), s.end()); }

Result<asio::ip::address> ParseHost(const std::string& host) {
  if (host == "localhost") return asio::ip::address_v4::loopback();
  boost::system::error_code ec;
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto address = asio::ip::make_address(h, ec);
  if (ec) return MakeError(ErrorCode::kBadRequest, "'" + host + "' is not an IP address to serve HTTP on");
  return address;
}

}  // namespace

Status HttpStreamOptions::Validate() const {
  auto address = ParseHost(host);
  if (!address) return std::unexpected(address.error());
  if (!address->is_loopback() && !allow_remote) {
    return MakeError(ErrorCode::kBadRequest, "refusing to serve the audio stream on " + host +
                                                 ", which is not a loopback address: anyone who can reach it could "
                                                 "listen (allow it explicitly to do so)");
  }
  if (paths.empty()) return MakeError(ErrorCode::kBadRequest, "the HTTP stream needs at least one path");
  if (max_clients == 0 || max_clients > kMaxClientsLimit) {
    return MakeError(ErrorCode::kBadRequest, "max_clients must be 1.." + std::to_string(kMaxClientsLimit));
  }
  return {};
}

// One client connection. Lives on the server thread only.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(HttpStreamServer::Impl* server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()), request_(kMaxRequestBytes) {}

  void Start();
  void Send(const Bytes& bytes, bool framed);  // queues; framed: as one chunk when the response is chunked
  void End();                                  // the response is complete once the queue drains
  void Close();
  bool streaming() const { return streaming_; }

 private:
  struct Item {
    Bytes bytes;
    bool framed;
  };
  void OnRequest(const boost::system::error_code& ec);
  void Reject(std::string_view status, std::string_view message);
  void WriteMore();
  void WatchForClose();

  HttpStreamServer::Impl* server_;  // not owned; outlives every connection's handlers
  tcp::socket socket_;
  asio::steady_timer timer_;
  asio::streambuf request_;
  std::deque<Item> queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool streaming_ = false;  // the 200 response went out; broadcasts reach this client
  bool chunked_ = true;
  bool ending_ = false;     // close once the queue is written
  bool closed_ = false;
  std::vector<std::string> chunk_heads_;  // hex sizes for the write in flight
  std::array<char, 512> discard_{};
};

struct HttpStreamServer::Impl {
  explicit Impl(HttpStreamOptions o) : options(std::move(o)), acceptor(io), work(asio::make_work_guard(io)) {}

  void Accept();
  void Broadcast(const Bytes& bytes);
  void Finish();
  void CloseAll();
  void Forget(const std::shared_ptr<HttpConnection>& c, bool was_streaming);

  HttpStreamOptions options;
  asio::io_context io;
  tcp::acceptor acceptor;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  Bytes preamble = std::make_shared<const std::vector<uint8_t>>();
  std::set<std::shared_ptr<HttpConnection>> connections;
  bool finishing = false;
  std::shared_ptr<std::atomic<size_t>> streaming = std::make_shared<std::atomic<size_t>>(0);
  std::shared_ptr<std::atomic<uint64_t>> served = std::make_shared<std::atomic<uint64_t>>(0);
  std::shared_ptr<std::atomic<size_t>> open = std::make_shared<std::atomic<size_t>>(0);
};

void HttpConnection::Start() {
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  timer_.expires_after(server_->options.request_timeout);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
    if (!e && !self->streaming_ && !self->ending_) self->Close();
  });
  asio::async_read_until(socket_, request_, "\r\n\r\n",
                         [self = shared_from_this()](const boost::system::error_code& e, size_t) { self->OnRequest(e); });
}

void HttpConnection::OnRequest(const boost::system::error_code& ec) {
  if (closed_) return;
  if (ec) {
    // Too long a request (the streambuf's limit) gets an answer; a vanished client does not.
    if (ec == asio::error::not_found) return Reject("431 Request Header Fields Too Large", "request too large\n");
    return Close();
  }
  std::istream in(&request_);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::istringstream words(line);
  std::string method, target, version;
  words >> method >> target >> version;
  if (version.rfind("HTTP/1.", 0) != 0) return Reject("400 Bad Request", "not an HTTP/1.x request\n");
  if (method != "GET" && method != "HEAD") return Reject("405 Method Not Allowed", "GET the stream\n");
  const std::string path = target.substr(0, target.find('?'));
  const auto& paths = server_->options.paths;
  if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
    return Reject("404 Not Found", "the stream is at " + paths.front() + "\n");
  }
  if (server_->finishing) return Reject("503 Service Unavailable", "the stream has ended\n");
  if (server_->streaming->load() >= server_->options.max_clients) {
    return Reject("503 Service Unavailable", "too many listeners\n");
  }
  timer_.cancel();
  chunked_ = version != "HTTP/1.0";
  std::string head = std::string(chunked_ ? "HTTP/1.1" : "HTTP/1.0") + " 200 OK\r\n" +
                     "Content-Type: " + server_->options.content_type + "\r\n" +
                     "Cache-Control: no-cache, no-store\r\n"
                     "Connection: close\r\n" +
                     (chunked_ ? "Transfer-Encoding: chunked\r\n" : "") + "\r\n";
  Send(MakeBytes(head), /*framed=*/false);
  if (method == "HEAD") return End();
  streaming_ = true;
  server_->streaming->fetch_add(1);
  server_->served->fetch_add(1);
  if (!server_->preamble->empty()) Send(server_->preamble, /*framed=*/true);
  WatchForClose();
}

void HttpConnection::Reject(std::string_view status, std::string_view message) {
  std::string response = "HTTP/1.1 " + std::string(status) +
                         "\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(message.size()) + "\r\n\r\n" + std::string(message);
  Send(MakeBytes(response), /*framed=*/false);
  End();
}

void HttpConnection::WatchForClose() {
  // The client sends nothing more; a read that ends means it hung up.
  socket_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](const boost::system::error_code& e, size_t) {
    if (self->closed_) return;
    if (e) return self->Close();
    self->WatchForClose();
  });
}

void HttpConnection::Send(const Bytes& bytes, bool framed) {
  if (closed_ || ending_) return;
  if (queued_bytes_ + bytes->size() > server_->options.max_queued_bytes) return Close();  // fell too far behind
  queue_.push_back({bytes, framed && chunked_});
  queued_bytes_ += bytes->size();
  WriteMore();
}

void HttpConnection::End() {
  if (closed_ || ending_) return;
  if (streaming_ && chunked_) queue_.push_back({MakeBytes("0\r\n\r\n"), false});
  ending_ = true;
  WriteMore();
}

void HttpConnection::WriteMore() {
  if (closed_ || writing_) return;
  if (queue_.empty()) {
    if (ending_) {
      boost::system::error_code ec;
      socket_.shutdown(tcp::socket::shutdown_send, ec);
      Close();
    }
    return;
  }
  static constexpr std::string_view kCrLf = "\r\n";
  const size_t items = std::min(queue_.size(), kMaxBuffersPerWrite);
  chunk_heads_.clear();
  chunk_heads_.reserve(items);
  for (size_t i = 0; i < items; ++i) {
    if (!queue_[i].framed) continue;
    std::ostringstream hex;
    hex << std::hex << queue_[i].bytes->size() << "\r\n";
    chunk_heads_.push_back(hex.str());
  }
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(items * 3);
  size_t head = 0;
  for (size_t i = 0; i < items; ++i) {
    const auto& item = queue_[i];
    if (item.framed) buffers.push_back(asio::buffer(chunk_heads_[head++]));
    buffers.push_back(asio::buffer(*item.bytes));
    if (item.framed) buffers.push_back(asio::buffer(kCrLf.data(), kCrLf.size()));
  }
  writing_ = true;
  asio::async_write(socket_, buffers, [self = shared_from_this(), items](const boost::system::error_code& e, size_t) {
    self->writing_ = false;
    if (self->closed_) return;
    if (e) return self->Close();
    for (size_t i = 0; i < items; ++i) {
      self->queued_bytes_ -= self->queue_.front().bytes->size();
      self->queue_.pop_front();
    }
    self->WriteMore();
  });
}

void HttpConnection::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  timer_.cancel();
  socket_.close(ec);
  queue_.clear();
  queued_bytes_ = 0;
  server_->Forget(shared_from_this(), streaming_);
}

void HttpStreamServer::Impl::Accept() {
  acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (finishing || !acceptor.is_open()) return;
    if (!ec) {
      if (connections.size() < options.max_clients + 8) {  // room for a few to be turned away politely
        auto c = std::make_shared<HttpConnection>(this, std::move(socket));
        connections.insert(c);
        open->fetch_add(1);
        c->Start();
      }
    }
    Accept();
  });
}

void HttpStreamServer::Impl::Broadcast(const Bytes& bytes) {
  // Copy the set: a client that falls behind is closed (and forgotten) inside Send.
  auto targets = connections;
  for (const auto& c : targets) {
    if (c->streaming()) c->Send(bytes, /*framed=*/true);
  }
}

void HttpStreamServer::Impl::Finish() {
  finishing = true;
  boost::system::error_code ec;
  acceptor.close(ec);
  auto targets = connections;
  for (const auto& c : targets) {
    if (c->streaming()) {
      c->End();
    } else {
      c->Close();
    }
  }
}

void HttpStreamServer::Impl::CloseAll() {
  auto targets = connections;
  for (const auto& c : targets) c->Close();
  work.reset();
}

void HttpStreamServer::Impl::Forget(const std::shared_ptr<HttpConnection>& c, bool was_streaming) {
  if (connections.erase(c) == 0) return;
  open->fetch_sub(1);
  if (was_streaming) streaming->fetch_sub(1);
}

HttpStreamServer::HttpStreamServer(std::shared_ptr<Impl> impl)
    : impl_(std::move(impl)), streaming_(impl_->streaming), served_(impl_->served), connections_(impl_->open) {}

Result<std::unique_ptr<HttpStreamServer>> HttpStreamServer::Start(const HttpStreamOptions& options) {
  if (auto s = options.Validate(); !s) return std::unexpected(s.error());
  const auto address = *ParseHost(options.host);
  auto impl = std::make_shared<Impl>(options);
  boost::system::error_code ec;
  const tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, "cannot serve HTTP on " + options.host + ":" + std::to_string(options.port) +
                                         ": " + ec.message());
  }
  std::unique_ptr<HttpStreamServer> server(new HttpStreamServer(impl));
  server->port_ = impl->acceptor.local_endpoint().port();
  server->host_ = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  impl->Accept();
  server->thread_ = std::thread([impl] {
    // Handlers do not throw; should one, the stream ends rather than the process (no exception leaves a thread).
    for (;;) {
      try {
        impl->io.run();
        return;
      } catch (...) {
        impl->CloseAll();
      }
    }
  });
  return server;
}

HttpStreamServer::~HttpStreamServer() { Finish(std::chrono::milliseconds(0)); }

std::string HttpStreamServer::url() const {
  return "http://" + host_ + ":" + std::to_string(port_) + impl_->options.paths.front();
}

void HttpStreamServer::SetPreamble(std::span<const uint8_t> bytes) {
  if (finished_) return;
  auto copy = std::make_shared<const std::vector<uint8_t>>(bytes.begin(), bytes.end());
  asio::post(impl_->io, [impl = impl_.get(), copy] { impl->preamble = copy; });
}

void HttpStreamServer::Broadcast(std::span<const uint8_t> bytes) {
  if (finished_ || bytes.empty()) return;
  auto copy = std::make_shared<const std::vector<uint8_t>>(bytes.begin(), bytes.end());
  asio::post(impl_->io, [impl = impl_.get(), copy] { impl->Broadcast(copy); });
}

Status HttpStreamServer::WaitForClients(size_t count, std::chrono::milliseconds timeout,
                                        const std::atomic<bool>* cancel) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (clients() < count) {
    if (finished_) return MakeError(ErrorCode::kShuttingDown, "the HTTP stream has ended");
    if (cancel && cancel->load()) return MakeError(ErrorCode::kCancelled, "stopped waiting for listeners");
    if (timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline) {
      return MakeError(ErrorCode::kTimeout, std::to_string(clients()) + " of " + std::to_string(count) +
                                                " listeners connected to " + url() + " in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

void HttpStreamServer::Finish(std::chrono::milliseconds grace) {
  if (finished_) return;
  finished_ = true;
  asio::post(impl_->io, [impl = impl_.get()] { impl->Finish(); });
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (connections_->load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  asio::post(impl_->io, [impl = impl_.get()] { impl->CloseAll(); });
  if (thread_.joinable()) thread_.join();
}

}  // namespace ttsd::client
