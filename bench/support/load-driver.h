// Benchmark support: N concurrent clients against a running ttsd, each on its own connection and thread,
// speaking sentences from a fixed set one after another until the duration is over; requests in flight then
// finish. Paced (the default), each client is a listener: its next request goes when the previous one's
// audio has finished playing (playback starting at the first audio frame). Unpaced, it goes as soon as the
// last audio arrived, which saturates the daemon and measures throughput rather than listeners.
//   LoadOptions o{.socket_path = d->socket_path(), .voice = "ttsd-en", .streams = 8, .texts = texts};
//   auto r = RunLoad(o);  // Result<LoadResult>; r->ToJson()
// Thread-safety: RunLoad blocks the calling thread and runs streams + 1 threads of its own.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats.h"
#include "ttsd/protocol/error.h"

namespace ttsd::bench {

struct LoadOptions {
  std::string socket_path;
  std::string voice;  // empty: the daemon's default
  int streams = 1;
  double duration_s = 20;
  std::vector<std::string> texts;  // stream i starts at texts[i % size] and walks the list
  pid_t daemon_pid = -1;           // its CPU and RSS are measured when > 0
  double jitter_ms = 0;            // a chunk later than playback by more than this is an underrun
  bool paced = true;               // wait for playback to end before the next request
  double start_spread_s = 3;       // streams start at random times (fixed seed) within this; 0: all at once
  bool progress = true;            // a progress line on stderr every second
};

struct LoadResult {
  int streams = 0;
  double wall_s = 0;        // from the common start to the last request's end
  size_t requests = 0;      // completed requests
  size_t errors = 0;        // failed requests (first messages in error_messages)
  Summary ttfa_ms;          // client-measured: synthesize sent -> first audio frame with samples
  Summary rtf;              // per request: wall time over audio duration
  Summary lateness_ms;      // per request: TimedRequest::max_lateness_ms
  size_t underruns = 0;     // requests whose lateness exceeded jitter_ms
  double audio_s = 0;       // audio received by all streams
  double audio_s_per_s() const { return wall_s > 0 ? audio_s / wall_s : 0; }  // throughput
  double daemon_cpu_pct = -1;    // daemon utime + stime over wall_s, 100 = one core
  double daemon_rss_mb_peak = -1;  // highest VmRSS sampled (every 100 ms)
  double client_cpu_pct = 0;     // this bench process over wall_s
  double machine_cpu_pct = 0;    // all cores busy over wall_s, 100 = one core (other work on the machine shows here)
  std::vector<std::string> error_messages;

  double underrun_fraction() const { return requests ? static_cast<double>(underruns) / requests : 0; }
  nlohmann::json ToJson() const;
};

// Errors: kIo when a stream cannot connect or its untimed warm-up request fails.
Result<LoadResult> RunLoad(const LoadOptions& options);

}  // namespace ttsd::bench
