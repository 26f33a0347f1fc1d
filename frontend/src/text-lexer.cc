#include "text-lexer.h"

namespace ttsd::frontend {
namespace {

size_t AlphaEnd(std::string_view s, size_t i) {
  while (i < s.size() && IsAlpha(s[i])) ++i;
  return i;
}

// Word at s[i] (a letter); returns its end.
size_t WordEnd(std::string_view s, size_t i, bool* dotted) {
  size_t j = AlphaEnd(s, i);
  size_t piece = j - i;
  while (j + 1 < s.size() && IsAlpha(s[j + 1])) {
    if (s[j] == '\'') {
      j = AlphaEnd(s, j + 1);
    } else if (s[j] == '.' && piece <= 2 && AlphaEnd(s, j + 1) - (j + 1) <= 2) {
      piece = AlphaEnd(s, j + 1) - (j + 1);  // "e.g", "U.S", "Ph.D"
      j += 1 + piece;
      *dotted = true;
    } else {
      break;
    }
  }
  if (*dotted && j < s.size() && s[j] == '.') ++j;
  return j;
}

// Number at s[i] (a digit, or a sign or point before one); returns its end, suffix included.
size_t NumberEnd(std::string_view s, size_t i, RawToken* r) {
  size_t j = IsDigit(s[i]) ? i : i + 1;
  while (j < s.size()) {
    if (IsDigit(s[j])) {
      ++j;
    } else if (std::string_view(",.:/-").find(s[j]) != std::string_view::npos && j + 1 < s.size() &&
               IsDigit(s[j + 1])) {
      ++j;
    } else {
      break;
    }
  }
  r->text = std::string(s.substr(i, j - i));
  size_t k = AlphaEnd(s, j);
  r->suffix = std::string(s.substr(j, k - j));
  const std::string low = Lower(r->suffix);
  if ((low == "a" || low == "p") && k + 1 < s.size() && s[k] == '.' && ToLower(s[k + 1]) == 'm') {
    r->suffix += 'm';  // "7p.m."
    k += 2;
    if (k < s.size() && s[k] == '.') ++k;
  } else if (k == j && k + 1 < s.size() && s[k] == '\'' && s[k + 1] == 's' && (k + 2 == s.size() || !IsAlpha(s[k + 2]))) {
    r->suffix = "s";  // "80's"
    k += 2;
  }
  return k;
}

}  // namespace

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

std::vector<RawToken> LexText(std::string_view s) {
  std::vector<RawToken> out;
  bool space = true;
  bool newline = false;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const char next = i + 1 < s.size() ? s[i + 1] : '\0';
    const char prev = i > 0 ? s[i - 1] : ' ';
    if (c == ' ' || c == '\n') {
      space = true;
      newline = newline || c == '\n';
      ++i;
      continue;
    }
    RawToken r;
    r.space_before = space;
    r.newline_before = newline;
    space = newline = false;
    size_t end = i + 1;
    if (IsAlpha(c)) {
      r.kind = RawKind::kWord;
      end = WordEnd(s, i, &r.dotted);
      r.text = std::string(s.substr(i, end - i));
    } else if (IsDigit(c) || ((c == '-' || c == '+') && IsDigit(next) && !IsAlpha(prev) && !IsDigit(prev)) ||
               (c == '.' && IsDigit(next) && !IsDigit(prev))) {
      r.kind = RawKind::kNumber;
      end = NumberEnd(s, i, &r);
    } else if (c == '.' || c == '!' || c == '?') {
      while (end < s.size() && (s[end] == '.' || s[end] == '!' || s[end] == '?')) ++end;
      const std::string_view run = s.substr(i, end - i);
      r.text = run.find('?') != std::string_view::npos   ? "?"
               : run.find('!') != std::string_view::npos ? "!"
               : run.size() > 1                          ? "..."
                                                         : ".";
    } else if (c == '-' && next == '-') {
      while (end < s.size() && s[end] == '-') ++end;
      r.text = "--";
    } else {
      r.text = std::string(1, c);
    }
    r.begin = i;
    r.end = end;
    out.push_back(std::move(r));
    i = end;
  }
  return out;
}

}  // namespace ttsd::frontend
