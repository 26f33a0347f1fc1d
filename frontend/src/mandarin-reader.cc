#include "mandarin-reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "mandarin-dict.h"
#include "mandarin-numbers.h"
#include "mandarin-tones.h"
#include "markup.h"
#include "text-fold.h"

namespace ttsd::frontend {
namespace {

// Longest user-lexicon word looked for, in characters.
constexpr size_t kMaxLexiconWordChars = 16;

bool IsChinesePunctuation(int32_t cp) {
  return (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
         cp == 0x2026 || cp == 0x2014 || cp == 0x201C || cp == 0x201D || cp == 0x2018 || cp == 0x2019;
}

// The last character before utf8[i] that is not a space: Chinese or Chinese punctuation?
bool ChineseBefore(std::string_view utf8, size_t i) {
  size_t k = i;
  while (k > 0 && (utf8[k - 1] == ' ' || utf8[k - 1] == '\t')) --k;
  if (k == 0) return false;
  size_t start = k - 1;
  while (start > 0 && (static_cast<unsigned char>(utf8[start]) & 0xC0) == 0x80) --start;
  size_t j = start;
  const int32_t cp = DecodeUtf8(utf8, &j);
  return IsHan(cp) || IsChinesePunctuation(cp);
}

std::string Utf8(std::u32string_view s) {
  std::string out;
  for (char32_t c : s) AppendUtf8(out, static_cast<int32_t>(c));
  return out;
}

// Max-probability segmentation of units[begin, end) (plain characters only): jieba's idea, a DAG
// of the dictionary's words and the best path by the sum of log frequencies.
// max_chars: the longest word taken (0: any the dictionary has).
void Segment(std::span<const MandarinUnit> units, size_t begin, size_t end, const UserLexicon* user,
             std::vector<WordRange>* words, size_t max_chars = 0) {
  const size_t n = end - begin;
  const double log_total = MandarinLogTotal();
  if (max_chars == 0) max_chars = std::min<size_t>(std::max(MandarinMaxWordChars(), kMaxLexiconWordChars), 32);
  std::vector<double> best(n + 1, -std::numeric_limits<double>::infinity());
  std::vector<size_t> length(n + 1, 1);
  std::vector<std::string_view> tag(n + 1);
  std::vector<bool> lexicon(n + 1, false);
  best[n] = 0;
  for (size_t i = n; i-- > 0;) {
    std::string word;
    for (size_t k = i; k < n && k - i < max_chars; ++k) {
      AppendUtf8(word, static_cast<int32_t>(units[begin + k].cp));
      const size_t len = k - i + 1;
      double score = 0;
      std::string_view word_tag;
      bool from_lexicon = false;
      if (user != nullptr && user->FindPinyin(word) != nullptr) {
        score = 10.0 * static_cast<double>(len);  // the user's words always win
        from_lexicon = true;
      } else if (const MandarinEntry* e = FindMandarinWord(word)) {
        score = std::log(static_cast<double>(e->frequency)) - log_total;
        word_tag = e->tag;
      } else if (len == 1) {
        score = -log_total;  // a character the dictionary lacks
      } else {
        continue;
      }
      if (score + best[k + 1] > best[i]) {
        best[i] = score + best[k + 1];
        length[i] = len;
        tag[i] = word_tag;
        lexicon[i] = from_lexicon;
      }
    }
  }
  for (size_t i = 0; i < n; i += length[i]) {
    words->push_back({begin + i, begin + i + length[i], tag[i], lexicon[i]});
  }
}

std::vector<std::string> SplitSyllables(std::string_view reading) {
  std::vector<std::string> out;
  for (size_t start = 0; start < reading.size();) {
    size_t end = reading.find(' ', start);
    if (end == std::string_view::npos) end = reading.size();
    if (end > start) out.emplace_back(reading.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

Result<size_t> CollectMandarinRun(std::string_view utf8, size_t i, std::vector<MandarinUnit>* run) {
  const size_t run_start = run->size();
  int group = 0;
  for (const MandarinUnit& u : *run) group = std::max(group, u.group);
  size_t pos = i;
  while (pos < utf8.size()) {
    size_t next = pos;
    const int32_t cp = DecodeUtf8(utf8, &next);
    const bool ideograph = (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
                           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F);
    if (ideograph && !IsHan(cp) && PinyinOverride(utf8, next).value_or(std::pair{std::string(), next}).first.empty()) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
      return MakeError(ErrorCode::kUnsupportedText, "'" + std::string(utf8.substr(pos, next - pos)) + "' (" + code +
                                                        ") has no known Mandarin reading; write one after it: 字(zi4)");
    }
    if (cp >= 0x2E80 && (IsHan(cp) || ideograph)) {
      auto override = PinyinOverride(utf8, next);
      if (!override) {
        return MakeError(ErrorCode::kUnsupportedText,
                         override.error().message + " (after " + std::string(utf8.substr(pos, next - pos)) + ")");
      }
      MandarinUnit unit;
      unit.cp = static_cast<char32_t>(ReadingForm(cp));
      unit.span = {static_cast<uint32_t>(pos), static_cast<uint32_t>(override->second)};
      if (!override->first.empty()) {
        unit.reading = override->first;
        unit.locked = true;
      }
      run->push_back(std::move(unit));
      pos = override->second;
      continue;
    }
    std::u32string before;  // the last few characters: context (第, 电话) for the number
    for (size_t k = std::max(run_start, run->size() >= 4 ? run->size() - 4 : 0); k < run->size(); ++k) {
      before += (*run)[k].cp;
    }
    const ChineseNumber number = ReadChineseNumber(utf8, pos, before);
    if (number.end == 0 || number.han.empty()) break;
    if (run->size() == run_start && !ChineseBefore(utf8, pos)) {
      size_t after = number.end;
      const int32_t following = after < utf8.size() ? DecodeUtf8(utf8, &after) : -1;
      if (!(following >= 0x2E80 && IsHan(following))) break;
    }
    ++group;
    for (size_t k = 0; k < number.han.size(); ++k) {
      MandarinUnit unit;
      unit.cp = number.han[k];
      unit.span = {static_cast<uint32_t>(pos), static_cast<uint32_t>(number.end)};
      unit.reading = number.readings[k];
      unit.no_sandhi = number.digit_by_digit;
      unit.fixed_yi = unit.cp == U'一' && !number.lone_one;
      if (number.lone_one) unit.reading.clear();
      unit.group = group;
      run->push_back(std::move(unit));
    }
    pos = number.end;
  }
  return pos;
}

size_t SkipNonChinese(std::string_view utf8, size_t i) {
  size_t next = i;
  const int32_t cp = DecodeUtf8(utf8, &next);
  auto digit = [](int32_t c) { return (c >= '0' && c <= '9') || (c >= 0xFF10 && c <= 0xFF19); };
  if (!digit(cp)) return next;
  // No run starts inside a string of digits that none starts at (and trying each would take
  // time quadratic in its length).
  while (next < utf8.size()) {
    size_t after = next;
    if (!digit(DecodeUtf8(utf8, &after))) break;
    next = after;
  }
  return next;
}

std::vector<MandarinWord> ReadMandarinRun(std::span<const MandarinUnit> run, const UserLexicon* user) {
  std::vector<MandarinUnit> units(run.begin(), run.end());
  std::vector<WordRange> words;
  for (size_t i = 0; i < units.size();) {
    size_t j = i + 1;
    if (units[i].group > 0) {
      while (j < units.size() && units[j].group == units[i].group) ++j;
      words.push_back({i, j, "m", false});
    } else {
      while (j < units.size() && units[j].group == 0) ++j;
      Segment(units, i, j, user, &words);
    }
    i = j;
  }
  // Readings: the user's word, the dictionary's word, each character's default.
  for (const WordRange& w : words) {
    std::u32string text;
    for (size_t k = w.begin; k < w.end; ++k) text += units[k].cp;
    const std::string utf8 = Utf8(text);
    std::vector<std::string> syllables;
    if (w.from_lexicon && user != nullptr) {
      syllables = *user->FindPinyin(utf8);
    } else if (const MandarinEntry* e = text.size() > 1 ? FindMandarinWord(utf8) : nullptr;
               e != nullptr && !e->reading.empty()) {
      syllables = SplitSyllables(e->reading);
    }
    if (syllables.empty() && !w.from_lexicon && w.end - w.begin >= 3 && units[w.begin].group == 0) {
      // A long word the readings lack (银行行长, 红衣服): the readings of the words inside it,
      // longest first from the left.
      for (size_t i = w.begin; i < w.end;) {
        size_t taken = 1;
        const size_t longest = std::min(w.end - i - (i == w.begin ? 1 : 0), MandarinMaxWordChars());
        for (size_t len = longest; len >= 2; --len) {
          std::string part;
          for (size_t k = i; k < i + len; ++k) AppendUtf8(part, static_cast<int32_t>(units[k].cp));
          const MandarinEntry* e = FindMandarinWord(part);
          if (e == nullptr || e->reading.empty()) continue;
          const std::vector<std::string> inner = SplitSyllables(e->reading);
          if (inner.size() != len) continue;
          for (size_t k = i; k < i + len; ++k) {
            if (!units[k].reading.empty()) continue;
            units[k].reading = inner[k - i];
            units[k].from_word = true;
          }
          taken = len;
          break;
        }
        i += taken;
      }
    }
    for (size_t k = w.begin; k < w.end; ++k) {
      MandarinUnit& u = units[k];
      if (!u.reading.empty()) continue;
      if (syllables.size() == w.end - w.begin) {
        u.reading = syllables[k - w.begin];
        u.locked = w.from_lexicon;
        u.from_word = true;
      } else {
        u.reading = std::string(CharReading(static_cast<int32_t>(u.cp)));
        if (u.cp == U'一') u.reading = "yi1";
        if (u.cp == U'不') u.reading = "bu4";
      }
    }
  }
  ApplyPolyphoneRules(units, words);
  ApplyToneSandhi(units, words);

  std::vector<MandarinWord> out;
  for (const WordRange& w : words) {
    MandarinWord word;
    word.span = {units[w.begin].span.begin, units[w.end - 1].span.end};
    for (size_t k = w.begin; k < w.end; ++k) {
      const MandarinUnit& u = units[k];
      AppendUtf8(word.text, static_cast<int32_t>(u.cp));
      // Erhua: 儿 read er5 after a syllable of its word, or a lone 儿 right after a word, is the r
      // of the syllable before.
      const bool suffix = u.cp == U'儿' && !u.locked && k > w.begin && k + 1 == w.end &&
                          (ToneOf(u.reading) == 5 || !u.from_word);
      const bool lone = u.cp == U'儿' && !u.locked && w.end - w.begin == 1 && !out.empty() &&
                        !out.back().syllables.empty() && k > 0 && units[k - 1].group == 0 && !units[k - 1].locked;
      if (suffix && !word.syllables.empty()) {
        std::string& last = word.syllables.back();
        if (!last.starts_with("er")) {
          last = last.substr(0, last.size() - 1) + "r" + last.back();
          word.syllable_spans.back().end = u.span.end;
          continue;
        }
      }
      if (lone && !out.back().syllables.back().starts_with("er")) {
        std::string& last = out.back().syllables.back();
        last = last.substr(0, last.size() - 1) + "r" + last.back();
        out.back().text += word.text;
        out.back().span.end = u.span.end;
        out.back().syllable_spans.back().end = u.span.end;
        word.text.clear();
        continue;
      }
      // A number's characters share one span: one syllable each, all with the number's span.
      word.syllables.push_back(u.reading);
      word.syllable_spans.push_back(u.span);
    }
    if (!word.syllables.empty()) out.push_back(std::move(word));
  }
  return out;
}

Result<std::vector<MandarinWord>> ReadMandarin(std::string_view utf8) {
  const auto user = UserLexicon::Current();
  std::vector<MandarinWord> out;
  size_t i = 0;
  while (i < utf8.size()) {
    std::vector<MandarinUnit> run;
    auto end = CollectMandarinRun(utf8, i, &run);
    if (!end) return std::unexpected(end.error());
    if (*end == i || run.empty()) {
      i = SkipNonChinese(utf8, i);
      continue;
    }
    for (MandarinWord& w : ReadMandarinRun(run, user.get())) out.push_back(std::move(w));
    i = *end;
  }
  return out;
}

}  // namespace ttsd::frontend
