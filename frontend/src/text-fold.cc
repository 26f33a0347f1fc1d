#include "text-fold.h"

#include <cstdint>

namespace ttsd::frontend {
namespace {

// Base letters of U+00C0..U+00FF; '*' marks the code points handled separately.
constexpr std::string_view kLatin1 =
    "AAAAAA*CEEEEIIII*NOOOOO*OUUUUY**"
    "aaaaaa*ceeeeiiii*nooooo*ouuuuy*y";
// Base letters of U+0100..U+017F (Latin Extended-A); '*' as above.
constexpr std::string_view kLatinExtA =
    "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi**JjKkkLlLlLlLlLlNnNnNnnNnOoOoOo**RrRrRr"
    "SsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";
static_assert(kLatin1.size() == 64);
static_assert(kLatinExtA.size() == 128);

}  // namespace

int32_t DecodeUtf8(std::string_view s, size_t* i) {
  const auto b0 = static_cast<unsigned char>(s[*i]);
  int len = 0;
  int32_t cp = 0;
  if (b0 < 0x80) {
    ++*i;
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    ++*i;
    return -1;
  }
  if (*i + len > s.size()) {
    ++*i;
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[*i + k]);
    if ((b & 0xC0) != 0x80) {
      ++*i;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*i;
    return -1;
  }
  *i += len;
  return cp;
}

namespace {

// Text for code points that fold to something other than one base letter; nullptr if none.
const char* Special(int32_t cp) {
  switch (cp) {
    case 0x00C6: return "AE";
    case 0x00E6: return "ae";
    case 0x00D0: return "D";
    case 0x00F0: return "d";
    case 0x00DE: return "TH";
    case 0x00FE: return "th";
    case 0x00DF: return "ss";
    case 0x00D7: return " times ";
    case 0x00F7: return " divided by ";
    case 0x0132: return "IJ";
    case 0x0133: return "ij";
    case 0x0152: return "OE";
    case 0x0153: return "oe";
    case 0x0218: return "S";  // Romanian comma-below letters
    case 0x0219: return "s";
    case 0x021A: return "T";
    case 0x021B: return "t";
    // Quotes, dashes, spaces.
    case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: case 0x02BC: return "'";
    case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x00AB: case 0x00BB: case 0x2033: return "\"";
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2212: return "-";
    case 0x2014: case 0x2015: return " -- ";  // em dash: always a break
    case 0x2026: return "...";
    case 0x00A0: case 0x202F: case 0x205F: case 0x3000: return " ";
    case 0x2028: case 0x2029: return "\n";
    case 0x2022: case 0x2023: case 0x2043: case 0x25CF: case 0x25E6: case 0x00B7: return ", ";  // bullets
    // Symbols read aloud.
    case 0x20AC: return "\x01";
    case 0x00A3: return "\x02";
    case 0x00A5: return "\x03";
    case 0x00B0: return "\x04";
    case 0x00B1: return " plus or minus ";
    case 0x00BD: return " 1/2 ";
    case 0x00BC: return " 1/4 ";
    case 0x00BE: return " 3/4 ";
    // CJK punctuation, so that it still separates sentences and clauses.
    case 0x3001: return ", ";
    case 0x3002: return ". ";
    default: return nullptr;
  }
}

// Symbols, marks and invisible characters that are removed without comment.
bool IsIgnorable(int32_t cp) {
  return (cp >= 0x0080 && cp < 0x00C0) ||   // Latin-1 punctuation and signs not handled above
         (cp >= 0x0300 && cp <= 0x036F) ||  // combining diacritics (decomposed accents)
         (cp >= 0x0180 && cp <= 0x024F) ||  // Latin Extended-B: rare letters, no folding table
         (cp >= 0x02B0 && cp <= 0x02FF) ||  // spacing modifier letters
         (cp >= 0x1E00 && cp <= 0x1EFF) ||  // Latin Extended Additional (Vietnamese): same
         (cp >= 0x2000 && cp <= 0x2BFF) ||  // punctuation, arrows, math, boxes, dingbats
         (cp >= 0xE000 && cp <= 0xF8FF) ||  // private use
         (cp >= 0xFE00 && cp <= 0xFE0F) ||  // variation selectors
         cp == 0xFEFF ||                    // byte order mark
         (cp >= 0x1F000 && cp <= 0x1FAFF) || // emoji and pictographs
         (cp >= 0xE0000 && cp <= 0xE007F);  // tags
}

}  // namespace

FoldedText FoldToAscii(std::string_view utf8, uint32_t base) {
  FoldedText out;
  out.ascii.reserve(utf8.size());
  out.source.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    const size_t start = i;
    const int32_t cp = DecodeUtf8(utf8, &i);
    if (cp < 0) continue;
    if (cp < 0x80) {
      if (cp == '\n' || (cp >= 0x20 && cp < 0x7F)) {
        out.ascii += static_cast<char>(cp);
      } else {
        out.ascii += ' ';  // tabs, carriage returns and other controls
      }
    } else if (const char* s = Special(cp)) {
      out.ascii += s;
    } else if (cp >= 0xC0 && cp <= 0xFF) {
      out.ascii += kLatin1[cp - 0xC0];
    } else if (cp >= 0x100 && cp <= 0x17F) {
      out.ascii += kLatinExtA[cp - 0x100];
    } else if (cp >= 0xFF01 && cp <= 0xFF5E) {
      out.ascii += static_cast<char>(cp - 0xFEE0);  // fullwidth ASCII
    } else if (IsIgnorable(cp)) {
      continue;
    } else {
      // A letter, digit or sign of a script this frontend cannot read.
      out.ascii += ' ';
      out.dropped_foreign = true;
    }
    const ByteSpan span{base + static_cast<uint32_t>(start), base + static_cast<uint32_t>(i)};
    out.source.resize(out.ascii.size(), span);
  }
  return out;
}

}  // namespace ttsd::frontend
