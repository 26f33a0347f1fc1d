// Mandarin text to pinyin, word by word: Chinese text normalized (numbers, dates, times, money,
// units, full-width forms, traditional characters folded to simplified), cut into words (jieba's
// dictionary), each word read (phrase readings, rules for single-character polyphones), then tone
// sandhi (third tones, 一, 不, neutral tones) and erhua. `字(pinyin)` overrides and the user
// lexicon's Chinese words win over all of it.
//   auto words = ReadMandarin("我在银行工作。");
//   (*words)[2].text == "银行";  (*words)[2].syllables == {"yin2", "hang2"}
// Thread-safety: pure functions over constant tables (built once, on first use, thread-safe); the
// user lexicon is the one installed (UserLexicon::Current) at the start of the call.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ttsd/frontend/byte-span.h"
#include "ttsd/protocol/error.h"

namespace ttsd::frontend {

struct MandarinWord {
  ByteSpan span;                          // the bytes of the input it was read from
  std::string text;                       // UTF-8 as read: simplified, numbers written out ("二零二四年")
  std::vector<std::string> syllables;     // tone-number pinyin after sandhi: "hang2", "ma5"; erhua
                                          // merged into the syllable before: "dianr3"
  std::vector<ByteSpan> syllable_spans;   // per syllable: the input it was read from
};

// The Chinese words of a text, in order; everything else (English, punctuation, emoji) is skipped.
// Errors: kUnsupportedText for a `字(pinyin)` override that is no syllable (markup.h).
Result<std::vector<MandarinWord>> ReadMandarin(std::string_view utf8);

}  // namespace ttsd::frontend
