// What one model step costs against the batch size, in this process (no daemon, no socket): B streams
// of the sixty-word sentence advance together through Stream::NextBatch, one chunk each per call.
// The time at B = 1 is mostly fixed cost per call (kernel launches, host work, the device-to-host copy);
// the growth with B is the work per stream. Capacity = audio made per wall second by one inference thread.
//   build/bench/batch-step-bench --voice models/voices/ttsd-en --device cuda --dtype fp16
//       --batches 1,2,4,8,16,32,64 --json bench/results/batch-step-cuda-fp16.json   (one command line)
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "texts.h"
#include "ttsd/engine/voice.h"

namespace {

using Clock = std::chrono::steady_clock;
using ttsd::engine::Chunk;
using ttsd::engine::Stream;

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"batch-step-bench: time of one batched model step against the batch size"};
  std::string voice_dir = "models/voices/ttsd-en", json_path;
  ttsd::engine::EngineConfig config;
  std::vector<int> batches = {1, 2, 4, 8, 16, 32, 64};
  int warmup = 3, steps = 20;
  app.add_option("--voice", voice_dir, "voice package directory")->capture_default_str();
  app.add_option("--device", config.device, "cpu or cuda[:N]")->capture_default_str();
  app.add_option("--dtype", config.dtype, "fp32 or fp16 (cuda only)")->capture_default_str();
  app.add_option("--threads", config.threads, "torch intra-op threads")->capture_default_str();
  app.add_flag("--jit-fusion", config.jit_fusion, "let TorchScript fuse kernels (ttsd --jit-fusion)");
  app.add_option("--chunk-frames", config.chunk_frames, "acoustic frames per step")->capture_default_str();
  app.add_option("--batches", batches, "batch sizes to time")->delimiter(',')->capture_default_str();
  app.add_option("--warmup", warmup, "untimed steps first (the first one encodes the sentence)")->capture_default_str();
  app.add_option("--steps", steps, "timed steps per batch size")->capture_default_str();
  app.add_option("--json", json_path, "write the results here");
  CLI11_PARSE(app, argc, argv);

  auto voice = ttsd::engine::Voice::Load(voice_dir, config);
  if (!voice) {
    std::fprintf(stderr, "batch-step-bench: %s\n", voice.error().ToString().c_str());
    return 1;
  }
  const auto& m = (*voice)->manifest();
  const double chunk_audio_s = static_cast<double>(config.chunk_frames) * m.hop_samples / m.sample_rate;
  nlohmann::json out = {{"voice", m.name}, {"batching", m.batching}, {"config", config.ToString()},
                        {"chunk_audio_ms", 1000 * chunk_audio_s}, {"levels", nlohmann::json::array()}};
  std::printf("| B | steps | step p50 ms | step p90 ms | per stream ms | audio s per wall s |\n|---|---|---|---|---|---|\n");
  for (int b : batches) {
    std::vector<std::unique_ptr<Stream>> streams;
    for (int i = 0; i < b; ++i) {
      ttsd::engine::StreamOptions o;
      o.text = ttsd::bench::LongUnpunctuated();
      auto s = (*voice)->Start(o);
      if (!s) {
        std::fprintf(stderr, "batch-step-bench: %s\n", s.error().ToString().c_str());
        return 1;
      }
      streams.push_back(std::move(*s));
    }
    std::vector<Stream*> ptrs;
    for (auto& s : streams) ptrs.push_back(s.get());
    std::vector<Chunk> chunks(ptrs.size());
    std::vector<double> ms;
    for (int k = 0; k < warmup + steps; ++k) {
      const auto t0 = Clock::now();
      auto results = Stream::NextBatch(ptrs, chunks);
      const double dt = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      for (size_t i = 0; i < results.size(); ++i) {
        if (!results[i] || chunks[i].is_last) {
          std::fprintf(stderr, "batch-step-bench: the text ran out or failed at step %d; use fewer --steps\n", k);
          return 1;
        }
      }
      if (k >= warmup) ms.push_back(dt);
    }
    const double p50 = Quantile(ms, 0.5), p90 = Quantile(ms, 0.9);
    const double capacity = b * chunk_audio_s / (p50 / 1000);
    out["levels"].push_back({{"batch", b}, {"steps", ms.size()}, {"step_ms_p50", p50}, {"step_ms_p90", p90},
                             {"per_stream_ms", p50 / b}, {"audio_s_per_wall_s", capacity}});
    std::printf("| %d | %zu | %.2f | %.2f | %.3f | %.0f |\n", b, ms.size(), p50, p90, p50 / b, capacity);
    std::fflush(stdout);
  }
  std::printf("%s\n", out.dump().c_str());
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return 0;
}
