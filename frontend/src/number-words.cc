#include "number-words.h"

#include <algorithm>
#include <array>

namespace ttsd::frontend {
namespace {

constexpr std::array<std::string_view, 20> kOnes = {
    "zero",    "one",     "two",       "three",    "four",     "five",    "six",
    "seven",   "eight",   "nine",      "ten",      "eleven",   "twelve",  "thirteen",
    "fourteen", "fifteen", "sixteen",  "seventeen", "eighteen", "nineteen"};
constexpr std::array<std::string_view, 10> kTens = {"",      "",      "twenty",  "thirty", "forty",
                                                     "fifty", "sixty", "seventy", "eighty", "ninety"};
struct Scale {
  uint64_t value;
  std::string_view name;
};
constexpr std::array<std::string_view, 12> kMonths = {"january", "february", "march",     "april",
                                                        "may",     "june",     "july",      "august",
                                                        "september", "october", "november", "december"};
constexpr std::array<Scale, 4> kScales = {{{1'000'000'000'000, "trillion"},
                                          {1'000'000'000, "billion"},
                                          {1'000'000, "million"},
                                          {1'000, "thousand"}}};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
}

uint64_t Value(std::string_view digits) {
  uint64_t v = 0;
  for (char c : digits) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

void Append(std::string& out, std::string_view word) {
  if (!out.empty()) out += ' ';
  out += word;
}

// 1..999
void AppendHundreds(std::string& out, int n) {
  if (n >= 100) {
    Append(out, kOnes[n / 100]);
    Append(out, "hundred");
    n %= 100;
  }
  if (n >= 20) {
    Append(out, kTens[n / 10]);
    if (n % 10 != 0) Append(out, kOnes[n % 10]);
  } else if (n > 0) {
    Append(out, kOnes[n]);
  }
}

}  // namespace

std::string CardinalWords(uint64_t n) {
  if (n == 0) return "zero";
  if (n > kMaxCardinal) return DigitWords(std::to_string(n));
  std::string out;
  for (const Scale& s : kScales) {
    if (n >= s.value) {
      AppendHundreds(out, static_cast<int>(n / s.value));
      Append(out, s.name);
      n %= s.value;
    }
  }
  if (n > 0) AppendHundreds(out, static_cast<int>(n));
  return out;
}

std::string OrdinalWords(uint64_t n) {
  std::string words = CardinalWords(n);
  size_t start = words.rfind(' ');
  start = start == std::string::npos ? 0 : start + 1;
  std::string last = words.substr(start);
  words.erase(start);
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kIrregular = {
      {{"one", "first"}, {"two", "second"}, {"three", "third"}, {"five", "fifth"}, {"eight", "eighth"},
       {"nine", "ninth"}}};
  for (const auto& [card, ord] : kIrregular) {
    if (last == card) return words + std::string(ord);
  }
  if (last == "twelve") return words + "twelfth";
  if (last.ends_with('y')) return words + last.substr(0, last.size() - 1) + "ieth";
  return words + last + "th";
}

std::string YearWords(int year) {
  if (year < 0) return "minus " + YearWords(-year);
  if (year < 1000 || year > 9999) return CardinalWords(static_cast<uint64_t>(year));
  const int hi = year / 100;
  const int lo = year % 100;
  if (year % 1000 == 0) return CardinalWords(static_cast<uint64_t>(year));      // 2000
  if (hi % 10 == 0 && lo < 10) return CardinalWords(static_cast<uint64_t>(year));  // 2005, 1007
  std::string out = CardinalWords(static_cast<uint64_t>(hi));
  if (lo == 0) return out + " hundred";
  if (lo < 10) return out + " oh " + std::string(kOnes[lo]);
  return out + " " + CardinalWords(static_cast<uint64_t>(lo));
}

std::string DigitWords(std::string_view digits) {
  std::string out;
  for (char c : digits) {
    if (c >= '0' && c <= '9') Append(out, kOnes[c - '0']);
  }
  return out;
}

std::string PluralWords(std::string words) {
  if (words.ends_with('y')) {
    words.back() = 'i';
    return words + "es";
  }
  if (words.ends_with("six") || words.ends_with('s')) return words + "es";
  return words + "s";
}

std::string FractionWord(int d, bool plural) {
  std::string word;
  if (d == 2) {
    word = plural ? "halves" : "half";
    return word;
  }
  word = d == 4 ? "quarter" : OrdinalWords(static_cast<uint64_t>(d));
  return plural ? word + "s" : word;
}

std::string_view MonthName(int month) {
  return month >= 1 && month <= 12 ? kMonths[static_cast<size_t>(month - 1)] : "";
}

std::string DateWords(int month, int day, int year) {
  return std::string(MonthName(month)) + " " + OrdinalWords(static_cast<uint64_t>(day)) + " " + YearWords(year);
}

uint64_t Number::IntValue() const { return Value(int_digits); }

bool Number::IsPlausibleYear() const {
  return !has_sign && !grouped && IsInteger() && int_digits.size() == 4 && int_digits[0] != '0' &&
         IntValue() >= 1000 && IntValue() <= 2099;
}

std::optional<Number> ParseNumber(std::string_view t) {
  Number n;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    n.negative = t[0] == '-';
    n.has_sign = true;
    t.remove_prefix(1);
  }
  const size_t point = t.find('.');
  const std::string_view int_part = t.substr(0, point);
  if (point != std::string_view::npos) {
    n.has_point = true;
    n.frac_digits = std::string(t.substr(point + 1));
    if (!AllDigits(n.frac_digits)) return std::nullopt;
  }
  if (int_part.find(',') == std::string_view::npos) {
    if (!int_part.empty() && !AllDigits(int_part)) return std::nullopt;
    n.int_digits = std::string(int_part);
  } else {
    // Groups of three after a first group of one to three digits.
    size_t start = 0;
    for (size_t i = 0; i <= int_part.size(); ++i) {
      if (i < int_part.size() && int_part[i] != ',') continue;
      const std::string_view group = int_part.substr(start, i - start);
      const bool ok = start == 0 ? !group.empty() && group.size() <= 3 : group.size() == 3;
      if (!ok || !AllDigits(group)) return std::nullopt;
      n.int_digits += group;
      start = i + 1;
    }
    n.grouped = true;
  }
  if (n.int_digits.empty() && n.frac_digits.empty()) return std::nullopt;
  return n;
}

std::string IntegerWords(std::string_view digits) {
  if (digits.size() > 1 && digits[0] == '0') return DigitWords(digits);
  if (digits.size() > 15) return DigitWords(digits);
  return CardinalWords(Value(digits));
}

std::string NumberWords(const Number& n) {
  std::string out = n.negative ? "minus" : n.has_sign ? "plus" : "";
  if (!n.int_digits.empty()) Append(out, IntegerWords(n.int_digits));
  if (n.has_point) {
    Append(out, "point");
    if (!n.frac_digits.empty()) Append(out, DigitWords(n.frac_digits));
  }
  return out;
}

}  // namespace ttsd::frontend
