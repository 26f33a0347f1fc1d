// Fuzzes the user lexicon's parser (frontend/include/ttsd/frontend/user-lexicon.h), the one file
// format ttsd reads besides its config. Checks, beyond the sanitizers: every word of an accepted
// lexicon is found again, an English word with phones of CmuPhoneInventory(), a Chinese word
// (looked up in its reading form, simplified) with one sayable pinyin syllable per character; with the
// lexicon installed the frontend phonemizes each word into a well-formed segment, and the Mandarin
// reader reads a Chinese word as the one word the lexicon gives.
// Input: a lexicon file (any bytes).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "../../frontend/src/mandarin-dict.h"
#include "../../frontend/src/pinyin.h"
#include "fuzz-check.h"
#include "ttsd/frontend/mandarin.h"
#include "ttsd/frontend/text-frontend.h"
#include "ttsd/frontend/user-lexicon.h"
#include "ttsd/protocol/messages.h"

namespace {

using namespace ttsd::frontend;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

const std::set<std::string>& Inventory() {
  static const std::set<std::string> inventory(CmuPhoneInventory().begin(), CmuPhoneInventory().end());
  return inventory;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<TextFrontend> frontend = [] {
    auto f = TextFrontend::Create("en-us");
    FUZZ_CHECK(f, "TextFrontend::Create failed");
    return std::move(*f);
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto lexicon = UserLexicon::Parse(text, "fuzz");
  if (!lexicon) return 0;

  UserLexicon::Install(*lexicon);
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    line = line.substr(0, line.find('#'));
    while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    size_t gap = 0;
    while (gap < line.size() && !IsBlank(line[gap])) ++gap;
    const std::string_view word = line.substr(0, gap);
    if (word.empty()) continue;
    size_t chars = 0;
    if (const std::string chinese = ChineseWordKey(word, &chars); !chinese.empty()) {
      const auto* syllables = (*lexicon)->FindPinyin(chinese);
      FUZZ_CHECK(syllables && syllables->size() == chars, "an accepted Chinese word is not found whole");
      for (const std::string& s : *syllables) FUZZ_CHECK(!PinyinPhones(s).empty(), "a syllable no voice can say");
      auto words = ReadMandarin(word);
      FUZZ_CHECK(words && words->size() == 1 && (*words)[0].text == chinese, "a lexicon word is not read whole");
      continue;
    }
    const auto* phones = (*lexicon)->Find(word);
    FUZZ_CHECK(phones && !phones->empty(), "an accepted word is not found");
    for (const std::string& p : *phones) FUZZ_CHECK(Inventory().contains(p), "a phone outside the CMU inventory");
    if (!ttsd::protocol::IsValidUtf8(word)) continue;  // the engine only ever gets UTF-8 text
    auto segment = frontend->Phonemize(word);
    if (!segment) continue;
    FUZZ_CHECK(segment->phones.front() == "pau" && segment->phones.back() == "pau", "a segment without its pauses");
    for (const std::string& p : segment->phones) {
      FUZZ_CHECK(Inventory().contains(p), "a phone outside the CMU inventory");
    }
  }
  UserLexicon::Install(nullptr);
  return 0;
}
