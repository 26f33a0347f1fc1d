// SentenceSplitter: every decision depends only on the text from the start of the buffer up to
// the characters it needs; when those have not arrived yet, Next() waits. So text that arrives
// one character at a time is cut exactly where the whole text would be.
#include <algorithm>
#include <array>

#include "ttsd/engine/text-frontend.h"

namespace ttsd::engine {
namespace {

// A run of text with no end and no spaces (a pasted blob) is cut at this length.
constexpr size_t kMaxSentenceBytes = 2000;

// Abbreviations whose period never ends a sentence (lower case, inner dots kept).
constexpr std::array<std::string_view, 27> kNeverEnd = {
    "dr", "mr", "mrs", "ms", "prof", "st", "mt", "capt", "lt", "sgt", "gen", "col", "gov", "sen",
    "rep", "rev", "vs", "e.g", "i.e", "cf", "approx", "ca", "ave", "blvd", "fig", "vol", "al"};
// Abbreviations that end a sentence unless a number follows ("No. 5", "Jan. 3").
constexpr std::array<std::string_view, 15> kBeforeNumber = {
    "no", "nr", "pp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"};
// Abbreviations that end a sentence only when a capital follows; so do dotted ones ("U.S.").
constexpr std::array<std::string_view, 8> kEndBeforeCapital = {"etc", "jr", "sr", "inc", "ltd", "corp", "co", "dept"};

enum class Decision { kEnd, kNotEnd, kWait };

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsTerminal(char c) { return c == '.' || c == '!' || c == '?'; }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// Length of a closing quote or bracket at s[i] (ASCII or UTF-8 ’ ” »), or 0.
// Length of a closing quote or bracket at s[i] (ASCII or UTF-8 ’ ” »), 0 if none, or npos when
// s ends inside what may be one.
size_t CloserLength(std::string_view s, size_t i) {
  if (s[i] == ')' || s[i] == ']' || s[i] == '}' || s[i] == '"' || s[i] == '\'') return 1;
  const std::string_view rest = s.substr(i);
  for (std::string_view closer : {"\u2019", "\u201D", "\u00BB"}) {
    if (rest.starts_with(closer)) return closer.size();
    if (rest.size() < closer.size() && closer.starts_with(rest)) return std::string_view::npos;
  }
  return 0;
}

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

// Letters in dotted pieces of one or two: "u.s", "a.m", "ph.d" (not "example.com").
bool IsDottedAbbreviation(std::string_view word) {
  if (word.find('.') == std::string_view::npos) return false;
  size_t piece = 0;
  for (char c : word) {
    if (c == '.') {
      if (piece == 0) return false;
      piece = 0;
    } else if ((c >= 'a' && c <= 'z') && ++piece <= 2) {
      continue;
    } else {
      return false;
    }
  }
  return piece > 0;
}

template <size_t N>
bool Contains(const std::array<std::string_view, N>& list, std::string_view word) {
  return std::ranges::find(list, word) != list.end();
}

// Is the . ! ? run starting at s[i] the end of a sentence? On kEnd, *end is where it ends.
Decision EndAt(std::string_view s, size_t i, bool closed, size_t* end) {
  size_t j = i;
  while (j < s.size() && IsTerminal(s[j])) ++j;
  const std::string_view run = s.substr(i, j - i);
  while (j < s.size()) {
    const size_t n = CloserLength(s, j);
    if (n == std::string_view::npos) return closed ? Decision::kNotEnd : Decision::kWait;
    if (n == 0) break;
    j += n;
  }
  if (j >= s.size()) return closed ? Decision::kEnd : Decision::kWait;
  if (!IsSpace(s[j])) return Decision::kNotEnd;  // "3.5", "e.g.", "example.com"
  *end = j;
  // The first character of the next word, past opening quotes and brackets.
  size_t k = j;
  while (k < s.size() && (IsSpace(s[k]) || s[k] == '"' || s[k] == '\'' || s[k] == '(')) ++k;
  const bool next_known = k < s.size();
  const char next = next_known ? s[k] : '\0';
  auto end_if = [&](bool end) {
    if (!next_known) return closed ? Decision::kEnd : Decision::kWait;
    return end ? Decision::kEnd : Decision::kNotEnd;
  };
  if (run.find_first_of("!?") != std::string_view::npos) return Decision::kEnd;
  if (run.size() > 1) return end_if(next >= 'A' && next <= 'Z');  // an ellipsis
  // A single period: look at the word before it.
  size_t ws = i;
  while (ws > 0 && !IsSpace(s[ws - 1])) --ws;
  std::string_view word = s.substr(ws, i - ws);
  while (!word.empty() && (word[0] == '(' || word[0] == '"' || word[0] == '\'' || word[0] == '[')) {
    word.remove_prefix(1);
  }
  if (word.empty()) return Decision::kEnd;
  if (std::ranges::all_of(word, IsAsciiDigit)) {
    const bool line_start = ws == 0 || s[ws - 1] == '\n';
    return line_start && word.size() <= 3 ? Decision::kNotEnd : Decision::kEnd;  // "2. Buy milk"
  }
  if (word.size() == 1 && word[0] >= 'A' && word[0] <= 'Z') return Decision::kNotEnd;  // "John F. Kennedy"
  const std::string lower = Lowered(word);
  if (Contains(kNeverEnd, lower)) return Decision::kNotEnd;
  if (Contains(kBeforeNumber, lower)) return end_if(!IsAsciiDigit(next));
  if (Contains(kEndBeforeCapital, lower) || IsDottedAbbreviation(lower)) {
    return end_if(next >= 'A' && next <= 'Z');
  }
  return Decision::kEnd;
}

}  // namespace

void SentenceSplitter::Append(std::string_view text) { buffer_.append(text); }

bool SentenceSplitter::Done() const {
  return closed_ && std::ranges::all_of(buffer_, IsSpace);
}

std::string SentenceSplitter::Next() {
  const size_t start = std::ranges::find_if_not(buffer_, IsSpace) - buffer_.begin();
  buffer_.erase(0, start);
  if (buffer_.empty()) return "";
  const std::string_view s = buffer_;
  auto take = [&](size_t end) {
    std::string sentence = buffer_.substr(0, end);
    buffer_.erase(0, end);
    while (!sentence.empty() && IsSpace(sentence.back())) sentence.pop_back();
    return sentence;
  };
  const size_t max_words = std::max<size_t>(max_words_, 1);
  size_t words = 0;
  size_t clause_end = std::string::npos;  // after the last word ending in , ; :
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (IsSpace(c)) {
      if (i > 0 && !IsSpace(s[i - 1]) && (s[i - 1] == ',' || s[i - 1] == ';' || s[i - 1] == ':')) clause_end = i;
      if (c == '\n') {  // a newline followed by whitespace: a paragraph break
        if (i + 1 < s.size() && IsSpace(s[i + 1])) return take(i);
        if (i + 1 == s.size() && !closed_) return "";
      }
      continue;
    }
    if (i == 0 || IsSpace(s[i - 1])) {
      if (++words > max_words) return take(clause_end != std::string::npos ? clause_end : i);
    }
    if (IsTerminal(c) && (i == 0 || !IsTerminal(s[i - 1]))) {
      size_t end = s.size();
      switch (EndAt(s, i, closed_, &end)) {
        case Decision::kEnd: return take(end);
        case Decision::kWait: return "";
        case Decision::kNotEnd: break;
      }
    }
    if (i + 1 >= kMaxSentenceBytes) {
      // No end in sight: cut at the last space, else inside the blob at a UTF-8 boundary.
      size_t cut = s.find_last_of(" \t\n\r", i);
      if (cut == std::string::npos || cut == 0) {
        cut = i;  // before the character that holds byte i
        while (cut > 1 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
      }
      return take(cut);
    }
  }
  return closed_ ? take(s.size()) : "";
}

}  // namespace ttsd::engine
