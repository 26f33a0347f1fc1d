// Fuzzes the Mandarin frontend (frontend/include/ttsd/frontend/mandarin.h): ReadMandarin over any
// text (rare characters, emoji, mixed scripts, control characters, long numbers), and the same
// text through TextFrontend::Phonemize, where the Chinese runs become syllables. Checks, beyond
// the sanitizers: words come in order, inside the text, on whole characters; each has syllables,
// one span per syllable inside the word's; each syllable is one the native voices can say
// (PinyinPhones is not empty); every Chinese character of the text lies inside some word's span
// (nothing is dropped silently), unless the text is refused with kUnsupportedText.
// Input: the text, made valid UTF-8 first (invalid bytes become U+FFFD), as in fuzz-frontend.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../../frontend/src/markup.h"
#include "../../frontend/src/pinyin.h"
#include "../../frontend/src/text-fold.h"
#include "fuzz-check.h"
#include "fuzz-utf8.h"
#include "ttsd/frontend/mandarin.h"
#include "ttsd/frontend/text-frontend.h"
#include "ttsd/protocol/messages.h"

namespace {

using namespace ttsd;
using namespace ttsd::frontend;

using ttsd::fuzz::ValidUtf8;

const TextFrontend& Frontend() {
  static const std::unique_ptr<TextFrontend> frontend = [] {
    auto f = TextFrontend::Create("en-us");
    FUZZ_CHECK(f, "TextFrontend::Create failed");
    return std::move(*f);
  }();
  return *frontend;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = ValidUtf8(std::string_view(reinterpret_cast<const char*>(data), size));
  auto words = ReadMandarin(text);
  if (!words) {
    FUZZ_CHECK(words.error().code == ErrorCode::kUnsupportedText, "ReadMandarin failed with an unexpected code");
  } else {
    uint32_t end = 0;
    for (const MandarinWord& w : *words) {
      FUZZ_CHECK(w.span.begin >= end && w.span.begin < w.span.end && w.span.end <= text.size(),
                 "a word's span is out of order or outside the text");
      FUZZ_CHECK(protocol::IsValidUtf8(std::string_view(text).substr(w.span.begin, w.span.end - w.span.begin)),
                 "a word's span cuts a character");
      FUZZ_CHECK(!w.syllables.empty() && w.syllables.size() == w.syllable_spans.size(), "a word without syllables");
      for (size_t k = 0; k < w.syllables.size(); ++k) {
        FUZZ_CHECK(!PinyinPhones(w.syllables[k]).empty(), "a syllable the voices cannot say");
        const ByteSpan s = w.syllable_spans[k];
        FUZZ_CHECK(s.begin >= w.span.begin && s.end <= w.span.end && s.begin < s.end, "a syllable outside its word");
      }
      end = w.span.end;
    }
    // Every Chinese character is inside some word.
    size_t next = 0;
    for (size_t i = 0; i < text.size();) {
      const size_t at = i;
      const int32_t cp = DecodeUtf8(text, &i);
      if (cp < 0x2E80 || !IsHan(cp)) continue;
      while (next < words->size() && (*words)[next].span.end <= at) ++next;
      FUZZ_CHECK(next < words->size() && (*words)[next].span.begin <= at, "a Chinese character was dropped");
    }
  }
  // The same text through the whole frontend: it reads or refuses it, and never crashes or hangs.
  auto segment = Frontend().Phonemize(text);
  if (segment) {
    FUZZ_CHECK(!segment->phones.empty() && segment->phones.front() == "pau" && segment->phones.back() == "pau",
               "a segment without its pauses");
  }
  return 0;
}
