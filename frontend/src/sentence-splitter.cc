// SentenceSplitter: every decision depends only on the text from the start of the buffer up to
// the characters it needs; when those have not arrived yet, Next() waits. So text that arrives
// one character (or byte) at a time is cut exactly where the whole text would be.
#include <algorithm>
#include <array>
#include <initializer_list>

#include "markup.h"
#include "ttsd/frontend/inline-tags.h"
#include "text-fold.h"
#include "ttsd/frontend/text-frontend.h"

namespace ttsd::frontend {
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

// Length of the one of `marks` at s[i], 0 if none, or npos when s ends inside what may be one.
size_t MarkLength(std::string_view s, size_t i, std::initializer_list<std::string_view> marks) {
  const std::string_view rest = s.substr(i);
  for (std::string_view mark : marks) {
    if (rest.starts_with(mark)) return mark.size();
    if (rest.size() < mark.size() && mark.starts_with(rest)) return std::string_view::npos;
  }
  return 0;
}

// Length of a closing quote or bracket at s[i] (ASCII, UTF-8 ’ ” », Chinese 」 』 ） 》 〉 】), 0 if
// none, or npos when s ends inside what may be one.
size_t CloserLength(std::string_view s, size_t i) {
  if (s[i] == ')' || s[i] == ']' || s[i] == '}' || s[i] == '"' || s[i] == '\'') return 1;
  return MarkLength(s, i, {"\u2019", "\u201D", "\u00BB", "\u300D", "\u300F", "\uFF09", "\u300B", "\u3009",
                           "\u3011"});
}

// Chinese sentence ends 。！？ and clause marks ，、；： and the ellipsis …… (no space follows them).
size_t ChineseTerminalLength(std::string_view s, size_t i) { return MarkLength(s, i, {"\u3002", "\uFF01", "\uFF1F"}); }
size_t ChineseClauseLength(std::string_view s, size_t i) {
  return MarkLength(s, i, {"\uFF0C", "\u3001", "\uFF1B", "\uFF1A", "\u2026"});
}

// Length of a Chinese character at s[i], 0 if none, npos when s ends inside a character.
size_t HanLength(std::string_view s, size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0xE0) return 0;  // Chinese characters take three or four bytes
  const size_t need = lead >= 0xF0 ? 4 : 3;
  if (s.size() - i < need) return std::string_view::npos;
  size_t j = i;
  return IsHan(DecodeUtf8(s, &j)) ? j - i : 0;
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
  if (!IsSpace(s[j])) {
    // A Chinese character right after it: Chinese text with ASCII punctuation ("好!你").
    const size_t han = HanLength(s, j);
    if (han == std::string_view::npos) return closed ? Decision::kNotEnd : Decision::kWait;
    if (han == 0) return Decision::kNotEnd;  // "3.5", "e.g.", "example.com"
    *end = j;
    return Decision::kEnd;
  }
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

bool SentenceSplitter::PauseNext() const {
  const size_t start = std::ranges::find_if_not(buffer_, IsSpace) - buffer_.begin();
  return std::string_view(buffer_).substr(start).starts_with("[pause:");
}

bool SentenceSplitter::Done() const {
  return closed_ && std::ranges::all_of(buffer_, IsSpace);
}

void SentenceSplitter::Erase(size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) {
    if (buffer_[i] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
  }
  buffer_.erase(0, bytes);
  erased_ += bytes;
}

std::string SentenceSplitter::Next() {
  const size_t start = std::ranges::find_if_not(buffer_, IsSpace) - buffer_.begin();
  if (start > 0) {
    Erase(start);
    scan_ = {};
  }
  if (buffer_.empty()) return "";
  const std::string_view s = buffer_;
  auto take = [&](size_t end) {
    std::string sentence = buffer_.substr(0, end);
    last_offset_ = erased_;
    last_line_ = line_;
    last_column_ = column_;
    Erase(end);
    scan_ = {};
    while (!sentence.empty() && IsSpace(sentence.back())) sentence.pop_back();
    return sentence;
  };
  const size_t max_words = std::max<size_t>(max_words_, 1);
  size_t words = scan_.words;
  size_t clause_end = scan_.clause_end;  // after the last word ending in , ; : ，、；：
  size_t word_start = scan_.word_start;  // of the last word that starts outside a space: markup, 字
  // Waiting for more text at byte i: the next call starts again at i, with the counts as they
  // were before byte i (every decision before it is final). Flushed text does not wait: it is cut
  // where the flush was, or before a tag or [[...]] still open there (never split).
  Scan before;
  auto wait = [&] {
    scan_ = before;
    if (flush_end_ <= erased_) return std::string();
    if (before.pos < s.size() && s[before.pos] == '[') {  // a tag or [[...]] not yet closed: the text before it
      return before.pos > 0 ? take(before.pos) : std::string();
    }
    return take(flush_end_ - erased_);
  };
  // No end in sight by byte i: cut at the last space or before the last 字 or [[...]], else
  // inside the blob at a UTF-8 boundary.
  auto blob_cut = [&](size_t i) {
    size_t cut = s.find_last_of(" \t\n\r", i);
    if (cut == std::string::npos || cut < word_start) cut = word_start;
    if (cut == 0) {
      cut = i;  // before the character that holds byte i
      while (cut > 1 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    }
    return take(cut);
  };
  for (size_t i = scan_.pos; i < s.size(); ++i) {
    before = {i, words, clause_end, word_start};
    const char c = s[i];
    if (c == '[' && i + 1 == s.size() && !closed_) return wait();  // perhaps the start of [[...]]
    if (c == '[' && s[i + 1 < s.size() ? i + 1 : i] != '[') {
      // An inline tag: the text before it is one piece, the tag another.
      const size_t end = InlineTagEnd(s, i);
      if (end == kTagOpen && !closed_) return wait();
      if (end != kTagOpen && end != kNoTag) return take(i > 0 ? i : end);
    }
    if (c == '[' && i + 1 < s.size() && s[i + 1] == '[') {
      // Phones in [[...]]: one word, never cut inside; wait for the "]]" that may still come.
      const size_t end = InlinePhonesEnd(s, i);
      if (end == kOpen && !closed_) return wait();
      if (end != kOpen && end != kNotMarkup) {
        if (i == 0 || IsSpace(s[i - 1])) {
          if (++words > max_words) return take(clause_end != std::string::npos ? clause_end : i);
        }
        word_start = i;
        i = end - 1;
        if (i + 1 >= kMaxSentenceBytes) return blob_cut(i);
        continue;
      }
    }
    // Chinese text: the end of a character (a partial one at the end of the buffer waits).
    const size_t terminal = ChineseTerminalLength(s, i);
    const size_t clause = ChineseClauseLength(s, i);
    const size_t han = HanLength(s, i);
    constexpr size_t kPartial = std::string_view::npos;
    if ((terminal == kPartial || clause == kPartial || han == kPartial) && !closed_) return wait();
    if (terminal != 0 && terminal != kPartial) {
      // The sentence takes the whole run of ends and closing marks: "。」", "？！".
      size_t j = i + terminal;
      while (j < s.size()) {
        size_t m = ChineseTerminalLength(s, j);
        if (m == 0) m = IsTerminal(s[j]) ? 1 : CloserLength(s, j);
        if (m == kPartial && !closed_) return wait();
        if (m == 0 || m == kPartial) break;
        j += m;
      }
      if (j >= s.size() && !closed_) return wait();
      return take(j);
    }
    if (clause != 0 && clause != kPartial) {
      clause_end = i + clause;
      i += clause - 1;
      if (i + 1 >= kMaxSentenceBytes) return blob_cut(i);
      continue;
    }
    if (han != 0 && han != kPartial) {
      if (++words > max_words) return take(clause_end != std::string::npos ? clause_end : i);  // 字 is a word
      word_start = i;
      i += han - 1;
      if (i + 1 >= kMaxSentenceBytes) return blob_cut(i);
      continue;
    }
    if (IsSpace(c)) {
      if (i > 0 && !IsSpace(s[i - 1]) && (s[i - 1] == ',' || s[i - 1] == ';' || s[i - 1] == ':')) clause_end = i;
      if (c == '\n') {  // a newline followed by whitespace: a paragraph break
        if (i + 1 < s.size() && IsSpace(s[i + 1])) return take(i);
        if (i + 1 == s.size() && !closed_) return wait();
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
        case Decision::kWait: return wait();
        case Decision::kNotEnd: break;
      }
    }
    if (i + 1 >= kMaxSentenceBytes) return blob_cut(i);
  }
  if (closed_) return take(s.size());
  before = {s.size(), words, clause_end, word_start};
  return wait();
}

}  // namespace ttsd::frontend
