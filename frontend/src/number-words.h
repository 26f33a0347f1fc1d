// English number words for the text normalizer: cardinals, ordinals, years and digit strings.
//   CardinalWords(1234) == "one thousand two hundred thirty four"
//   YearWords(1984) == "nineteen eighty four"
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ttsd::frontend {

// Largest number read as words; longer digit strings are read digit by digit.
inline constexpr uint64_t kMaxCardinal = 999'999'999'999'999;

// US style, no "and": 105 -> "one hundred five". n must be <= kMaxCardinal.
std::string CardinalWords(uint64_t n);
// 1 -> "first", 21 -> "twenty first", 100 -> "one hundredth".
std::string OrdinalWords(uint64_t n);
// 1984 -> "nineteen eighty four", 1905 -> "nineteen oh five", 2005 -> "two thousand five",
// 2024 -> "twenty twenty four", 1900 -> "nineteen hundred".
std::string YearWords(int year);
// "007" -> "zero zero seven"; characters other than digits are skipped.
std::string DigitWords(std::string_view digits);
// Plural of the last word: "nineteen ninety" -> "nineteen nineties", "six" -> "sixes".
std::string PluralWords(std::string words);
// Name of the denominator of a fraction: 2 -> "half", 4 -> "quarter", 3 -> "third", plural when
// plural is true ("halves", "quarters", "thirds"). d must be in 2..10.
std::string FractionWord(int d, bool plural);
// "january" for 1 ... "december" for 12.
std::string_view MonthName(int month);
// "march fifth twenty twenty four" for (3, 5, 2024).
std::string DateWords(int month, int day, int year);

// A plain decimal number: sign, digits with valid thousands separators, a fraction.
struct Number {
  bool negative = false;
  bool has_sign = false;
  bool grouped = false;      // had thousands separators ("1,000")
  bool has_point = false;
  std::string int_digits;    // separators removed; empty for ".5"
  std::string frac_digits;   // after the point

  bool IsInteger() const { return !has_point && !int_digits.empty(); }
  // Integer value; meaningful when int_digits has at most 18 digits.
  uint64_t IntValue() const;
  // 1000..2099 written as four plain digits: read as a year where nothing says otherwise.
  bool IsPlausibleYear() const;
};

// "-1,234.5" -> {negative, "1234", "5"}; nullopt for anything else ("1,23", "1.2.3", "3:30").
std::optional<Number> ParseNumber(std::string_view text);
// Integer digits as words: cardinal, or digit by digit for leading zeros ("007") and past
// kMaxCardinal.
std::string IntegerWords(std::string_view digits);
// "minus three point one four".
std::string NumberWords(const Number& n);

}  // namespace ttsd::frontend
