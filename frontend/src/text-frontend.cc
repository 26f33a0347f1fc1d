#include "ttsd/frontend/text-frontend.h"

#include <array>
#include <cctype>
#include <mutex>
#include <string>
#include <unordered_set>

extern "C" {
#include <flite/cst_lexicon.h>
#include <flite/flite.h>
cst_lexicon* cmu_lex_init(void);
}

#include "letter-names.h"
#include "normalizer.h"
#include "phone-notation.h"
#include "pinyin.h"
#include "ttsd/frontend/user-lexicon.h"

namespace ttsd::frontend {
namespace {

// flite's CMU lexicon is one static object inside the library. It is initialized once (a
// function-local static) and every lookup holds this mutex: flite promises no thread safety.
std::mutex& LexiconMutex() {
  static std::mutex mutex;
  return mutex;
}

cst_lexicon* CmuLexicon() {
  static cst_lexicon* const lexicon = [] {
    std::lock_guard lock(LexiconMutex());
    return cmu_lex_init();
  }();
  return lexicon;
}

bool IsStressed(std::string_view phone) { return !phone.empty() && phone.back() >= '0' && phone.back() <= '2'; }

const std::unordered_set<std::string>& InventorySet() {
  static const std::unordered_set<std::string> set(CmuPhoneInventory().begin(), CmuPhoneInventory().end());
  return set;
}

// Words that flite's lexicon and letter-to-sound rules get wrong.
struct Override {
  std::string_view word;
  std::string_view phones;
};
constexpr std::array<Override, 9> kOverrides = {{
    {"o'clock", "ax0 k l aa1 k"},
    {"don't", "d ow1 n t"},
    {"won't", "w ow1 n t"},
    {"can't", "k ae1 n t"},
    {"ain't", "ey1 n t"},
    {"doesn't", "d ah1 z ax0 n t"},
    {"y'all", "y ao1 l"},
    {"ma'am", "m ae1 m"},
    {"www", "d ah1 b ax0 l y uw0 d ah1 b ax0 l y uw0 d ah1 b ax0 l y uw0"},
}};

void AppendSplit(std::vector<std::string>& out, std::string_view phones) {
  for (size_t start = 0; start < phones.size();) {
    size_t end = phones.find(' ', start);
    if (end == std::string_view::npos) end = phones.size();
    if (end > start) out.emplace_back(phones.substr(start, end - start));
    start = end + 1;
  }
}

std::vector<std::string> LetterPhones(std::string_view letter) {
  std::vector<std::string> phones;
  if (letter.empty() || letter[0] < 'a' || letter[0] > 'z') return phones;
  AppendSplit(phones, LetterNamePhones(letter[0]));  // "a" is "ey1" here, not the article's "ax0"
  if (letter.size() > 1) AppendPluralEnding(phones);  // "u's"
  return phones;
}

}  // namespace

const std::vector<std::string>& CmuPhoneInventory() {
  static const std::vector<std::string> inventory = [] {
    std::vector<std::string> phones = {"pau"};
    for (const char* c : {"b", "ch", "d", "dh", "f", "g", "hh", "jh", "k", "l", "m", "n",
                          "ng", "p", "r", "s", "sh", "t", "th", "v", "w", "y", "z", "zh"}) {
      phones.emplace_back(c);
    }
    for (const char* v : {"aa", "ae", "ah", "ao", "aw", "ax", "axr", "ay", "eh", "er", "ey", "ih", "iy", "ow",
                          "oy", "uh", "uw"}) {
      for (char stress : {'0', '1', '2'}) phones.push_back(std::string(v) + stress);
    }
    return phones;
  }();
  return inventory;
}

struct TextFrontend::Impl {
  cst_lexicon* lexicon = nullptr;  // not owned: flite's static lexicon
  LexiconCheck in_lexicon;
  std::shared_ptr<const UserLexicon> voice_lexicon;  // may be null

  std::vector<std::string> WordPhones(std::string_view word, const UserLexicon* user) const {
    // Only a-z and inner apostrophes reach flite.
    std::string clean;
    for (char c : word) {
      const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if ((lower >= 'a' && lower <= 'z') || lower == '\'') clean += lower;
    }
    const size_t first = clean.find_first_not_of('\'');
    if (first == std::string::npos) return {};
    clean = clean.substr(first, clean.find_last_not_of('\'') - first + 1);
    return Phones(clean, user);
  }

  // One lookup of a word of a-z: lexicon entry, else letter-to-sound rules.
  std::vector<std::string> Lookup(const std::string& word) const {
    std::vector<std::string> phones;
    if (word.empty()) return phones;
    std::lock_guard lock(LexiconMutex());
    cst_val* entry = lex_lookup(lexicon, word.c_str(), nullptr, nullptr);
    for (const cst_val* v = entry; v != nullptr; v = val_cdr(v)) {
      std::string phone = val_string(val_car(v));
      // Addenda entries carry some vowels without stress ("p er s eh1 n t"): unstressed.
      if (!InventorySet().contains(phone) && InventorySet().contains(phone + "0")) phone += '0';
      // Anything else outside the inventory (flite's "pau", "_epsilon_") is not a sound.
      if (InventorySet().contains(phone) && phone != "pau") phones.push_back(std::move(phone));
    }
    delete_val(entry);
    return phones;
  }

