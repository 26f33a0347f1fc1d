#include "normalizer.h"

#include <algorithm>
#include <array>
#include <optional>

#include "markup.h"
#include "number-words.h"
#include "phone-notation.h"
#include "text-fold.h"
#include "text-lexer.h"

namespace ttsd::frontend {
namespace {

enum class AbbrevRule {
  kAlways,         // expand, a following period belongs to it
  kEndsSentence,   // as kAlways, and its period may also end the sentence
  kPeriodNumber,   // only as "No. 5": a period and then a number
  kNumber,         // only before a number, period optional ("Jan 5", "Mar. 3")
  kSaint,          // "St.": saint before a name, else street
};

struct Abbreviation {
  std::string_view text;  // as written, case-sensitive
  std::string_view words;
  AbbrevRule rule;
};

constexpr std::array<Abbreviation, 41> kAbbreviations = {{
    {"Dr", "doctor", AbbrevRule::kAlways},        {"Mr", "mister", AbbrevRule::kAlways},
    {"Mrs", "missus", AbbrevRule::kAlways},       {"Ms", "miz", AbbrevRule::kAlways},
    {"Prof", "professor", AbbrevRule::kAlways},   {"Capt", "captain", AbbrevRule::kAlways},
    {"Lt", "lieutenant", AbbrevRule::kAlways},    {"Sgt", "sergeant", AbbrevRule::kAlways},
    {"Mt", "mount", AbbrevRule::kAlways},         {"St", "", AbbrevRule::kSaint},
    {"vs", "versus", AbbrevRule::kAlways},        {"Vs", "versus", AbbrevRule::kAlways},
    {"approx", "approximately", AbbrevRule::kAlways}, {"Approx", "approximately", AbbrevRule::kAlways},
    {"etc", "et cetera", AbbrevRule::kEndsSentence}, {"Etc", "et cetera", AbbrevRule::kEndsSentence},
    {"Jr", "junior", AbbrevRule::kEndsSentence},  {"Sr", "senior", AbbrevRule::kEndsSentence},
    {"Inc", "incorporated", AbbrevRule::kEndsSentence}, {"Ltd", "limited", AbbrevRule::kEndsSentence},
    {"Corp", "corporation", AbbrevRule::kEndsSentence}, {"Dept", "department", AbbrevRule::kEndsSentence},
    {"No", "number", AbbrevRule::kPeriodNumber},  {"no", "number", AbbrevRule::kPeriodNumber},
    {"Nr", "number", AbbrevRule::kPeriodNumber},  {"Fig", "figure", AbbrevRule::kPeriodNumber},
    {"Vol", "volume", AbbrevRule::kPeriodNumber}, {"Jan", "january", AbbrevRule::kNumber},
    {"Feb", "february", AbbrevRule::kNumber},     {"Mar", "march", AbbrevRule::kNumber},
    {"Apr", "april", AbbrevRule::kNumber},        {"Jun", "june", AbbrevRule::kNumber},
    {"Jul", "july", AbbrevRule::kNumber},         {"Aug", "august", AbbrevRule::kNumber},
    {"Sep", "september", AbbrevRule::kNumber},    {"Sept", "september", AbbrevRule::kNumber},
    {"Oct", "october", AbbrevRule::kNumber},      {"Nov", "november", AbbrevRule::kNumber},
    {"Dec", "december", AbbrevRule::kNumber},     {"Ave", "avenue", AbbrevRule::kAlways},
    {"Blvd", "boulevard", AbbrevRule::kAlways},
}};

struct Unit {
  std::string_view text;  // compared without case unless exact
  std::string_view one;
  std::string_view many;
  bool exact;             // case-sensitive, and only glued to the number ("5m", "5g")
};

constexpr std::array<Unit, 37> kUnits = {{
    {"km", "kilometer", "kilometers", false},   {"kg", "kilogram", "kilograms", false},
    {"cm", "centimeter", "centimeters", false}, {"mm", "millimeter", "millimeters", false},
    {"mg", "milligram", "milligrams", false},   {"ml", "milliliter", "milliliters", false},
    {"kb", "kilobyte", "kilobytes", false},     {"mb", "megabyte", "megabytes", false},
    {"gb", "gigabyte", "gigabytes", false},     {"tb", "terabyte", "terabytes", false},
    {"mph", "mile per hour", "miles per hour", false},
    {"kph", "kilometer per hour", "kilometers per hour", false},
    {"hz", "hertz", "hertz", false},            {"khz", "kilohertz", "kilohertz", false},
    {"mhz", "megahertz", "megahertz", false},   {"ghz", "gigahertz", "gigahertz", false},
    {"lb", "pound", "pounds", false},           {"lbs", "pound", "pounds", false},
    {"oz", "ounce", "ounces", false},           {"ft", "foot", "feet", false},
    {"ms", "millisecond", "milliseconds", false}, {"min", "minute", "minutes", false},
    {"mins", "minute", "minutes", false},       {"sec", "second", "seconds", false},
    {"secs", "second", "seconds", false},       {"hr", "hour", "hours", false},
    {"hrs", "hour", "hours", false},            {"kw", "kilowatt", "kilowatts", false},
    {"kwh", "kilowatt hour", "kilowatt hours", false},
    {"m", "meter", "meters", true},             {"g", "gram", "grams", true},
    {"l", "liter", "liters", true},             {"L", "liter", "liters", true},
    {"h", "hour", "hours", true},               {"x", "times", "times", true},
    {"W", "watt", "watts", true},               {"V", "volt", "volts", true},
}};

const Unit* FindUnit(std::string_view text, bool glued) {
  const std::string low = Lower(text);
  for (const Unit& u : kUnits) {
    if (u.exact ? (glued && text == u.text) : low == u.text) return &u;
  }
  return nullptr;
}

// Magnitude suffixes: "5k", "$2M", "3bn".
std::optional<std::string_view> Magnitude(std::string_view suffix) {
  if (suffix == "k" || suffix == "K") return "thousand";
  if (suffix == "M" || suffix == "mn") return "million";
  if (suffix == "B" || suffix == "bn") return "billion";
  return std::nullopt;
}

struct Currency {
  std::string_view one, many, cent_one, cent_many;  // no cents: read decimals with "point"
};

std::optional<Currency> FindCurrency(std::string_view symbol) {
  if (symbol == "$") return Currency{"dollar", "dollars", "cent", "cents"};
  if (symbol == std::string_view(&kEuroMark, 1)) return Currency{"euro", "euros", "cent", "cents"};
  if (symbol == std::string_view(&kPoundMark, 1)) return Currency{"pound", "pounds", "penny", "pence"};
  if (symbol == std::string_view(&kYenMark, 1)) return Currency{"yen", "yen", "", ""};
  return std::nullopt;
}

// Text with no lower-case letters and at least this many capitals is shouting: its short words
// are read as words unless unpronounceable.
constexpr size_t kShoutingLetters = 10;

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// Month 1-12 of a capitalized full month name, or 0.
int MonthIndex(std::string_view word) {
  if (word.empty() || !IsUpper(word[0])) return 0;
  const std::string low = Lower(word);
  for (int m = 1; m <= 12; ++m) {
    if (low == MonthName(m)) return m;
  }
  return 0;
}

// A day of month written "5" or "5th".
std::optional<int> DayOfMonth(const RawToken& r) {
  if (r.kind != RawKind::kNumber || !AllDigits(r.text) || r.text.size() > 2) return std::nullopt;
  const std::string suffix = Lower(r.suffix);
  if (!suffix.empty() && suffix != "st" && suffix != "nd" && suffix != "rd" && suffix != "th") return std::nullopt;
  const int d = std::stoi(r.text);
  if (d < 1 || d > 31) return std::nullopt;
  return d;
}

// "am" or "pm" for a word written am, PM, a.m. or P.M.; empty otherwise.
std::string AmPm(const RawToken* r) {
  if (r == nullptr || r->kind != RawKind::kWord) return "";
  std::string low;
  for (char c : r->text) {
    if (c != '.') low += ToLower(c);
  }
  const bool plain = r->text == "am" || r->text == "pm" || r->text == "AM" || r->text == "PM";
  return (plain || r->dotted) && (low == "am" || low == "pm") ? low : "";
}

int Int(std::string_view digits) { return AllDigits(digits) && digits.size() <= 9 ? std::stoi(std::string(digits)) : -1; }

// Second pass: raw tokens to spoken tokens. Reads raws_[k_], looking ahead and consuming more
// when a form spans several raw tokens ("$5 million", "March 5, 2024", "7 p.m."). Each
// kMarkupMark takes the next of `items`.
class Writer {
 public:
  Writer(std::vector<RawToken> raws, bool mixed_case, const LexiconCheck& in_lexicon, std::vector<Token> items,
         const UserLexicon* user)
      : raws_(std::move(raws)),
        mixed_case_(mixed_case),
        in_lexicon_(in_lexicon),
        items_(std::move(items)),
        user_(user) {}

