// One run of Chinese text (characters and numbers, no spaces or punctuation) read as words with
// pinyin; the pieces mandarin.h's ReadMandarin and markup.h's FoldWithMarkup share.
//   std::vector<MandarinUnit> run;
//   auto end = CollectMandarinRun(text, i, &run);   // text[i, *end) is the run
//   std::vector<MandarinWord> words = ReadMandarinRun(run, UserLexicon::Current().get());
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/frontend/mandarin.h"
#include "ttsd/frontend/user-lexicon.h"

namespace ttsd::frontend {

// One character of a run, simplified, numbers already written out.
struct MandarinUnit {
  char32_t cp = 0;
  ByteSpan span;            // where in the text it came from (a number's characters: the whole number)
  std::string reading;      // fixed before the words are read (numbers, overrides), else ""
  bool locked = false;      // the user's override: nothing changes it
  bool no_sandhi = false;   // a digit read alone: no tone sandhi
  bool fixed_yi = false;    // 一 of a number whose tone is set
  bool from_word = false;   // the reading is the dictionary's (or lexicon's) for its whole word
  int group = 0;            // > 0: the units of one number, read as one word
};

// The run of Chinese that starts at utf8[i], appended to *run; returns where it ends (i if none
// starts there). A run is Chinese characters (each with its `(pinyin)` override) and numbers
// among them; a number starts a run only next to Chinese (after a Chinese character or
// punctuation, or followed by a Chinese character). Errors: kUnsupportedText for a bad override,
// or for a CJK ideograph with no known reading at utf8[i] or inside the run (never dropped silently).
Result<size_t> CollectMandarinRun(std::string_view utf8, size_t i, std::vector<MandarinUnit>* run);

// Where to look for the next run after utf8[i], where none starts: past the character, or past
// all the digits of a number that starts none.
size_t SkipNonChinese(std::string_view utf8, size_t i);

// The words of a run. user: the user lexicon (may be null); its Chinese words win.
std::vector<MandarinWord> ReadMandarinRun(std::span<const MandarinUnit> run, const UserLexicon* user);

}  // namespace ttsd::frontend