  // A lower-case word of a-z and apostrophes; the user lexicon (may be null) first.
  std::vector<std::string> Phones(const std::string& word, const UserLexicon* user) const {
    if (user != nullptr) {
      if (const auto* phones = user->Find(word)) return *phones;
    }
    if (voice_lexicon != nullptr) {
      if (const auto* phones = voice_lexicon->Find(word)) return *phones;
    }
    for (const Override& o : kOverrides) {
      if (word == o.word) {
        std::vector<std::string> phones;
        AppendSplit(phones, o.phones);
        return phones;
      }
    }
    // Contractions and possessives: the base word's phones and an ending.
    static constexpr std::array<std::string_view, 7> kEndings = {"n't", "'s", "'re", "'ll", "'ve", "'d", "'m"};
    for (std::string_view ending : kEndings) {
      if (!word.ends_with(ending) || word.size() == ending.size()) continue;
      std::vector<std::string> phones = Phones(word.substr(0, word.size() - ending.size()), user);
      const bool after_vowel = !phones.empty() && IsStressed(phones.back());
      if (ending == "'s") {
        AppendPluralEnding(phones);  // "john's", "it's"
      } else if (ending == "n't") {
        AppendSplit(phones, after_vowel ? "n t" : "ax0 n t");  // "couldn't"
      } else if (ending == "'re") {
        phones.push_back(after_vowel ? "r" : "er0");  // "you're"
      } else if (ending == "'m") {
        phones.push_back("m");  // "i'm"
      } else {
        if (!after_vowel) phones.push_back("ax0");  // "it'll", "could've", "it'd"
        phones.emplace_back(ending.substr(1, 1));
      }
      return phones;
    }
    std::string joined = word;  // "rock'n'roll", "o'brien"
    std::erase(joined, '\'');
    return Lookup(joined);
  }
};

Result<std::unique_ptr<TextFrontend>> TextFrontend::Create(std::string_view language,
                                                           std::shared_ptr<const UserLexicon> voice_lexicon) {
  std::string lang(language);
  for (char& c : lang) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lang != "en-us" && lang != "en") {
    return MakeError(ErrorCode::kUnsupportedText,
                     "language '" + std::string(language) + "' is not supported; the text frontend reads en-us");
  }
  cst_lexicon* lexicon = CmuLexicon();
  if (lexicon == nullptr) return MakeError(ErrorCode::kInternal, "flite's CMU lexicon could not be initialized");
  std::unique_ptr<TextFrontend> frontend(new TextFrontend());
  frontend->impl_ = std::make_unique<Impl>();
  frontend->impl_->lexicon = lexicon;
  frontend->impl_->voice_lexicon = std::move(voice_lexicon);
  frontend->impl_->in_lexicon = [lexicon](std::string_view word) {
    const std::string w(word);
    std::lock_guard lock(LexiconMutex());
    return in_lex(lexicon, w.c_str(), nullptr, nullptr) != 0;
  };
  return frontend;
}

TextFrontend::~TextFrontend() = default;

Result<std::string> TextFrontend::Normalize(std::string_view text) const {
  const auto user = UserLexicon::Current();
  auto tokens = NormalizeTokens(text, impl_->in_lexicon, user.get());
  if (!tokens) return std::unexpected(tokens.error());
  return JoinTokens(*tokens);
}

Result<Segment> TextFrontend::Phonemize(std::string_view sentence) const {
  const auto user = UserLexicon::Current();  // one lexicon for the whole sentence
  auto tokens = NormalizeTokens(sentence, impl_->in_lexicon, user.get());
  if (!tokens) return std::unexpected(tokens.error());
  Segment segment;
  segment.text = JoinTokens(*tokens);
  segment.phones.push_back("pau");
  bool spoken = false;
  for (const Token& token : *tokens) {
    std::vector<std::string> phones;
    switch (token.kind) {
      case TokenKind::kWord: phones = impl_->WordPhones(token.text, user.get()); break;
      case TokenKind::kLetter: phones = LetterPhones(token.text); break;
      case TokenKind::kPhones: AppendSplit(phones, token.text); break;
      case TokenKind::kSyllable: phones = PinyinPhones(token.text); break;
      case TokenKind::kPause:
      case TokenKind::kEnd:
        if (segment.phones.back() != "pau") segment.phones.push_back("pau");
        continue;
    }
    const auto first = static_cast<uint32_t>(segment.phones.size());
    for (std::string& phone : phones) {
      if (phone == "pau" && segment.phones.back() == "pau") continue;  // "pau" written in [[...]]
      spoken = spoken || phone != "pau";
      segment.phones.push_back(std::move(phone));
    }
    const auto end = static_cast<uint32_t>(segment.phones.size());
    if (end == first) continue;
    auto& words = segment.words;
    if (!words.empty() && words.back().begin == token.begin && words.back().end == token.end) {
      words.back().end_phone = end;  // more of the same written form (a pause inside "555-1234")
    } else {
      words.push_back({token.begin, token.end, first, end});
    }
  }
  if (!spoken) return MakeError(ErrorCode::kEmptyText, "no words to speak in '" + segment.text + "'");
  if (segment.phones.back() != "pau") segment.phones.push_back("pau");
  return segment;
}

std::vector<std::string> TextFrontend::WordPhones(std::string_view word) const {
  return impl_->WordPhones(word, UserLexicon::Current().get());
}

}  // namespace ttsd::frontend