  std::vector<Token> Run() {
    for (k_ = 0; k_ < raws_.size(); ++k_) {
      const RawToken& r = raws_[k_];
      // A line break is a pause, unless punctuation already marks one.
      if (r.newline_before && !out_.empty() && out_.back().kind != TokenKind::kPause &&
          out_.back().kind != TokenKind::kEnd) {
        Punct(TokenKind::kPause, ',');
      }
      const size_t first = k_;
      const size_t made = out_.size();
      if (!((r.kind == RawKind::kWord || r.kind == RawKind::kNumber) && UserWord())) {
        switch (r.kind) {
          case RawKind::kWord: Word(r); break;
          case RawKind::kNumber: NumberToken(r); break;
          case RawKind::kSymbol: Symbol(r); break;
        }
      }
      // Everything read from raws_[first..k_] comes from their text.
      for (size_t t = made; t < out_.size(); ++t) {
        out_[t].begin = static_cast<uint32_t>(raws_[first].begin);
        out_[t].end = static_cast<uint32_t>(raws_[k_].end);
      }
    }
    return std::move(out_);
  }

 private:
  const RawToken* Peek(size_t ahead) const { return k_ + ahead < raws_.size() ? &raws_[k_ + ahead] : nullptr; }
  // The token `ahead` follows without whitespace.
  bool Glued(size_t ahead) const { return Peek(ahead) != nullptr && !Peek(ahead)->space_before; }
  bool IsSymbol(size_t ahead, std::string_view text) const {
    return Peek(ahead) != nullptr && Peek(ahead)->kind == RawKind::kSymbol && Peek(ahead)->text == text;
  }
  bool IsKind(size_t ahead, RawKind kind) const { return Peek(ahead) != nullptr && Peek(ahead)->kind == kind; }

