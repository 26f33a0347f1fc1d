// HttpConnection: reading requests, access checks, routing, and writing whole or chunked responses.
#include "ttsd/daemon/http-connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "ttsd/daemon/http-route.h"
#include "ttsd/version.h"

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Beast 1.74 speaks boost::string_view.
std::string_view Sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

std::string Hex(size_t n) {
  char buf[20];
  const int len = std::snprintf(buf, sizeof(buf), "%zx", n);
  return std::string(buf, static_cast<size_t>(len));
}

}  // namespace

HttpConnection::HttpConnection(Tcp::socket socket, std::shared_ptr<HttpShared> shared)
    : socket_(std::move(socket)),
      shared_(std::move(shared)),
      deadline_(socket_.get_executor()),
      poll_timer_(socket_.get_executor()) {
  shared_->connections++;
}

HttpConnection::~HttpConnection() {
  shared_->connections--;
  if (link_) link_->Close();
}

void HttpConnection::Start() {
  boost::system::error_code ec;
  socket_.set_option(Tcp::no_delay(true), ec);  // each chunk goes out at once
  ArmDeadline(HttpConfig::kIdleTimeoutS);
  WaitForInput();
}

void HttpConnection::RejectBusy() {
  keep_alive_ = false;
  state_ = State::kBusy;
  ReplyError({503, "server_error", "too_many_connections",
              "ttsd has " + std::to_string(shared_->config.max_connections) + " HTTP connections open; try again", ""});
}

void HttpConnection::Shutdown() {
  shutting_down_ = true;
  if (state_ == State::kIdle || state_ == State::kReading) return Close();
  if (events_) return EndStream();  // an event stream would never end by itself
}

void HttpConnection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (link_) link_->Close();
  link_.reset();
  boost::system::error_code ec;
  deadline_.cancel();
  poll_timer_.cancel();
  socket_.shutdown(Tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void HttpConnection::ArmDeadline(int seconds) {
  deadline_.expires_after(std::chrono::seconds(seconds));
  deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->state_ == State::kClosed) return;
    spdlog::debug("http: connection timed out");
    self->Close();
  });
}

// While idle this waits for the next request; during a response it notices a client that leaves,
// so that its request is cancelled. Bytes that arrive are kept for the parser.
void HttpConnection::WaitForInput() {
  if (watching_ || state_ == State::kClosed) return;
  watching_ = true;
  socket_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    self->watching_ = false;
    if (self->state_ == State::kClosed) return;
    if (ec) {
      if (self->state_ != State::kIdle) spdlog::debug("http: client left during a response");
      return self->Close();
    }
    self->buffer_.commit(n);
    if (self->state_ != State::kIdle) return;
    if (self->keep_alive_) return self->ReadRequest();
    self->buffer_.consume(self->buffer_.size());  // closing: wait for the client's end of the connection
    self->WaitForInput();
  });
}

void HttpConnection::ReadRequest() {
  state_ = State::kReading;
  ArmDeadline(HttpConfig::kIdleTimeoutS);
  parser_.emplace();
  parser_->header_limit(HttpConfig::kMaxHeaderBytes);
  // Beast checks Content-Length against the limit while it reads the header: the largest any request
  // may send until the request line says which limit is this one's (OnHeader).
  body_limit_ = HttpConfig::kMaxUploadBytes;
  parser_->body_limit(body_limit_);
  http::async_read_header(socket_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void HttpConnection::OnHeader(beast::error_code ec) {
  if (ec) return OnRequest(ec);
  const auto& req = parser_->get();
  body_limit_ = BodyLimit(Sv(req.method_string()), Sv(req.target()));
  if (parser_->content_length() && *parser_->content_length() > body_limit_) return OnRequest(http::error::body_limit);
  parser_->body_limit(body_limit_);  // a chunked body counts as it comes
  if (EqualsNoCase(Sv(req[http::field::expect]), "100-continue")) {
    // curl asks before sending a body over 1 KiB; say yes unless the answer is already no (above).
    Write(std::vector<uint8_t>{'H', 'T', 'T', 'P', '/', '1', '.', '1', ' ', '1', '0', '0', ' ', 'C', 'o', 'n', 't',
                               'i', 'n', 'u', 'e', '\r', '\n', '\r', '\n'});
  }
  ReadBody();
}

void HttpConnection::ReadBody() {
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRequest(ec); });
}

