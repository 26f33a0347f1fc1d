// Reads one Twitch channel's chat over Twitch's IRC interface, anonymously (justinfanNNNNN), with
// IRCv3 tags and commands, over TLS (irc.chat.twitch.tv:6697) or plain TCP (tests). Answers PING,
// reconnects with backoff when the connection drops or stalls, and at once on RECONNECT.
//   TwitchReader r(io, {.channel = "somechannel"}, [](const TwitchEvent& e) { ... }, log);
//   r.Start(); io.run();
// Thread-safety: every method and callback runs on the io_context's thread (one thread runs io).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "ttsd/chat/backoff.h"
#include "ttsd/chat/irc-message.h"

namespace ttsd::chat {

struct TwitchOptions {
  std::string channel;  // without "#", lower case
  std::string host = "irc.chat.twitch.tv";
  std::string port = "6697";
  bool tls = true;      // verify the server's certificate against the system's CAs
  std::string nick;     // empty: justinfan + a random number (anonymous, read only)
  // No byte from the server for this long (Twitch PINGs every ~5 min): the connection is taken as dead.
  std::chrono::seconds idle_timeout{360};
  // Resolving, connecting, the TLS handshake and the first byte must take no longer than this.
  std::chrono::seconds connect_timeout{30};
  std::chrono::milliseconds backoff_first{1000};
  std::chrono::milliseconds backoff_cap{60'000};
};

class TwitchReader {
 public:
  using EventHandler = std::function<void(const TwitchEvent&)>;
  using LogHandler = std::function<void(const std::string&)>;  // one line for stderr

  // io, the handlers: not owned; they outlive the reader.
  TwitchReader(boost::asio::io_context& io, TwitchOptions options, EventHandler on_event, LogHandler log);
  ~TwitchReader();

  void Start();  // connects; from then on it keeps itself connected until Stop()
  void Stop();

  // Counters (for tests and logs).
  uint64_t connects() const { return connects_; }
  uint64_t malformed_lines() const { return malformed_; }

 private:
  void Connect();
  void OnConnected();
  void ReadMore();
  void OnLine(std::string_view line);
  void Write(std::string line);  // adds CR LF
  void WriteNext();
  void Drop(const std::string& why, bool at_once);
  // Drops the connection unless a byte arrives within `after`.
  void ArmIdle(std::chrono::steady_clock::duration after);

  boost::asio::io_context& io_;
  TwitchOptions options_;
  EventHandler on_event_;
  LogHandler log_;
  boost::asio::ssl::context ssl_ctx_;
  boost::asio::ip::tcp::resolver resolver_;
  std::unique_ptr<boost::asio::ip::tcp::socket> plain_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls_;
  // The previous connection's sockets, kept until its cancelled handlers have surely run.
  std::unique_ptr<boost::asio::ip::tcp::socket> retired_plain_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> retired_tls_;
  boost::asio::steady_timer retry_timer_, idle_timer_;
  Backoff backoff_;
  uint64_t generation_ = 0;  // bumped per connection; stale handlers see a different one and stop
  bool stopped_ = true;
  bool joined_ = false;
  std::string nick_;
  std::string inbox_;             // bytes read, up to the next LF
  bool discarding_ = false;       // inside a line past kMaxIrcLineBytes: dropped up to its LF
  std::array<char, 16384> read_buffer_{};
  std::deque<std::string> outbox_;  // lines waiting to be written (bounded: PONGs and the login)
  bool writing_ = false;
  uint64_t connects_ = 0, malformed_ = 0;
};

}  // namespace ttsd::chat
