#include "mandarin-dict.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "mandarin-readings.h"
#include "markup.h"
#include "text-fold.h"

// The generated dictionary text, embedded whole (4-5 MB of "word\tfreq\ttag\treading\n" lines,
// sorted by bytes); TTSD_MANDARIN_DICT_PATH is its path in the build tree (CMake).
asm(".pushsection .rodata\n"
    ".balign 16\n"
    ".globl ttsd_mandarin_dict_begin\n"
    ".hidden ttsd_mandarin_dict_begin\n"
    "ttsd_mandarin_dict_begin:\n"
    ".incbin \"" TTSD_MANDARIN_DICT_PATH "\"\n"
    ".globl ttsd_mandarin_dict_end\n"
    ".hidden ttsd_mandarin_dict_end\n"
    "ttsd_mandarin_dict_end:\n"
    ".byte 0\n"
    ".popsection\n");
extern "C" const char ttsd_mandarin_dict_begin[];
extern "C" const char ttsd_mandarin_dict_end[];

namespace ttsd::frontend {
namespace {

// kT2s: {traditional, simplified}, sorted.
#include "mandarin-t2s.inc"

struct Dictionary {
  std::vector<MandarinEntry> entries;  // sorted by word bytes, as the text is
  double log_total = 0;
  size_t max_chars = 1;
};

std::string_view Field(std::string_view line, size_t* pos) {
  const size_t tab = line.find('\t', *pos);
  const size_t end = tab == std::string_view::npos ? line.size() : tab;
  const std::string_view field = line.substr(*pos, end - *pos);
  *pos = end == line.size() ? end : end + 1;
  return field;
}

const Dictionary& Dict() {
  static const Dictionary dict = [] {
    Dictionary d;
    const std::string_view text(ttsd_mandarin_dict_begin,
                                static_cast<size_t>(ttsd_mandarin_dict_end - ttsd_mandarin_dict_begin));
    d.entries.reserve(360000);
    double total = 0;
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view line = text.substr(start, end - start);
      start = end + 1;
      size_t pos = 0;
      MandarinEntry e;
      e.word = Field(line, &pos);
      uint32_t freq = 0;
      for (char c : Field(line, &pos)) freq = freq * 10 + static_cast<uint32_t>(c - '0');
      e.frequency = std::max<uint32_t>(freq, 1);
      e.tag = Field(line, &pos);
      e.reading = Field(line, &pos);
      if (e.word.empty()) continue;
      total += e.frequency;
      size_t chars = 0;
      for (size_t i = 0; i < e.word.size(); ++chars) DecodeUtf8(e.word, &i);
      d.max_chars = std::max(d.max_chars, chars);
      d.entries.push_back(e);
    }
    d.log_total = std::log(std::max(total, 1.0));
    return d;
  }();
  return dict;
}

}  // namespace

const MandarinEntry* FindMandarinWord(std::string_view word) {
  const auto& entries = Dict().entries;
  const auto it = std::ranges::lower_bound(entries, word, {}, &MandarinEntry::word);
  return it != entries.end() && it->word == word ? &*it : nullptr;
}

double MandarinLogTotal() { return Dict().log_total; }

size_t MandarinMaxWordChars() { return Dict().max_chars; }

std::string_view CharReading(int32_t cp) {
  const std::string_view unihan = MandarinReading(cp);
  if (unihan.empty()) return unihan;
  std::string utf8;
  AppendUtf8(utf8, cp);
  const MandarinEntry* e = FindMandarinWord(utf8);
  return e != nullptr && !e->reading.empty() ? e->reading : unihan;
}

void AppendUtf8(std::string& out, int32_t cp) {
  if (cp < 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return;
  const auto c = static_cast<uint32_t>(cp);
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

int32_t Simplified(int32_t cp) {
  const auto it = std::ranges::lower_bound(kT2s, static_cast<uint32_t>(cp), {},
                                           &std::pair<uint32_t, uint32_t>::first);
  return it != kT2s.end() && it->first == static_cast<uint32_t>(cp) ? static_cast<int32_t>(it->second) : cp;
}

std::string ChineseWordKey(std::string_view word, size_t* chars) {
  std::string key;
  *chars = 0;
  for (size_t i = 0; i < word.size();) {
    const int32_t cp = DecodeUtf8(word, &i);
    if (cp < 0x2E80 || !IsHan(cp)) return "";
    AppendUtf8(key, ReadingForm(cp));
    ++*chars;
  }
  return key;
}

int32_t ReadingForm(int32_t cp) {
  const int32_t simplified = Simplified(cp);
  return simplified == cp || MandarinReading(simplified).empty() ? cp : simplified;
}

}  // namespace ttsd::frontend
