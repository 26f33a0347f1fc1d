// The listening side of ttsd: the Unix socket (its own, or the one systemd passes), the accept
// loop (a client past max_connections is answered busy and closed), signals, and an orderly
// shutdown that lets requests in flight finish. Other front ends (Wyoming, HTTP) serve on its
// context() and are driven through Server::FrontEnd when it shuts down.
//   Server server(io, config, voices, scheduler);
//   WyomingServer wyoming(io, server.context()); server.AddFrontEnd(&wyoming);  // Listen()s first
//   if (auto s = server.Listen(); !s) fail(s.error());
//   server.Start(); io.run();   // returns after SIGTERM / SIGINT once drained; SIGHUP re-reads the
//                               // lexicon and the voice directories
//   std::string text = server.MetricsText();   // GET /metrics (HttpServer asks through a function)
// Thread-safety: constructed, started and run on the I/O thread; not thread-safe. RescanVoices' own
// thread touches only the registry (thread-safe) and the log.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/daemon/daemon-config.h"
#include "ttsd/daemon/channel-hub.h"
#include "ttsd/daemon/scheduler.h"
#include "ttsd/daemon/session.h"
#include "ttsd/daemon/unix-listener.h"
#include "ttsd/daemon/voice-registry.h"
#include "ttsd/daemon/voice-store.h"

namespace ttsd::daemon {

class Server {
 public:
  // A front end beside the native socket. Shutdown stops it accepting; when the drain is over its
  // sessions close like the native ones, and the daemon stops once none is left.
  class FrontEnd {
   public:
    virtual ~FrontEnd() = default;
    virtual void StopAccepting() = 0;
    // Closes every session: after writing what is queued (flush), or at once.
    virtual void CloseSessions(bool flush) = 0;
    virtual bool has_sessions() = 0;
  };

  // store (not owned) holds the saved voices; null turns voice_add and saved voices off. metrics (not
  // owned) counts requests; null counts nothing.
  Server(boost::asio::io_context& io, const DaemonConfig& config, VoiceRegistry& voices,
         InferenceScheduler& scheduler, VoiceStore* store = nullptr, Metrics* metrics = nullptr);
  ~Server();  // removes the socket file it created

  // Takes the socket systemd passed (LISTEN_FDS), else creates config.socket_path: its directory
  // 0700 if missing, a symlink refused, a stale socket replaced, a live one refused, mode 0600.
  // Errors: kIo with the reason.
  Status Listen();
  // Accepts connections and handles signals: SIGTERM/SIGINT start Shutdown() (a second one ends the
  // drain at once), SIGHUP ReloadLexicon() and RescanVoices().
  void Start();
  // Re-reads config.lexicon_path and installs it; on an error logs it and keeps the old lexicon.
  void ReloadLexicon();
  // Re-scans the voice directories (VoiceRegistry::Rescan) on a thread of its own, logging what
  // changed; a call while one runs makes it scan once more when done.
  void RescanVoices();
  // Stops accepting, refuses new requests, waits up to drain_timeout_s for open ones, then stops io.
  void Shutdown();
  bool socket_activated() const { return socket_activated_; }

  // A connection from inside the daemon, for front ends that speak the native protocol to it (the
  // HTTP API): a Session on one end of a socket pair; the other end is returned. Errors: kIo.
  Result<boost::asio::local::stream_protocol::socket> ConnectInProcess();
  // What a front end serves on: the voices, scheduler, channels, store and limits all share.
  SessionContext* context() { return &context_; }
  // The metrics in Prometheus' text format, with the queue, channels and voices sampled now; "" without
  // metrics.
  std::string MetricsText();
  // front_end (not owned) is driven by Shutdown from now on; it must outlive io.run().
  void AddFrontEnd(FrontEnd* front_end) { front_ends_.push_back(front_end); }

 private:
  void Accept();
  void WaitForStopSignal();
  void WaitForHangup();
  void LogRescan(const RescanReport& report) const;  // on the rescan thread
  void DrainTick();
  size_t OpenRequests();

  boost::asio::io_context& io_;
  const DaemonConfig& config_;
  ChannelHub channels_;
  SessionContext context_;
  UnixListener listener_;
  boost::asio::signal_set signals_;
  boost::asio::signal_set hangup_;  // SIGHUP
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer accept_retry_;  // after a failed accept (no file descriptors left)
  std::chrono::steady_clock::time_point drain_deadline_;
  std::vector<std::weak_ptr<Session>> sessions_;
  std::vector<std::weak_ptr<Session>> accepted_;  // the clients of the socket: max_connections counts them
  std::vector<FrontEnd*> front_ends_;  // not owned
  bool socket_activated_ = false;
  bool flushing_ = false;  // drained; waiting for sessions to write their last frames
  VoiceRegistry& voices_;
  std::thread rescan_thread_;  // RescanVoices' worker; joined by the next one or ~Server
  std::atomic<bool> rescanning_{false};
  std::atomic<bool> rescan_again_{false};
};

}  // namespace ttsd::daemon