  void Words(std::string_view words) {
    for (size_t start = 0; start < words.size();) {
      size_t end = words.find(' ', start);
      if (end == std::string_view::npos) end = words.size();
      if (end > start) out_.push_back({TokenKind::kWord, std::string(words.substr(start, end - start))});
      start = end + 1;
    }
  }

  void Letters(std::string_view text, bool plural) {
    for (char c : text) {
      if (IsAlpha(c)) out_.push_back({TokenKind::kLetter, std::string(1, ToLower(c))});
    }
    if (plural && !out_.empty() && out_.back().kind == TokenKind::kLetter) out_.back().text += "'s";
  }

  // Punctuation never opens the text and is not repeated.
  // Words of the user lexicon, before any other reading: the longest run of glued pieces at k_
  // that it has ("e-mail", "mp3", "rock'n'roll"), or one word with 's ("ttsd's").
  bool UserWord() {
    if (user_ == nullptr || user_->empty()) return false;
    constexpr size_t kMaxPieces = 8;
    std::string key;
    const std::vector<std::string>* best = nullptr;
    size_t best_end = k_;
    for (size_t j = k_; j < raws_.size() && j < k_ + 2 * kMaxPieces;) {
      const RawToken& r = raws_[j];
      if (!(r.kind == RawKind::kWord && !r.dotted) && !(r.kind == RawKind::kNumber && AllDigits(r.text))) break;
      key += Lower(r.text) + Lower(r.suffix);
      if (const auto* phones = user_->Find(key)) {
        best = phones;
        best_end = j;
      }
      const RawToken* next = j + 1 < raws_.size() ? &raws_[j + 1] : nullptr;
      if (next == nullptr || next->space_before) break;
      if (next->kind == RawKind::kSymbol && next->text == "-" && j + 2 < raws_.size() && !raws_[j + 2].space_before) {
        key += '-';
        j += 2;
      } else {
        j += 1;
      }
    }
    if (best != nullptr) {
      k_ = best_end;
      return Phones(*best);
    }
    const std::string& w = raws_[k_].text;
    if (raws_[k_].kind == RawKind::kWord && w.size() > 2 && (w.ends_with("'s") || w.ends_with("'S"))) {
      if (const auto* phones = user_->Find(w.substr(0, w.size() - 2))) {
        std::vector<std::string> with_ending = *phones;
        AppendPluralEnding(with_ending);
        return Phones(with_ending);
      }
    }
    return false;
  }

