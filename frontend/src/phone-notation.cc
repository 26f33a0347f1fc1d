#include "phone-notation.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "text-fold.h"

namespace ttsd::frontend {
namespace {

constexpr std::array<std::string_view, 24> kCmuConsonants = {
    "b", "ch", "d", "dh", "f", "g", "hh", "jh", "k", "l", "m", "n",
    "ng", "p", "r", "s", "sh", "t", "th", "v", "w", "y", "z", "zh"};
constexpr std::array<std::string_view, 17> kCmuVowels = {
    "aa", "ae", "ah", "ao", "aw", "ax", "axr", "ay", "eh", "er", "ey", "ih", "iy", "ow", "oy", "uh", "uw"};

// One IPA symbol: a consonant's phones, or a vowel's CMU phone unstressed and stressed (the
// reduced ə is "ax" unstressed, "ah" stressed). The longest match wins ("oʊ" over "o").
struct IpaSymbol {
  std::string_view ipa;
  std::string_view consonant;  // empty for a vowel; may be empty for a silent symbol
  std::string_view unstressed;
  std::string_view stressed;
};
constexpr IpaSymbol kIpa[] = {
    // Diphthongs, affricates and r-coloured vowels.
    {"eɪ", "", "ey", "ey"},  {"aɪ", "", "ay", "ay"},  {"ɑɪ", "", "ay", "ay"},  {"aʊ", "", "aw", "aw"},
    {"ɑʊ", "", "aw", "aw"},  {"ɔɪ", "", "oy", "oy"},  {"oʊ", "", "ow", "ow"},  {"əʊ", "", "ow", "ow"},
    {"ei", "", "ey", "ey"},  {"ai", "", "ay", "ay"},  {"au", "", "aw", "aw"},  {"oi", "", "oy", "oy"},
    {"ou", "", "ow", "ow"},  {"ə˞", "", "axr", "er"}, {"ɜ˞", "", "er", "er"},  {"tʃ", "ch", "", ""},
    {"dʒ", "jh", "", ""},
    // Consonants.
    {"p", "p", "", ""},   {"b", "b", "", ""},   {"t", "t", "", ""},   {"d", "d", "", ""},   {"k", "k", "", ""},
    {"g", "g", "", ""},   {"ɡ", "g", "", ""},   {"f", "f", "", ""},   {"v", "v", "", ""},   {"θ", "th", "", ""},
    {"ð", "dh", "", ""},  {"s", "s", "", ""},   {"z", "z", "", ""},   {"ʃ", "sh", "", ""},  {"ʒ", "zh", "", ""},
    {"h", "hh", "", ""},  {"ɦ", "hh", "", ""},  {"x", "hh", "", ""},  {"ç", "hh", "", ""},  {"χ", "hh", "", ""},
    {"ʧ", "ch", "", ""},  {"ʤ", "jh", "", ""},  {"m", "m", "", ""},   {"ɱ", "m", "", ""},   {"n", "n", "", ""},
    {"ŋ", "ng", "", ""},  {"l", "l", "", ""},   {"ɫ", "l", "", ""},   {"ɹ", "r", "", ""},   {"r", "r", "", ""},
    {"ɻ", "r", "", ""},   {"ʁ", "r", "", ""},   {"˞", "r", "", ""},   {"ɾ", "d", "", ""},   {"j", "y", "", ""},
    {"w", "w", "", ""},   {"ʍ", "w", "", ""},   {"ɣ", "g", "", ""},   {"β", "v", "", ""},
    // Vowels.
    {"i", "", "iy", "iy"}, {"ɪ", "", "ih", "ih"}, {"ᵻ", "", "ih", "ih"}, {"ɨ", "", "ih", "ih"},
    {"e", "", "eh", "eh"}, {"ɛ", "", "eh", "eh"}, {"æ", "", "ae", "ae"}, {"a", "", "aa", "aa"},
    {"ɑ", "", "aa", "aa"}, {"ɒ", "", "aa", "aa"}, {"ɔ", "", "ao", "ao"}, {"o", "", "ow", "ow"},
    {"ʊ", "", "uh", "uh"}, {"u", "", "uw", "uw"}, {"ʉ", "", "uw", "uw"}, {"ʌ", "", "ah", "ah"},
    {"ə", "", "ax", "ah"}, {"ɐ", "", "ax", "ah"}, {"ɘ", "", "ax", "ah"}, {"ɚ", "", "axr", "er"},
    {"ɝ", "", "er", "er"}, {"ɜ", "", "er", "er"},
    // Silent: a glottal stop.
    {"ʔ", "", "", ""},
};

// Marks with no sound of their own: length, syllable breaks. Tie bars ("t͡ʃ") are removed first.
constexpr std::array<std::string_view, 4> kIgnored = {"ː", "ˑ", ":", "."};
constexpr std::array<std::string_view, 2> kTieBars = {"\u0361", "\u035C"};
constexpr std::string_view kPrimary = "ˈ";
constexpr std::string_view kSecondary = "ˌ";
constexpr std::array<std::string_view, 2> kSyllabic = {"\u0329", "\u030D"};  // n̩ l̩: a schwa before

// A phone before its stress is settled: a vowel keeps both CMU forms.
struct Pending {
  std::string unstressed;  // the phone itself for a consonant
  std::string stressed;    // empty for a consonant
  int stress = -1;         // -1: not marked
  bool reduced = false;    // ax / axr / ə / ɚ: stays unstressed when nothing is marked
};

std::string FirstChar(std::string_view s) {
  size_t i = 0;
  DecodeUtf8(s, &i);
  return std::string(s.substr(0, std::max<size_t>(i, 1)));
}

const IpaSymbol* MatchIpa(std::string_view rest) {
  const IpaSymbol* best = nullptr;
  for (const IpaSymbol& s : kIpa) {
    if (rest.starts_with(s.ipa) && (best == nullptr || s.ipa.size() > best->ipa.size())) best = &s;
  }
  return best;
}

// A CMU phone written as a word ("AH0", "hh", "ow1"), or nullopt if the word is not one.
Result<std::optional<Pending>> CmuWord(std::string_view word) {
  std::string lower;
  for (char c : word) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return std::nullopt;
    lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  int stress = -1;
  if (!lower.empty() && lower.back() >= '0' && lower.back() <= '9') {
    stress = lower.back() - '0';
    lower.pop_back();
  }
  const bool vowel = std::ranges::find(kCmuVowels, lower) != kCmuVowels.end();
  const bool consonant = lower == "pau" || std::ranges::find(kCmuConsonants, lower) != kCmuConsonants.end();
  if (!vowel && !consonant) {
    if (stress >= 0) return MakeError(ErrorCode::kUnsupportedText, "unknown phone '" + std::string(word) + "'");
    return std::nullopt;
  }
  if (stress > 2 || (consonant && stress >= 0)) {
    return MakeError(ErrorCode::kUnsupportedText, "bad stress digit in '" + std::string(word) + "'");
  }
  Pending p;
  p.unstressed = lower;
  if (vowel) p.stressed = lower;
  p.stress = stress;
  p.reduced = lower == "ax" || lower == "axr";
  return p;
}

// A word of IPA ("ˈhɛloʊ"), appended to out. *next_stress: a stress mark waiting for its vowel.
Status IpaWord(std::string_view written, std::vector<Pending>& out, bool* marked, int* next_stress) {
  std::string word(written);
  for (std::string_view tie : kTieBars) {
    for (size_t at = word.find(tie); at != std::string::npos; at = word.find(tie)) word.erase(at, tie.size());
  }
  size_t i = 0;
  while (i < word.size()) {
    const std::string_view rest = std::string_view(word).substr(i);
    auto starts = [&rest](std::string_view s) { return rest.starts_with(s); };
    if (starts(kPrimary) || starts("'") || starts(kSecondary)) {
      *next_stress = starts(kSecondary) ? 2 : 1;
      *marked = true;
      i += starts("'") ? 1 : kPrimary.size();
      continue;
    }
    if (const auto* m = std::ranges::find_if(kIgnored, starts); m != kIgnored.end()) {
      i += m->size();
      continue;
    }
    if (const auto* m = std::ranges::find_if(kSyllabic, starts); m != kSyllabic.end()) {
      if (!out.empty() && out.back().stressed.empty()) {  // "n̩": a schwa before the consonant
        out.insert(out.end() - 1, Pending{"ax", "ah", -1, true});
      }
      i += m->size();
      continue;
    }
    const IpaSymbol* s = MatchIpa(rest);
    if (s == nullptr) {
      return MakeError(ErrorCode::kUnsupportedText, "unknown phone symbol '" + FirstChar(rest) + "'");
    }
    i += s->ipa.size();
    if (s->unstressed.empty()) {
      for (size_t start = 0; start < s->consonant.size();) {
        size_t end = s->consonant.find(' ', start);
        if (end == std::string_view::npos) end = s->consonant.size();
        out.push_back(Pending{std::string(s->consonant.substr(start, end - start)), "", -1, false});
        start = end + 1;
      }
      continue;
    }
    out.push_back(Pending{std::string(s->unstressed), std::string(s->stressed), *next_stress,
                          s->unstressed == "ax" || s->unstressed == "axr"});
    *next_stress = -1;
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> ParsePhoneNotation(std::string_view written) {
  std::vector<Pending> pending;
  bool marked = false;
  int next_stress = -1;  // from a ˈ or ˌ, for the next vowel in whichever notation
  for (size_t start = 0; start < written.size();) {
    const size_t end = std::min(written.find_first_of(" \t", start), written.size());
    const std::string_view word = written.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    auto cmu = CmuWord(word);
    if (!cmu) return std::unexpected(Error{cmu.error().code, cmu.error().message + " in '" + std::string(written) + "'"});
    if (*cmu) {
      Pending p = **cmu;
      if (!p.stressed.empty() && p.stress < 0 && next_stress >= 0) p.stress = std::exchange(next_stress, -1);
      marked = marked || p.stress >= 0;
      pending.push_back(std::move(p));
    } else if (auto s = IpaWord(word, pending, &marked, &next_stress); !s) {
      return std::unexpected(Error{s.error().code, s.error().message + " in '" + std::string(written) + "'"});
    }
  }
  std::vector<std::string> phones;
  for (const Pending& p : pending) {
    if (p.stressed.empty()) {
      if (!p.unstressed.empty()) phones.push_back(p.unstressed);
      continue;
    }
    const int stress = p.stress >= 0 ? p.stress : (marked || p.reduced) ? 0 : 1;
    phones.push_back((stress == 0 ? p.unstressed : p.stressed) + static_cast<char>('0' + stress));
  }
  if (phones.empty()) {
    return MakeError(ErrorCode::kUnsupportedText, "no phones in '" + std::string(written) + "'");
  }
  return phones;
}

void AppendPluralEnding(std::vector<std::string>& phones) {
  constexpr std::array<std::string_view, 6> kSibilant = {"s", "z", "sh", "zh", "ch", "jh"};
  constexpr std::array<std::string_view, 5> kVoiceless = {"p", "t", "k", "f", "th"};
  const std::string last = phones.empty() ? "" : phones.back();
  if (std::ranges::find(kSibilant, last) != kSibilant.end()) {
    phones.insert(phones.end(), {"ih0", "z"});
  } else {
    phones.push_back(std::ranges::find(kVoiceless, last) != kVoiceless.end() ? "s" : "z");
  }
}

}  // namespace ttsd::frontend
