// Mandarin pinyin syllables: what people write (tone marks or tone digits) to one spelling, and
// that spelling read with the frontend's English (CMU) phones.
//   ParsePinyin("chóng") == "chong2";  ParsePinyin("lü4") == "lv4";  ParsePinyin("de") == "de5"
//   PinyinPhones("chong2") == {"ch", "uh1", "ng"}
// The voices speak English: phones approximate Mandarin sounds, and tones cannot be realized. A
// toned syllable (tones 1-4) gets stress 1, a neutral one (5) stress 0.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ttsd::frontend {

// One syllable in UTF-8: tone marks (precomposed or combining) or a final digit 1-5 (0 = 5);
// "ü", "v" and "u:" all stand for u-umlaut; case is ignored. Returns the tone-number spelling
// ("zhong4", "lv4"; no tone: 5), or nullopt if it is not one valid syllable. *had_tone (optional)
// says whether a tone mark or digit was written.
std::optional<std::string> ParsePinyin(std::string_view written, bool* had_tone = nullptr);

// CMU phones of a tone-number syllable; empty if it is not one. An erhua syllable ("dianr3", the
// r before the tone) is the syllable's phones and r.
std::vector<std::string> PinyinPhones(std::string_view syllable);

}  // namespace ttsd::frontend
