// SSML (a subset of W3C SSML 1.1) read into ttsd's inline text syntax as the document arrives,
// with a map from every byte of the text back to the part of the document it came from.
//   SsmlReader reader;  std::string text;  std::vector<SourceSpan> spans;
//   reader.Append("<speak>Hi <break time=\"300ms\"/>there</speak>", &text, &spans);  // then Close
//   // text == "Hi [pause:300ms] there", spans.size() == text.size()
// Thread-safety: a reader is one document's, used by one thread at a time; readers are independent.
//
// What it writes (frontend/README.md, "SSML"):
//   plain text   as written (entities and character references decoded); each run of XML
//                whitespace becomes one space, dropped after a space, a newline or at the start
//   <p>, <s>     "\n\n" before and after (one "\n\n" between two), so each ends a sentence
//   <break>      " [pause:400ms] " (integer milliseconds, 0..kMaxPauseMs; longer ones are cut)
//   <prosody>, <emphasis>   [rate:1.25] [volume:0.5] [pitch:+2] at the start, the values in force
//                before at the end; only values that change are written; numbers compact ("2", "0.5")
//                and clamped to inline-tags.h's ranges
//   <voice name> [voice:NAME] at the start, the previous one at the end ([voice:] for the request's own)
//   <say-as>     words (number-words.h); letters as [[phones]] of their names
//   <sub>        the alias;  <phoneme> [[cmu phones]]
// Spans: plain text maps to the exact bytes it came from (a decoded &amp; to the whole reference, a
// collapsed whitespace run to the whole run). Generated text maps to the markup that made it: what
// stands for an element's content (say-as words, an alias, phones, a pause) to the whole element,
// from its start tag's '<' to its end tag's '>'; tags and "\n\n" written at an element's start to
// its start tag, those written at its end to its end tag.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/frontend/byte-span.h"
#include "ttsd/protocol/error.h"

namespace ttsd::frontend {

inline constexpr size_t kMaxSsmlBytes = 1 << 20;  // a document longer than this is refused
inline constexpr size_t kMaxSsmlDepth = 64;       // elements nested deeper than this are refused

// Bytes [begin, end) of the SSML document (offsets from its first byte, across all Append calls):
// the frontend's ByteSpan, so that the engine's source map takes them as they are.
using SourceSpan = ByteSpan;

class SsmlReader {
 public:
  SsmlReader();
  ~SsmlReader();
  SsmlReader(const SsmlReader&) = delete;
  SsmlReader& operator=(const SsmlReader&) = delete;

  // Feeds the next bytes of the document. Appends what they convert to to *out (caller-owned, not
  // null) and, for every byte appended, one SourceSpan to *spans (caller-owned, not null). Text may
  // come out later than the bytes that hold it (libxml2 reports text once it sees where it ends);
  // all of it is out after Close.
  // Errors (kBadRequest, "SSML line L, column C: ..."): malformed XML, markup outside the supported
  // subset, a bad attribute value, a DOCTYPE, an entity other than XML's five, invalid UTF-8, a
  // document over kMaxSsmlBytes or nested deeper than kMaxSsmlDepth. A failing call appends nothing,
  // and the reader stays failed: every later call returns the same error.
  Status Append(std::string_view ssml, std::string* out, std::vector<SourceSpan>* spans);

  // The document is complete: converts what is left, checks that it is well-formed and that
  // <speak> was closed. Errors as Append; kBadRequest also when called again or Append follows.
  Status Close(std::string* out, std::vector<SourceSpan>* spans);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ttsd::frontend
