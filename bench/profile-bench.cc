// Where the time goes on the hot path of a request, stage by stage:
//   build/bench/profile-bench --spawn build/daemon/ttsd --json bench/results/profile-ttsd-en.json
// In this process, on the daemon's engine settings: Voice::Start, the text frontend, encoder, acoustic and
// vocoder stages (Stream::stage_times), framing (the PCM and the audio frame, built as ttsd builds them) and
// the socket write (each frame written to a Unix socket that a thread drains). With --spawn, ttsd's own
// client-measured TTFA at one stream, so what is left over (the scheduler, thread hand-offs, Asio, the
// client's read) shows too. Reported for the first audio (what TTFA waits for) and for whole requests.
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/daemon-spawn.h"
#include "support/engine-timing.h"
#include "support/proc-stats.h"
#include "support/timed-request.h"
#include "texts.h"
#include "ttsd/daemon/stream-job.h"
#include "ttsd/engine/voice.h"
#include "ttsd/protocol/frame.h"
#include "ttsd/protocol/messages.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace bench = ttsd::bench;
namespace testing = ttsd::testing;
namespace engine = ttsd::engine;
namespace protocol = ttsd::protocol;

double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// The stages, in the order a request meets them.
const std::vector<std::string> kStages = {"start", "frontend", "encoder", "acoustic", "vocoder", "framing", "socket"};

using Times = std::map<std::string, double>;

void AddEngine(Times& t, const engine::StageTimes& s) {
  t["frontend"] += s.frontend_ms;
  t["encoder"] += s.encoder_ms;
  t["acoustic"] += s.acoustic_ms;
  t["vocoder"] += s.vocoder_ms;
}

// A Unix stream socket whose far end a thread reads and discards, as a client would.
class DrainedSocket {
 public:
  DrainedSocket() {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) != 0) throw std::runtime_error("socketpair failed");
    reader_ = std::thread([fd = fds_[1]] {
      char buf[65536];
      while (read(fd, buf, sizeof buf) > 0) {
      }
    });
  }
  ~DrainedSocket() {
    close(fds_[0]);
    reader_.join();
    close(fds_[1]);
  }
  void Write(const std::vector<uint8_t>& bytes) {
    for (size_t off = 0; off < bytes.size();) {
      const ssize_t n = send(fds_[0], bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("socket write failed");
      off += static_cast<size_t>(n);
    }
  }

 private:
  int fds_[2] = {-1, -1};
  std::thread reader_;
};

struct Profile {
  std::vector<Times> first;    // per request: up to and including the first audio frame on the socket
  std::vector<Times> request;  // per request: everything
  std::vector<double> first_total, request_total, audio_s;
};

// One request the way ttsd serves it, timed stage by stage.
ttsd::Status ProfileRequest(const engine::Voice& voice, const std::string& text, DrainedSocket& socket, Profile* p) {
  Times first, all;
  const auto begin = Clock::now();
  engine::StreamOptions options;
  options.text = text;
  auto stream = voice.Start(options);
  if (!stream) return std::unexpected(stream.error());
  all["start"] = MsSince(begin);
  engine::Chunk chunk;
  uint64_t samples = 0;
  bool got_first = false;
  do {
    auto r = (*stream)->Next(&chunk);
    if (!r) return std::unexpected(r.error());
    auto t0 = Clock::now();
    protocol::AudioHeader header{static_cast<uint32_t>(voice.sample_rate()), protocol::SampleFormat::kS16Le, 1,
                                 chunk.sample_offset};
    auto frame = protocol::EncodeFrame(
        protocol::FrameType::kAudio, chunk.is_last ? protocol::kFlagLast : 0, 1,
        protocol::SerializeAudio(header, ttsd::daemon::EncodePcm(chunk.samples, protocol::SampleFormat::kS16Le)));
    all["framing"] += MsSince(t0);
    t0 = Clock::now();
    socket.Write(frame);
    all["socket"] += MsSince(t0);
    samples += chunk.samples.size();
    if (!got_first && !chunk.samples.empty()) {
      got_first = true;
      first = all;
      AddEngine(first, (*stream)->stage_times());
      p->first_total.push_back(MsSince(begin));
    }
  } while (!chunk.is_last);
  p->request_total.push_back(MsSince(begin));
  AddEngine(all, (*stream)->stage_times());
  p->first.push_back(first);
  p->request.push_back(all);
  p->audio_s.push_back(static_cast<double>(samples) / voice.sample_rate());
  return {};
}

// Per stage: p50 and mean over requests, and the mean's share of the mean total.
json Summarize(const std::vector<Times>& per_request, const std::vector<double>& totals) {
  json out;
  const double total_mean = bench::Summarize(totals).mean;
  double stages_mean = 0;
  for (const auto& stage : kStages) {
    std::vector<double> v;
    for (const auto& t : per_request) v.push_back(t.contains(stage) ? t.at(stage) : 0);
    const auto s = bench::Summarize(v);
    stages_mean += s.mean;
    out["stages"][stage] = {{"p50_ms", s.p50}, {"mean_ms", s.mean}, {"share", total_mean > 0 ? s.mean / total_mean : 0}};
  }
  out["total_ms"] = bench::Summarize(totals).ToJson();
  out["unaccounted_mean_ms"] = total_mean - stages_mean;  // the sentence splitter, loops, allocation
  return out;
}

