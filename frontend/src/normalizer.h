// English text normalization: raw UTF-8 text to lower-case words, spelled letters, punctuation
// and pronunciation markup, ready for a lexicon.
//   auto tokens = NormalizeTokens("Dr. Smith paid $5.", in_lexicon);
//   JoinTokens(*tokens) == "doctor smith paid five dollars ."
// Thread-safety: pure functions; in_lexicon is called on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/frontend/user-lexicon.h"
#include "ttsd/protocol/error.h"

namespace ttsd::frontend {

enum class TokenKind {
  kWord,    // lower-case a-z word, may hold apostrophes ("don't")
  kLetter,  // one spelled letter ("t"), or a letter with a plural/possessive ending ("u's")
  kPause,   // , ; : ( ) or - (a dash): a pause inside a sentence
  kEnd,     // . ! ? ending a sentence
  kPhones,  // phones given in [[...]] or by the user lexicon: CMU phones joined by spaces
  kSyllable,  // a Chinese character's Mandarin syllable in tone-number pinyin ("zhong4")
};

struct Token {
  TokenKind kind = TokenKind::kWord;
  std::string text;
  // Bytes of the input this token was read from. The tokens of one written form share it: all
  // of "five dollars and fifty cents" has the span of "$5.50".
  uint32_t begin = 0, end = 0;

  // Kind and text only, not where they came from.
  bool operator==(const Token& o) const { return kind == o.kind && text == o.text; }
};

// Answers whether a lower-case word has an entry in the lexicon (used to tell words such as
// "NASA" from acronyms to spell such as "TTS"). May be empty: then only the built-in rules decide.
using LexiconCheck = std::function<bool(std::string_view)>;

// Reads pronunciation markup (markup.h) first; words of `user` (may be null) become kPhones.
// Errors: kEmptyText when no word is left, kUnsupportedText when no word is left and letters of
// a script the frontend cannot read were dropped, or for bad markup.
Result<std::vector<Token>> NormalizeTokens(std::string_view text, const LexiconCheck& in_lexicon,
                                           const UserLexicon* user = nullptr);

// Token texts joined by single spaces; kPhones in [[ ]].
std::string JoinTokens(std::span<const Token> tokens);

// True if an all-capital token of 2-5 letters (given lower-case) is read as a word ("nato",
// "stop") rather than spelled ("tts", "fbi"). mixed_case_text: the surrounding text also has
// lower-case letters (in all-capital text, short words are words unless unpronounceable).
bool ReadAcronymAsWord(std::string_view lower, bool mixed_case_text, const LexiconCheck& in_lexicon);

}  // namespace ttsd::frontend
