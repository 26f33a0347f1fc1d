// Settings of the ttsd daemon: where to listen, which voices, how many threads, which limits.
// Every field is a command-line flag and a key of the config file ($XDG_CONFIG_HOME/ttsd/ttsd.toml).
//   DaemonConfig c; c.socket_path = "/tmp/t.sock"; if (auto s = c.Validate(); !s) fail(s.error());
//   CLI::App app; c.AddFlags(app);   // every field's flag, the engine's and HTTP's included
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ttsd/daemon/http-config.h"
#include "ttsd/daemon/reference-audio.h"
#include "ttsd/engine/engine-config.h"
#include "ttsd/protocol/error.h"

namespace ttsd::daemon {

struct DaemonConfig {
  static constexpr size_t kMaxChannelQueue = 10000;     // channel_max_queue's largest
  static constexpr double kMaxChannelQueuedS = 86400;   // channel_max_queued_s's largest
  std::string socket_path;                // resolved by protocol::ResolveSocketPath
  std::vector<std::string> voice_dirs;    // each a voice package or a directory of packages
  std::string default_voice;              // empty: the first voice by name
  int inference_workers = 2;              // threads that run model steps
  int max_batch = 8;                      // streams one worker steps at once (1: no batching)
  size_t max_requests_per_client = 16;    // open requests on one connection
  size_t max_requests_total = 256;        // open requests in the daemon
  size_t max_connections = 128;           // native socket connections open at once; Wyoming's counted apart
  size_t max_outbound_bytes = 512 * 1024; // per connection; generation pauses above it
  int idle_timeout_s = 600;               // a connection with no open request and no input is closed
  int drain_timeout_s = 10;               // on SIGTERM, how long in-flight requests may finish
  // Output channels' caps (busy past them): items waiting behind the one playing, and seconds of speech
  // ahead of a new item (estimated for text not yet synthesized: ChannelHub; 0: no cap).
  size_t channel_max_queue = 64;
  double channel_max_queued_s = 300;
  // Each utterance on a channel brought to this loudness (LUFS, EBU R128; true peak under -1 dBTP), so
  // voices and speakers sound equally loud on stream; 0: off.
  double channel_loudness = -16;
  std::string log_level = "info";         // trace, debug, info, warn, error
  std::string lexicon_path;               // user pronunciation lexicon, re-read on SIGHUP; empty: none
  // Wyoming (Home Assistant): tcp://HOST:PORT, unix:///PATH, "on" (tcp://127.0.0.1:10200) or "off".
  std::string wyoming = "off";
  std::string wyoming_socket;             // Wyoming on this Unix socket too; empty: none
  // Voices from reference audio (protocol version 2).
  std::string voice_store;                // saved voices; main fills in $XDG_DATA_HOME/ttsd/voices
  size_t max_reference_bytes = 16 << 20;  // one reference audio file as sent
  double min_reference_s = 3;             // the speaker references of a request together
  double max_reference_s = 15;            // one reference file
  engine::EngineConfig engine;
  HttpConfig http;                        // the HTTP API (OpenAI-compatible speech, control page)

  // Errors: kBadRequest naming the field.
  Status Validate() const;
  ReferenceLimits reference_limits() const;
  std::string ToString() const;
  // Registers the flags (and so the config file keys) of these fields, engine's and http's through their
  // own AddFlags, defaults shown as they are now. socket_path has none (main resolves --socket), and
  // --lexicon's help names no default path (main's to add). The flags point into *this: it must outlive
  // app's parse.
  void AddFlags(CLI::App& app);
};

}  // namespace ttsd::daemon
