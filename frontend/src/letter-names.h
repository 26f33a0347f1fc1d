// The names of the letters a-z as CMU phones, for text spelled out letter by letter (SSML's
// <say-as interpret-as="characters">, acronyms): "a" is "ey1", the name, not the article "ax0".
//   LetterNamePhones('w') == "d ah1 b ax0 l y uw0"
// Thread-safety: pure function.
#pragma once

#include <string_view>

namespace ttsd::frontend {

// The phones of the name of `lower` ('a'..'z'), space-separated; empty for any other byte
// (capitals included: the caller folds case).
std::string_view LetterNamePhones(char lower);

}  // namespace ttsd::frontend
