// English text to phones: normalization, sentence splitting, and G2P through flite's CMU lexicon
// (with its letter-to-sound rules for unknown words), the user lexicon (user-lexicon.h) before
// it, and pronunciation markup: [[phones]] in CMU or IPA, and Chinese characters read through
// their Mandarin syllables, 重(chóng) overriding one.
//   auto fe = TextFrontend::Create("en-us");            // Result<std::unique_ptr<TextFrontend>>
//   auto seg = (*fe)->Phonemize("Dr. Smith paid $5.");  // Result<Segment>
// Thread-safety: a TextFrontend is immutable after Create; all methods are const and may be
// called from any number of threads at once (flite's lexicon lookups are serialized inside).
// Each call reads the installed UserLexicon once, so a sentence sees one lexicon throughout.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/frontend/user-lexicon.h"
#include "ttsd/protocol/error.h"

namespace ttsd::frontend {

// The phone inventory the frontend emits: flite's CMU phone set, vowels carrying a stress digit
// ("ah0", "ey1", "er2"), consonants bare ("hh", "s"), and "pau" for a pause.
const std::vector<std::string>& CmuPhoneInventory();

// A written word of a Segment: where it is in the sentence and which of its phones say it. One
// written form is one word, however many it is read as ("$5.50", "TTS", "March 5, 2024").
struct SegmentWord {
  uint32_t begin = 0, end = 0;        // bytes of the sentence given to Phonemize
  uint32_t first_phone = 0, end_phone = 0;  // phones[first_phone, end_phone)
};

// One sentence (or one piece of an over-long sentence), ready for a voice.
struct Segment {
  std::string text;                 // normalized words, for logs
  std::vector<std::string> phones;  // starts and ends with "pau"; "pau" also at , ; : ( ) and dashes
  std::vector<SegmentWord> words;   // in order; pauses belong to no word
};

class TextFrontend {
 public:
  // Languages: "en-us" (also "en"). Errors: kUnsupportedText for other languages,
  // kInternal if flite's lexicon cannot be initialized.
  // voice_lexicon: a voice's own words (a GPT-SoVITS voice's CMUdict), looked up after the installed
  // user lexicon and before flite's.
  static Result<std::unique_ptr<TextFrontend>> Create(std::string_view language,
                                                      std::shared_ptr<const UserLexicon> voice_lexicon = nullptr);
  ~TextFrontend();

  // Expands numbers (cardinal, ordinal "3rd", decimal, negative, with thousands separators),
  // currency ($5.50, €3, £2), percentages, years ("in 1984"), dates (2024-03-05, 3/5/2024,
  // "March 5"), times (10:30, 7pm), common abbreviations (Dr. Mr. Mrs. St. etc. vs. e.g. i.e.)
  // and symbols (&, +, @, %) into lower-case words; all-capital tokens of 2-5 letters that are
  // not words become letters ("NASA" stays a word, "TTS" becomes "t t s"). Markup stays:
  // "[[hh ax0 l ow1]]" for phones, "chong2" for a Chinese character.
  // Errors: kEmptyText if nothing speakable is left, kUnsupportedText for text with no
  // letters or digits in any script the frontend handles (e.g. only Thai), for [[...]] holding
  // a symbol that is no phone, and for a pinyin override that is no syllable.
  Result<std::string> Normalize(std::string_view text) const;

  // Normalizes one sentence and looks every word up. Errors as Normalize.
  Result<Segment> Phonemize(std::string_view sentence) const;

  // Phones of one word (user lexicon, else flite's lexicon, else letter-to-sound rules).
  std::vector<std::string> WordPhones(std::string_view word) const;

 private:
  TextFrontend() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Cuts a growing text into sentences as soon as they are complete, for text that arrives in
// pieces (an LLM's output). A sentence is complete at . ! ? or a newline followed by whitespace
// (not after abbreviations like "Dr." or inside "3.5"), at Chinese 。！？, or when the buffer
// holds more than max_words words with no such end (then it cuts after the last , ; : ，、；：…
// if any, else after max_words words) so that unpunctuated text still streams. A Chinese
// character counts as a word. Markup is never cut: a [[...]] waits for its "]]".
// Thread-safety: not thread-safe; one per request.
class SentenceSplitter {
 public:
  explicit SentenceSplitter(size_t max_words = 40) : max_words_(max_words) {}

  void Append(std::string_view text);
  void Close() { closed_ = true; }  // everything left is one last sentence
  // What has been appended so far is spoken without waiting for its sentence to end (an LLM that
  // pauses, ElevenLabs' "flush"): the next calls cut it as if the text ended there, except inside
  // a tag or [[...]], which still waits for its end.
  void Flush() { flush_end_ = erased_ + buffer_.size(); }
  bool closed() const { return closed_; }

  // The next complete sentence (trimmed, non-empty), or an empty string when none is ready yet.
  // An inline tag (inline-tags.h) comes alone, never inside a sentence.
  std::string Next();
  // True when closed and everything has been taken.
  bool Done() const;

  // True when the text waiting starts with a [pause:] tag (the sentence before it may then end
  // without its own pause).
  bool PauseNext() const;

  // Where the sentence Next() last returned starts in all the text appended: its byte offset, and
  // its line and column (1-based, columns in bytes) for messages.
  size_t offset() const { return last_offset_; }
  size_t line() const { return last_line_; }
  size_t column() const { return last_column_; }

 private:
  void Erase(size_t bytes);  // from the front of buffer_, keeping count of where it is

  // Where Next() stopped because it needed more text, and what it had counted up to there: the
  // next call resumes at pos rather than rescanning buffer_, so text that arrives a byte at a
  // time costs time linear in its length. Reset whenever buffer_'s front changes.
  struct Scan {
    size_t pos = 0;
    size_t words = 0;
    size_t clause_end = std::string::npos;
    size_t word_start = 0;
  };

  std::string buffer_;
  size_t max_words_;
  bool closed_ = false;
  Scan scan_;
  size_t erased_ = 0, line_ = 1, column_ = 1;  // buffer_[0]'s place in all the text
  size_t flush_end_ = 0;  // all the text before this offset is to be spoken now (Flush)
  size_t last_offset_ = 0, last_line_ = 1, last_column_ = 1;
};

}  // namespace ttsd::frontend
