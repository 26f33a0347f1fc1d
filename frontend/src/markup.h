// Pronunciation markup in text, taken out before the text is folded to ASCII: phones in [[...]]
// (CMU or IPA, phone-notation.h), and Chinese characters, each read as its Mandarin syllable or
// as the pinyin written right after it in parentheses: 重(chóng), 行(hang2), 长（zhǎng）.
//   auto m = FoldWithMarkup("Say [[h ə l oʊ]] 重(chóng)要.");
//   m->ascii == "Say  \x05   \x05  \x05 ."  (one kMarkupMark per item, spaces around)
//   m->items == {{kPhones, "hh ax0 l ow1"}, {kSyllable, "chong2"}, {kSyllable, "yao4"}}
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "normalizer.h"
#include "text-fold.h"
#include "ttsd/frontend/user-lexicon.h"
#include "ttsd/protocol/error.h"

namespace ttsd::frontend {

// Text between [[ and ]] longer than this is not markup.
inline constexpr size_t kMaxInlinePhonesBytes = 1000;

struct MarkedText {
  std::string ascii;               // as FoldToAscii, with kMarkupMark standing for each item
  bool dropped_foreign = false;    // as FoldToAscii: letters of a script nothing reads
  std::vector<Token> items;        // kPhones or kSyllable, in text order
  std::vector<ByteSpan> source;    // per byte of ascii: where in the input it came from (a
                                   // kMarkupMark and its spaces: the whole item)
};

// Chinese is read word by word (mandarin-reader.h), one kSyllable item per syllable; user (may be
// null) is the user lexicon whose Chinese words win.
// Errors: kUnsupportedText for [[...]] with a symbol that is no phone, or a pinyin override with
// a tone that is no syllable ("重(chóngg)"), or a Chinese character with no known reading.
// Parentheses after a character that hold no tone mark or digit are plain text ("他(he)").
Result<MarkedText> FoldWithMarkup(std::string_view utf8, const UserLexicon* user = nullptr);

// Where the [[ at s[i] is closed: just past its "]]". kOpen if s may still close it (it ends
// within kMaxInlinePhonesBytes of the opening), kNotMarkup if it never does.
inline constexpr size_t kOpen = static_cast<size_t>(-1);
inline constexpr size_t kNotMarkup = static_cast<size_t>(-2);
size_t InlinePhonesEnd(std::string_view s, size_t i);

// True for a Chinese character that has a Mandarin reading.
bool IsHan(int32_t cp);

// A pinyin override in parentheses at s[i] (right after a Chinese character): its tone-number
// syllable and where it ends; an empty syllable and i when there is none. Errors: as FoldWithMarkup.
Result<std::pair<std::string, size_t>> PinyinOverride(std::string_view s, size_t i);

}  // namespace ttsd::frontend
