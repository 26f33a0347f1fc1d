#include "ttsd/chat/twitch-reader.h"

#include <random>

namespace ttsd::chat {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr size_t kMaxOutbox = 64;  // lines; only PONGs and the login are written
}

TwitchReader::TwitchReader(asio::io_context& io, TwitchOptions options, EventHandler on_event, LogHandler log)
    : io_(io),
      options_(std::move(options)),
      on_event_(std::move(on_event)),
      log_(std::move(log)),
      ssl_ctx_(ssl::context::tls_client),
      resolver_(io),
      retry_timer_(io),
      idle_timer_(io),
      backoff_(options_.backoff_first, options_.backoff_cap) {
  ssl_ctx_.set_default_verify_paths();
  ssl_ctx_.set_verify_mode(ssl::verify_peer);
  nick_ = options_.nick;
  if (nick_.empty()) nick_ = "justinfan" + std::to_string(std::random_device{}() % 90000 + 10000);
}

TwitchReader::~TwitchReader() = default;

void TwitchReader::Start() {
  stopped_ = false;
  Connect();
}

void TwitchReader::Stop() {
  stopped_ = true;
  ++generation_;
  retry_timer_.cancel();
  idle_timer_.cancel();
  resolver_.cancel();
  boost::system::error_code ignored;
  if (plain_) plain_->close(ignored);
  if (tls_) tls_->lowest_layer().close(ignored);
}

void TwitchReader::Connect() {
  const uint64_t gen = ++generation_;
  joined_ = false;
  inbox_.clear();
  discarding_ = false;
  outbox_.clear();
  writing_ = false;
  retired_plain_ = std::move(plain_);
  retired_tls_ = std::move(tls_);
  if (options_.tls) {
    tls_ = std::make_unique<ssl::stream<tcp::socket>>(io_, ssl_ctx_);
    SSL_set_tlsext_host_name(tls_->native_handle(), options_.host.c_str());
    tls_->set_verify_callback(ssl::host_name_verification(options_.host));
  } else {
    plain_ = std::make_unique<tcp::socket>(io_);
  }
  ArmIdle(options_.connect_timeout);  // bounds resolving, connecting, the TLS handshake, the first byte
  resolver_.async_resolve(options_.host, options_.port, [this, gen](auto ec, tcp::resolver::results_type results) {
    if (gen != generation_) return;
    if (ec) return Drop("cannot resolve " + options_.host + ": " + ec.message(), false);
    tcp::socket& socket = tls_ ? tls_->next_layer() : *plain_;
    asio::async_connect(socket, results, [this, gen](auto ec, const tcp::endpoint&) {
      if (gen != generation_) return;
      if (ec) return Drop("cannot connect to " + options_.host + ":" + options_.port + ": " + ec.message(), false);
      if (!tls_) return OnConnected();
      tls_->async_handshake(ssl::stream_base::client, [this, gen](auto ec) {
        if (gen != generation_) return;
        if (ec) return Drop("TLS handshake with " + options_.host + " failed: " + ec.message(), false);
        OnConnected();
      });
    });
  });
}

void TwitchReader::OnConnected() {
  ++connects_;
  Write("CAP REQ :twitch.tv/tags twitch.tv/commands");
  Write("PASS SCHMOOPIIE");  // what anonymous clients send; Twitch ignores it for justinfan nicks
  Write("NICK " + nick_);
  Write("JOIN #" + options_.channel);
  ReadMore();
}

void TwitchReader::ArmIdle(std::chrono::steady_clock::duration after) {
  const uint64_t gen = generation_;
  idle_timer_.expires_after(after);
  idle_timer_.async_wait([this, gen, after](auto ec) {
    if (ec || gen != generation_) return;
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(after).count();
    Drop("nothing from " + options_.host + ":" + options_.port + " for " + std::to_string(s) + " s", false);
  });
}

