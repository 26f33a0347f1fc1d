// Test and bench support: a WebSocket client (Boost.Beast) for ttsd's HTTP listener, with a deadline on
// every step, so that a test fails instead of hanging. TCP_NODELAY is on, as in browsers and Python's
// asyncio: with Nagle, a small message sent right after another waits for the server's delayed ACK (up to
// 40 ms; stream-text-bench --nagle shows it).
//   WsClient ws; ASSERT_TRUE(ws.Connect(port, "/v1/ws")) << ws.status();
//   ws.SendJson({{"type", "hello"}, ...}); auto m = ws.Read();  // m->binary, m->data
// Thread-safety: one test thread.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace ttsd::testing {

class WsClient {
 public:
  using json = nlohmann::json;
  using Headers = std::vector<std::pair<std::string, std::string>>;
  struct Message {
    bool binary = false;
    std::string data;
    json Json() const { return json::parse(data, nullptr, false); }
  };

  // The handshake with 127.0.0.1:port. False when it fails: status() is the HTTP status of a refusal
  // (0 when the connection itself failed), body() its body.
  bool Connect(int port, const std::string& target, const Headers& headers = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    namespace beast = boost::beast;
    boost::system::error_code ec;
    ws_.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)}, ec);
    if (!ec) ws_.next_layer().set_option(boost::asio::ip::tcp::no_delay(!nagle_), ec);
    if (ec) return false;
    ws_.set_option(beast::websocket::stream_base::decorator([headers](beast::websocket::request_type& req) {
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
    bool done = false;
    ws_.async_handshake(response_, "127.0.0.1:" + std::to_string(port), target, [&](boost::system::error_code e) {
      ec = e;
      done = true;
    });
    Run(done, timeout);
    status_ = response_.result_int();
    body_ = response_.body();
    return done && !ec;
  }

  void set_nagle(bool on) { nagle_ = on; }  // before Connect

  bool SendJson(const json& message) { return Write(message.dump(), false); }
  bool SendText(const std::string& text) { return Write(text, false); }
  bool SendBinary(const std::string& bytes) { return Write(bytes, true); }

  // The next message; nullopt when the server closed (close_code()) or nothing came in time.
  std::optional<Message> Read(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    bool done = false;
    boost::system::error_code ec;
    buffer_.clear();
    ws_.async_read(buffer_, [&](boost::system::error_code e, size_t) {
      ec = e;
      done = true;
    });
    Run(done, timeout);
    if (!done || ec) {
      if (ec == boost::beast::websocket::error::closed) close_code_ = ws_.reason().code;
      return std::nullopt;
    }
    return Message{!ws_.got_text(), boost::beast::buffers_to_string(buffer_.data())};
  }

  // The next text message as JSON, skipping binary ones (counted in *skipped).
  std::optional<json> ReadJson(std::chrono::milliseconds timeout = std::chrono::seconds(20), int* skipped = nullptr) {
    for (;;) {
      auto m = Read(timeout);
      if (!m) return std::nullopt;
      if (!m->binary) return m->Json();
      if (skipped) ++*skipped;
    }
  }

  void Close() {
    boost::system::error_code ec;
    ws_.close(boost::beast::websocket::close_code::normal, ec);
  }

  int status() const { return status_; }
  const std::string& body() const { return body_; }
  int close_code() const { return close_code_; }  // the server's close code, once Read saw it

 private:
  bool Write(const std::string& data, bool binary) {
    boost::system::error_code ec;
    ws_.binary(binary);
    ws_.write(boost::asio::buffer(data), ec);
    return !ec;
  }

  // Runs the I/O until done or the deadline; a late operation is cancelled and finished.
  void Run(bool& done, std::chrono::milliseconds timeout) {
    io_.restart();
    io_.run_for(timeout);
    if (!done) {
      boost::system::error_code ec;
      ws_.next_layer().cancel(ec);
      io_.restart();
      io_.run();
    }
  }

  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_{io_};
  boost::beast::websocket::response_type response_;
  boost::beast::flat_buffer buffer_;
  int status_ = 0;
  int close_code_ = 0;
  bool nagle_ = false;
  std::string body_;
};

}  // namespace ttsd::testing
