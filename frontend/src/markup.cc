#include "markup.h"

#include <algorithm>
#include <utility>

#include "mandarin-reader.h"
#include "mandarin-readings.h"
#include "ttsd/frontend/inline-tags.h"
#include "phone-notation.h"
#include "pinyin.h"
#include "text-fold.h"

namespace ttsd::frontend {
namespace {

// Longest override written in parentheses, in bytes ("zhuàng" is 7, "chuang3" 7; room for typos).
constexpr size_t kMaxOverrideBytes = 16;

constexpr std::string_view kOpenParen = "\uFF08";   // （
constexpr std::string_view kCloseParen = "\uFF09";  // ）

// Could `text` be meant as pinyin: Latin letters (with tone marks), at least one tone mark or a
// final tone digit, nothing else?
bool LooksLikePinyin(std::string_view text) {
  bool tone = false;
  size_t i = 0;
  while (i < text.size()) {
    const int32_t cp = DecodeUtf8(text, &i);
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == ':') continue;
    if (cp >= '0' && cp <= '5' && i == text.size()) {
      tone = true;
    } else if ((cp >= 0xC0 && cp <= 0x24F) || (cp >= 0x1E00 && cp <= 0x1EFF) || (cp >= 0x300 && cp <= 0x36F)) {
      tone = tone || (cp != 0xFC && cp != 0xDC && cp != 0x308);  // ü alone is no tone
    } else {
      return false;
    }
  }
  return tone;
}

}  // namespace

Result<std::pair<std::string, size_t>> PinyinOverride(std::string_view s, size_t i) {
  const std::string_view rest = s.substr(i);
  size_t open = 0;
  if (rest.starts_with('(')) open = 1;
  if (rest.starts_with(kOpenParen)) open = kOpenParen.size();
  if (open == 0) return std::pair{std::string(), i};
  const std::string_view window = rest.substr(open, kMaxOverrideBytes + 1);
  const size_t close = std::min(window.find(')'), window.find(kCloseParen));
  if (close == std::string_view::npos || close == 0) return std::pair{std::string(), i};
  const std::string_view written = window.substr(0, close);
  const size_t end = i + open + close + (window[close] == ')' ? 1 : kCloseParen.size());
  bool had_tone = false;
  if (auto syllable = ParsePinyin(written, &had_tone); syllable && had_tone) return std::pair{*syllable, end};
  if (LooksLikePinyin(written)) {
    return MakeError(ErrorCode::kUnsupportedText, "'" + std::string(written) + "' is not a pinyin syllable");
  }
  return std::pair{std::string(), i};
}

bool IsHan(int32_t cp) { return cp >= 0x2E80 && !MandarinReading(cp).empty(); }

size_t InlinePhonesEnd(std::string_view s, size_t i) {
  const size_t close = s.substr(i + 2, kMaxInlinePhonesBytes + 2).find("]]");
  if (close != std::string_view::npos) return i + 2 + close + 2;
  return s.size() >= i + 2 + kMaxInlinePhonesBytes + 2 ? kNotMarkup : kOpen;
}

Result<MarkedText> FoldWithMarkup(std::string_view utf8, const UserLexicon* user) {
  MarkedText out;
  size_t run = 0;  // start of the plain text not yet folded
  auto plain = [&](size_t end) {
    FoldedText folded = FoldToAscii(utf8.substr(run, end - run), static_cast<uint32_t>(run));
    out.ascii += folded.ascii;
    out.source.insert(out.source.end(), folded.source.begin(), folded.source.end());
    out.dropped_foreign = out.dropped_foreign || folded.dropped_foreign;
  };
  // The item spans utf8[run_end, item_end).
  auto item = [&](size_t run_end, size_t item_end, Token token) {
    plain(run_end);
    out.ascii += ' ';
    out.ascii += kMarkupMark;
    out.ascii += ' ';
    out.source.resize(out.ascii.size(), ByteSpan{static_cast<uint32_t>(run_end), static_cast<uint32_t>(item_end)});
    out.items.push_back(std::move(token));
  };
  size_t i = 0;
  while (i < utf8.size()) {
    if (utf8.substr(i).starts_with("[[")) {
      const size_t end = InlinePhonesEnd(utf8, i);
      if (end != kOpen && end != kNotMarkup) {
        auto phones = ParsePhoneNotation(utf8.substr(i + 2, end - 2 - (i + 2)));
        if (!phones) return std::unexpected(phones.error());
        std::string joined;
        for (const std::string& p : *phones) joined += (joined.empty() ? "" : " ") + p;
        item(i, end, Token{TokenKind::kPhones, joined});
        run = i = end;
        continue;
      }
    }
    if (utf8[i] == '[') {
      // An inline tag that reached the frontend inside a sentence (the splitter hands them out
      // alone) is not read: a space.
      const size_t end = InlineTagEnd(utf8, i);
      if (end != kTagOpen && end != kNoTag) {
        plain(i);
        out.ascii += ' ';
        out.source.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(end)});
        run = i = end;
        continue;
      }
    }
    // Chinese: a run of characters and numbers read word by word (mandarin-reader.h), one item
    // per syllable.
    std::vector<MandarinUnit> chinese;
    auto end = CollectMandarinRun(utf8, i, &chinese);
    if (!end) return std::unexpected(end.error());
    if (*end == i || chinese.empty()) {
      i = SkipNonChinese(utf8, i);
      continue;
    }
    for (const MandarinWord& word : ReadMandarinRun(chinese, user)) {
      for (size_t k = 0; k < word.syllables.size(); ++k) {
        const ByteSpan span = word.syllable_spans[k];  // a number's syllables share its span
        if (span.begin >= run) {
          plain(span.begin);
          run = span.begin;
        }
        out.ascii += ' ';
        out.ascii += kMarkupMark;
        out.ascii += ' ';
        out.source.resize(out.ascii.size(), span);
        out.items.push_back(Token{TokenKind::kSyllable, word.syllables[k]});
        run = std::max<size_t>(run, span.end);
      }
    }
    run = i = *end;
  }
  plain(utf8.size());
  return out;
}

}  // namespace ttsd::frontend
