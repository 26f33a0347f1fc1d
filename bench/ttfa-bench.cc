// Client-measured time to first audio and real-time factor against a real ttsd.
//   build/bench/ttfa-bench --spawn build/daemon/ttsd --voices models/fixtures --voice fixture-ar
// Starts its own daemon on a private socket with --spawn (or uses --socket), speaks each text
// --repeat times one request at a time, prints a table and writes JSON (--json FILE).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "texts.h"
#include "ttsd/client/connection.h"
#include "ttsd/protocol/socket-path.h"

namespace {

using Clock = std::chrono::steady_clock;
using ttsd::client::Connection;

struct Sample {
  double ttfa_ms = 0, wall_s = 0, audio_s = 0;
};

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1) + 0.5)];
}

ttsd::Result<Sample> SpeakOnce(Connection& conn, const std::string& voice, const std::string& text) {
  ttsd::protocol::SynthesizeRequest req;
  req.voice = voice;
  req.text = text;
  const auto start = Clock::now();
  auto id = conn.StartSynthesis(req);
  if (!id) return std::unexpected(id.error());
  Sample s;
  uint64_t samples = 0;
  uint32_t rate = 0;
  for (;;) {
    auto f = conn.ReadFrame(std::chrono::seconds(60));
    if (!f) return std::unexpected(f.error());
    if (f->header.request_id != *id) continue;
    if (f->header.type == ttsd::protocol::FrameType::kError) {
      auto body = ttsd::protocol::ParseErrorBody(f->payload);
      return ttsd::MakeError(body ? body->code : ttsd::ErrorCode::kInternal, body ? body->message : "bad error");
    }
    if (f->header.type != ttsd::protocol::FrameType::kAudio) continue;
    std::span<const uint8_t> pcm;
    auto h = ttsd::protocol::ParseAudioHeader(f->payload, &pcm);
    if (!h) return std::unexpected(h.error());
    rate = h->sample_rate;
    const size_t n = pcm.size() / ttsd::protocol::BytesPerSample(h->sample_format);
    if (n > 0 && samples == 0) s.ttfa_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    samples += n;
    if (f->header.flags & ttsd::protocol::kFlagLast) break;
  }
  s.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  s.audio_s = rate ? static_cast<double>(samples) / rate : 0;
  return s;
}

pid_t Spawn(const std::string& ttsd, const std::string& voices, const std::string& socket, const std::string& extra) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<std::string> args = {ttsd, "--socket", socket, "--voices", voices, "--log-level", "warn"};
    std::istringstream in(extra);
    for (std::string a; in >> a;) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
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

  pid_t child = -1;
  if (!spawn.empty()) {
    socket = std::filesystem::temp_directory_path() / ("ttfa-bench-" + std::to_string(getpid()) + ".sock");
    child = Spawn(spawn, voices, socket, daemon_args);
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

  std::vector<Sample> short_runs, long_runs;
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
  if (child > 0) {
    kill(child, SIGTERM);
    waitpid(child, nullptr, 0);
  }

  auto summarize = [](const std::vector<Sample>& runs) {
    std::vector<double> ttfa, rtf;
    for (const auto& s : runs) {
      ttfa.push_back(s.ttfa_ms);
      rtf.push_back(s.wall_s / s.audio_s);
    }
    return nlohmann::json{{"runs", runs.size()},
                          {"ttfa_ms_p50", Quantile(ttfa, 0.5)},
                          {"ttfa_ms_p95", Quantile(ttfa, 0.95)},
                          {"rtf_p50", Quantile(rtf, 0.5)}};
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
