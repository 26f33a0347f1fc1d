// Folds UTF-8 text to the ASCII the normalizer reads: Latin accents dropped ("é" -> "e"),
// typographic quotes and dashes made plain, spaces unified, symbols the normalizer speaks turned
// into marker bytes, emoji and other symbols removed.
//   FoldedText f = FoldToAscii("Café – 5 €");  // f.ascii == "Cafe - 5 \x01"
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/frontend/byte-span.h"

namespace ttsd::frontend {

// Marker bytes for symbols outside ASCII that the normalizer reads aloud.
inline constexpr char kEuroMark = '\x01';
inline constexpr char kPoundMark = '\x02';
inline constexpr char kYenMark = '\x03';
inline constexpr char kDegreeMark = '\x04';
// Stands for one item of pronunciation markup (see markup.h) in the folded text.
inline constexpr char kMarkupMark = '\x05';

struct FoldedText {
  std::string ascii;         // printable ASCII, '\n' and the marker bytes above
  bool dropped_foreign = false;  // letters of a script the frontend cannot read were removed
  std::vector<ByteSpan> source;  // per byte of ascii: the character of the input it came from
};

// Never fails: invalid UTF-8 bytes are dropped. `base` is added to every source span. Letters of other scripts (Greek, Cyrillic, CJK,
// ...) become a space and set dropped_foreign.
FoldedText FoldToAscii(std::string_view utf8, uint32_t base = 0);

// Decodes one code point at s[*i] and advances *i; returns -1 for an invalid sequence (one byte
// is skipped).
int32_t DecodeUtf8(std::string_view s, size_t* i);

}  // namespace ttsd::frontend
