#include "ssml-values.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "letter-names.h"
#include "number-words.h"
#include "ttsd/frontend/inline-tags.h"

namespace ttsd::frontend::ssml_values {
namespace {

constexpr double kReferencePitchHz = 120;  // what "Hz" pitch values are taken against

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool AllDigits(std::string_view s) { return !s.empty() && std::ranges::all_of(s, IsDigit); }

int SmallInt(std::string_view digits) {  // at most 4 digits
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

// A letter read by its name: its phones as a [[...]] item.
std::string LetterItem(char lower) { return "[[" + std::string(LetterNamePhones(lower)) + "]]"; }

}  // namespace

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsXmlSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsXmlSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

// "1.875", "2", "0.5": three decimals at most, no trailing zeros.
std::string Compact(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string SignedCompact(double v) {
  const std::string s = Compact(v);
  return v > 0 && s != "0" ? "+" + s : s;
}

// "1.5", "20", ".5": digits with one point at most; no sign, no exponent.
std::optional<double> Decimal(std::string_view s) {
  if (s.empty() || s.size() > 32 || s.find_first_not_of("0123456789.") != kNone || s.find('.') != s.rfind('.') ||
      s == ".") {
    return std::nullopt;
  }
  double v = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), v).ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// A Decimal with an optional sign; *sign tells whether it had one.
std::optional<double> SignedDecimal(std::string_view s, bool* sign) {
  *sign = !s.empty() && (s[0] == '+' || s[0] == '-');
  auto v = Decimal(Trim(s.substr(*sign ? 1 : 0)));
  if (v && *sign && s[0] == '-') *v = -*v;
  return v;
}

// Splits "12.5%" into 12.5 and "%": the number before `unit` (case-insensitive), if s ends so.
std::optional<double> WithUnit(std::string_view s, std::string_view unit, bool* sign) {
  if (s.size() <= unit.size() || Lower(s.substr(s.size() - unit.size())) != unit) return std::nullopt;
  return SignedDecimal(Trim(s.substr(0, s.size() - unit.size())), sign);
}

// Prosody values: the new absolute value given the one in force, or nullopt if `v` is none.
std::optional<double> Rate(std::string_view v, double current) {
  v = Trim(v);
  if (auto l = Find(kRates, v)) return l;
  bool sign = false;
  if (auto p = WithUnit(v, "%", &sign)) return sign ? current * (1 + *p / 100) : *p / 100;
  return Decimal(v);
}

std::optional<double> Volume(std::string_view v, double current) {
  v = Trim(v);
  if (auto l = Find(kVolumes, v)) return l;
  bool sign = false;
  if (auto db = WithUnit(v, "db", &sign)) return current * std::pow(10.0, *db / 20);
  if (auto p = WithUnit(v, "%", &sign)) return sign ? current * (1 + *p / 100) : *p / 100;
  return std::nullopt;
}

std::optional<double> Pitch(std::string_view v, double current) {
  v = Trim(v);
  if (auto l = Find(kPitches, v)) return l;
  bool sign = false;
  auto semitones = [](double ratio) { return ratio > 0 ? 12 * std::log2(ratio) : -kMaxPitch; };
  if (auto st = WithUnit(v, "st", &sign)) return current + *st;
  if (auto p = WithUnit(v, "%", &sign)) return current + semitones(1 + *p / 100);
  if (auto hz = WithUnit(v, "hz", &sign)) {
    const double now_hz = kReferencePitchHz * std::exp2(current / 12);
    return semitones((sign ? now_hz + *hz : *hz) / kReferencePitchHz);
  }
  return std::nullopt;
}

std::optional<int> BreakTime(std::string_view v) {
  v = Trim(v);
  double scale = 1;
  if (v.ends_with("ms")) {
    v.remove_suffix(2);
  } else if (v.ends_with('s')) {
    v.remove_suffix(1);
    scale = 1000;
  } else {
    return std::nullopt;
  }
  auto n = Decimal(Trim(v));
  if (!n) return std::nullopt;
  return static_cast<int>(std::lround(std::min(*n * scale, kMaxPauseMs)));
}

bool IsVoiceName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxVoiceNameBytes && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '.' || c == '-';
  });
}

