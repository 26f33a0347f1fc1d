#include "ttsd/daemon/server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <algorithm>

#include "ttsd/frontend/user-lexicon.h"
#include "ttsd/daemon/refuse-connection.h"

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
using Protocol = asio::local::stream_protocol;

}  // namespace

Server::Server(asio::io_context& io, const DaemonConfig& config, VoiceRegistry& voices,
               InferenceScheduler& scheduler, VoiceStore* store, Metrics* metrics)
    : io_(io),
      config_(config),
      channels_(io.get_executor(), &scheduler, ChannelLimits{config.channel_max_queue, config.channel_max_queued_s, config.channel_loudness}),
      listener_(io),
      signals_(io, SIGTERM, SIGINT),
      hangup_(io, SIGHUP),
      drain_timer_(io),
      accept_retry_(io),
      voices_(voices) {
  context_.config = &config_;
  context_.channels = &channels_;
  context_.voices = &voices;
  context_.scheduler = &scheduler;
  context_.store = store;
  context_.metrics = metrics;
}

Server::~Server() {
  if (rescan_thread_.joinable()) rescan_thread_.join();
}

Status Server::Listen() {
  const int passed = sd_listen_fds(1);
  if (passed > 1) return MakeError(ErrorCode::kIo, "systemd passed " + std::to_string(passed) + " sockets; ttsd takes one");
  if (passed == 1) {
    const int fd = SD_LISTEN_FDS_START;
    if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0) {
      return MakeError(ErrorCode::kIo, "the socket systemd passed is not a listening Unix stream socket");
    }
    boost::system::error_code ec;
    listener_.acceptor().assign(Protocol(), fd, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot adopt the systemd socket: " + ec.message());
    socket_activated_ = true;
    spdlog::info("listening on the socket systemd passed");
    return {};
  }

  if (auto s = listener_.Listen(config_.socket_path); !s) return s;
  spdlog::info("listening on {}", config_.socket_path);
  return {};
}

void Server::Start() {
  WaitForStopSignal();
  WaitForHangup();
  Accept();
}

void Server::WaitForStopSignal() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    const char* name = signo == SIGTERM ? "SIGTERM" : "SIGINT";
    if (!context_.shutting_down) {
      spdlog::info("signal {}: shutting down", name);
      Shutdown();
    } else {
      // The second one: whoever sent it will not wait for the drain.
      spdlog::warn("signal {} again: ending open requests now", name);
      drain_deadline_ = std::chrono::steady_clock::now();
    }
    WaitForStopSignal();
  });
}

void Server::WaitForHangup() {
  hangup_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    ReloadLexicon();
    RescanVoices();
    WaitForHangup();
  });
}

void Server::ReloadLexicon() {
  if (config_.lexicon_path.empty()) {
    spdlog::info("SIGHUP: no lexicon configured; nothing to reload");
    return;
  }
  auto lexicon = frontend::UserLexicon::Load(config_.lexicon_path);
  if (!lexicon) {
    spdlog::error("lexicon not reloaded, the old one stays in effect: {}", lexicon.error().message);
    return;
  }
  frontend::UserLexicon::Install(*lexicon);
  spdlog::info("lexicon reloaded: {} entries", (*lexicon)->size());
}

void Server::RescanVoices() {
  rescan_again_ = true;
  if (rescanning_.exchange(true)) return;  // the running scan looks again when done
  if (rescan_thread_.joinable()) rescan_thread_.join();  // it has finished: it cleared rescanning_
  rescan_thread_ = std::thread([this] {
    do {
      while (rescan_again_.exchange(false)) LogRescan(voices_.Rescan());
      rescanning_ = false;
      // A SIGHUP between the last look and the line above found rescanning_ still set: look again,
      // unless a newer RescanVoices has taken over.
    } while (rescan_again_ && !rescanning_.exchange(true));
  });
}

void Server::LogRescan(const RescanReport& r) const {
  for (const auto& name : r.added) spdlog::info("voice '{}' added", name);
  for (const auto& name : r.reloaded) spdlog::info("voice '{}' reloaded", name);
  for (const auto& name : r.removed) spdlog::info("voice '{}' removed", name);
  for (const auto& problem : r.problems) spdlog::error("voice package not loaded: {}", problem);
  for (const auto& name : r.added) {
    if (context_.store != nullptr && context_.store->Find(name)) {
      spdlog::warn("voice '{}' now hides the saved voice of that name", name);
    }
  }
  spdlog::info("voices rescanned: {} added, {} reloaded, {} removed, {} not loaded", r.added.size(), r.reloaded.size(),
               r.removed.size(), r.problems.size());
}

