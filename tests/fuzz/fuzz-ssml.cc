// Fuzzes the SSML reader (frontend/src/ssml.h): a document fed whole, in pieces of random sizes and
// (when short) byte by byte. Checks, beyond the sanitizers and libxml2 under them: one span per
// byte of text, each inside the bytes fed so far and in document order; the same text, spans and
// outcome whatever the pieces; only kBadRequest (kInternal: the reader lost its place), final once
// returned, with nothing appended by the failing call; UTF-8 text; and the tags written for
// <break>, <prosody>, <emphasis> and <voice> are ones inline-tags.h reads, the phones written for
// <phoneme> ones phone-notation.h reads.
// Input: byte 0 seeds the piece sizes (1 to 64 bytes); the rest is the document, as it comes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../../frontend/src/phone-notation.h"
#include "ttsd/frontend/ssml.h"
#include "fuzz-check.h"
#include "ttsd/frontend/inline-tags.h"
#include "ttsd/protocol/messages.h"

namespace {

using namespace ttsd;
using namespace ttsd::frontend;

struct Outcome {
  bool ok = true;
  std::string error;
  std::string text;
  std::vector<SourceSpan> spans;
};

void CheckSpans(const Outcome& o, size_t fed) {
  FUZZ_CHECK(o.spans.size() == o.text.size(), "not one span per byte of text");
  uint32_t begin = 0, end = 0;
  for (const SourceSpan& s : o.spans) {
    FUZZ_CHECK(s.begin <= s.end && s.end <= fed, "a span outside the bytes fed so far");
    FUZZ_CHECK(s.begin >= begin && s.end >= end, "spans out of document order");
    begin = s.begin;
    end = s.end;
  }
}

// Feeds `doc` in the given piece sizes (cycled), then closes.
Outcome Read(std::string_view doc, const std::vector<size_t>& pieces) {
  Outcome o;
  SsmlReader reader;
  auto failed = [&](const Error& e) {
    FUZZ_CHECK(e.code == ErrorCode::kBadRequest, e.message.c_str());
    FUZZ_CHECK(protocol::IsValidUtf8(e.message), "an error message that is not UTF-8");
    o.ok = false;
    o.error = e.message;
    const size_t size = o.text.size();
    auto again = reader.Append("x", &o.text, &o.spans);
    FUZZ_CHECK(!again && again.error().message == e.message, "an error that is not final");
    FUZZ_CHECK(o.text.size() == size, "a failed call appended text");
    return o;
  };
  size_t at = 0;
  for (size_t i = 0; at < doc.size(); ++i) {
    const size_t n = std::min(pieces[i % pieces.size()], doc.size() - at);
    const size_t size = o.text.size();
    auto s = reader.Append(doc.substr(at, n), &o.text, &o.spans);
    if (!s) {
      FUZZ_CHECK(o.text.size() == size, "a failed call appended text");
      return failed(s.error());
    }
    at += n;
    CheckSpans(o, at);
  }
  if (auto s = reader.Close(&o.text, &o.spans); !s) return failed(s.error());
  CheckSpans(o, doc.size());
  return o;
}

bool IsSpace(char c) { return c == ' ' || c == '\n'; }

// The text written for one element's tag: inline tags and spaces only, each one ParseInlineTag takes.
void CheckTags(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (IsSpace(text[i])) {
      ++i;
      continue;
    }
    const size_t end = InlineTagEnd(text, i);
    FUZZ_CHECK(text[i] == '[' && end != kTagOpen && end != kNoTag, "markup wrote text that is no tag");
    auto tag = ParseInlineTag(text.substr(i, end - i));
    if (!tag || !*tag) std::fprintf(stderr, "tag '%.*s'\n", static_cast<int>(end - i), text.data() + i);
    FUZZ_CHECK(tag && *tag, "markup wrote a tag that inline-tags.h refuses");
    i = end;
  }
}

// What each element wrote, found by its span (a tag, or the whole element).
void CheckGenerated(std::string_view doc, const Outcome& o) {
  for (size_t i = 0; i < o.text.size();) {
    size_t j = i;
    while (j < o.text.size() && o.spans[j] == o.spans[i]) ++j;
    const std::string_view text = std::string_view(o.text).substr(i, j - i);
    const std::string_view source = doc.substr(o.spans[i].begin, o.spans[i].end - o.spans[i].begin);
    i = j;
    auto is = [&](std::string_view name) {
      return source.size() > name.size() + 1 && source[0] == '<' &&
             (source.substr(1).starts_with(name) || source.substr(1).starts_with("/" + std::string(name)));
    };
    if (is("break ") || is("break/") || is("break>") || is("prosody") || is("emphasis") || is("voice")) {
      CheckTags(text);
    } else if (is("phoneme")) {
      FUZZ_CHECK(text.starts_with("[[") && text.ends_with("]]"), "<phoneme> wrote no [[phones]]");
      FUZZ_CHECK(ParsePhoneNotation(text.substr(2, text.size() - 4)).has_value(), "<phoneme> wrote bad phones");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view doc(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<size_t> pieces;
  uint32_t seed = data[0] * 2654435761u + 1;
  for (int i = 0; i < 32; ++i) {
    seed = seed * 1664525u + 1013904223u;
    pieces.push_back((seed >> 24) % 64 + 1);
  }

  const Outcome whole = Read(doc, {doc.size() + 1});
  if (whole.ok) {
    FUZZ_CHECK(protocol::IsValidUtf8(whole.text), "text that is not UTF-8");
    CheckGenerated(doc, whole);
  }
  auto same = [&](const Outcome& o) {
    FUZZ_CHECK(o.ok == whole.ok, "the pieces changed whether the document is accepted");
    if (o.ok) FUZZ_CHECK(o.text == whole.text && o.spans == whole.spans, "the pieces changed the text or spans");
  };
  same(Read(doc, pieces));
  if (doc.size() <= 2048) same(Read(doc, {1}));
  return 0;
}
