// Settings of the inference engine, filled from the daemon's config file and flags.
//   EngineConfig c; c.threads = 2; if (auto s = c.Validate(); !s) fail(s.error());
//   CLI::App app; c.AddFlags(app);   // --threads, --device, ...: parsing fills c
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <string>

#include "ttsd/protocol/error.h"

namespace CLI {
class App;
}  // namespace CLI

namespace ttsd::engine {

inline constexpr size_t kMaxTextBytes = 100'000;

struct EngineConfig {
  std::string device = "cpu";  // "cpu" or "cuda" / "cuda:N"
  std::string dtype = "fp32";  // "fp32", or "fp16" (cuda only)
  int threads = 1;             // intra-op threads for torch, per process
  // TorchScript's kernel fusion, per process (the first voice loaded sets it). Off by default: it
  // fuses only for the first few input shapes it meets and runs unfused kernels for the rest, and
  // fused fp16 kernels round unlike unfused ones, so a stream's audio would depend on which streams
  // shared its steps. (libtorch fuses only on CUDA unless told otherwise.)
  bool jit_fusion = false;
  // Acoustic frames per chunk: the first chunk is small for latency, later ones larger for throughput.
  int first_chunk_frames = 4;
  int chunk_frames = 24;
  size_t max_text_bytes = kMaxTextBytes;  // per request, all appended text included
  bool warmup = true;                     // run one short utterance through each voice at load

  // Errors: kBadRequest naming the bad field.
  Status Validate() const;
  std::string ToString() const;
  // Registers the flags (and so the config file keys) that set these fields, defaults shown as they are now:
  // --threads, --device, --dtype, --jit-fusion, --first-chunk-frames, --chunk-frames, --max-text-bytes.
  // warmup has none (ttsd's --no-warmup is main's). The flags point into *this: it must outlive app's parse.
  void AddFlags(CLI::App& app);
};

}  // namespace ttsd::engine
