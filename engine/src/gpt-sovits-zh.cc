#include "gpt-sovits-zh.h"

#include <array>
#include <cctype>
#include <fstream>

#include "ttsd/frontend/mandarin.h"

namespace ttsd::engine {
namespace {

// The next UTF-8 character of s at *i (advanced past it); invalid bytes are one character each.
std::string_view NextChar(std::string_view s, size_t* i) {
  const auto lead = static_cast<unsigned char>(s[*i]);
  size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
  if (*i + n > s.size()) n = 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[*i + k]) & 0xC0) != 0x80) {
      n = 1;
      break;
    }
  }
  const std::string_view c = s.substr(*i, n);
  *i += n;
  return c;
}

int32_t CodePoint(std::string_view c) {
  const auto b = [&](size_t k) { return static_cast<int32_t>(static_cast<unsigned char>(c[k])); };
  switch (c.size()) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

bool IsCjk(int32_t cp) {
  return (cp >= 0x3400 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F);
}

bool IsLatin(int32_t cp) { return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z'); }

constexpr std::array<std::string_view, 21> kInitials = {"zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l",
                                                        "g",  "k",  "h",  "j", "q", "x", "r", "z", "c", "s"};

bool IsMark(const std::string& s) { return s == "," || s == "." || s == "!" || s == "?" || s == "-" || s == "…"; }

}  // namespace

std::vector<std::string> ZhSyllableSymbols(std::string_view syllable) {
  if (syllable.size() < 2 || syllable.back() < '1' || syllable.back() > '5') return {};
  const std::string tone(1, syllable.back());
  std::string letters(syllable.substr(0, syllable.size() - 1));
  for (char c : letters) {
    if (c < 'a' || c > 'z') return {};
  }
  if (letters.size() > 2 && letters.ends_with('r')) {  // erhua
    auto out = ZhSyllableSymbols(letters.substr(0, letters.size() - 1) + tone);
    if (out.empty()) return out;
    out.emplace_back("EE");
    out.push_back("er" + tone);
    return out;
  }
  if (letters == "m" || letters == "hm") return {"m", "u" + tone};
  if (letters == "n" || letters == "ng") return {"EE", "en" + tone};
  if (letters == "hng") return {"h", "eng" + tone};
  std::string initial;
  if (letters.starts_with('y') || letters.starts_with('w')) {
    initial = letters.substr(0, 1);
  } else {
    for (std::string_view in : kInitials) {
      if (letters.starts_with(in)) {
        initial = in;
        break;
      }
    }
  }
  std::string final = letters.substr(initial.size());
  if (final.empty()) return {};
  if (initial.empty() && (final[0] == 'i' || final[0] == 'u' || final[0] == 'v')) {
    // Finals written without their y- or w- spelling ("i1", "uo3"), as upstream respells them;
    // the shortened iu ui un in full first (you wei wen). "ir" and "iz" alone are no syllable.
    if (final == "ir" || final == "iz") return {};
    if (final == "iu") final = "iou";
    if (final == "ui") final = "uei";
    if (final == "un") final = "uen";
    std::string spelled = final == "i" || final == "in" || final == "ing" ? "y" + final
                          : final == "u"                               ? "wu"
                          : final[0] == 'v'                             ? "yu" + final.substr(1)
                          : final[0] == 'i'                             ? "y" + final.substr(1)
                                                                        : "w" + final.substr(1);
    return ZhSyllableSymbols(spelled + tone);
  }
  if (initial.empty()) {
    const char first = final[0];
    if (first != 'a' && first != 'e' && first != 'o') return {};
    initial = first == 'a' ? "AA" : first == 'e' ? "EE" : "OO";
  }
  if ((initial == "j" || initial == "q" || initial == "x" || initial == "y") && final.starts_with('u')) {
    final[0] = 'v';
  }
  if ((initial == "n" || initial == "l") && final == "ue") final = "ve";
  if (final == "i" && (initial == "z" || initial == "c" || initial == "s")) final = "i0";
  if (final == "i" && (initial == "zh" || initial == "ch" || initial == "sh" || initial == "r")) final = "ir";
  if (initial == "y" && final == "an") final = "En";
  if (initial == "y" && final == "e") final = "E";
  return {initial, final + tone};
}

std::string_view ZhMark(std::string_view mark) {
  static const std::unordered_map<std::string_view, std::string_view> kMarks = {
      {"\xEF\xBC\x9A", ","}, {"\xEF\xBC\x9B", ","}, {"\xEF\xBC\x8C", ","}, {"\xE3\x80\x82", "."},  // ：；，。
      {"\xEF\xBC\x81", "!"}, {"\xEF\xBC\x9F", "?"}, {"\n", "."},           {"\xC2\xB7", ","},       // ！？ \n ·
      {"\xE3\x80\x81", ","}, {"$", "."},           {"/", ","},            {"\xE2\x80\x94", "-"},   // 、 $ / —
      {"~", "\xE2\x80\xA6"}, {"\xEF\xBD\x9E", "\xE2\x80\xA6"}, {"\xE2\x80\xA6", "\xE2\x80\xA6"},  // ~ ～ …
      {"!", "!"},           {"?", "?"},           {",", ","},            {".", "."},              {"-", "-"},
  };
  auto it = kMarks.find(mark);
  return it == kMarks.end() ? std::string_view() : it->second;
}

Result<ZhRun> ReadZhRun(std::string_view text) {
  auto words = frontend::ReadMandarin(text);
  if (!words) return std::unexpected(words.error());
  ZhRun run;
  auto marks = [&](std::string_view gap) {
    for (size_t i = 0; i < gap.size();) {
      std::string_view mark;
      if (gap.substr(i, 3) == "...") {  // upstream's "..." -> "…"
        mark = "\xE2\x80\xA6";
        i += 3;
      } else {
        mark = ZhMark(NextChar(gap, &i));
      }
      if (mark.empty()) continue;
      if (!run.symbols.empty() && IsMark(run.symbols.back())) continue;  // a run of marks is its first
      run.symbols.emplace_back(mark);
      run.chars.emplace_back(mark);
      run.word2ph.push_back(1);
    }
  };
  size_t pos = 0;
  for (const frontend::MandarinWord& w : *words) {
    if (w.span.begin > pos) marks(text.substr(pos, w.span.begin - pos));
    pos = std::max<size_t>(pos, w.span.end);
    std::vector<std::string> chars;
    for (size_t i = 0; i < w.text.size();) {
      std::string c(NextChar(w.text, &i));
      if (c == "\xE5\x97\xAF") c = "\xE6\x81\xA9";  // 嗯 -> 恩, 呣 -> 母 (upstream reads them so)
      if (c == "\xE5\x91\xA3") c = "\xE6\xAF\x8D";
      chars.push_back(std::move(c));
    }
    size_t ci = 0;
    for (const std::string& s : w.syllables) {
      std::vector<std::string> symbols = ZhSyllableSymbols(s);
      if (symbols.empty()) {
        return MakeError(ErrorCode::kUnsupportedText, "the syllable '" + s + "' (in '" + w.text +
                                                          "') has no GPT-SoVITS symbols");
      }
      const auto n = static_cast<int32_t>(symbols.size());
      run.symbols.insert(run.symbols.end(), symbols.begin(), symbols.end());
      if (ci >= chars.size()) {  // more syllables than characters: the last one takes them
        if (run.word2ph.empty()) {
          run.chars.emplace_back("[UNK]");
          run.word2ph.push_back(0);
        }
        run.word2ph.back() += n;
      } else if (n == 4 && ci + 1 < chars.size() && chars[ci + 1] == "\xE5\x84\xBF") {  // X儿: 2 and 2
        run.chars.push_back(chars[ci]);
        run.chars.push_back(chars[ci + 1]);
        run.word2ph.push_back(2);
        run.word2ph.push_back(2);
        ci += 2;
      } else {
        run.chars.push_back(chars[ci++]);
        run.word2ph.push_back(n);
      }
    }
  }
  if (pos < text.size()) marks(text.substr(pos));
  return run;
}

bool HasCjk(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (IsCjk(CodePoint(NextChar(text, &i)))) return true;
  }
  return false;
}

