// Numbers in Chinese text written out in characters with their readings: cardinals (一百二十三),
// digit by digit for years, phone numbers and codes (二零二四年, 幺三八…), decimals, percentages
// (百分之五十), negatives, fractions, dates (2024-03-05, 2024年3月5日), times (10:30), money (¥, $,
// €, £), units (km, kg, ℃, …). Full-width digits and signs are read like ASCII ones.
//   auto n = ReadChineseNumber("共3.5km。", 3, U"共");  // n.han == U"三点五公里", n.end == 9
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ttsd::frontend {

// What a number becomes; readings[i] is the base reading of han[i] (before sandhi).
struct ChineseNumber {
  size_t end = 0;                     // bytes of the input read; 0: no number at the start
  std::u32string han;                 // the characters it is read as
  std::vector<std::string> readings;  // tone-number pinyin, one per character
  bool digit_by_digit = false;        // read as a string of digits: no tone sandhi at all
  bool lone_one = false;              // just "一" as a cardinal: 一 sandhi decides its tone
};

// The number at s[i], if one starts there (a digit, or -, +, ¥, $, €, £ before one). before: the
// Chinese characters read just before it (context: 第, 电话, …). Never reads past s.size(); the
// character after the number (年, 月, 个, …) is looked at but not consumed.
ChineseNumber ReadChineseNumber(std::string_view s, size_t i, std::u32string_view before);

// The cardinal reading of a string of ASCII digits (at most 16; no leading zeros unless "0"):
// "123" -> 一百二十三, "10" -> 十, "20300" -> 两万零三百; empty if it is not one.
std::u32string ChineseCardinal(std::string_view digits);

// The base reading of a character that numbers produce ("" if not one of them).
std::string_view NumberCharReading(char32_t c);

}  // namespace ttsd::frontend
