// Default Mandarin readings of Chinese characters, from the kMandarin field of Unicode's Unihan
// database (a table generated at build time by frontend/tools/make-mandarin-readings.py).
//   MandarinReading(U'重') == "zhong4";  MandarinReading(U'a') == ""
// Thread-safety: pure functions over constant tables.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace ttsd::frontend {

// The customary (PRC) reading in tone-number pinyin (see pinyin.h), or "" for a code point with
// none.
std::string_view MandarinReading(int32_t cp);

// Every distinct reading in the table, for tests.
std::span<const std::string_view> MandarinSyllables();

}  // namespace ttsd::frontend