void HttpConnection::OnRequest(beast::error_code ec) {
  if (state_ == State::kClosed) return;
  if (ec) {
    keep_alive_ = false;
    state_ = State::kBusy;
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return ReplyError({413, "invalid_request_error", "body_too_large",
                         "the request body is larger than " + std::to_string(body_limit_) + " bytes", ""});
    }
    if (ec == http::error::header_limit) {
      return Reply(431, "application/json",
                   HttpError{431, "invalid_request_error", "headers_too_large", "request headers are too large", ""}.Json());
    }
    spdlog::debug("http: malformed request: {}", ec.message());
    return ReplyError({400, "invalid_request_error", "malformed_request", "malformed HTTP request: " + ec.message(), ""});
  }
  request_ = parser_->release();
  parser_.reset();
  keep_alive_ = request_.keep_alive() && !shutting_down_;
  chunked_ = request_.version() >= 11;
  state_ = State::kBusy;
  deadline_.cancel();
  if (buffer_.size() == 0) WaitForInput();  // else a pipelined request waits in buffer_
  Route();
}

void HttpConnection::Route() {
  auto header = [&](http::field f) { return Sv(request_[f]); };
  const HttpRequestHead head{Sv(request_.method_string()), Sv(request_.target()), header(http::field::host),
                             header(http::field::origin), header(http::field::authorization),
                             header(http::field::content_type)};
  spdlog::debug("http: {} {}", head.method, head.target.substr(0, head.target.find('?')));
  auto route = RouteRequest(head, shared_->config.token, shared_->shutting_down);
  if (!route) return ReplyError(route.error());
  switch (route->handler) {
    case HttpHandler::kAsset: return HandleAsset(route->asset);
    case HttpHandler::kSpeech: return HandleSpeech(false);
    case HttpHandler::kCaptionedSpeech: return HandleSpeech(true);
    case HttpHandler::kVoices: return HandleVoices(false);
    case HttpHandler::kVoiceAdd: return HandleVoiceAdd();
    case HttpHandler::kVoiceRemove: return HandleVoiceRemove(route->name);
    case HttpHandler::kHealth: return HandleVoices(true);
    case HttpHandler::kLiveness: return ReplyJson(200, R"({"status":"ok"})");
    case HttpHandler::kModels: return HandleModels();
    case HttpHandler::kAudioVoices: return HandleAudioVoices();
    case HttpHandler::kAudioModels:
      // What Open WebUI asks for its model menu; ttsd ignores "model".
      return ReplyJson(200, R"({"models":[{"id":"tts-1"},{"id":"tts-1-hd"},{"id":"gpt-4o-mini-tts"}]})");
    case HttpHandler::kChannel: return HandleChannel(*route);
    case HttpHandler::kEvents: return HandleEvents(route->channel);
    case HttpHandler::kElevenLabs: return HandleElevenLabs(*route);
    case HttpHandler::kNativeWs: return HandleNativeWs();
    case HttpHandler::kMetrics:
      if (!shared_->metrics) return ReplyError({404, "invalid_request_error", "not_found", "no metrics here", ""});
      return Reply(200, "text/plain; version=0.0.4; charset=utf-8", shared_->metrics());
  }
}

