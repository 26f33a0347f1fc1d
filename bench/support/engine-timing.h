// Benchmark support: what the engine itself spends on a request, in this process, through the public API (no
// daemon, no socket): text frontend, Voice::Start, the first Stream::Next (first audio), each later Next.
//   auto config = EngineConfigOfDaemon({"build/daemon/ttsd", "--voices", "models/voices"});  // same settings
//   auto t = TimeEngine("models/voices/ttsd-en", *config, texts, 5);  // Result<EngineTiming>
// Thread-safety: TimeEngine loads its own Voice and runs on the calling thread; torch's thread count is set
// once per process by the first Voice::Load.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats.h"
#include "ttsd/engine/engine-config.h"
#include "ttsd/protocol/error.h"

namespace ttsd::bench {

struct EngineTiming {
  Summary normalize_ms;    // TextFrontend::Normalize of the whole text
  Summary phonemize_ms;    // TextFrontend::Phonemize of the whole text (normalizes again, then G2P)
  Summary start_ms;        // Voice::Start: checks, normalizes once to reject unspeakable text
  Summary first_next_ms;   // first Next: phonemize, encoder, the first chunk's acoustic and vocoder steps
  Summary first_audio_ms;  // Start + first Next: what the daemon computes before its first audio frame
  Summary later_next_ms;   // each later Next: one chunk of chunk_frames frames
  Summary request_ms;      // Start to the last chunk
  Summary rtf;             // request_ms over the request's audio
  double later_chunk_audio_ms = 0;  // audio in one later chunk
  // Per text: its phones as the frontend gives them (for profile-stages.py).
  std::vector<std::pair<std::string, std::vector<std::string>>> phones;

  nlohmann::json ToJson() const;
};

// voice_dir: a voice package directory. Runs one untimed pass first, then `repeats` passes over texts.
// paced: each request starts when the previous one's audio would have finished playing, as a paced
// listener's does (its requests meet caches as cold as the idle gap leaves them).
// Errors: Voice::Load's, TextFrontend's, Start's and Next's.
Result<EngineTiming> TimeEngine(const std::string& voice_dir, const engine::EngineConfig& config,
                                const std::vector<std::string>& texts, int repeats, bool paced = false);

// The engine settings a ttsd started with `command` would use: runs it with --print-config and reads device,
// dtype, jit_fusion, threads, first_chunk_frames and chunk_frames. Errors: kIo when it cannot run or prints no config.
Result<engine::EngineConfig> EngineConfigOfDaemon(const std::vector<std::string>& command);

// The package directory of voice `name` under voices (a package itself, or a directory of packages).
std::string VoicePackageDir(const std::string& voices, const std::string& name);

}  // namespace ttsd::bench