// <say-as> readings: the words, or nullopt when the content does not fit (then it is read as text).
std::optional<std::string> SpellOut(std::string_view text) {
  std::string out;
  for (char c : text) {
    const char lower = AsciiLower(c);
    std::string item;
    if (lower >= 'a' && lower <= 'z') {
      item = LetterItem(lower);
    } else if (IsDigit(c)) {
      item = DigitWords(std::string_view(&c, 1));
    } else {
      continue;
    }
    if (!out.empty()) out += ' ';
    out += item;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> Ordinal(std::string_view text) {
  text = Trim(text);
  const std::string tail = Lower(text.substr(text.size() >= 2 ? text.size() - 2 : 0));
  if (tail == "st" || tail == "nd" || tail == "rd" || tail == "th") text.remove_suffix(2);
  auto n = ParseNumber(text);
  if (!n || !n->IsInteger() || n->has_sign || n->int_digits.size() > 15) return std::nullopt;
  return OrdinalWords(n->IntValue());
}

std::optional<std::string> Date(std::string_view text, std::string format) {
  text = Trim(text);
  std::vector<std::string_view> fields;
  char separator = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '-' && text[i] != '/' && text[i] != '.') continue;
    if (i < text.size()) {
      if (separator != 0 && text[i] != separator) return std::nullopt;
      separator = text[i];
    }
    fields.push_back(text.substr(start, i - start));
    start = i + 1;
  }
  if (format.empty()) {  // year first when it has four digits, else the US order
    if (fields.size() == 3) format = fields[0].size() == 4 ? "ymd" : "mdy";
    if (fields.size() == 2) format = fields[0].size() == 4 ? "ym" : fields[1].size() == 4 ? "my" : "md";
    if (fields.size() == 1 && fields[0].size() == 4) format = "y";
  }
  if (fields.size() != format.size()) return std::nullopt;
  int year = -1, month = -1, day = -1;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string_view f = fields[i];
    if (!AllDigits(f) || f.size() > (format[i] == 'y' ? 4u : 2u)) return std::nullopt;
    const int v = SmallInt(f);
    if (format[i] == 'y') year = v;
    if (format[i] == 'm' && (month = v) > 12) return std::nullopt;
    if (format[i] == 'd' && (day = v) > 31) return std::nullopt;
  }
  if (month == 0 || day == 0) return std::nullopt;
  if (month > 0 && day > 0 && year >= 0) return DateWords(month, day, year);
  std::string out;
  if (month > 0) out = MonthName(month);
  if (day > 0) out += (out.empty() ? "" : " ") + OrdinalWords(static_cast<uint64_t>(day));
  if (year >= 0) out += (out.empty() ? "" : " ") + YearWords(year);
  return out;
}

std::optional<std::string> Time(std::string_view text, std::string_view format) {
  std::string t = Lower(Trim(text));
  char ampm = 0;
  for (std::string_view suffix : {"a.m.", "p.m.", "a.m", "p.m", "am", "pm"}) {
    if (t.size() > suffix.size() && t.ends_with(suffix)) {
      ampm = suffix[0];
      t = std::string(Trim(std::string_view(t).substr(0, t.size() - suffix.size())));
      break;
    }
  }
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t colon = t.find(':', start);
    parts.push_back(std::string_view(t).substr(start, colon - start));
    if (colon == kNone) break;
    start = colon + 1;
  }
  if (parts.size() > 3 || (parts.size() == 1 && ampm == 0) || (format == "hms24" && ampm != 0)) return std::nullopt;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!AllDigits(parts[i]) || parts[i].size() > 2 || (i > 0 && parts[i].size() != 2)) return std::nullopt;
  }
  const int h = SmallInt(parts[0]), m = parts.size() > 1 ? SmallInt(parts[1]) : 0;
  const int s = parts.size() > 2 ? SmallInt(parts[2]) : -1;
  const bool twelve = ampm != 0 || format == "hms12";
  if ((twelve ? h < 1 || h > 12 : h > 23) || m > 59 || s > 59) return std::nullopt;
  std::string words = CardinalWords(static_cast<uint64_t>(h));
  if (m == 0 && s < 0) {
    if (ampm == 0) words += h == 0 || h > 12 ? " hundred" : " o'clock";
  } else {
    words += (m < 10 ? " oh " : " ") + CardinalWords(static_cast<uint64_t>(m));
    if (s >= 0) words += " and " + CardinalWords(static_cast<uint64_t>(s)) + (s == 1 ? " second" : " seconds");
  }
  if (ampm != 0) words += " " + LetterItem(ampm) + " " + LetterItem('m');
  return words;
}

std::optional<std::string> Telephone(std::string_view text) {
  text = Trim(text);
  std::vector<std::string_view> groups;
  bool plus = false;
  size_t start = kNone;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ' ';
    if (IsDigit(c)) {
      if (start == kNone) start = i;
      continue;
    }
    if (start != kNone) groups.push_back(text.substr(start, i - start));
    start = kNone;
    if (c == '+' && groups.empty() && !plus) {
      plus = true;
    } else if (!IsXmlSpace(c) && c != '-' && c != '.' && c != '(' && c != ')' && c != '/') {
      return std::nullopt;
    }
  }
  if (groups.empty()) return std::nullopt;
  std::string out = plus ? "plus " : "";
  for (size_t i = 0; i < groups.size(); ++i) out += (i > 0 ? ", " : "") + DigitWords(groups[i]);
  return out;
}

std::optional<std::string> SayAs(std::string_view interpret, std::string_view format, std::string_view text) {
  if (interpret == "characters" || interpret == "spell-out" || interpret == "verbatim") return SpellOut(text);
  if (interpret == "cardinal") {
    auto n = ParseNumber(Trim(text));
    if (!n) return std::nullopt;
    return NumberWords(*n);
  }
  if (interpret == "ordinal") return Ordinal(text);
  if (interpret == "digits") {
    const std::string_view t = Trim(text);
    if (t.find_first_not_of("0123456789 \t\n\r") != kNone || t.find_first_of("0123456789") == kNone) {
      return std::nullopt;
    }
    return DigitWords(t);
  }
  if (interpret == "date") return Date(text, std::string(format));
  if (interpret == "time") return Time(text, format);
  if (interpret == "telephone") return Telephone(text);
  return std::nullopt;  // an interpretation this reader does not know: the content as text (SSML's rule)
}

}  // namespace ttsd::frontend::ssml_values
