// Phones as a person writes them, inside [[...]] and in the user lexicon: CMU/ARPAbet in either
// case with optional stress digits ("HH AH0 L OW1", "hh ah l ow") or IPA, with or without spaces
// ("h ə l oʊ", "ˈhɛloʊ"); turned into the frontend's CMU phones.
//   ParsePhoneNotation("ˈhɛloʊ") == {"hh", "eh1", "l", "ow0"}
// Stress: ˈ (or ') and ˌ mark the next vowel 1 and 2, a digit marks a CMU vowel. When anything is
// marked, unmarked vowels get 0; when nothing is, every vowel gets 1 except the reduced ə / ax
// and ɚ / axr (0).
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::frontend {

// Errors: kUnsupportedText naming the first symbol that is neither a CMU phone nor IPA this maps
// (or a stress digit on a consonant), or when no phone is written.
Result<std::vector<std::string>> ParsePhoneNotation(std::string_view written);

// Appends the ending of a plural or possessive to a word's phones: "ih0 z" after sibilants, "s"
// after other voiceless consonants, else "z".
void AppendPluralEnding(std::vector<std::string>& phones);

}  // namespace ttsd::frontend
