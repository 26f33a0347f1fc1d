// ReadAcronymAsWord: which all-capital tokens are read as words and which are spelled.
#include <algorithm>
#include <array>

#include "normalizer.h"

namespace ttsd::frontend {
namespace {

// Acronyms that look pronounceable but are spelled in mixed-case text.
constexpr std::array<std::string_view, 27> kSpelledAcronyms = {
    "ai", "ar", "vr", "ev", "eu", "uk", "us", "id", "ui", "ux", "os", "io", "api", "aws",
    "ceo", "cfo", "cto", "coo", "cio", "url", "ufo", "vip", "nyc", "pdf", "sdk", "ide", "usa"};

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; }

// A rough English phonotactics check for short all-capital tokens.
bool IsPronounceable(std::string_view w) {
  static constexpr std::array<std::string_view, 35> kOnsets = {
      "bl", "br", "ch", "cl", "cr", "dr", "dw", "fl", "fr", "gl", "gr", "kl", "kn", "kr", "ph", "pl", "pr", "qu",
      "sc", "sh", "sk", "sl", "sm", "sn", "sp", "st", "sw", "th", "tr", "tw", "wh", "wr", "scr", "str", "spr"};
  static constexpr std::array<std::string_view, 42> kCodas = {
      "ch", "ck", "ct", "ft", "ld", "lf", "lk", "lm", "lp", "lt", "mp", "nd", "ng", "nk", "nt", "ph", "pt", "rb", "rc",
      "rd", "rf", "rg", "rk", "rl", "rm", "rn", "rp", "rt", "sh", "sk", "sp", "st", "th", "wn", "wl", "xt", "ght",
      "rld", "rst", "nch", "rth", "tch"};
  size_t first = 0;
  while (first < w.size() && !IsVowel(w[first])) ++first;
  if (first == w.size()) return false;
  if (w.starts_with("qu")) first = std::max<size_t>(first, 2);
  const std::string_view onset = w.substr(0, first);
  if (onset.size() > 1 && std::ranges::find(kOnsets, onset) == kOnsets.end()) return false;
  // Three vowels in a row ("IEEE", "IOU") and the coda after the last vowel.
  int run = 0;
  size_t last = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const bool vowel = IsVowel(w[i]) && !(i == 0 && w[i] == 'y');
    run = vowel ? run + 1 : 0;
    if (run >= 3) return false;
    if (vowel) last = i;
  }
  std::string_view coda = w.substr(last + 1);
  if (coda.size() >= 2 && coda.back() == 's') coda.remove_suffix(1);  // plural
  if (coda.empty()) return true;
  if (coda.size() == 1) return coda != "q" && coda != "j" && coda != "v";
  if (coda.size() == 2 && coda[0] == coda[1]) return true;  // "ll", "ss"
  return std::ranges::find(kCodas, coda) != kCodas.end();
}

}  // namespace

bool ReadAcronymAsWord(std::string_view lower, bool mixed_case_text, const LexiconCheck& in_lexicon) {
  if (mixed_case_text && std::ranges::find(kSpelledAcronyms, lower) != kSpelledAcronyms.end()) return false;
  if (in_lexicon && in_lexicon(lower)) return true;
  return IsPronounceable(lower);
}

}  // namespace ttsd::frontend