  bool Phones(const std::vector<std::string>& phones) {
    std::string joined;
    for (const std::string& p : phones) joined += (joined.empty() ? "" : " ") + p;
    out_.push_back({TokenKind::kPhones, std::move(joined)});
    return true;
  }

  void Punct(TokenKind kind, char c) {
    if (out_.empty()) return;
    if (out_.back().kind == kind && out_.back().text.size() == 1 && out_.back().text[0] == c) return;
    out_.push_back({kind, std::string(1, c)});
  }

  // After an abbreviation's period: it also ends the sentence when the text ends or a capital follows.
  void MaybeEnd() {
    const RawToken* next = Peek(1);
    if (next == nullptr || (next->kind == RawKind::kWord && IsUpper(next->text[0]))) Punct(TokenKind::kEnd, '.');
  }

  void Word(const RawToken& r) {
    if (r.dotted) return Dotted(r.text);
    if (Abbreviated(r)) return;
    if (MonthIndex(r.text) > 0) {
      Words(Lower(r.text));
      return MonthDate();
    }
    PlainWord(r.text);
  }

  void PlainWord(std::string_view w) {
    // An all-capital core with a plural or possessive ending: "CPUs", "NASA's".
    std::string_view core = w;
    bool plural = false;
    if (w.size() > 2 && (w.ends_with("'s") || w.ends_with("'S"))) {
      core = w.substr(0, w.size() - 2);
      plural = true;
    } else if (w.size() >= 3 && w.back() == 's' && AllUpper(w.substr(0, w.size() - 1))) {
      core = w.substr(0, w.size() - 1);
      plural = true;
    }
    if (core.size() >= 2 && core.size() <= 5 && AllUpper(core) &&
        !ReadAcronymAsWord(Lower(core), mixed_case_, in_lexicon_)) {
      return Letters(core, plural);
    }
    Words(Lower(w));
  }

  void Dotted(std::string_view w) {
    std::string letters;
    for (char c : w) {
      if (IsAlpha(c)) letters += ToLower(c);
    }
    if (letters == "eg") return Words("for example");
    if (letters == "ie") return Words("that is");
    if (letters == "aka") {
      Words("also known as");
    } else {
      Letters(letters, false);  // "U.S." "Ph.D." "a.m."
    }
    if (w.ends_with('.')) MaybeEnd();
  }

  bool Abbreviated(const RawToken& r) {
    const auto a = std::ranges::find(kAbbreviations, r.text, &Abbreviation::text);
    if (a == kAbbreviations.end()) return false;
    const bool period = Glued(1) && IsSymbol(1, ".");
    const RawToken* next = Peek(period ? 2 : 1);
    const bool number_next = next != nullptr && next->kind == RawKind::kNumber;
    if (a->rule == AbbrevRule::kPeriodNumber && !(period && number_next)) return false;
    if (a->rule == AbbrevRule::kNumber && !number_next) return false;
    if (period) ++k_;
    if (a->rule == AbbrevRule::kSaint) {
      const bool name = next != nullptr && next->kind == RawKind::kWord && IsUpper(next->text[0]);
      Words(name ? "saint" : "street");
      if (!name && period) MaybeEnd();
      return true;
    }
    Words(a->words);
    if (a->rule == AbbrevRule::kNumber) MonthDate();
    if (a->rule == AbbrevRule::kEndsSentence && period) MaybeEnd();
    return true;
  }

