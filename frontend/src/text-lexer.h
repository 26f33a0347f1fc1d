// Splits folded ASCII text (see text-fold.h) into raw words, numbers and symbols for the
// normalizer, keeping what it needs to read them: whether whitespace came first, letters glued
// to a number ("3rd", "7pm", "5km"), dotted abbreviations ("e.g.", "U.S.").
//   std::vector<RawToken> raw = LexText("Dr. Smith, 3rd");  // "Dr" "." "Smith" "," "3"+"rd"
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace ttsd::frontend {

inline bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
inline char ToLower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool AllDigits(std::string_view s) { return !s.empty() && std::ranges::all_of(s, IsDigit); }
inline bool AllUpper(std::string_view s) { return !s.empty() && std::ranges::all_of(s, IsUpper); }
std::string Lower(std::string_view s);

enum class RawKind {
  kWord,    // letters with inner apostrophes ("don't") or a dotted abbreviation ("e.g.")
  kNumber,  // digits with an optional sign and inner , . : / - ("-3.5", "1,000", "2024-03-05")
  kSymbol,  // one character, or a run: "..." "?" "!" (runs of . ! ?) and "--"
};

struct RawToken {
  RawKind kind = RawKind::kSymbol;
  std::string text;
  std::string suffix;        // kNumber: letters right after the digits ("rd", "pm", "km", "s")
  bool space_before = true;  // whitespace or the start of the text comes first
  bool newline_before = false;
  bool dotted = false;       // kWord: dotted abbreviation
  size_t begin = 0, end = 0; // where in the ascii text, suffix included
};

std::vector<RawToken> LexText(std::string_view ascii);

}  // namespace ttsd::frontend