void PrintTable(const json& out) {
  std::printf("\n| stage | first audio p50 ms | mean ms | share | whole request mean ms | share |\n"
              "|---|---|---|---|---|---|\n");
  const json& f = out["first_audio"];
  const json& r = out["request"];
  for (const auto& stage : kStages) {
    std::printf("| %s | %.3f | %.3f | %.1f %% | %.3f | %.1f %% |\n", stage.c_str(),
                f["stages"][stage]["p50_ms"].get<double>(), f["stages"][stage]["mean_ms"].get<double>(),
                100 * f["stages"][stage]["share"].get<double>(), r["stages"][stage]["mean_ms"].get<double>(),
                100 * r["stages"][stage]["share"].get<double>());
  }
  std::printf("| (other: splitter, loops) | | %.3f | | %.3f | |\n", f["unaccounted_mean_ms"].get<double>(),
              r["unaccounted_mean_ms"].get<double>());
  std::printf("| **total** | %.3f | %.3f | | %.3f | |\n", f["total_ms"]["p50"].get<double>(),
              f["total_ms"]["mean"].get<double>(), r["total_ms"]["mean"].get<double>());
  if (out.contains("daemon")) {
    const json& d = out["daemon"];
    std::printf("\nttsd, one stream, client-measured TTFA p50 %.3f ms; in-process first audio p50 %.3f ms; left "
                "over (scheduler, thread hand-offs, Asio, the client's read): %.3f ms\n",
                d["ttfa_ms"]["p50"].get<double>(), f["total_ms"]["p50"].get<double>(), d["left_over_p50_ms"].get<double>());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"profile-bench: where a request's time goes, stage by stage"};
  std::string spawn, voices = "models/voices", voice_name = "ttsd-en", json_path;
  std::vector<std::string> daemon_args;
  int repeats = 10;
  app.add_option("--spawn", spawn, "also time this ttsd binary's TTFA at one stream (its engine settings are used)");
  app.add_option("--voices", voices, "voice packages")->capture_default_str();
  app.add_option("--voice", voice_name, "voice to profile")->capture_default_str();
  app.add_option("--daemon-arg", daemon_args, "one more flag for the spawned ttsd (repeat)")->allow_extra_args(false);
  app.add_option("--repeats", repeats, "passes over the sentences")->capture_default_str();
  app.add_option("--json", json_path, "write the results here");
  CLI11_PARSE(app, argc, argv);

  engine::EngineConfig config;
  if (!spawn.empty()) {
    std::vector<std::string> cmd = {spawn, "--voices", voices, "--http", "off"};
    cmd.insert(cmd.end(), daemon_args.begin(), daemon_args.end());
    auto c = bench::EngineConfigOfDaemon(cmd);
    if (!c) {
      std::fprintf(stderr, "profile-bench: %s\n", c.error().ToString().c_str());
      return 1;
    }
    config = *c;
  }
  auto voice = engine::Voice::Load(bench::VoicePackageDir(voices, voice_name), config);
  if (!voice) {
    std::fprintf(stderr, "profile-bench: %s\n", voice.error().ToString().c_str());
    return 1;
  }
  const auto& texts = bench::ShortSentences();
  std::fprintf(stderr, "profile-bench: %s (%s), %zu sentences x %d, load average %s\n", voice_name.c_str(),
               config.ToString().c_str(), texts.size(), repeats, testing::LoadAverage().c_str());
  Profile profile, warmup;
  DrainedSocket socket;
  for (int pass = -1; pass < repeats; ++pass) {  // pass -1: untimed
    for (const auto& text : texts) {
      if (auto s = ProfileRequest(**voice, text, socket, pass < 0 ? &warmup : &profile); !s) {
        std::fprintf(stderr, "profile-bench: %s\n", s.error().ToString().c_str());
        return 1;
      }
    }
    std::fprintf(stderr, "\r  pass %d/%d ", pass + 1, repeats);
  }
  std::fprintf(stderr, "\n");
  std::vector<std::string> command_line(argv, argv + argc);
  json out = {{"bench", "profile-bench"},
              {"command", command_line},
              {"voice", voice_name},
              {"engine_config", config.ToString()},
              {"machine", {{"cpus", std::thread::hardware_concurrency()}, {"loadavg_start", testing::LoadAverage()},
                           {"blas", testing::ActiveBlas()}}},
              {"first_audio", Summarize(profile.first, profile.first_total)},
              {"request", Summarize(profile.request, profile.request_total)},
              {"audio_s", bench::Summarize(profile.audio_s).ToJson()}};

  if (!spawn.empty()) {
    auto d = testing::SpawnedDaemon::Start({.binary = spawn, .voices = {voices}, .extra_args = daemon_args});
    if (!d) {
      std::fprintf(stderr, "profile-bench: %s\n", d.error().ToString().c_str());
      return 1;
    }
    auto conn = ttsd::client::Connection::Connect((*d)->socket_path());
    if (!conn) {
      std::fprintf(stderr, "profile-bench: %s\n", conn.error().ToString().c_str());
      return 1;
    }
    std::vector<double> ttfa;
    for (int pass = -1; pass < repeats; ++pass) {
      for (const auto& text : texts) {
        protocol::SynthesizeRequest request;
        request.voice = voice_name;
        request.text = text;
        auto r = bench::SpeakTimed(**conn, request);
        if (!r) {
          std::fprintf(stderr, "profile-bench: %s\n", r.error().ToString().c_str());
          return 1;
        }
        if (pass >= 0) ttfa.push_back(r->ttfa_ms);
      }
    }
    const auto s = bench::Summarize(ttfa);
    out["daemon"] = {{"command", (*d)->command()},
                     {"ttfa_ms", s.ToJson()},
                     {"left_over_p50_ms", s.p50 - out["first_audio"]["total_ms"]["p50"].get<double>()}};
  }
  PrintTable(out);
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return 0;
}