  // After a month name: "5" or "5th" becomes "fifth", and ", 2024" a year.
  void MonthDate() {
    const RawToken* next = Peek(1);
    if (next == nullptr || !next->space_before) return;
    const auto day = DayOfMonth(*next);
    if (!day) return;
    ++k_;
    Words(OrdinalWords(static_cast<uint64_t>(*day)));
    if (IsSymbol(1, ",") && IsKind(2, RawKind::kNumber) && Peek(2)->suffix.empty()) {
      const auto year = ParseNumber(Peek(2)->text);
      if (year && year->IsPlausibleYear()) {
        k_ += 2;
        Words(YearWords(static_cast<int>(year->IntValue())));
      }
    }
  }

  void NumberToken(const RawToken& r) {
    if (SpecialNumber(r)) return;
    const auto n = ParseNumber(r.text);
    if (!n) {
      SeparatedNumber(r.text);
      if (!r.suffix.empty()) PlainWord(r.suffix);
      return;
    }
    // Currency after the number: "5€", "5 €" (but not "5 $6").
    if (r.suffix.empty() && IsKind(1, RawKind::kSymbol) && !(Glued(2) && IsKind(2, RawKind::kNumber))) {
      if (const auto currency = FindCurrency(Peek(1)->text)) {
        ++k_;
        return Money(*currency, *n, "", false);
      }
    }
    const bool one = n->IsInteger() && n->int_digits == "1" && !n->negative;
    const std::string suffix = Lower(r.suffix);
    const bool small = n->IsInteger() && n->int_digits.size() <= 15;
    if (small && (suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th")) {
      std::string words = (n->negative ? "minus " : "") + OrdinalWords(n->IntValue());
      const RawToken* next = Peek(1);
      if (DayOfMonth(r) && next != nullptr && next->space_before && MonthIndex(next->text) > 0) {
        ++k_;
        words += " of " + Lower(next->text);  // "5th March"
      }
      return Words(words);
    }
    if (small && suffix == "s") {
      return Words(PluralWords(n->IsPlausibleYear() ? YearWords(static_cast<int>(n->IntValue())) : NumberWords(*n)));
    }
    const int value = small ? Int(n->int_digits) : -1;
    if ((suffix == "am" || suffix == "pm") && value >= 1 && value <= 12 && !n->has_sign) {
      Words(CardinalWords(static_cast<uint64_t>(value)));
      return Letters(suffix, false);
    }
    if (const auto magnitude = Magnitude(r.suffix)) {
      return Words(NumberWords(*n) + " " + std::string(*magnitude));
    }
    if (!r.suffix.empty()) {
      Words(NumberWords(*n));
      if (const Unit* unit = FindUnit(r.suffix, true)) return UnitWords(*unit, one);
      return PlainWord(r.suffix);
    }
    const RawToken* next = Peek(1);
    if (next != nullptr && next->kind == RawKind::kWord && next->space_before) {
      if (DayOfMonth(r) && MonthIndex(next->text) > 0) {
        ++k_;
        return Words(OrdinalWords(n->IntValue()) + " of " + Lower(next->text));  // "5 March"
      }
      if (const std::string ampm = AmPm(next); !ampm.empty() && value >= 1 && value <= 12 && !n->has_sign) {
        ++k_;
        Words(CardinalWords(static_cast<uint64_t>(value)));
        return Letters(ampm, false);
      }
      if (const Unit* unit = FindUnit(next->text, false)) {
        ++k_;
        Words(NumberWords(*n));
        return UnitWords(*unit, one);
      }
    }
    if (IsSymbol(1, std::string_view(&kDegreeMark, 1))) {
      ++k_;
      Words(NumberWords(*n));
      return Degrees(one);
    }
    const bool year = n->IsPlausibleYear() && !IsSymbol(1, "%");
    Words(year ? YearWords(static_cast<int>(n->IntValue())) : NumberWords(*n));
  }

  void UnitWords(const Unit& unit, bool one) {
    Words(one ? unit.one : unit.many);
    // "km/h", "m/s"
    if (Glued(1) && IsSymbol(1, "/") && Glued(2) && IsKind(2, RawKind::kWord)) {
      const std::string per = Lower(Peek(2)->text);
      std::string_view words;
      if (per == "h" || per == "hr") words = "per hour";
      if (per == "s" || per == "sec") words = "per second";
      if (per == "min") words = "per minute";
      if (!words.empty()) {
        k_ += 2;
        Words(words);
      }
    }
  }

  void Degrees(bool one) {
    Words(one ? "degree" : "degrees");
    if (Glued(1) && IsKind(1, RawKind::kWord) && (Peek(1)->text == "C" || Peek(1)->text == "F")) {
      ++k_;
      Words(raws_[k_].text == "C" ? "celsius" : "fahrenheit");
    }
  }

  // Numbers with inner : / - that have a reading of their own: dates, times, phone numbers,
  // ranges, fractions. False when the text is none of these.
  bool SpecialNumber(const RawToken& r) {
    const std::string_view t = r.text;
    if (t.find_first_of(":/-", 1) == std::string_view::npos || !IsDigit(t[0])) return false;
    const auto dash = Split(t, '-');
    const auto slash = Split(t, '/');
    const auto colon = Split(t, ':');
    bool done = false;
    bool suffix_used = false;  // "10:30pm"
    if (dash.size() == 3 && dash[0].size() == 4 && dash[1].size() == 2 && dash[2].size() == 2) {
      const int y = Int(dash[0]), m = Int(dash[1]), d = Int(dash[2]);  // ISO 2024-03-05
      if (y >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= 31) done = (Words(DateWords(m, d, y)), true);
    }
    if (!done && slash.size() == 3 && slash[0].size() <= 2 && slash[1].size() <= 2 &&
        (slash[2].size() == 4 || slash[2].size() == 2)) {
      const int m = Int(slash[0]), d = Int(slash[1]);  // US 3/5/2024
      int y = Int(slash[2]);
      if (slash[2].size() == 2 && y >= 0) y += y < 50 ? 2000 : 1900;
      if (y >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= 31) done = (Words(DateWords(m, d, y)), true);
    }
    if (!done && slash.size() == 2 && AllDigits(slash[0]) && AllDigits(slash[1]) && slash[0][0] != '0') {
      const int a = Int(slash[0]), b = Int(slash[1]);
      if (a >= 1 && b >= 2 && b <= 10 && a < b) {
        done = (Words(CardinalWords(static_cast<uint64_t>(a)) + " " + FractionWord(b, a > 1)), true);
      } else if (t == "24/7") {
        done = (Words("twenty four seven"), true);
      }
    }
    if (!done && (colon.size() == 2 || colon.size() == 3) && colon[0].size() <= 2 &&
        std::ranges::all_of(colon, [](std::string_view p) { return AllDigits(p); }) &&
        std::ranges::all_of(colon.begin() + 1, colon.end(), [](std::string_view p) { return p.size() == 2; })) {
      done = Time(r, Int(colon[0]), Int(colon[1]), colon.size() == 3 ? Int(colon[2]) : -1, &suffix_used);
    }
    if (!done && std::ranges::all_of(dash, [](std::string_view p) { return AllDigits(p); })) {
      if ((dash.size() == 3 && dash[0].size() == 3 && dash[1].size() == 3 && dash[2].size() == 4) ||
          (dash.size() == 2 && dash[0].size() == 3 && dash[1].size() == 4)) {
        for (size_t i = 0; i < dash.size(); ++i) {  // phone number: digit groups
          if (i > 0) Punct(TokenKind::kPause, ',');
          Words(DigitWords(dash[i]));
        }
        done = true;
      } else if (dash.size() == 2 && dash[0][0] != '0' && dash[1][0] != '0' && dash[0].size() <= 4 &&
                 dash[1].size() <= 4) {
        auto read = [](std::string_view p) {  // a range or a score; "1990-1995": years stay years
          const auto n = ParseNumber(p);
          return n->IsPlausibleYear() ? YearWords(Int(p)) : IntegerWords(p);
        };
        done = (Words(read(dash[0]) + " to " + read(dash[1])), true);
      }
    }
    if (done && !suffix_used && !r.suffix.empty()) PlainWord(r.suffix);
    return done;
  }

  bool Time(const RawToken& r, int h, int m, int s, bool* suffix_used) {
    if (h < 0 || h > 24 || m < 0 || m > 59 || s > 59) return false;
    std::string ampm = Lower(r.suffix);
    *suffix_used = ampm == "am" || ampm == "pm";
    if (!*suffix_used) {
      ampm = AmPm(Peek(1));
      if (!ampm.empty()) ++k_;
    }
    std::string words = CardinalWords(static_cast<uint64_t>(h));
    if (m == 0 && s < 0) {
      if (ampm.empty()) words += h == 0 || h > 12 ? " hundred" : " o'clock";
    } else {
      words += (m < 10 ? " oh " : " ") + CardinalWords(static_cast<uint64_t>(m));
      if (s >= 0) words += " and " + CardinalWords(static_cast<uint64_t>(s)) + (s == 1 ? " second" : " seconds");
    }
    Words(words);
    if (!ampm.empty()) Letters(ampm, false);
    return true;
  }

  // Digits split by separators that make no number: "1.2.3", "1,2,3", "12:345".
  void SeparatedNumber(std::string_view t) {
    size_t i = 0;
    if (t[0] == '-' || t[0] == '+') {
      Words(t[0] == '-' ? "minus" : "plus");
      i = 1;
    }
    while (i < t.size()) {
      size_t j = i;
      while (j < t.size() && IsDigit(t[j])) ++j;
      if (j > i) Words(IntegerWords(t.substr(i, j - i)));
      if (j >= t.size()) break;
      if (t[j] == '.') Words("point");
      if (t[j] == ',') Punct(TokenKind::kPause, ',');
      if (t[j] == '/') Words("slash");
      i = j + 1;
    }
  }

  void Money(const Currency& c, const Number& n, std::string_view suffix, bool negative) {
    std::string words = negative || n.negative ? "minus " : "";
    std::optional<std::string_view> magnitude = Magnitude(suffix);
    if (!magnitude && IsKind(1, RawKind::kWord)) {
      const std::string next = Lower(Peek(1)->text);
      for (std::string_view m : {"thousand", "million", "billion", "trillion"}) {
        if (next == m) magnitude = m;
      }
      if (magnitude) ++k_;
    }
    Number abs = n;
    abs.negative = false;
    const bool one = abs.IsInteger() && abs.int_digits == "1";
    if (magnitude) {
      words += NumberWords(abs) + " " + std::string(*magnitude) + " " + std::string(c.many);
    } else if (abs.has_point && !c.cent_one.empty() && !abs.frac_digits.empty() && abs.frac_digits.size() <= 2) {
      const bool has_units = abs.int_digits.find_first_not_of('0') != std::string::npos;
      const int cents = Int(abs.frac_digits) * (abs.frac_digits.size() == 1 ? 10 : 1);
      if (has_units || cents == 0) {
        words += (has_units ? IntegerWords(abs.int_digits) : "zero") + " " +
                 std::string(abs.int_digits == "1" ? c.one : c.many);
      }
      if (cents > 0) {
        if (has_units) words += " and ";
        words += CardinalWords(static_cast<uint64_t>(cents)) + " " + std::string(cents == 1 ? c.cent_one : c.cent_many);
      }
    } else {
      words += NumberWords(abs) + " " + std::string(one ? c.one : c.many);
    }
    Words(words);
    if (!magnitude && !suffix.empty()) PlainWord(suffix);
  }

  void Symbol(const RawToken& r) {
    const std::string& t = r.text;
    if (t.size() == 1 && t[0] == kMarkupMark) {
      if (next_item_ < items_.size()) out_.push_back(items_[next_item_++]);
      return;
    }
    if (t == "." && !r.space_before && k_ > 0 && raws_[k_ - 1].kind != RawKind::kSymbol && Glued(1) &&
        !IsKind(1, RawKind::kSymbol)) {
      return Words("dot");  // "example.com"
    }
    if (t == "." || t == "!" || t == "?" || t == "...") return Punct(TokenKind::kEnd, t[0]);
    if (t == "," || t == ";" || t == ":" || t == "(" || t == ")") return Punct(TokenKind::kPause, t[0]);
    if (t == "[" || t == "{") return Punct(TokenKind::kPause, '(');
    if (t == "]" || t == "}") return Punct(TokenKind::kPause, ')');
    if (t == "--") return Punct(TokenKind::kPause, '-');
    if (t == "-") {
      if (Glued(1) && FindCurrency(Peek(1)->text) && Glued(2) && IsKind(2, RawKind::kNumber)) {
        if (const auto n = ParseNumber(Peek(2)->text)) {  // "-$5"
          const auto currency = FindCurrency(Peek(1)->text);
          k_ += 2;
          return Money(*currency, *n, raws_[k_].suffix, true);
        }
      }
      if (r.space_before || !Glued(1)) Punct(TokenKind::kPause, '-');  // a dash; a hyphen is silent
      return;
    }
    if (const auto currency = FindCurrency(t)) {
      if (IsKind(1, RawKind::kNumber)) {
        if (const auto n = ParseNumber(Peek(1)->text)) {
          ++k_;
          return Money(*currency, *n, raws_[k_].suffix, false);
        }
      }
      return Words(currency->many);
    }
    if (t == std::string_view(&kDegreeMark, 1)) return Degrees(false);
    if (t == "&") return Words("and");
    if (t == "+") return Words("plus");
    if (t == "@") return Words("at");
    if (t == "=") return Words("equals");
    if (t == "%") return Words("percent");
    if (t == "#" && Glued(1) && IsKind(1, RawKind::kNumber)) return Words("number");
    if (t == "~" && Glued(1) && IsKind(1, RawKind::kNumber)) return Words("about");
    // Anything else (quotes, slashes, asterisks, ...) is not read.
  }

  std::vector<RawToken> raws_;
  size_t k_ = 0;
  bool mixed_case_;
  const LexiconCheck& in_lexicon_;  // not owned
  std::vector<Token> items_;
  size_t next_item_ = 0;
  const UserLexicon* user_;  // not owned; may be null
  std::vector<Token> out_;
};

}  // namespace

Result<std::vector<Token>> NormalizeTokens(std::string_view text, const LexiconCheck& in_lexicon,
                                           const UserLexicon* user) {
  auto marked = FoldWithMarkup(text, user);
  if (!marked) return std::unexpected(marked.error());
  MarkedText& folded = *marked;
  // All-capital text is shouting, not a row of acronyms.
  size_t upper = 0;
  bool lower = false;
  for (char c : folded.ascii) {
    upper += IsUpper(c) ? 1 : 0;
    lower = lower || IsLower(c);
  }
  const bool mixed_case = lower || upper < kShoutingLetters;
  std::vector<Token> tokens =
      Writer(LexText(folded.ascii), mixed_case, in_lexicon, std::move(folded.items), user).Run();
  for (Token& t : tokens) {  // ascii offsets to the input's
    if (t.end <= t.begin || t.end > folded.source.size()) continue;
    const uint32_t begin = folded.source[t.begin].begin;
    t.end = folded.source[t.end - 1].end;
    t.begin = begin;
  }
  const bool spoken = std::ranges::any_of(tokens, [](const Token& t) {
    return t.kind != TokenKind::kPause && t.kind != TokenKind::kEnd;
  });
  if (!spoken) {
    if (folded.dropped_foreign) {
      return MakeError(ErrorCode::kUnsupportedText, "no English text to speak (letters of an unsupported script)");
    }
    return MakeError(ErrorCode::kEmptyText, "no words to speak");
  }
  return tokens;
}

std::string JoinTokens(std::span<const Token> tokens) {
  std::string out;
  for (const Token& t : tokens) {
    if (!out.empty()) out += ' ';
    out += t.kind == TokenKind::kPhones ? "[[" + t.text + "]]" : t.text;
  }
  return out;
}

}  // namespace ttsd::frontend
