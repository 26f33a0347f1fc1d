// Soak: ttsd under mixed load for a long time, bounded in count and time, loopback only.
//   build/bench/soak-bench --spawn build/daemon/ttsd --minutes 30 --json bench/results/soak-30min.json
//   /usr/bin/python3 bench/plot-soak.py bench/results/soak-30min.json -o bench/results/soak-30min.png
// All at once, for --minutes: --listeners paced listeners (load-driver; they reconnect every window), and a
// churn client that, round after round (--churn-pause-ms apart), feeds a streaming-text request word by word, cancels a long request
// after its first audio, and drops a connection in the middle of a request. Every --window-s it samples
// ttsd's RSS, open descriptors, threads and CPU, and the window's TTFA and errors. Reports RSS drift (least
// squares over the windows after the first, MB per hour), TTFA drift (the last quarter's p50 over the first
// quarter's) and every error.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <numeric>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/daemon-spawn.h"
#include "support/load-driver.h"
#include "support/proc-stats.h"
#include "texts.h"
#include "ttsd/client/connection.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace bench = ttsd::bench;
namespace testing = ttsd::testing;
namespace protocol = ttsd::protocol;
using ttsd::client::Connection;

constexpr const char* kLong =
    "The quick brown fox jumps over the lazy dog while the river keeps running under the old stone bridge. "
    "Every morning the baker opens his shop, and the smell of bread drifts down the narrow street.";

// Counts of the churn client's rounds, read and reset once per window.
struct ChurnCounts {
  std::mutex mu;
  size_t ok = 0;
  std::vector<std::string> errors;
};

// Reads until request id's last audio (true) or its error (false, *code set); other ids are skipped.
bool ReadToEnd(Connection& c, uint32_t id, ttsd::ErrorCode* code, bool stop_at_first_audio = false) {
  for (;;) {
    auto f = c.ReadFrame(std::chrono::seconds(60));
    if (!f) {
      *code = f.error().code;
      return false;
    }
    if (f->header.request_id != id) continue;
    if (f->header.type == protocol::FrameType::kError) {
      auto body = protocol::ParseErrorBody(f->payload);
      *code = body ? body->code : ttsd::ErrorCode::kInternal;
      return false;
    }
    if (f->header.type != protocol::FrameType::kAudio) continue;
    if (stop_at_first_audio || (f->header.flags & protocol::kFlagLast)) return true;
  }
}

// One churn round: streaming text, a cancel, a drop. Each step that goes wrong adds an error.
void ChurnRound(const std::string& socket, int round, ChurnCounts& counts) {
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(counts.mu);
    counts.errors.push_back(what);
  };
  auto conn = Connection::Connect(socket);
  if (!conn) return fail("connect: " + conn.error().ToString());
  Connection& c = **conn;
  ttsd::ErrorCode code{};
  {  // streaming text, a word at a time, as from an LLM
    protocol::SynthesizeRequest r;
    r.text = "Round " + std::to_string(round) + ",";
    r.final = false;
    auto id = c.StartSynthesis(r);
    if (!id) return fail("streaming start: " + id.error().ToString());
    for (const char* word : {" the", " words", " arrive", " one", " at", " a", " time."}) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      if (auto s = c.AppendText(*id, word, false); !s) return fail("append: " + s.error().ToString());
    }
    if (auto s = c.AppendText(*id, "", true); !s) return fail("close: " + s.error().ToString());
    if (!ReadToEnd(c, *id, &code)) return fail("streaming request ended with " + std::string(ttsd::ErrorCodeName(code)));
  }
  {  // a long request cancelled after its first audio
    protocol::SynthesizeRequest r;
    r.text = kLong;
    auto id = c.StartSynthesis(r);
    if (!id) return fail("cancel start: " + id.error().ToString());
    if (!ReadToEnd(c, *id, &code, true)) return fail("no first audio: " + std::string(ttsd::ErrorCodeName(code)));
    if (auto s = c.Cancel(*id); !s) return fail("cancel: " + s.error().ToString());
    if (ReadToEnd(c, *id, &code) || code != ttsd::ErrorCode::kCancelled) {
      return fail("cancelled request ended with " + std::string(ttsd::ErrorCodeName(code)));
    }
  }
  {  // a connection dropped in the middle of a request
    auto drop = Connection::Connect(socket);
    if (!drop) return fail("connect: " + drop.error().ToString());
    protocol::SynthesizeRequest r;
    r.text = kLong;
    auto id = (*drop)->StartSynthesis(r);
    if (!id) return fail("drop start: " + id.error().ToString());
    if (!ReadToEnd(**drop, *id, &code, true)) return fail("no first audio: " + std::string(ttsd::ErrorCodeName(code)));
  }  // closed here, mid-request
  std::lock_guard lock(counts.mu);
  counts.ok++;
}