void HttpConnection::Reply(int status, std::string content_type, std::string body) {
  http::response<http::string_body> res{static_cast<http::status>(status), request_.version() ? request_.version() : 11};
  res.set(http::field::server, "ttsd/" TTSD_VERSION);
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  if (status == 401) res.set(http::field::www_authenticate, "Bearer");
  if (status == 429 || status == 503) res.set(http::field::retry_after, "1");
  res.keep_alive(keep_alive_);
  res.body() = std::move(body);
  res.prepare_payload();
  std::ostringstream os;
  os << res;
  const std::string bytes = os.str();
  Write(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  ResponseDone();
}

void HttpConnection::ReplyError(const HttpError& error) {
  if (error.status >= 500) spdlog::info("http: {} {}", error.status, error.message);
  Reply(error.status, "application/json", error.Json());
}

void HttpConnection::BeginStream(Head head) {
  head.version(request_.version() ? request_.version() : 11);
  head.set(http::field::server, "ttsd/" TTSD_VERSION);
  head.set(http::field::cache_control, "no-store");
  head.set("X-Accel-Buffering", "no");
  if (chunked_) {
    head.chunked(true);
    head.keep_alive(keep_alive_);
  } else {
    keep_alive_ = false;  // an HTTP/1.0 body without a length ends when the connection does
    head.keep_alive(false);
  }
  std::ostringstream os;
  os << head.base();
  const std::string bytes = os.str();
  state_ = State::kStreaming;
  Write(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

void HttpConnection::StreamBytes(std::vector<uint8_t> bytes) {
  if (bytes.empty() || state_ != State::kStreaming) return;
  if (!chunked_) return Write(std::move(bytes));
  const std::string size = Hex(bytes.size()) + "\r\n";
  std::vector<uint8_t> chunk;
  chunk.reserve(size.size() + bytes.size() + 2);
  chunk.insert(chunk.end(), size.begin(), size.end());
  chunk.insert(chunk.end(), bytes.begin(), bytes.end());
  chunk.push_back('\r');
  chunk.push_back('\n');
  Write(std::move(chunk));
}

void HttpConnection::EndStream() {
  if (state_ != State::kStreaming) return;
  if (chunked_) Write({'0', '\r', '\n', '\r', '\n'});
  ResponseDone();
}

void HttpConnection::AbortStream(const std::string& why) {
  spdlog::info("http: response cut: {}", why);
  keep_alive_ = false;
  Close();
}

// The whole response is queued: once written, the next request (keep-alive) or the end.
void HttpConnection::ResponseDone() {
  if (link_) link_->Close();
  link_.reset();
  speech_.reset();
  events_.reset();
  poll_timer_.cancel();
  if (state_ == State::kClosed) return;
  state_ = State::kIdle;
  if (!keep_alive_ || shutting_down_) keep_alive_ = false;
  WriteNext();
}

void HttpConnection::Write(std::vector<uint8_t> bytes) {
  if (state_ == State::kClosed) return;
  queued_bytes_ += bytes.size();
  write_queue_.push_back(std::move(bytes));
  WriteNext();
}

void HttpConnection::WriteNext() {
  if (writing_ || state_ == State::kClosed) return;
  if (write_queue_.empty()) {
    if (state_ != State::kIdle) return;  // a response in progress waits for the daemon: no deadline
    if (!keep_alive_) {
      boost::system::error_code ec;
      socket_.shutdown(Tcp::socket::shutdown_send, ec);  // then the client closes; we close on its EOF
      ArmDeadline(2);
      return WaitForInput();
    }
    if (buffer_.size() > 0 && !watching_) return ReadRequest();
    ArmDeadline(HttpConfig::kIdleTimeoutS);
    return WaitForInput();
  }
  writing_ = true;
  ArmDeadline(HttpConfig::kWriteStallTimeoutS);
  asio::async_write(socket_, asio::buffer(write_queue_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writing_ = false;
                      if (self->state_ == State::kClosed) return;
                      if (ec) {
                        spdlog::debug("http: write failed: {}", ec.message());
                        return self->Close();
                      }
                      self->queued_bytes_ -= self->write_queue_.front().size();
                      self->write_queue_.pop_front();
                      if (self->write_queue_.empty()) {
                        // Reading a body after "100 Continue" keeps its deadline; otherwise none
                        // while the response waits for the daemon.
                        if (self->state_ == State::kReading) {
                          self->ArmDeadline(HttpConfig::kIdleTimeoutS);
                        } else {
                          self->deadline_.cancel();
                        }
                      }
                      if (self->link_ && self->queued_bytes_ < kResumeBytes) self->link_->Resume();
                      self->WriteNext();
                    });
}

}  // namespace ttsd::daemon
