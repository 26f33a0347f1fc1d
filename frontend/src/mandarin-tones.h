// Word-level rules over a run of Chinese: readings of single-character polyphones from their
// neighbours, neutral tones, 一 and 不 sandhi, third-tone sandhi. See frontend/README.md, "Mandarin".
//   ApplyPolyphoneRules(units, words); ApplyToneSandhi(units, words);
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mandarin-reader.h"

namespace ttsd::frontend {

struct WordRange {
  size_t begin = 0;         // units [begin, end)
  size_t end = 0;
  std::string_view tag;     // jieba's part of speech, "" if unknown
  bool from_lexicon = false;  // the user's word: its readings are locked
};

// units[k].reading must be set for every unit.
void ApplyPolyphoneRules(std::vector<MandarinUnit>& units, const std::vector<WordRange>& words);
void ApplyToneSandhi(std::vector<MandarinUnit>& units, const std::vector<WordRange>& words);

// The tone digit of a tone-number syllable (1-5), 0 if none.
int ToneOf(std::string_view syllable);
// The syllable with another tone.
std::string WithTone(std::string_view syllable, int tone);

}  // namespace ttsd::frontend