// Least-squares slope of y over x.
double Slope(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  if (x.size() < 2) return 0;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  const double d = n * sxx - sx * sx;
  return d != 0 ? (n * sxy - sx * sy) / d : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"soak-bench: ttsd under mixed load for a long time — RSS, descriptors, latency drift, errors"};
  std::string spawn, voices = "models/voices", voice = "ttsd-en", json_path;
  std::vector<std::string> daemon_args;
  double minutes = 30, window_s = 60;
  int listeners = 4, churn_pause_ms = 250;
  app.add_option("--spawn", spawn, "the ttsd binary (started on a private socket)")->required();
  app.add_option("--voices", voices, "voice packages")->capture_default_str();
  app.add_option("--voice", voice, "voice the listeners speak with")->capture_default_str();
  app.add_option("--daemon-arg", daemon_args, "one more flag for ttsd (repeat)")->allow_extra_args(false);
  app.add_option("--minutes", minutes, "how long")->capture_default_str()->check(CLI::Range(0.1, 24 * 60.0));
  app.add_option("--window-s", window_s, "one sample every this many seconds")->capture_default_str()->check(
      CLI::Range(5.0, 3600.0));
  app.add_option("--listeners", listeners, "paced listeners")->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--churn-pause-ms", churn_pause_ms, "pause between churn rounds")->capture_default_str()->check(
      CLI::Range(0, 60000));
  app.add_option("--json", json_path, "write the results here");
  CLI11_PARSE(app, argc, argv);

  auto d = testing::SpawnedDaemon::Start({.binary = spawn, .voices = {voices}, .extra_args = daemon_args});
  if (!d) {
    std::fprintf(stderr, "soak-bench: %s\n", d.error().ToString().c_str());
    return 1;
  }
  const pid_t pid = (*d)->pid();
  const int windows = std::max(1, static_cast<int>(minutes * 60 / window_s + 0.5));
  std::fprintf(stderr, "soak-bench: %d windows of %.0f s, %d listeners + churn, load average %s\n", windows, window_s,
               listeners, testing::LoadAverage().c_str());

  ChurnCounts churn;
  std::atomic<bool> stop{false};
  std::jthread churner([&] {
    for (int round = 0; !stop.load(); ++round) {
      ChurnRound((*d)->socket_path(), round, churn);
      std::this_thread::sleep_for(std::chrono::milliseconds(churn_pause_ms));
    }
  });

  json out = {{"bench", "soak-bench"},
              {"command", std::vector<std::string>(argv, argv + argc)},
              {"daemon_command", (*d)->command()},
              {"listeners", listeners},
              {"churn_pause_ms", churn_pause_ms},
              {"window_s", window_s},
              {"machine", {{"cpus", std::thread::hardware_concurrency()}, {"loadavg_start", testing::LoadAverage()},
                           {"blas", testing::ActiveBlas()}}},
              {"windows", json::array()}};
  const auto start = Clock::now();
  std::vector<double> t_h, rss_mb, ttfa_p50;
  size_t errors = 0, requests = 0, churn_rounds = 0;
  std::vector<std::string> error_samples;
  for (int w = 0; w < windows; ++w) {
    const double cpu0 = testing::ProcessCpuSeconds(pid);
    bench::LoadOptions o{.socket_path = (*d)->socket_path(), .voice = voice, .streams = listeners,
                         .duration_s = window_s, .texts = bench::ShortSentences(), .progress = false};
    auto r = bench::RunLoad(o);
    const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
    if (!r || !(*d)->Running()) {
      std::fprintf(stderr, "\nsoak-bench: %s\nttsd log:\n%s\n", r ? "ttsd exited" : r.error().ToString().c_str(),
                   (*d)->Log().c_str());
      stop = true;
      return 1;
    }
    size_t churn_ok = 0;
    std::vector<std::string> churn_errors;
    {
      std::lock_guard lock(churn.mu);
      churn_ok = std::exchange(churn.ok, 0);
      churn_errors = std::exchange(churn.errors, {});
    }
    const long rss_kb = testing::ProcessRssKb(pid);
    json win = {{"t_s", wall_s},
                {"rss_mb", static_cast<double>(rss_kb) / 1024},
                {"fds", testing::ProcessOpenFds(pid)},
                {"threads", testing::ProcessThreads(pid)},
                {"daemon_cpu_pct", 100 * (testing::ProcessCpuSeconds(pid) - cpu0) / r->wall_s},
                {"requests", r->requests},
                {"errors", r->errors + churn_errors.size()},
                {"underruns", r->underruns},
                {"ttfa_ms", r->ttfa_ms.ToJson()},
                {"churn_rounds", churn_ok}};
    out["windows"].push_back(win);
    errors += r->errors + churn_errors.size();
    requests += r->requests;
    churn_rounds += churn_ok;
    for (const auto* list : {&r->error_messages, &churn_errors}) {
      for (const auto& e : *list) {
        if (error_samples.size() < 20) error_samples.push_back(e);
      }
    }
    if (w > 0) {  // the first window holds the warm-up of allocators and caches
      t_h.push_back(wall_s / 3600);
      rss_mb.push_back(static_cast<double>(rss_kb) / 1024);
    }
    ttfa_p50.push_back(r->ttfa_ms.p50);
    std::fprintf(stderr, "  %5.1f/%.1f min: RSS %.1f MB, fds %d, threads %d, TTFA p50 %.1f ms p95 %.1f ms, "
                 "%zu requests, %zu churn rounds, %zu errors\n",
                 wall_s / 60, minutes, win["rss_mb"].get<double>(), win["fds"].get<int>(), win["threads"].get<int>(),
                 r->ttfa_ms.p50, r->ttfa_ms.p95, r->requests, churn_ok, win["errors"].get<size_t>());
  }
  stop = true;
  churner.join();
  const size_t quarter = std::max<size_t>(1, ttfa_p50.size() / 4);
  auto mean = [](auto b, auto e) { return e > b ? std::accumulate(b, e, 0.0) / static_cast<double>(e - b) : 0; };
  const double first_q = mean(ttfa_p50.begin(), ttfa_p50.begin() + static_cast<std::ptrdiff_t>(quarter));
  const double last_q = mean(ttfa_p50.end() - static_cast<std::ptrdiff_t>(quarter), ttfa_p50.end());
  const auto& ws = out["windows"];
  out["summary"] = {{"minutes", std::chrono::duration<double>(Clock::now() - start).count() / 60},
                    {"requests", requests},
                    {"churn_rounds", churn_rounds},
                    {"errors", errors},
                    {"error_samples", error_samples},
                    {"rss_first_mb", ws.front()["rss_mb"]},
                    {"rss_last_mb", ws.back()["rss_mb"]},
                    {"rss_slope_mb_per_h", Slope(t_h, rss_mb)},
                    {"fds_first", ws.front()["fds"]},
                    {"fds_last", ws.back()["fds"]},
                    {"threads_first", ws.front()["threads"]},
                    {"threads_last", ws.back()["threads"]},
                    {"ttfa_p50_first_quarter_ms", first_q},
                    {"ttfa_p50_last_quarter_ms", last_q},
                    {"ttfa_drift_ratio", first_q > 0 ? last_q / first_q : 0}};
  const int stop_status = (*d)->Stop();
  out["summary"]["clean_exit"] = stop_status == 0;
  const json& s = out["summary"];
  std::printf("\n| figure | value |\n|---|---|\n");
  std::printf("| duration | %.1f min |\n| requests (listeners) | %zu |\n| churn rounds (stream, cancel, drop) | %zu |\n",
              s["minutes"].get<double>(), requests, churn_rounds);
  std::printf("| errors | %zu |\n| RSS first / last window | %.1f / %.1f MB |\n| RSS drift | %+.2f MB/h |\n", errors,
              s["rss_first_mb"].get<double>(), s["rss_last_mb"].get<double>(), s["rss_slope_mb_per_h"].get<double>());
  std::printf("| descriptors first / last | %d / %d |\n| threads first / last | %d / %d |\n",
              s["fds_first"].get<int>(), s["fds_last"].get<int>(), s["threads_first"].get<int>(),
              s["threads_last"].get<int>());
  std::printf("| TTFA p50 first / last quarter | %.1f / %.1f ms (x%.2f) |\n| clean exit on SIGTERM | %s |\n", first_q,
              last_q, s["ttfa_drift_ratio"].get<double>(), stop_status == 0 ? "yes" : "no");
  for (const auto& e : error_samples) std::printf("error: %s\n", e.c_str());
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return errors == 0 && stop_status == 0 ? 0 : 1;
}
