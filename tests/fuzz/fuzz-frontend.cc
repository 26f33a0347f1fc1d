// Fuzzes the text frontend (engine/include/ttsd/frontend/text-frontend.h): the sentence splitter fed
// in pieces, then Normalize and Phonemize of each sentence and of the whole text. Checks, beyond
// the sanitizers, what the header promises: the splitter cuts text that arrives in pieces exactly
// where it cuts the whole text, loses no character, hands out trimmed non-empty sentences and, once
// closed, runs dry only when Done() (else a stream would wait for text forever); a segment starts
// and ends with "pau" and holds only phones of CmuPhoneInventory(); its written words lie in order
// inside the sentence, on whole characters, each with phones inside the segment.
// Input: byte 0 picks the piece size (1..64) and max_words (3 or 40); the rest is the text, made
// valid UTF-8 first (invalid bytes become U+FFFD) as every front end hands the engine only UTF-8.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz-check.h"
#include "fuzz-utf8.h"
#include "ttsd/frontend/text-frontend.h"
#include "ttsd/protocol/messages.h"

namespace {

using namespace ttsd;
using namespace ttsd::frontend;

const TextFrontend& Frontend() {
  static const std::unique_ptr<TextFrontend> frontend = [] {
    auto f = TextFrontend::Create("en-us");
    FUZZ_CHECK(f, "TextFrontend::Create failed");
    return std::move(*f);
  }();
  return *frontend;
}

using ttsd::fuzz::ValidUtf8;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string WithoutSpace(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!IsSpace(c)) out += c;
  }
  return out;
}

// Appends the text in pieces, taking what is ready after each; then closes and drains.
std::vector<std::string> Split(const std::string& text, size_t piece, size_t max_words) {
  SentenceSplitter splitter(max_words);
  std::vector<std::string> out;
  auto drain = [&] {
    for (std::string s = splitter.Next(); !s.empty(); s = splitter.Next()) out.push_back(std::move(s));
  };
  for (size_t pos = 0; pos < text.size(); pos += piece) {
    splitter.Append(std::string_view(text).substr(pos, piece));
    drain();
  }
  splitter.Close();
  drain();
  FUZZ_CHECK(splitter.Done(), "a closed splitter ran dry before Done(): the stream would wait forever");
  return out;
}

void CheckSegment(const Result<Segment>& segment, std::string_view sentence) {
  if (!segment) return;
  // Written words: inside the sentence, in order, on whole characters, each with phones.
  uint32_t text_end = 0;
  for (const SegmentWord& w : segment->words) {
    FUZZ_CHECK(w.begin < w.end && w.end <= sentence.size() && w.begin >= text_end, "a word's span is out of order");
    FUZZ_CHECK(protocol::IsValidUtf8(sentence.substr(w.begin, w.end - w.begin)), "a word's span cuts a character");
    // What marks rely on: each word has phones of its own, inside the segment. (Whether words' phones
    // may interleave, e.g. a written form read around another, is open: fuzz-frontend found a case.)
    FUZZ_CHECK(w.first_phone < w.end_phone && w.end_phone <= segment->phones.size(), "a word's phones are out of range");
    text_end = w.end;
  }
  static const std::set<std::string> inventory = [] {
    const auto& v = CmuPhoneInventory();
    return std::set<std::string>(v.begin(), v.end());
  }();
  const auto& phones = segment->phones;
  FUZZ_CHECK(!phones.empty() && phones.front() == "pau" && phones.back() == "pau", "a segment without its pauses");
  for (const std::string& p : phones) {
    if (!inventory.contains(p)) std::fprintf(stderr, "phone '%s'\n", p.c_str());
    FUZZ_CHECK(inventory.contains(p), "a phone outside the CMU inventory");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t piece = data[0] % 64 + 1;
  const size_t max_words = (data[0] & 0x40) ? 3 : 40;
  const std::string text = ValidUtf8(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  const TextFrontend& frontend = Frontend();

  const std::vector<std::string> sentences = Split(text, text.size() ? text.size() : 1, max_words);
  FUZZ_CHECK(Split(text, piece, max_words) == sentences, "text in pieces was cut elsewhere than the whole text");
  FUZZ_CHECK(Split(text, 1, max_words) == sentences, "text byte by byte was cut elsewhere than the whole text");
  std::string joined;
  for (const std::string& s : sentences) {
    FUZZ_CHECK(!s.empty() && !IsSpace(s.front()) && !IsSpace(s.back()), "a sentence is empty or not trimmed");
    joined += s;
  }
  FUZZ_CHECK(WithoutSpace(joined) == WithoutSpace(text), "the sentences lost or gained characters");

  for (const std::string& s : sentences) {
    auto normalized = frontend.Normalize(s);
    if (normalized) FUZZ_CHECK(protocol::IsValidUtf8(*normalized), "normalized text is not UTF-8");
    CheckSegment(frontend.Phonemize(s), s);
  }
  CheckSegment(frontend.Phonemize(text), text);
  return 0;
}
