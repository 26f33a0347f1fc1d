// Concurrent load: N clients speaking at once against a real ttsd, for each N of a sweep.
//   build/bench/load-bench --spawn build/daemon/ttsd --voices models/voices --voice ttsd-en
//       --streams 1,2,4,8,12,16 --duration-s 20 --json bench/results/load-ttsd-en.json
// For each N: N connections, each speaking the ten-word sentences of texts.h one after another for
// --duration-s, as listeners (the next request when the last one's audio has played; --unpaced: at once).
// Reports client-measured TTFA p50/p95/p99, per-request RTF, the requests whose playback would have run dry
// (underruns), the audio delivered per second, daemon CPU and peak RSS; the largest N that stays real time;
// the engine's own compute for the first audio in this process (so daemon overhead = TTFA p50 at N=1 minus
// it); flite and festival whole-file times on the same sentences. --daemon-arg passes flags to the spawned ttsd.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/daemon-spawn.h"
#include "support/engine-timing.h"
#include "support/load-driver.h"
#include "support/proc-stats.h"
#include "support/reference-tts.h"
#include "texts.h"

namespace {

using nlohmann::json;
namespace bench = ttsd::bench;
namespace testing = ttsd::testing;

struct Args {
  std::string spawn, socket, voices = "models/voices", voice = "ttsd-en", json_path, label;
  std::vector<std::string> daemon_args;
  std::vector<int> streams = {1, 2, 4, 8, 12, 16};
  double duration_s = 20, jitter_ms = 0, realtime_max_pct = 1, start_spread_s = 3;
  int pid = -1, compute_repeats = 5, reference_repeats = 3;
  bool no_compute = false, no_references = false, unpaced = false;
};

// Largest N such that it and every smaller N of the sweep had at most max_pct % underrunning requests (and no
// errors); 0 when even the smallest failed.
int MaxRealtimeStreams(const std::vector<bench::LoadResult>& levels, double max_pct) {
  int best = 0;
  for (const auto& l : levels) {
    if (l.errors > 0 || l.requests == 0 || 100 * l.underrun_fraction() > max_pct) break;
    best = l.streams;
  }
  return best;
}

void PrintTable(const json& out) {
  std::printf("\n| N | requests | TTFA p50 ms | p95 ms | p99 ms | RTF p50 | RTF p95 | underrun %% | audio s/s | "
              "daemon CPU %% | RSS MB | machine CPU %% |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& l : out["levels"]) {
    std::printf("| %d | %zu | %.1f | %.1f | %.1f | %.3f | %.3f | %.1f | %.1f | %.0f | %.0f | %.0f |\n", l["streams"].get<int>(),
                l["requests"].get<size_t>(), l["ttfa_ms"]["p50"].get<double>(), l["ttfa_ms"]["p95"].get<double>(),
                l["ttfa_ms"]["p99"].get<double>(), l["rtf"]["p50"].get<double>(), l["rtf"]["p95"].get<double>(),
                100 * l["underrun_fraction"].get<double>(), l["audio_s_per_s"].get<double>(), l["daemon_cpu_pct"].get<double>(),
                l["daemon_rss_mb_peak"].get<double>(), l["machine_cpu_pct"].get<double>());
  }
  if (out.contains("references")) {
    std::printf("\n| reference (whole file, own process) | runs | wall p50 ms | wall p95 ms | RTF p50 |\n|---|---|---|---|---|\n");
    for (const auto& [name, r] : out["references"].items()) {
      std::printf("| %s | %zu | %.1f | %.1f | %.3f |\n", name.c_str(), r["wall_ms"]["count"].get<size_t>(),
                  r["wall_ms"]["p50"].get<double>(), r["wall_ms"]["p95"].get<double>(), r["rtf"]["p50"].get<double>());
    }
  }
  if (out.contains("compute")) {
    const auto& c = out["compute"];
    std::printf("\nengine in-process, first audio (Start + first Next) p50 %.2f ms; later chunk (%.0f ms of audio) p50 "
                "%.2f ms; RTF p50 %.4f\n", c["first_audio_ms"]["p50"].get<double>(),
                c["later_chunk_audio_ms"].get<double>(), c["later_next_ms"]["p50"].get<double>(),
                c["rtf"]["p50"].get<double>());
  }
  if (out.contains("daemon_overhead_ms")) {
    std::printf("daemon overhead (TTFA p50 at N=1 minus in-process first audio p50): %.2f ms\n",
                out["daemon_overhead_ms"].get<double>());
  }
  if (!out["paced"].get<bool>()) return;  // saturation: the audio s/s column is the figure
  std::printf("max real-time streams: %d (underruns <= %.0f %%), %d (none)\n", out["max_realtime_streams"].get<int>(),
              out["realtime_rule"]["max_underrun_pct"].get<double>(), out["max_realtime_streams_strict"].get<int>());
  if (!out.contains("targets")) return;
  for (const auto& [name, t] : out["targets"].items()) {
    std::printf("target %s: %s (%s)\n", name.c_str(), t["met"].get<bool>() ? "met" : "MISSED",
                t["measured"].dump().c_str());
  }
}

// The targets, from the figures in out.
json Targets(const json& out) {
  json t = json::object();
  auto level = [&](int n) -> const json* {
    for (const auto& l : out["levels"]) {
      if (l["streams"].get<int>() == n) return &l;
    }
    return nullptr;
  };
  if (const json* l = level(1)) {
    const double v = (*l)["ttfa_ms"]["p50"].get<double>();
    t["ttfa_p50_1_stream_le_30ms"] = {{"measured", v}, {"met", v <= 30}};
  }
  if (const json* l = level(8)) {
    const double v = (*l)["ttfa_ms"]["p95"].get<double>();
    t["ttfa_p95_8_streams_le_60ms"] = {{"measured", v}, {"met", v <= 60}};
  }
  const int rt = out["max_realtime_streams"].get<int>();
  t["realtime_streams_ge_8"] = {{"measured", rt}, {"met", rt >= 8}};
  if (out.contains("daemon_overhead_ms")) {
    const double v = out["daemon_overhead_ms"].get<double>();
    t["daemon_overhead_le_2ms"] = {{"measured", v}, {"met", v <= 2}};
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"load-bench: N concurrent streams against ttsd — TTFA, RTF, real-time streams, daemon CPU and RSS"};
  Args a;
  app.add_option("--spawn", a.spawn, "start this ttsd binary on a private socket");
  app.add_option("--socket", a.socket, "use a running daemon instead");
  app.add_option("--pid", a.pid, "the running daemon's pid, for CPU and RSS (with --socket)");
  app.add_option("--voices", a.voices, "voices for --spawn and the in-process engine timing")->capture_default_str();
  app.add_option("--voice", a.voice, "voice to speak with")->capture_default_str();
  app.add_option("--daemon-arg", a.daemon_args, "one more flag for the spawned ttsd (repeat; --daemon-arg=--max-batch)")
      ->allow_extra_args(false);
  app.add_option("--streams", a.streams, "concurrent streams to sweep")->delimiter(',')->capture_default_str();
  app.add_option("--duration-s", a.duration_s, "seconds of closed-loop load per N")->capture_default_str();
  app.add_option("--jitter-ms", a.jitter_ms, "a chunk later than playback by more than this underruns")->capture_default_str();
  app.add_option("--realtime-max-pct", a.realtime_max_pct, "underrunning requests (%) a real-time N may have")
      ->capture_default_str();
  app.add_option("--compute-repeats", a.compute_repeats, "passes of the in-process engine timing")->capture_default_str();
  app.add_option("--reference-repeats", a.reference_repeats, "passes of flite and festival")->capture_default_str();
  app.add_option("--start-spread-s", a.start_spread_s,
                 "streams start at random times (fixed seed) within this many seconds; 0: all at once")
      ->capture_default_str();
  app.add_flag("--unpaced", a.unpaced,
               "send each stream's next request as soon as the last audio arrived (saturation: throughput, not "
               "listeners)");
  app.add_flag("--no-compute", a.no_compute, "skip the in-process engine timing");
  app.add_flag("--no-references", a.no_references, "skip flite and festival");
  app.add_option("--label", a.label, "series name in the JSON and the plot (default: the daemon args)");
  app.add_option("--json", a.json_path, "write the results here");
  CLI11_PARSE(app, argc, argv);
  if (a.spawn.empty() == a.socket.empty()) {
    std::fprintf(stderr, "load-bench: give --spawn TTSD or --socket PATH\n");
    return 2;
  }
  std::vector<std::string> command_line(argv, argv + argc);
  std::string joined_args;
  for (const auto& d : a.daemon_args) joined_args += (joined_args.empty() ? "" : " ") + d;
  json out = {{"bench", "load-bench"},
              {"command", command_line},
              {"label", a.label.empty() ? (joined_args.empty() ? "default" : joined_args) : a.label},
              {"voice", a.voice},
              {"daemon_args", a.daemon_args},
              {"duration_s", a.duration_s},
              {"texts", "bench/texts.h ShortSentences (8 ten-word sentences)"},
              {"paced", !a.unpaced},
              {"start_spread_s", a.start_spread_s},
              {"realtime_rule", {{"jitter_ms", a.jitter_ms}, {"max_underrun_pct", a.realtime_max_pct}}},
              {"machine", {{"cpus", std::thread::hardware_concurrency()}, {"loadavg_start", testing::LoadAverage()},
                           {"blas", testing::ActiveBlas()}}}};
  std::fprintf(stderr, "load-bench: BLAS %s, load average %s\n", testing::ActiveBlas().c_str(), testing::LoadAverage().c_str());
  const auto& texts = bench::ShortSentences();

  if (!a.no_references) {
    for (const auto& cmd : {bench::FliteCommand(), bench::FestivalCommand()}) {
      std::fprintf(stderr, "load-bench: %s on %zu sentences x %d\n", cmd.name.c_str(), texts.size(), a.reference_repeats);
      auto r = bench::TimeReference(cmd, texts, a.reference_repeats);
      if (!r) std::fprintf(stderr, "load-bench: %s skipped: %s\n", cmd.name.c_str(), r.error().ToString().c_str());
      else out["references"][cmd.name] = r->ToJson();
    }
  }

  std::unique_ptr<testing::SpawnedDaemon> daemon;
  testing::SpawnOptions spawn{.binary = a.spawn, .voices = {a.voices}, .extra_args = a.daemon_args};
  if (!a.no_compute) {
    // The daemon's own engine settings (threads, chunk sizes), so that both compute the same thing.
    ttsd::engine::EngineConfig config;
    if (!a.spawn.empty()) {
      std::vector<std::string> cmd = {a.spawn, "--voices", a.voices, "--http", "off"};
      cmd.insert(cmd.end(), a.daemon_args.begin(), a.daemon_args.end());
      auto c = bench::EngineConfigOfDaemon(cmd);
      if (!c) {
        std::fprintf(stderr, "load-bench: %s\n", c.error().ToString().c_str());
        return 1;
      }
      config = *c;
    }
    std::fprintf(stderr, "load-bench: engine in process (%s), %zu sentences x %d\n", config.ToString().c_str(),
                 texts.size(), a.compute_repeats);
    // Paced listeners' requests come after their audio has played; the in-process timing waits as long, so
    // that the daemon overhead compares like with like.
    auto t = bench::TimeEngine(bench::VoicePackageDir(a.voices, a.voice), config, texts, a.compute_repeats, !a.unpaced);
    if (!t) {
      std::fprintf(stderr, "load-bench: engine timing: %s\n", t.error().ToString().c_str());
      return 1;
    }
    out["compute"] = t->ToJson();
    out["compute"]["engine_config"] = config.ToString();
    out["compute"]["paced_like_a_listener"] = !a.unpaced;
  }

  pid_t pid = a.pid;
  std::string socket = a.socket;
  if (!a.spawn.empty()) {
    auto d = testing::SpawnedDaemon::Start(spawn);
    if (!d) {
      std::fprintf(stderr, "load-bench: %s\n", d.error().ToString().c_str());
      return 1;
    }
    daemon = std::move(*d);
    pid = daemon->pid();
    socket = daemon->socket_path();
    out["daemon_command"] = daemon->command();
  }

  std::vector<bench::LoadResult> levels;
  for (int n : a.streams) {
    std::fprintf(stderr, "load-bench: %d streams for %.0f s\n", n, a.duration_s);
    bench::LoadOptions o{.socket_path = socket, .voice = a.voice, .streams = n, .duration_s = a.duration_s,
                         .texts = texts, .daemon_pid = pid, .jitter_ms = a.jitter_ms, .paced = !a.unpaced,
                         .start_spread_s = a.start_spread_s};
    auto r = bench::RunLoad(o);
    if (!r) {
      std::fprintf(stderr, "load-bench: %s\n", r.error().ToString().c_str());
      if (daemon) std::fprintf(stderr, "ttsd log:\n%s\n", daemon->Log().c_str());
      return 1;
    }
    levels.push_back(*r);
    out["levels"].push_back(r->ToJson());
    if (daemon && !daemon->Running()) {
      std::fprintf(stderr, "load-bench: ttsd exited; its log:\n%s\n", daemon->Log().c_str());
      return 1;
    }
  }
  if (daemon) daemon->Stop();
  out["max_realtime_streams"] = MaxRealtimeStreams(levels, a.realtime_max_pct);
  out["max_realtime_streams_strict"] = MaxRealtimeStreams(levels, 0);
  if (out.contains("compute") && !levels.empty() && levels.front().streams == 1) {
    out["daemon_overhead_ms"] = levels.front().ttfa_ms.p50 - out["compute"]["first_audio_ms"]["p50"].get<double>();
  }
  if (!a.unpaced) out["targets"] = Targets(out);  // the targets are about listeners
  PrintTable(out);
  if (!a.json_path.empty()) std::ofstream(a.json_path) << out.dump(2) << "\n";
  return 0;
}
