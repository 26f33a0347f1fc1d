// A token voice's speaker (GPT-SoVITS): what its reference recordings give the model, computed once
// by Voice::PrepareReference and kept as plain numbers, so the daemon's voice store can save it and
// later requests skip HuBERT. Torch-free: the store links no libtorch.
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ttsd::engine {

struct TokenReference {
  std::string text;                // what the first recording says
  std::vector<int64_t> phone_ids;  // that transcript as the voice's symbols
  std::vector<int64_t> prompts;    // the first recording's semantic tokens (HuBERT, then the quantizer)
  // The reference spectrogram, bins x frames, row-major: every recording's frames end to end in
  // time, so the voice's reference encoder (which pools over time) hears the timbre of them all.
  int64_t spectrogram_bins = 0;
  std::vector<float> spectrogram;
  std::vector<float> speaker;      // speaker-verification embedding, the recordings' mean weighted by length

  int64_t spectrogram_frames() const {
    return spectrogram_bins > 0 ? static_cast<int64_t>(spectrogram.size()) / spectrogram_bins : 0;
  }
};

}  // namespace ttsd::engine
