// The Mandarin dictionary: words with jieba's frequencies and parts of speech, the readings of the
// words not read by their characters' defaults, and traditional characters folded to simplified.
// Generated at build time by frontend/tools/make-mandarin-dict.py and embedded in the library.
//   const MandarinEntry* e = FindMandarinWord("银行");  // e->reading == "yin2 hang2", e->tag == "n"
//   CharReading(U'地') == "di4";  Simplified(U'這') == U'这'
// Thread-safety: pure functions over constant tables; the index is built once, on first use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ttsd::frontend {

struct MandarinEntry {
  std::string_view word;     // UTF-8
  uint32_t frequency = 0;    // jieba's count (1 for a word only the reading tables have)
  std::string_view tag;      // jieba's part of speech: "n", "v", "a", "d", "r", "m", "q", "u", ... or ""
  std::string_view reading;  // tone-number syllables separated by spaces, or "" (the characters' defaults)
};

// The entry of a word (UTF-8, simplified), or nullptr.
const MandarinEntry* FindMandarinWord(std::string_view word);

// log of the sum of all frequencies, for the segmenter's probabilities.
double MandarinLogTotal();

// The longest word in the dictionary, in characters.
size_t MandarinMaxWordChars();

// The default reading of a character: the dictionary's one-character reading where it has one
// (pypinyin's most common reading), else Unihan's (MandarinReading); "" if none.
std::string_view CharReading(int32_t cp);

// The simplified form of a traditional character (OpenCC's t2s), or cp itself.
int32_t Simplified(int32_t cp);

// The form a character is read and looked up in (words, the user lexicon): Simplified(cp), unless
// that has no reading of its own (a few simplified forms are newer characters), then cp.
int32_t ReadingForm(int32_t cp);

// A word of Chinese characters in its reading forms, as the user lexicon keys it and the reader looks
// it up; *chars its characters. Empty if the word holds anything but Chinese characters.
std::string ChineseWordKey(std::string_view word, size_t* chars);

// Appends cp in UTF-8 (nothing for a negative cp or a surrogate).
void AppendUtf8(std::string& out, int32_t cp);

}  // namespace ttsd::frontend