void Server::Accept() {
  listener_.acceptor().async_accept([this](boost::system::error_code ec, Protocol::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) spdlog::warn("accept failed: {}", ec.message());
      if (!listener_.acceptor().is_open()) return;
      // Out of file descriptors (or the like): try again shortly instead of spinning.
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](boost::system::error_code e) {
        if (!e && listener_.acceptor().is_open()) Accept();
      });
      return;
    }
    std::erase_if(accepted_, [](const std::weak_ptr<Session>& s) { return s.expired(); });
    if (accepted_.size() >= config_.max_connections) {
      spdlog::warn("{} clients connected, the limit (max-connections): refusing one", accepted_.size());
      const protocol::ErrorBody busy{ErrorCode::kBusy, "ttsd has " + std::to_string(accepted_.size()) +
                                                           " clients connected, its limit; try again later"};
      RefuseConnection(std::move(socket), protocol::EncodeFrame(protocol::FrameType::kError, 0, 0,
                                                                protocol::Serialize(busy)));
      return Accept();
    }
    auto session = std::make_shared<Session>(Session::Socket(std::move(socket)), &context_);
    std::erase_if(sessions_, [](const std::weak_ptr<Session>& s) { return s.expired(); });
    sessions_.push_back(session);
    accepted_.push_back(session);
    session->Start();
    Accept();
  });
}

Result<Protocol::socket> Server::ConnectInProcess() {
  Protocol::socket ours(io_), theirs(io_);
  boost::system::error_code ec;
  asio::local::connect_pair(ours, theirs, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot make a socket pair: " + ec.message());
  auto session = std::make_shared<Session>(Session::Socket(std::move(ours)), &context_, FrontEndKind::kHttp);
  std::erase_if(sessions_, [](const std::weak_ptr<Session>& s) { return s.expired(); });
  sessions_.push_back(session);
  session->Start();
  return theirs;
}

std::string Server::MetricsText() {
  if (!context_.metrics) return "";
  MetricsSample sample;
  sample.requests_active = context_.open_requests.load();
  const InferenceScheduler::Load load = context_.scheduler->CurrentLoad();
  sample.requests_queued = load.queued;
  sample.streams_behind = load.behind;
  sample.voices_loaded = context_.voices->Describe().voices.size();
  sample.channels = channels_.Sample();
  return context_.metrics->Text(sample);
}

size_t Server::OpenRequests() { return context_.open_requests.load(); }

void Server::Shutdown() {
  if (context_.shutting_down) return;
  context_.shutting_down = true;
  sd_notify(0, "STOPPING=1");
  boost::system::error_code ec;
  listener_.acceptor().close(ec);
  accept_retry_.cancel();
  hangup_.cancel(ec);
  for (FrontEnd* front_end : front_ends_) front_end->StopAccepting();
  drain_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(config_.drain_timeout_s);
  if (OpenRequests() > 0) spdlog::info("waiting up to {} s for {} open requests", config_.drain_timeout_s, OpenRequests());
  DrainTick();
}

void Server::DrainTick() {
  const auto now = std::chrono::steady_clock::now();
  if (!flushing_) {
    if (OpenRequests() == 0 || now >= drain_deadline_) {
      if (OpenRequests() > 0) spdlog::warn("drain over: cancelling {} open requests", OpenRequests());
      channels_.Shutdown();  // ends listens with shutting_down
      for (auto& weak : sessions_) {
        if (auto s = weak.lock()) s->CloseWhenFlushed();
      }
      for (FrontEnd* front_end : front_ends_) front_end->CloseSessions(/*flush=*/true);
      flushing_ = true;
      drain_deadline_ = now + std::chrono::seconds(2);  // for clients that stopped reading
    }
  } else {
    std::erase_if(sessions_, [](const std::weak_ptr<Session>& s) { return s.expired(); });
    const bool front_ends_done =
        std::ranges::none_of(front_ends_, [](FrontEnd* front_end) { return front_end->has_sessions(); });
    if ((sessions_.empty() && front_ends_done) || now >= drain_deadline_) {
      for (auto& weak : sessions_) {
        if (auto s = weak.lock()) s->Close();
      }
      for (FrontEnd* front_end : front_ends_) front_end->CloseSessions(/*flush=*/false);
      io_.stop();
      return;
    }
  }
  drain_timer_.expires_after(std::chrono::milliseconds(20));
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) DrainTick();
  });
}

}  // namespace ttsd::daemon
