// Client-measured time to first audio and real-time factor against a real ttsd.
//   build/bench/ttfa-bench --spawn build/daemon/ttsd --voices models/fixtures --voice fixture-ar
// Starts its own daemon on a private socket with --spawn (or uses --socket), speaks each text
// --repeat times one request at a time, prints a table and writes JSON (--json FILE).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/daemon-spawn.h"
#include "support/stats.h"
#include "support/timed-request.h"
#include "texts.h"
#include "ttsd/protocol/socket-path.h"

namespace {

using ttsd::client::Connection;
namespace bench = ttsd::bench;
namespace testing = ttsd::testing;

ttsd::Result<bench::TimedRequest> SpeakOnce(Connection& conn, const std::string& voice, const std::string& text) {
  ttsd::protocol::SynthesizeRequest req;
  req.voice = voice;
  req.text = text;
  return bench::SpeakTimed(conn, req);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ttfa-bench: client-measured TTFA and RTF against ttsd"};
  std::string socket, spawn, voices = "models/fixtures", voice, json_path, daemon_args;
  int repeat = 5;
  app.add_option("--socket", socket, "use a running daemon");
  app.add_option("--spawn", spawn, "start this ttsd binary on a private socket");
  app.add_option("--voices", voices, "voices for --spawn")->capture_default_str();
  app.add_option("--daemon-args", daemon_args, "more flags for --spawn, e.g. \"--threads 2\"");
  app.add_option("--voice", voice, "voice to speak with (default: the daemon's)");
  app.add_option("--repeat", repeat, "passes over the text set")->capture_default_str();
  app.add_option("--json", json_path, "write the results here");
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<testing::SpawnedDaemon> daemon;
  if (!spawn.empty()) {
    auto d = testing::SpawnedDaemon::Start({.binary = spawn, .voices = {voices}, .extra_args = testing::SplitArgs(daemon_args)});
    if (!d) {
      std::fprintf(stderr, "ttfa-bench: %s\n", d.error().ToString().c_str());
      return 1;
    }
    daemon = std::move(*d);
    socket = daemon->socket_path();
  }
  if (socket.empty()) socket = ttsd::protocol::ResolveSocketPath("");
  std::unique_ptr<Connection> conn;
  for (int i = 0; i < 600 && !conn; ++i) {
    auto c = Connection::Connect(socket);
    if (c) conn = std::move(*c);
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!conn) {
    std::fprintf(stderr, "ttfa-bench: cannot connect to %s\n", socket.c_str());
    return 1;
  }
  // One untimed request so that nothing measured pays a first-use cost.
  (void)SpeakOnce(*conn, voice, "Warming up.");

  std::vector<bench::TimedRequest> short_runs, long_runs;
  const int total = repeat * static_cast<int>(ttsd::bench::ShortSentences().size() + 1);
  int done = 0;
  for (int r = 0; r < repeat; ++r) {
    for (const auto& text : ttsd::bench::ShortSentences()) {
      auto s = SpeakOnce(*conn, voice, text);
      if (!s) {
        std::fprintf(stderr, "ttfa-bench: %s\n", s.error().ToString().c_str());
        return 1;
      }
      short_runs.push_back(*s);
      std::fprintf(stderr, "\r[%d/%d]", ++done, total);
    }
    auto s = SpeakOnce(*conn, voice, ttsd::bench::LongUnpunctuated());
    if (!s) return 1;
    long_runs.push_back(*s);
    std::fprintf(stderr, "\r[%d/%d]", ++done, total);
  }
  std::fprintf(stderr, "\n");
  if (daemon) daemon->Stop();

  auto summarize = [](const std::vector<bench::TimedRequest>& runs) {
    std::vector<double> ttfa, rtf;
    for (const auto& s : runs) {
      ttfa.push_back(s.ttfa_ms);
      rtf.push_back(s.rtf());
    }
    return nlohmann::json{{"runs", runs.size()},
                          {"ttfa_ms_p50", bench::Quantile(ttfa, 0.5)},
                          {"ttfa_ms_p95", bench::Quantile(ttfa, 0.95)},
                          {"rtf_p50", bench::Quantile(rtf, 0.5)}};
  };
  nlohmann::json out = {{"voice", voice.empty() ? "(default)" : voice},
                        {"daemon_args", daemon_args},
                        {"short_10_words", summarize(short_runs)},
                        {"long_60_words_unpunctuated", summarize(long_runs)}};
  out["long_over_short_ttfa"] =
      out["long_60_words_unpunctuated"]["ttfa_ms_p50"].get<double>() / out["short_10_words"]["ttfa_ms_p50"].get<double>();
  std::printf("| text | runs | TTFA p50 ms | TTFA p95 ms | RTF p50 |\n|---|---|---|---|---|\n");
  for (const char* k : {"short_10_words", "long_60_words_unpunctuated"}) {
    const auto& j = out[k];
    std::printf("| %s | %d | %.1f | %.1f | %.3f |\n", k, j["runs"].get<int>(), j["ttfa_ms_p50"].get<double>(),
                j["ttfa_ms_p95"].get<double>(), j["rtf_p50"].get<double>());
  }
  std::printf("%s\n", out.dump().c_str());
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return 0;
}
