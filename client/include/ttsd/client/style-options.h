// What ttsc's style options mean: --emotion "angry=0.8,sad=0.2", --duration "8s" / "1500ms" / "8",
// and the reference files of --ref / --emotion-ref / `ttsc voice add`, checked before connecting.
//   auto w = ParseEmotionSpec("angry=0.8,sad=0.2");   // Result<protocol::EmotionWeights>
//   auto d = ParseDurationSpec("1500ms");             // 1.5
// Thread-safety: pure functions (ReadReferenceFile reads the file system).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/protocol/error.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::client {

// Comma-separated AXIS=VALUE pairs, axes from protocol::kEmotionAxisNames, values 0..1; an axis given
// twice keeps the last value. Errors: kBadRequest naming the unknown axis, the value out of range or
// the piece that is not AXIS=VALUE.
Result<protocol::EmotionWeights> ParseEmotionSpec(std::string_view spec);

// Seconds: "8", "8s", "2.5s", "1500ms"; more than 0 and at most protocol::kMaxDurationS.
// Errors: kBadRequest.
Result<double> ParseDurationSpec(std::string_view spec);

inline constexpr size_t kMaxReferenceFileBytes = 64u << 20;  // ttsd's own cap is lower (16 MiB by default)

// The whole file. Errors: kIo ("cannot read PATH: No such file or directory"), kBadRequest (a
// directory, an empty file, or one over kMaxReferenceFileBytes).
Result<std::vector<uint8_t>> ReadReferenceFile(const std::string& path);

}  // namespace ttsd::client
