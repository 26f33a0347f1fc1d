#include "load-driver.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "support/proc-stats.h"
#include "timed-request.h"
#include "ttsd/client/connection.h"

namespace ttsd::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct StreamLog {
  std::vector<TimedRequest> requests;
  std::vector<std::string> errors;
  std::string setup_error;  // connect or warm-up failed
};

protocol::SynthesizeRequest Request(const std::string& voice, const std::string& text) {
  protocol::SynthesizeRequest r;
  r.voice = voice;
  r.text = text;
  return r;
}

// One client: connect, one untimed request, wait for the others, then closed loop until the deadline.
void RunStream(const LoadOptions& o, int index, std::latch& ready, std::latch& go,
               const std::optional<Clock::time_point>& deadline, std::atomic<size_t>& done, StreamLog& log) {
  std::unique_ptr<client::Connection> conn;
  if (auto c = client::Connection::Connect(o.socket_path); c) {
    conn = std::move(*c);
    if (auto w = SpeakTimed(*conn, Request(o.voice, o.texts[static_cast<size_t>(index) % o.texts.size()])); !w) {
      log.setup_error = "warm-up: " + w.error().ToString();
    }
  } else {
    log.setup_error = "connect: " + c.error().ToString();
  }
  ready.count_down();
  go.wait();  // the main thread sets the deadline before it opens go
  if (!log.setup_error.empty()) return;
  if (o.start_spread_s > 0) {  // independent listeners do not start in step
    std::mt19937 rng(static_cast<uint32_t>(index) + 1);
    std::this_thread::sleep_for(std::chrono::duration<double>(
        std::uniform_real_distribution<double>(0, o.start_spread_s)(rng)));
  }
  for (size_t k = static_cast<size_t>(index); Clock::now() < *deadline; ++k) {
    const auto sent = Clock::now();
    auto r = SpeakTimed(*conn, Request(o.voice, o.texts[k % o.texts.size()]));
    if (!r) {
      log.errors.push_back(r.error().ToString());
      if (r.error().code == ErrorCode::kIo || r.error().code == ErrorCode::kTimeout) return;  // connection gone
      continue;
    }
    if (o.paced) {  // playback began at the first audio and stalled whenever a chunk came late
      const double played_s = r->ttfa_ms / 1e3 + r->audio_s() + std::max(0.0, r->max_lateness_ms()) / 1e3;
      std::this_thread::sleep_until(sent + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(played_s)));
    }
    log.requests.push_back(std::move(*r));
    done.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

nlohmann::json LoadResult::ToJson() const {
  return {{"streams", streams},
          {"wall_s", wall_s},
          {"requests", requests},
          {"errors", errors},
          {"error_messages", error_messages},
          {"ttfa_ms", ttfa_ms.ToJson()},
          {"rtf", rtf.ToJson()},
          {"lateness_ms", lateness_ms.ToJson()},
          {"underruns", underruns},
          {"underrun_fraction", underrun_fraction()},
          {"audio_s", audio_s},
          {"audio_s_per_s", audio_s_per_s()},
          {"daemon_cpu_pct", daemon_cpu_pct},
          {"daemon_rss_mb_peak", daemon_rss_mb_peak},
          {"client_cpu_pct", client_cpu_pct},
          {"machine_cpu_pct", machine_cpu_pct}};
}

Result<LoadResult> RunLoad(const LoadOptions& o) {
  if (o.streams < 1 || o.texts.empty()) return MakeError(ErrorCode::kBadRequest, "need streams >= 1 and texts");
  std::latch ready(o.streams), go(1);
  std::optional<Clock::time_point> deadline;
  std::atomic<size_t> done{0};
  std::vector<StreamLog> logs(static_cast<size_t>(o.streams));
  std::vector<std::jthread> threads;
  for (int i = 0; i < o.streams; ++i) {
    threads.emplace_back([&, i] { RunStream(o, i, ready, go, deadline, done, logs[static_cast<size_t>(i)]); });
  }
  // Measurement starts when every stream is connected and warm.
  ready.wait();
  std::unique_ptr<testing::RssSampler> rss;
  if (o.daemon_pid > 0) rss = std::make_unique<testing::RssSampler>(o.daemon_pid);
  const auto start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  const double daemon_cpu0 = o.daemon_pid > 0 ? testing::ProcessCpuSeconds(o.daemon_pid) : 0;
  const double self_cpu0 = testing::SelfCpuSeconds();
  const testing::MachineCpu machine0 = testing::ReadMachineCpu();
  go.count_down();
  for (;;) {
    if (Clock::now() >= *deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(o.progress ? 1000 : 100));
    if (o.progress) {
      std::fprintf(stderr, "\r  %d streams: %4.0f/%.0f s, %zu requests ", o.streams,
                   std::chrono::duration<double>(Clock::now() - start).count(), o.duration_s, done.load());
    }
  }
  for (auto& t : threads) t.join();
  LoadResult r;
  r.streams = o.streams;
  r.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (o.progress) std::fprintf(stderr, "\r  %d streams: %.1f s, %zu requests\n", o.streams, r.wall_s, done.load());
  if (o.daemon_pid > 0) {
    r.daemon_cpu_pct = 100 * (testing::ProcessCpuSeconds(o.daemon_pid) - daemon_cpu0) / r.wall_s;
    r.daemon_rss_mb_peak = static_cast<double>(rss->peak_kb()) / 1024;
  }
  r.client_cpu_pct = 100 * (testing::SelfCpuSeconds() - self_cpu0) / r.wall_s;
  const testing::MachineCpu machine1 = testing::ReadMachineCpu();
  r.machine_cpu_pct = 100 * (machine1.busy_s - machine0.busy_s) / r.wall_s;

  std::vector<double> ttfa, rtf, lateness;
  for (const auto& log : logs) {
    if (!log.setup_error.empty()) return MakeError(ErrorCode::kIo, log.setup_error);
    r.errors += log.errors.size();
    for (const auto& e : log.errors) {
      if (r.error_messages.size() < 5) r.error_messages.push_back(e);
    }
    for (const auto& q : log.requests) {
      ttfa.push_back(q.ttfa_ms);
      rtf.push_back(q.rtf());
      lateness.push_back(q.max_lateness_ms());
      if (lateness.back() > o.jitter_ms) ++r.underruns;
      r.audio_s += q.audio_s();
    }
  }
  r.requests = ttfa.size();
  r.ttfa_ms = Summarize(ttfa);
  r.rtf = Summarize(rtf);
  r.lateness_ms = Summarize(lateness);
  return r;
}

}  // namespace ttsd::bench
