#include "mandarin-numbers.h"

#include <array>
#include <utility>

#include "text-fold.h"

namespace ttsd::frontend {
namespace {

constexpr std::u32string_view kDigits = U"零一二三四五六七八九";

// Full-width ASCII (！ to ～) and ￥ read as their ASCII forms.
int32_t Folded(int32_t cp) {
  if (cp >= 0xFF01 && cp <= 0xFF5E) return cp - 0xFEE0;
  if (cp == 0xFFE5) return 0xA5;
  return cp;
}

int32_t Peek(std::string_view s, size_t i, size_t* next = nullptr) {
  if (i >= s.size()) return -1;
  size_t j = i;
  const int32_t cp = Folded(DecodeUtf8(s, &j));
  if (next != nullptr) *next = j;
  return cp;
}

bool IsDigitCp(int32_t cp) { return cp >= '0' && cp <= '9'; }
bool IsAsciiLetter(int32_t cp) { return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'); }

std::u32string Digitwise(std::string_view digits, bool phone) {
  std::u32string out;
  for (char d : digits) out += d == '1' && phone ? U'幺' : kDigits[static_cast<size_t>(d - '0')];
  return out;
}

// One group of up to four digits (no leading zeros handled by the caller): 千百十个.
std::u32string Group(std::string_view g, bool leading) {
  static constexpr std::u32string_view kUnits = U"千百十";
  std::u32string out;
  bool zero = false;
  const size_t n = g.size();
  for (size_t k = 0; k < n; ++k) {
    const int d = g[k] - '0';
    const size_t place = n - 1 - k;  // 3 千, 2 百, 1 十, 0 个
    if (d == 0) {
      zero = !out.empty() || !leading;
      continue;
    }
    if (zero) out += U'零';
    zero = false;
    if (!(d == 1 && place == 1 && leading && out.empty())) out += kDigits[static_cast<size_t>(d)];  // 十, not 一十
    if (place > 0) out += kUnits[3 - place];
  }
  return out;
}

std::u32string Cardinal(std::string_view digits) {
  static constexpr std::array<std::u32string_view, 4> kBig = {U"", U"万", U"亿", U"万亿"};
  if (digits.empty() || digits.size() > 16) return {};
  for (char c : digits) {
    if (c < '0' || c > '9') return {};
  }
  if (digits.size() > 1 && digits[0] == '0') return {};
  if (digits == "0") return U"零";
  std::u32string out;
  const size_t groups = (digits.size() + 3) / 4;
  size_t start = 0;
  bool zero_pending = false;
  for (size_t g = groups; g-- > 0;) {
    const size_t len = g == groups - 1 ? digits.size() - 4 * (groups - 1) : 4;
    const std::string_view group = digits.substr(start, len);
    start += len;
    if (group.find_first_not_of('0') == std::string_view::npos) {
      zero_pending = !out.empty();
      continue;
    }
    const bool leading = out.empty();
    if (!leading && (zero_pending || group[0] == '0')) out += U'零';
    zero_pending = false;
    const size_t first = group.find_first_not_of('0');
    out += Group(leading ? group : group.substr(first), leading && first == 0);  // 一万零一十: 一 kept
    out += kBig[g];
  }
  // 两 for a 2 before 千, 万, 亿 (两千, 一万两千), not after 十 (十二万).
  for (size_t k = 0; k + 1 < out.size(); ++k) {
    if (out[k] == U'二' && (out[k + 1] == U'千' || out[k + 1] == U'万' || out[k + 1] == U'亿') &&
        (k == 0 || out[k - 1] != U'十')) {
      out[k] = U'两';
    }
  }
  return out;
}

struct Unit {
  std::string_view written;
  std::u32string_view han;
};
// Units written after a number, longest first where one is the start of another.
constexpr std::array<Unit, 10> kUnits = {{
    {"km", U"公里"}, {"kg", U"公斤"}, {"cm", U"厘米"}, {"mm", U"毫米"}, {"mg", U"毫克"}, {"ml", U"毫升"},
    {"mL", U"毫升"}, {"m", U"米"}, {"g", U"克"}, {"L", U"升"},
}};

// Measure words and units after which 2 is read 两.
constexpr std::u32string_view kLiangBefore =
    U"个位本只条张次件天年种台辆家点块元斤岁周倍名双对杯碗瓶份支枝把头匹间座棵颗部场趟遍句首篇封套片层口公千万亿";

// Before the number: words after which digits are read one by one, 1 as 幺.
constexpr std::array<std::u32string_view, 12> kPhoneContext = {
    U"电话", U"号码", U"手机", U"尾号", U"房间", U"验证码", U"密码", U"编号", U"工号", U"学号", U"拨打", U"热线"};

void Append(ChineseNumber& n, std::u32string_view han) {
  for (char32_t c : han) {
    n.han += c;
    n.readings.emplace_back(NumberCharReading(c));
  }
}

struct Parts {
  std::vector<std::string> numbers;  // digit strings
  std::vector<size_t> ends;          // where each ends in s
  std::string separators;            // one between each two numbers
  size_t end = 0;
};

// Digits with separators . , : / - between digits, at s[i].
Parts ReadParts(std::string_view s, size_t i) {
  Parts p;
  std::string current;
  size_t pos = i;
  for (;;) {
    size_t next = 0;
    const int32_t cp = Peek(s, pos, &next);
    if (IsDigitCp(cp)) {
      current += static_cast<char>(cp);
      pos = next;
      continue;
    }
    size_t after = 0;
    if (!current.empty() && (cp == '.' || cp == ',' || cp == ':' || cp == '/' || cp == '-') &&
        IsDigitCp(Peek(s, next, &after)) && p.numbers.size() < 3) {
      p.numbers.push_back(current);
      p.ends.push_back(pos);
      current.clear();
      p.separators += static_cast<char>(cp);
      pos = next;
      continue;
    }
    break;
  }
  p.numbers.push_back(current);
  p.ends.push_back(pos);
  p.end = pos;
  return p;
}

int Value(const std::string& digits) { return digits.size() > 4 ? 100000 : std::stoi(digits); }

}  // namespace

std::u32string ChineseCardinal(std::string_view digits) { return Cardinal(digits); }

std::string_view NumberCharReading(char32_t c) {
  switch (c) {
    case U'零': return "ling2";
    case U'一': return "yi1";
    case U'幺': return "yao1";
    case U'二': return "er4";
    case U'两': return "liang3";
    case U'三': return "san1";
    case U'四': return "si4";
    case U'五': return "wu3";
    case U'六': return "liu4";
    case U'七': return "qi1";
    case U'八': return "ba1";
    case U'九': return "jiu3";
    case U'十': return "shi2";
    case U'百': return "bai3";
    case U'千': return "qian1";
    case U'万': return "wan4";
    case U'亿': return "yi4";
    case U'点': return "dian3";
    case U'负': return "fu4";
    case U'分': return "fen1";
    case U'之': return "zhi1";
    case U'秒': return "miao3";
    case U'年': return "nian2";
    case U'月': return "yue4";
    case U'日': return "ri4";
    case U'元': return "yuan2";
    case U'美': return "mei3";
    case U'欧': return "ou1";
    case U'英': return "ying1";
    case U'镑': return "bang4";
    case U'摄': return "she4";
    case U'氏': return "shi4";
    case U'华': return "hua2";
    case U'度': return "du4";
    case U'公': return "gong1";
    case U'里': return "li3";
    case U'斤': return "jin1";
    case U'厘': return "li2";
    case U'米': return "mi3";
    case U'毫': return "hao2";
    case U'克': return "ke4";
    case U'升': return "sheng1";
    case U'比': return "bi3";
    case U'到': return "dao4";
    case U'下': return "xia4";
    default: return "";
  }
}

ChineseNumber ReadChineseNumber(std::string_view s, size_t i, std::u32string_view before) {
  ChineseNumber n;
  size_t pos = i;
  size_t next = 0;
  int32_t cp = Peek(s, pos, &next);
  bool negative = false;
  std::u32string_view currency;
  if (cp == '-' || cp == 0x2212) {
    negative = true;
    pos = next;
  } else if (cp == '+') {
    pos = next;
  } else if (cp == 0xA5) {
    currency = U"元";
    pos = next;
  } else if (cp == '$') {
    currency = U"美元";
    pos = next;
  } else if (cp == 0x20AC) {
    currency = U"欧元";
    pos = next;
  } else if (cp == 0xA3) {
    currency = U"英镑";
    pos = next;
  }
  if (!IsDigitCp(Peek(s, pos))) return n;
  Parts p = ReadParts(s, pos);
  const bool plain = !negative && currency.empty();

  // Dates and times first; they fall back to the first number alone.
  auto zero_padded = [](const std::string& d) { return d.size() == 2; };
  if (plain && p.separators.size() == 2 && p.separators[0] == p.separators[1] && p.separators[0] != ',' &&
      p.separators[0] != ':' && p.numbers[0].size() == 4) {
    const int m = Value(p.numbers[1]);
    const int d = Value(p.numbers[2]);
    if (m >= 1 && m <= 12 && d >= 1 && d <= 31 && p.numbers[1].size() <= 2 && p.numbers[2].size() <= 2) {
      Append(n, Digitwise(p.numbers[0], false));
      Append(n, U"年");
      Append(n, Cardinal(std::to_string(m)));
      Append(n, U"月");
      Append(n, Cardinal(std::to_string(d)));
      Append(n, U"日");
      n.end = p.end;
      return n;
    }
  }
  if (plain && !p.separators.empty() && p.separators[0] == ':' && p.separators.find_first_not_of(':') == std::string::npos) {
    const int h = Value(p.numbers[0]);
    const int m = Value(p.numbers[1]);
    const bool seconds = p.separators.size() == 2;
    if (h <= 24 && p.numbers[0].size() <= 2 && zero_padded(p.numbers[1]) && m <= 59 &&
        (!seconds || (zero_padded(p.numbers[2]) && Value(p.numbers[2]) <= 59)) && p.separators.size() <= 2) {
      Append(n, h == 2 ? U"两" : Cardinal(std::to_string(h)));
      Append(n, U"点");
      if (m > 0 || seconds) {
        if (m < 10 && m > 0) Append(n, U"零");
        if (m > 0 || seconds) Append(n, m == 0 ? U"零" : Cardinal(std::to_string(m)));
        Append(n, U"分");
      }
      if (seconds) {
        Append(n, Cardinal(std::to_string(Value(p.numbers[2]))));
        Append(n, U"秒");
      }
      n.end = p.end;
      return n;
    }
    if (p.separators.size() == 1 && p.numbers[0].size() <= 3 && p.numbers[1].size() <= 3) {  // 3:2, a score
      Append(n, Cardinal(std::to_string(Value(p.numbers[0]))));
      Append(n, U"比");
      Append(n, Cardinal(std::to_string(Value(p.numbers[1]))));
      n.end = p.end;
      return n;
    }
  }
  if (plain && p.separators == "/" && p.numbers[0].size() <= 4 && p.numbers[1].size() <= 4 &&
      Value(p.numbers[1]) > 0 && p.numbers[0][0] != '0' && p.numbers[1][0] != '0') {  // 3/4
    Append(n, Cardinal(p.numbers[1]));
    Append(n, U"分之");
    Append(n, Cardinal(p.numbers[0]));
    n.end = p.end;
    return n;
  }
  if (plain && p.separators.find_first_not_of('-') == std::string::npos && !p.separators.empty()) {
    bool phone = p.numbers[0][0] == '0' || p.separators.size() >= 2;
    for (const std::string& part : p.numbers) phone = phone || part.size() >= 5;
    if (phone) {  // 010-12345678, 400-820-8820: digit by digit, 1 as 幺
      for (const std::string& part : p.numbers) Append(n, Digitwise(part, true));
      n.digit_by_digit = true;
      n.end = p.end;
      return n;
    }
  }
  if (plain && p.separators == "-" && p.numbers[0].size() <= 4 && p.numbers[1].size() <= 4 &&
      p.numbers[0][0] != '0' && p.numbers[1][0] != '0') {  // 3-5, a range; 2020-2024年, years
    const bool years = Peek(s, p.end) == U'年' && p.numbers[0].size() == 4 && p.numbers[1].size() == 4;
    Append(n, years ? Digitwise(p.numbers[0], false) : Cardinal(p.numbers[0]));
    Append(n, U"到");
    Append(n, years ? Digitwise(p.numbers[1], false) : Cardinal(p.numbers[1]));
    n.digit_by_digit = years;
    n.end = p.end;
    return n;
  }

  // One number: thousands separators, then at most one decimal point.
  std::string integer = p.numbers[0];
  std::string fraction;
  size_t k = 0;
  while (k < p.separators.size() && p.separators[k] == ',' && p.numbers[k + 1].size() == 3 && p.numbers[0].size() <= 3) {
    integer += p.numbers[++k];
  }
  if (k > 0 || p.separators.empty() || p.separators[0] != ',') {
    if (k < p.separators.size() && p.separators[k] == '.') {
      fraction = p.numbers[k + 1];
      ++k;
    }
  }
  size_t end = p.ends[k];  // after the parts used
  const size_t after_pos = end;
  const int32_t next_cp = Peek(s, after_pos, &next);

  // Digit by digit: years before 年, phone numbers and codes.
  const bool year = next_cp == U'年' && (integer.size() == 4 || integer.size() == 2) && fraction.empty() && plain;
  bool phone_context = false;
  for (std::u32string_view w : kPhoneContext) {
    if (before.ends_with(w)) phone_context = true;
  }
  const bool digits_only = plain && fraction.empty() &&
                           (phone_context || (integer.size() >= 2 && integer[0] == '0') || integer.size() > 12 ||
                            (integer.size() == 11 && integer[0] == '1'));
  if (year || digits_only) {
    Append(n, Digitwise(integer, !year));
    n.digit_by_digit = true;
    n.end = end;
    return n;
  }
  std::u32string cardinal = Cardinal(integer);
  if (cardinal.empty()) {  // leading zeros or too long: digits
    Append(n, Digitwise(integer, false));
    n.digit_by_digit = true;
    n.end = end;
    return n;
  }

  // The unit or sign after it.
  std::u32string_view unit;
  std::u32string_view percent;
  bool celsius = false;
  if (next_cp == '%') {
    percent = U"百分之";
    end = next;
  } else if (next_cp == 0x2030) {
    percent = U"千分之";
    end = next;
  } else if (next_cp == 0x2103) {
    celsius = true;
    end = next;
  } else if (next_cp == 0xB0) {
    size_t n2 = 0;
    const int32_t c2 = Peek(s, next, &n2);
    if (c2 == 'C') {
      celsius = true;
      end = n2;
    } else if (c2 == 'F') {
      unit = U"华氏度";
      end = n2;
    } else {
      unit = U"度";
      end = next;
    }
  } else if (IsAsciiLetter(next_cp)) {
    for (const Unit& u : kUnits) {
      if (s.substr(after_pos).starts_with(u.written) && !IsAsciiLetter(Peek(s, after_pos + u.written.size())) &&
          !IsDigitCp(Peek(s, after_pos + u.written.size()))) {
        unit = u.han;
        end = after_pos + u.written.size();
        break;
      }
    }
  }
  const int32_t following = Peek(s, end);
  if (!percent.empty()) Append(n, percent);
  if (negative) Append(n, celsius ? U"零下" : U"负");
  const bool two = integer == "2" && fraction.empty() && percent.empty() && !negative &&
                   (!unit.empty() || !currency.empty() ||
                    (following > 0 && kLiangBefore.find(static_cast<char32_t>(following)) != std::u32string_view::npos));
  if (two) cardinal.assign(1, U'两');
  const bool ordinal = before.ends_with(U"第") || following == U'月' || following == U'日' || following == U'号' ||
                       following == U'楼' || following == U'层' || following == U'路' || following == U'班';
  Append(n, cardinal);
  if (!fraction.empty()) {
    Append(n, U"点");
    Append(n, Digitwise(fraction, false));
  }
  if (celsius) Append(n, U"摄氏度");
  Append(n, unit);
  Append(n, currency);
  if (n.han.size() >= 2 && n.han[0] == U'一' && (n.han[1] == U'百' || n.han[1] == U'千')) n.readings[0] = "yi4";
  if (n.han.size() >= 2 && n.han[0] == U'一' && (n.han[1] == U'万' || n.han[1] == U'亿')) n.readings[0] = "yi2";
  n.lone_one = cardinal == U"一" && fraction.empty() && !ordinal && percent.empty() && !negative;
  n.end = end;
  return n;
}

}  // namespace ttsd::frontend
