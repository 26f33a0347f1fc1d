// Test and benchmark support: runs the real ttsd on a private socket (and a private saved-voice store), waits
// until it accepts connections, and stops it with SIGTERM. Every test (DaemonProcess, daemon-process.h) and
// every bench that drives a daemon it starts uses this one spawner.
//   auto d = SpawnedDaemon::Start({.binary = "build/daemon/ttsd", .voices = {"models/voices"}});
//   Connection::Connect((*d)->socket_path()); ... (*d)->pid() for /proc; (*d)->Stop();
// Thread-safety: the owner thread starts and stops it; pid() and the paths may be read from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::testing {

struct SpawnOptions {
  std::string binary;                   // the ttsd executable
  std::vector<std::string> voices;      // each passed as --voices
  std::vector<std::string> extra_args;  // more ttsd flags, as given (e.g. "--max-batch", "1")
  std::string log_level = "warn";       // --log-level, unless extra_args has one
  // The daemon's stderr goes to log_path() (a file in its private directory), which WaitForLog reads.
  std::chrono::milliseconds ready_timeout{60'000};
  bool wait_ready = true;               // false: Start returns once forked; WaitReady() waits later
  std::string socket_path = {};         // empty: ttsd.sock in the private directory
  std::vector<std::string> wrapper = {};  // a command put in front, e.g. {"systemd-socket-activate", "-l", PATH}
};

class SpawnedDaemon {
 public:
  // Forks and execs ttsd with --socket DIR/ttsd.sock, --voices, --log-level, --voice-store DIR/saved-voices and
  // --http off (each only when extra_args does not set it), then waits until the socket accepts a connection
  // (unless !wait_ready). The daemon gets SIGTERM if the thread that started it dies first.
  // Errors: kIo (mkdtemp or fork failed, the daemon exited or never listened within ready_timeout; the message
  // holds the log's tail).
  static Result<std::unique_ptr<SpawnedDaemon>> Start(const SpawnOptions& options);
  ~SpawnedDaemon();  // Stop(), then removes its directory

  SpawnedDaemon(const SpawnedDaemon&) = delete;
  SpawnedDaemon& operator=(const SpawnedDaemon&) = delete;

  // Waits until the socket accepts a connection. Errors: kIo (exited, or not within timeout; with the log's tail).
  Status WaitReady(std::chrono::milliseconds timeout);

  pid_t pid() const { return pid_; }  // -1 once stopped
  int exit_status() const { return status_; }  // the wait status once exited; -1 before, or when killed
  const std::string& dir() const { return dir_; }  // the private directory, removed at destruction
  const std::string& socket_path() const { return socket_path_; }
  const std::string& log_path() const { return log_path_; }
  const std::vector<std::string>& command() const { return command_; }  // the argv it ran
  std::string Log() const;
  bool Running();  // false once the process has exited (reaps it)

  // Waits for a line of the log that matches the ECMAScript regex pattern and returns its group 1 (or the
  // whole match when it has no group). Empty on timeout or when the daemon exits.
  std::string WaitForLog(const std::string& pattern, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // SIGTERM, then SIGKILL after timeout. Returns the wait status, or -1 when it had to be killed.
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  SpawnedDaemon() = default;
  std::string dir_, socket_path_, log_path_, binary_;
  std::vector<std::string> command_;
  pid_t pid_ = -1;
  int status_ = -1;
};

// Connects to a Unix stream socket; true when something listens there.
bool SocketAccepts(const std::string& path);

// Splits "--threads 2 --workers 1" at whitespace (for the older --daemon-args "..." form).
std::vector<std::string> SplitArgs(const std::string& text);

}  // namespace ttsd::testing
