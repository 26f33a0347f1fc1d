// Test support: a local IRC server that speaks Twitch's chat dialect over plain TCP — CAP REQ answered
// with ACK, NICK with 001, JOIN with the JOIN echo, 353 and 366 — and lets the test send it lines (PRIVMSG
// with tags, CLEARMSG, CLEARCHAT, PING, RECONNECT, garbage) and drop the connection. One client at a time:
// a new connection replaces the old one. Plain TCP, or TLS with a given certificate and key (PEM files).
//   FakeTwitchServer irc; run `ttsc chat twitch chan --server irc.address()`; irc.WaitJoins(1);
//   irc.Send(FakeTwitchServer::Privmsg("bob", "hello", "subscriber=1"));
// Thread-safety: its own thread runs the io_context; the public methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace ttsd::testing {

class FakeTwitchServer {
 public:
  // cert_pem, key_pem: files; both empty: plain TCP.
  explicit FakeTwitchServer(const std::string& cert_pem = "", const std::string& key_pem = "")
      : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    if (!cert_pem.empty()) {
      tls_ = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(cert_pem);
      tls_->use_private_key_file(key_pem, boost::asio::ssl::context::pem);
    }
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeTwitchServer() {
    boost::asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      if (client_) client_->Close();
      io_.stop();
    });
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // For ttsc's --server: irc://127.0.0.1:PORT (plain), or localhost:PORT (TLS; the certificate's name).
  std::string address() const {
    return (tls_ ? "localhost:" : "irc://127.0.0.1:") + std::to_string(port());
  }

  // A PRIVMSG as Twitch sends it. tags: more tags, "k=v;k=v" (already escaped); id and user-id default to
  // "m-<login>-<n>" and "u-<login>".
  static std::string Privmsg(const std::string& login, const std::string& text, const std::string& tags = "",
                             const std::string& channel = "chan") {
    static int n = 0;
    std::string all = "display-name=" + login;
    if (tags.find("id=") != 0 && tags.find(";id=") == std::string::npos) all += ";id=m-" + login + "-" + std::to_string(++n);
    if (tags.find("user-id=") == std::string::npos) all += ";user-id=u-" + login;
    if (!tags.empty()) all += ";" + tags;
    return "@" + all + " :" + login + "!" + login + "@" + login + ".tmi.twitch.tv PRIVMSG #" + channel + " :" + text;
  }

  // Sends a line (CR LF added) to the connected client; false when none is connected.
  bool Send(const std::string& line) { return SendRaw(line + "\r\n"); }
  bool SendRaw(const std::string& bytes) {
    std::promise<bool> done;
    auto result = done.get_future();
    boost::asio::post(io_, [&] {
      boost::system::error_code ec;
      if (client_) client_->With([&](auto& stream) { boost::asio::write(stream, boost::asio::buffer(bytes), ec); });
      done.set_value(client_ && !ec);
    });
    return result.get();
  }
  // Closes the client's connection (as a network failure or Twitch's restart would).
  void Drop() {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      if (client_) client_->Close();
      client_.reset();
      done.set_value();
    });
    done.get_future().wait();
  }

  int joins() const {
    std::lock_guard lock(mutex_);
    return joins_;
  }
  int connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
  }
  // Waits until JOINs (answered) reach count in all, over every connection so far.
  bool WaitJoins(int count, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return joins_ >= count; });
  }
  // Waits for a line from the client holding text.
  bool WaitReceived(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (const auto& l : received_) {
        if (l.find(text) != std::string::npos) return true;
      }
      return false;
    });
  }
  std::vector<std::string> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  // One client connection, plain or TLS. io thread only.
  struct Session {
    std::unique_ptr<boost::asio::ip::tcp::socket> plain;
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls;
    std::string buffer;
    template <typename F>
    void With(F f) {
      if (tls) {
        f(*tls);
      } else {
        f(*plain);
      }
    }
    void Close() {
      boost::system::error_code ignored;
      if (tls) tls->lowest_layer().close(ignored);
      if (plain) plain->close(ignored);
    }
  };

  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
      if (ec) return;
      if (client_) client_->Close();
      auto session = std::make_shared<Session>();
      client_ = session;
      {
        std::lock_guard lock(mutex_);
        ++connections_;
      }
      if (!tls_) {
        session->plain = std::make_unique<boost::asio::ip::tcp::socket>(std::move(socket));
        Read(session);
      } else {
        session->tls =
            std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>>(std::move(socket), *tls_);
        session->tls->async_handshake(boost::asio::ssl::stream_base::server, [this, session](auto ec) {
          if (!ec) Read(session);
        });
      }
      Accept();
    });
  }

  void Read(std::shared_ptr<Session> session) {
    session->With([&](auto& stream) {
      boost::asio::async_read_until(stream, boost::asio::dynamic_buffer(session->buffer), "\r\n",
                                    [this, session](boost::system::error_code ec, size_t n) {
                                      if (ec) return;
                                      std::string line = session->buffer.substr(0, n - 2);
                                      session->buffer.erase(0, n);
                                      if (session == client_) OnLine(*session, line);
                                      Read(session);
                                    });
    });
  }

  void OnLine(Session& session, const std::string& line) {
    {
      std::lock_guard lock(mutex_);
      received_.push_back(line);
    }
    changed_.notify_all();
    std::string reply;
    if (line.starts_with("CAP REQ :")) {
      reply = ":tmi.twitch.tv CAP * ACK :" + line.substr(9) + "\r\n";
    } else if (line.starts_with("NICK ")) {
      nick_ = line.substr(5);
      reply = ":tmi.twitch.tv 001 " + nick_ + " :Welcome, GLHF!\r\n:tmi.twitch.tv 376 " + nick_ + " :>\r\n";
    } else if (line.starts_with("JOIN #")) {
      const std::string chan = line.substr(5);
      reply = ":" + nick_ + "!" + nick_ + "@" + nick_ + ".tmi.twitch.tv JOIN " + chan + "\r\n:" + nick_ +
              ".tmi.twitch.tv 353 " + nick_ + " = " + chan + " :" + nick_ + "\r\n:" + nick_ + ".tmi.twitch.tv 366 " +
              nick_ + " " + chan + " :End of /NAMES list\r\n";
    }
    boost::system::error_code ec;
    if (!reply.empty()) session.With([&](auto& stream) { boost::asio::write(stream, boost::asio::buffer(reply), ec); });
    if (line.starts_with("JOIN #")) {
      {
        std::lock_guard lock(mutex_);
        ++joins_;
      }
      changed_.notify_all();
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // null: plain TCP
  std::shared_ptr<Session> client_;                   // io thread only
  std::string nick_;                                       // io thread only
  std::thread thread_;
  mutable std::mutex mutex_;  // protects the counters and received_
  std::condition_variable changed_;
  int joins_ = 0, connections_ = 0;
  std::vector<std::string> received_;
};

}  // namespace ttsd::testing
