#include "ttsd/frontend/user-lexicon.h"

#include <fstream>
#include <mutex>

#include "mandarin-dict.h"
#include "phone-notation.h"
#include "pinyin.h"
#include "text-fold.h"
#include "text-lexer.h"

namespace ttsd::frontend {
namespace {

// The installed lexicon. The mutex guards only the pointer; the lexicon itself is immutable.
std::mutex& InstalledMutex() {
  static std::mutex mutex;
  return mutex;
}
std::shared_ptr<const UserLexicon>& Installed() {
  static std::shared_ptr<const UserLexicon> installed;
  return installed;
}

// The word as text is folded and matched: lower-case ASCII. Empty if it is not a word: letters,
// digits, inner apostrophes and hyphens, at least one letter.
std::string Key(std::string_view word) {
  std::string key = Lower(FoldToAscii(word).ascii);
  bool letter = false;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool inner = i > 0 && i + 1 < key.size();
    if (IsLower(c)) {
      letter = true;
    } else if (!IsDigit(c) && !((c == '\'' || c == '-') && inner)) {
      return "";
    }
  }
  return letter ? key : "";
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

Result<std::shared_ptr<const UserLexicon>> UserLexicon::Parse(std::string_view text, std::string_view origin) {
  std::shared_ptr<UserLexicon> lexicon(new UserLexicon());
  std::unordered_map<std::string, size_t> first_line;
  size_t number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    auto fail = [&](const std::string& what) {
      return MakeError(ErrorCode::kBadRequest, std::string(origin) + ":" + std::to_string(number) + ": " + what);
    };
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
    if (line.empty()) continue;
    size_t gap = 0;
    while (gap < line.size() && !IsBlank(line[gap])) ++gap;
    const std::string_view word = line.substr(0, gap);
    std::string_view phones = line.substr(gap);
    while (!phones.empty() && IsBlank(phones.front())) phones.remove_prefix(1);
    if (phones.empty()) return fail("'" + std::string(word) + "' has no phones (expected: word, then phones)");
    if (phones.starts_with("[[") && phones.ends_with("]]") && phones.size() >= 4) {
      phones = phones.substr(2, phones.size() - 4);
    }
    size_t chars = 0;
    if (std::string chinese = ChineseWordKey(word, &chars); !chinese.empty()) {
      // A Chinese word: pinyin syllables, one per character (tone marks or digits).
      std::vector<std::string> syllables;
      for (size_t start = 0; start < phones.size();) {
        size_t end = start;
        while (end < phones.size() && !IsBlank(phones[end])) ++end;
        const std::string_view written = phones.substr(start, end - start);
        auto syllable = ParsePinyin(written);
        if (!syllable) return fail("'" + std::string(written) + "' is not a pinyin syllable (in '" + std::string(word) + "')");
        syllables.push_back(std::move(*syllable));
        start = end;
        while (start < phones.size() && IsBlank(phones[start])) ++start;
      }
      if (syllables.size() != chars) {
        return fail("'" + std::string(word) + "' has " + std::to_string(chars) + " characters and " +
                    std::to_string(syllables.size()) + " syllables");
      }
      if (const auto it = first_line.find(chinese); it != first_line.end()) {
        return fail("'" + std::string(word) + "' is already given on line " + std::to_string(it->second));
      }
      first_line.emplace(chinese, number);
      lexicon->pinyin_.emplace(std::move(chinese), std::move(syllables));
      continue;
    }
    const std::string key = Key(word);
    if (key.empty()) {
      return fail("'" + std::string(word) + "' is not a word (letters, digits, inner ' and -)");
    }
    auto parsed = ParsePhoneNotation(phones);
    if (!parsed) return fail(parsed.error().message);
    if (const auto it = first_line.find(key); it != first_line.end()) {
      return fail("'" + std::string(word) + "' is already given on line " + std::to_string(it->second));
    }
    first_line.emplace(key, number);
    lexicon->entries_.emplace(key, std::move(*parsed));
  }
  return lexicon;
}

Result<std::shared_ptr<const UserLexicon>> UserLexicon::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read lexicon " + path);
  const std::streamoff size = in.tellg();
  if (size < 0) return MakeError(ErrorCode::kIo, "cannot read lexicon " + path);
  if (static_cast<size_t>(size) > kMaxFileBytes) {
    return MakeError(ErrorCode::kIo, "lexicon " + path + " is larger than " + std::to_string(kMaxFileBytes) + " bytes");
  }
  std::string text(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(text.data(), size)) return MakeError(ErrorCode::kIo, "cannot read lexicon " + path);
  return Parse(text, path);
}

const std::vector<std::string>* UserLexicon::FindPinyin(std::string_view word) const {
  if (pinyin_.empty()) return nullptr;
  const auto it = pinyin_.find(std::string(word));
  return it == pinyin_.end() ? nullptr : &it->second;
}

const std::vector<std::string>* UserLexicon::Find(std::string_view word) const {
  const auto it = entries_.find(Key(word));
  return it == entries_.end() ? nullptr : &it->second;
}

void UserLexicon::Install(std::shared_ptr<const UserLexicon> lexicon) {
  std::lock_guard lock(InstalledMutex());
  Installed().swap(lexicon);  // the old one goes with the last reader that holds it
}

std::shared_ptr<const UserLexicon> UserLexicon::Current() {
  std::lock_guard lock(InstalledMutex());
  return Installed();
}

}  // namespace ttsd::frontend