void TwitchReader::ReadMore() {
  const uint64_t gen = generation_;
  auto on_read = [this, gen](const boost::system::error_code& ec, size_t n) {
    if (gen != generation_) return;
    if (ec) {
      return Drop(ec == asio::error::eof || ec == ssl::error::stream_truncated ? "the server closed the connection"
                                                                               : ec.message(),
                  false);
    }
    ArmIdle(options_.idle_timeout);
    std::string_view data(read_buffer_.data(), n);
    while (!data.empty() && gen == generation_) {
      size_t lf = data.find('\n');
      std::string_view piece = data.substr(0, lf);
      data.remove_prefix(lf == std::string_view::npos ? data.size() : lf + 1);
      if (!discarding_) inbox_.append(piece);
      if (inbox_.size() > kMaxIrcLineBytes + 2) {  // keep no more than one line's worth
        inbox_.clear();
        if (!discarding_) {
          ++malformed_;
          log_("twitch: dropped a line longer than " + std::to_string(kMaxIrcLineBytes) + " bytes");
        }
        discarding_ = true;
      }
      if (lf == std::string_view::npos) break;
      if (!discarding_) OnLine(inbox_);
      inbox_.clear();
      discarding_ = false;
    }
    if (gen == generation_) ReadMore();
  };
  if (tls_) {
    tls_->async_read_some(asio::buffer(read_buffer_), on_read);
  } else {
    plain_->async_read_some(asio::buffer(read_buffer_), on_read);
  }
}

void TwitchReader::OnLine(std::string_view line) {
  if (line.empty() || line == "\r") return;
  auto m = ParseIrcLine(line);
  if (!m) {
    ++malformed_;
    log_("twitch: ignored a malformed line (" + std::string(IrcErrorName(m.error().code)) + ": " +
         m.error().message + ")");
    return;
  }
  TwitchEvent e = ToTwitchEvent(*m);
  switch (e.kind) {
    case TwitchEvent::Kind::kPing:
      Write("PONG :" + e.text);
      return;
    case TwitchEvent::Kind::kReconnect:
      log_("twitch: the server asked us to reconnect (RECONNECT); reconnecting now");
      return Drop("RECONNECT", true);
    case TwitchEvent::Kind::kJoined:
      if (!joined_) {
        joined_ = true;
        backoff_.Reset();
        log_("twitch: joined #" + options_.channel + " on " + options_.host + ":" + options_.port +
             (options_.tls ? " (TLS)" : " (plain TCP)"));
      }
      break;
    default: break;
  }
  if (m->command == "NOTICE" && m->params.size() >= 2) log_("twitch: notice: " + m->params.back().substr(0, 200));
  on_event_(e);
}

void TwitchReader::Write(std::string line) {
  if (outbox_.size() >= kMaxOutbox) return;  // a server that never reads our PONGs gets no more
  outbox_.push_back(std::move(line) + "\r\n");
  if (!writing_) WriteNext();
}

void TwitchReader::WriteNext() {
  if (outbox_.empty()) {
    writing_ = false;
    return;
  }
  writing_ = true;
  const uint64_t gen = generation_;
  auto on_write = [this, gen](const boost::system::error_code& ec, size_t) {
    if (gen != generation_) return;
    if (ec) return Drop("cannot write to " + options_.host + ": " + ec.message(), false);
    outbox_.pop_front();
    WriteNext();
  };
  if (tls_) {
    asio::async_write(*tls_, asio::buffer(outbox_.front()), on_write);
  } else {
    asio::async_write(*plain_, asio::buffer(outbox_.front()), on_write);
  }
}

void TwitchReader::Drop(const std::string& why, bool at_once) {
  if (stopped_) return;
  const uint64_t gen = ++generation_;  // every pending handler of this connection is now stale
  idle_timer_.cancel();
  boost::system::error_code ignored;
  if (plain_) plain_->close(ignored);
  if (tls_) tls_->lowest_layer().close(ignored);
  const auto wait = at_once ? std::chrono::milliseconds(0) : backoff_.Next();
  if (!at_once) {
    log_("twitch: connection lost (" + why + "); reconnecting in " + std::to_string(wait.count()) + " ms");
  }
  retry_timer_.expires_after(wait);
  retry_timer_.async_wait([this, gen](auto ec) {
    if (ec || gen != generation_ || stopped_) return;
    Connect();
  });
}

}  // namespace ttsd::chat
