// SSML's attribute values and <say-as> readings, for the reader (ssml.cc): the keyword tables,
// prosody values to absolute rates, volumes and pitches, break times, voice names, and the content
// of a <say-as> to words. The reader owns the document, its errors and its output; this file only
// converts one value or one element's text at a time.
//   Rate("150%", 1) == 1.5;  Pitch("high", 0) == 3;  BreakTime("1.5s") == 1500
//   SayAs("date", "", "2024-03-05") == "march fifth twenty twenty four"
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ttsd::frontend::ssml_values {

inline constexpr size_t kNone = std::string_view::npos;  // not found, as string_view's find says it
inline constexpr size_t kMaxVoiceNameBytes = 64;         // a longer <voice name> is refused

// A keyword an attribute may take and what it stands for.
template <typename T>
struct Label {
  std::string_view name;
  T value;
};
// <prosody rate>: multiples of the voice's own rate.
inline constexpr std::array<Label<double>, 6> kRates = {
    {{"x-slow", 0.5}, {"slow", 0.75}, {"medium", 1}, {"fast", 1.25}, {"x-fast", 1.75}, {"default", 1}}};
// <prosody volume>: linear gains.
inline constexpr std::array<Label<double>, 7> kVolumes = {
    {{"silent", 0}, {"x-soft", 0.25}, {"soft", 0.5}, {"medium", 1}, {"loud", 1.5}, {"x-loud", 2}, {"default", 1}}};
// <prosody pitch>: semitones.
inline constexpr std::array<Label<double>, 6> kPitches = {
    {{"x-low", -6}, {"low", -3}, {"medium", 0}, {"high", 3}, {"x-high", 6}, {"default", 0}}};
// <break strength>: milliseconds of pause.
inline constexpr std::array<Label<int>, 6> kStrengths = {
    {{"none", 0}, {"x-weak", 100}, {"weak", 250}, {"medium", 400}, {"strong", 700}, {"x-strong", 1200}}};
// What an <emphasis level> multiplies the rate and volume in force by.
struct Emphasis {
  double rate, volume;
};
inline constexpr std::array<Label<Emphasis>, 4> kEmphases = {
    {{"strong", {0.85, 1.3}}, {"moderate", {0.9, 1.15}}, {"reduced", {1.1, 0.8}}, {"none", {1, 1}}}};
// <say-as interpret-as="date" format>: the order of the fields (lower case).
inline constexpr std::array<std::string_view, 10> kDateFormats = {"mdy", "dmy", "ymd", "md", "dm",
                                                                  "ym",  "my",  "y",   "d",  "m"};

// The value of the label named exactly `name`; nullopt if none is.
template <typename T, size_t N>
std::optional<T> Find(const std::array<Label<T>, N>& labels, std::string_view name) {
  for (const auto& l : labels) {
    if (l.name == name) return l.value;
  }
  return std::nullopt;
}

// XML's whitespace: space, tab, newline, carriage return.
bool IsXmlSpace(char c);
// `s` without XML whitespace at either end.
std::string_view Trim(std::string_view s);
// `s` with A-Z made a-z (other bytes as they are).
std::string Lower(std::string_view s);

// "1.875", "2", "0.5": three decimals at most, no trailing zeros ("-0" is "0").
std::string Compact(double v);
// Compact with a '+' before a positive value: "+2", "-0.5", "0".
std::string SignedCompact(double v);
// "1.5", "20", ".5": digits with one point at most; no sign, no exponent.
std::optional<double> Decimal(std::string_view s);
// A Decimal with an optional sign; *sign tells whether it had one.
std::optional<double> SignedDecimal(std::string_view s, bool* sign);
// Splits "12.5%" into 12.5 and "%": the number before `unit` (case-insensitive), if s ends so.
std::optional<double> WithUnit(std::string_view s, std::string_view unit, bool* sign);

// Prosody values: the new absolute value given the one in force (`current`), or nullopt if `v` is
// none. Not clamped. Rate: a multiple of the voice's own ("fast", "150%", "+20%", "1.5").
std::optional<double> Rate(std::string_view v, double current);
// Volume: a linear gain ("loud", "+6dB", "50%", "+10%").
std::optional<double> Volume(std::string_view v, double current);
// Pitch: semitones ("high", "+2st", "-10%", "+50Hz", "180Hz"; Hz taken against 120 Hz).
std::optional<double> Pitch(std::string_view v, double current);
// <break time>: "500ms" or "1.5s" as milliseconds, rounded, cut to kMaxPauseMs; nullopt if none.
std::optional<int> BreakTime(std::string_view v);
// A <voice name> ttsd takes: 1 to kMaxVoiceNameBytes of A-Z a-z 0-9 _ . -
bool IsVoiceName(std::string_view name);

// <say-as> readings: the words, or nullopt when the content does not fit (then it is read as text).
// Letters and digits one by one, letters as [[phones]] of their names; other bytes skipped.
std::optional<std::string> SpellOut(std::string_view text);
// "21", "21st": "twenty first".
std::optional<std::string> Ordinal(std::string_view text);
// Fields split by one of - / . (the same throughout) in `format`'s order; an empty format takes a
// four-digit field as the year and reads the others month first (mdy, md).
std::optional<std::string> Date(std::string_view text, std::string format);
// h:mm[:ss], am/pm (a.m., pm, ...); `format` hms12, hms24 or empty.
std::optional<std::string> Time(std::string_view text, std::string_view format);
// Digit groups, an optional leading '+', separated by space - . ( ) /: "plus one, five five five, ...".
std::optional<std::string> Telephone(std::string_view text);
// The reading `interpret` (lower case: characters, spell-out, verbatim, cardinal, ordinal, digits,
// date, time, telephone) with its `format`; nullopt for an interpretation not listed.
std::optional<std::string> SayAs(std::string_view interpret, std::string_view format, std::string_view text);

}  // namespace ttsd::frontend::ssml_values