// A unit written in Latin letters right after a number in Chinese text ("5km", "500ml"): the
// Mandarin frontend reads it (千米, 毫升) when it reads "是1" and the letters as more than two syllables.
size_t UnitAfterNumber(std::string_view s, size_t i) {
  if (i == 0 || !std::isdigit(static_cast<unsigned char>(s[i - 1]))) return 0;
  size_t end = i;
  while (end < s.size() && IsLatin(static_cast<unsigned char>(s[end])) && end - i < 4) ++end;
  if (end < s.size() && IsLatin(static_cast<unsigned char>(s[end]))) return 0;
  auto words = frontend::ReadMandarin("\xE6\x98\xAF" "1" + std::string(s.substr(i, end - i)));  // 是1km
  size_t syllables = 0;
  if (words) {
    for (const auto& w : *words) syllables += w.syllables.size();
  }
  return syllables > 2 ? end - i : 0;  // more than 是 一
}

std::vector<ScriptRun> SplitScripts(std::string_view sentence) {
  std::vector<ScriptRun> runs;
  std::string pending;  // ahead of the first run
  for (size_t i = 0; i < sentence.size();) {
    if (!runs.empty() && runs.back().zh) {
      if (const size_t unit = UnitAfterNumber(sentence, i); unit > 0) {
        runs.back().text += sentence.substr(i, unit);
        i += unit;
        continue;
      }
    }
    const std::string_view c = NextChar(sentence, &i);
    const int32_t cp = CodePoint(c);
    const bool zh = IsCjk(cp), en = IsLatin(cp);
    if ((zh || en) && (runs.empty() || runs.back().zh != zh)) {
      runs.push_back(ScriptRun{zh, runs.empty() ? std::move(pending) : std::string()});
    }
    if (runs.empty()) {
      pending += c;
    } else {
      runs.back().text += c;
    }
  }
  if (runs.empty() && !pending.empty()) runs.push_back(ScriptRun{false, std::move(pending)});
  return runs;
}

Result<BertVocab> BertVocab::Read(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read " + path);
  BertVocab v;
  std::string line;
  int64_t id = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    v.ids_.insert_or_assign(line, id++);  // the last of duplicates wins, as transformers' load_vocab
  }
  for (auto [token, out] : {std::pair{"[CLS]", &v.cls_}, std::pair{"[SEP]", &v.sep_}, std::pair{"[UNK]", &v.unk_}}) {
    auto it = v.ids_.find(token);
    if (it == v.ids_.end()) return MakeError(ErrorCode::kModelError, path + " has no " + token + " token (not a BERT vocab.txt?)");
    *out = it->second;
  }
  return v;
}

std::vector<int64_t> BertVocab::Encode(const std::vector<std::string>& chars) const {
  std::vector<int64_t> ids{cls_};
  for (const std::string& c : chars) {
    auto it = ids_.find(c);
    if (it == ids_.end() && c.size() == 1 && c[0] >= 'A' && c[0] <= 'Z') {
      it = ids_.find(std::string(1, static_cast<char>(c[0] - 'A' + 'a')));
    }
    ids.push_back(it == ids_.end() ? unk_ : it->second);
  }
  ids.push_back(sep_);
  return ids;
}

}  // namespace ttsd::engine
