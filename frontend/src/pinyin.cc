#include "pinyin.h"

#include <algorithm>
#include <array>

#include "text-fold.h"

namespace ttsd::frontend {
namespace {

// Precomposed vowels with a tone mark: code point, base letter, tone.
struct MarkedVowel {
  int32_t cp;
  char base;  // 'v' for u-umlaut
  char tone;
};
constexpr std::array<MarkedVowel, 48> kMarkedVowels = {{
    {0x0101, 'a', '1'}, {0x00E1, 'a', '2'}, {0x01CE, 'a', '3'}, {0x00E0, 'a', '4'},
    {0x0113, 'e', '1'}, {0x00E9, 'e', '2'}, {0x011B, 'e', '3'}, {0x00E8, 'e', '4'},
    {0x012B, 'i', '1'}, {0x00ED, 'i', '2'}, {0x01D0, 'i', '3'}, {0x00EC, 'i', '4'},
    {0x014D, 'o', '1'}, {0x00F3, 'o', '2'}, {0x01D2, 'o', '3'}, {0x00F2, 'o', '4'},
    {0x016B, 'u', '1'}, {0x00FA, 'u', '2'}, {0x01D4, 'u', '3'}, {0x00F9, 'u', '4'},
    {0x01D6, 'v', '1'}, {0x01D8, 'v', '2'}, {0x01DA, 'v', '3'}, {0x01DC, 'v', '4'},
    {0x0100, 'a', '1'}, {0x00C1, 'a', '2'}, {0x01CD, 'a', '3'}, {0x00C0, 'a', '4'},
    {0x0112, 'e', '1'}, {0x00C9, 'e', '2'}, {0x011A, 'e', '3'}, {0x00C8, 'e', '4'},
    {0x012A, 'i', '1'}, {0x00CD, 'i', '2'}, {0x01CF, 'i', '3'}, {0x00CC, 'i', '4'},
    {0x014C, 'o', '1'}, {0x00D3, 'o', '2'}, {0x01D1, 'o', '3'}, {0x00D2, 'o', '4'},
    {0x016A, 'u', '1'}, {0x00DA, 'u', '2'}, {0x01D3, 'u', '3'}, {0x00D9, 'u', '4'},
    {0x1E3F, 'm', '2'}, {0x0144, 'n', '2'}, {0x0148, 'n', '3'}, {0x01F9, 'n', '4'},
}};

// Initials, longest first, and their phones ("z" and "c" are the affricates [ts], [tsh]).
struct Initial {
  std::string_view spelled;
  std::string_view phones;
};
constexpr std::array<Initial, 21> kInitials = {{
    {"zh", "jh"}, {"ch", "ch"}, {"sh", "sh"}, {"b", "b"},  {"p", "p"},   {"m", "m"},   {"f", "f"},
    {"d", "d"},   {"t", "t"},   {"n", "n"},   {"l", "l"},  {"g", "g"},   {"k", "k"},   {"h", "hh"},
    {"j", "jh"},  {"q", "ch"},  {"x", "sh"},  {"r", "r"},  {"z", "d z"}, {"c", "t s"}, {"s", "s"},
}};

// Finals in their full spelling ("iou", "uei", "uen", "v" for u-umlaut; "ir" and "iz" for the i
// after zh ch sh r and z c s). Every one holds exactly one vowel phone, which takes the stress.
struct Final {
  std::string_view spelled;
  std::string_view phones;
};
constexpr std::array<Final, 41> kFinals = {{
    {"a", "aa"},       {"o", "ao"},        {"e", "ah"},       {"er", "er"},      {"ai", "ay"},
    {"ei", "ey"},      {"ao", "aw"},       {"ou", "ow"},      {"an", "aa n"},    {"en", "ah n"},
    {"ang", "aa ng"},  {"eng", "ah ng"},   {"ong", "uh ng"},  {"i", "iy"},       {"ir", "er"},
    {"iz", "ih"},      {"ia", "y aa"},     {"io", "y ow"},    {"ie", "y eh"},    {"iao", "y aw"},
    {"iou", "y ow"},   {"ian", "y eh n"},  {"in", "iy n"},    {"iang", "y aa ng"}, {"ing", "iy ng"},
    {"iong", "y uh ng"}, {"u", "uw"},      {"ua", "w aa"},    {"uo", "w ao"},    {"uai", "w ay"},
    {"uei", "w ey"},   {"uan", "w aa n"},  {"uen", "w ah n"}, {"uang", "w aa ng"}, {"ueng", "w ah ng"},
    {"uong", "w uh ng"}, {"v", "y uw"},    {"ve", "w eh"},    {"van", "w eh n"}, {"vn", "y uw n"},
    {"(w)o", "w ao"},  // "o" after b p m f is [wo]
}};

// Syllables with no vowel letter of their own (interjections): read with a schwa.
constexpr std::array<Final, 5> kSyllabic = {{
    {"m", "ah m"}, {"n", "ah n"}, {"ng", "ah ng"}, {"hm", "hh ah m"}, {"hng", "hh ah ng"},
}};

bool IsVowelPhone(std::string_view phone) {
  return phone == "aa" || phone == "ae" || phone == "ah" || phone == "ao" || phone == "aw" || phone == "ay" ||
         phone == "eh" || phone == "er" || phone == "ey" || phone == "ih" || phone == "iy" || phone == "ow" ||
         phone == "uh" || phone == "uw";
}

void AppendPhones(std::vector<std::string>& out, std::string_view phones, char stress) {
  for (size_t start = 0; start < phones.size();) {
    size_t end = phones.find(' ', start);
    if (end == std::string_view::npos) end = phones.size();
    std::string phone(phones.substr(start, end - start));
    if (IsVowelPhone(phone)) phone += stress;
    out.push_back(std::move(phone));
    start = end + 1;
  }
}

// The full spelling of the final that follows `initial` in `rest` (y- and w- spellings, the
// shortened iu ui un, u-umlaut written u after j q x); empty if none.
std::string FullFinal(std::string_view initial, std::string_view rest) {
  std::string f(rest);
  if (initial == "y") {
    if (f == "i" || f == "in" || f == "ing") return f;
    if (f.starts_with('u') || f.starts_with('v')) return "v" + f.substr(1);  // yu yue yuan yun
    return "i" + f;                                                           // ya ye yao you yan ...
  }
  if (initial == "w") return f == "u" ? f : "u" + f;  // wu; wa wo wei wan wen wang weng wong
  if ((initial == "j" || initial == "q" || initial == "x") && f.starts_with('u')) f = "v" + f.substr(1);
  if ((initial == "n" || initial == "l") && f == "ue") f = "ve";  // "lue" for lüe
  if (f == "iu") return "iou";
  if (f == "ui") return "uei";
  if (f == "un") return "uen";
  if (f == "i" && (initial == "zh" || initial == "ch" || initial == "sh" || initial == "r")) return "ir";
  if (f == "i" && (initial == "z" || initial == "c" || initial == "s")) return "iz";
  if (f == "o" && (initial == "b" || initial == "p" || initial == "m" || initial == "f")) return "(w)o";
  return f;
}

}  // namespace

std::optional<std::string> ParsePinyin(std::string_view written, bool* had_tone) {
  std::string letters;
  char tone = 0;
  auto set_tone = [&tone](char t) {
    if (tone != 0) return false;  // two tones in one syllable
    tone = t;
    return true;
  };
  size_t i = 0;
  while (i < written.size()) {
    const int32_t cp = DecodeUtf8(written, &i);
    if (cp >= 'A' && cp <= 'Z') {
      letters += static_cast<char>(cp - 'A' + 'a');
    } else if (cp >= 'a' && cp <= 'z') {
      letters += static_cast<char>(cp);
    } else if (cp == 0xFC || cp == 0xDC) {
      letters += 'v';
    } else if (cp == ':' && letters.ends_with('u')) {
      letters.back() = 'v';
    } else if (cp >= '0' && cp <= '5' && i == written.size()) {
      if (!set_tone(cp == '0' ? '5' : static_cast<char>(cp))) return std::nullopt;
    } else if (cp == 0x0304 || cp == 0x0301 || cp == 0x030C || cp == 0x0300) {
      if (letters.empty()) return std::nullopt;
      if (!set_tone(cp == 0x0304 ? '1' : cp == 0x0301 ? '2' : cp == 0x030C ? '3' : '4')) return std::nullopt;
    } else if (cp == 0x0308 && letters.ends_with('u')) {
      letters.back() = 'v';
    } else {
      const auto* marked = std::ranges::find(kMarkedVowels, cp, &MarkedVowel::cp);
      if (marked == kMarkedVowels.end() || !set_tone(marked->tone)) return std::nullopt;
      letters += marked->base;
    }
  }
  if (had_tone != nullptr) *had_tone = tone != 0;
  std::string syllable = letters + (tone == 0 ? '5' : tone);
  if (PinyinPhones(syllable).empty()) return std::nullopt;
  return syllable;
}

std::vector<std::string> PinyinPhones(std::string_view syllable) {
  std::vector<std::string> phones;
  if (syllable.size() < 2 || syllable.back() < '1' || syllable.back() > '5') return phones;
  const char stress = syllable.back() == '5' ? '0' : '1';
  const std::string_view letters = syllable.substr(0, syllable.size() - 1);
  if (letters.size() > 2 && letters.ends_with('r')) {  // erhua, "dianr3": the syllable, then r
    std::string plain(letters.substr(0, letters.size() - 1));
    plain += syllable.back();
    phones = PinyinPhones(plain);
    if (!phones.empty()) phones.emplace_back("r");
    return phones;
  }
  for (const Final& s : kSyllabic) {
    if (letters == s.spelled) {
      AppendPhones(phones, s.phones, stress);
      return phones;
    }
  }
  std::string_view initial;
  std::string_view initial_phones;
  if (letters.starts_with('y') || letters.starts_with('w')) {
    initial = letters.substr(0, 1);
  } else {
    for (const Initial& in : kInitials) {
      if (letters.starts_with(in.spelled)) {
        initial = in.spelled;
        initial_phones = in.phones;
        break;
      }
    }
  }
  const std::string_view rest = letters.substr(initial.size());
  if (rest.empty()) return phones;
  const std::string final = FullFinal(initial, rest);
  const auto* f = std::ranges::find(kFinals, final, &Final::spelled);
  if (f == kFinals.end()) return phones;
  if (!initial_phones.empty()) AppendPhones(phones, initial_phones, stress);
  if (initial == "y" && (final == "ve" || final == "van")) phones.emplace_back("y");  // yue, yuan
  AppendPhones(phones, f->phones, stress);
  return phones;
}

}  // namespace ttsd::frontend
