#include "mandarin-tones.h"

#include <array>

#include "mandarin-dict.h"

namespace ttsd::frontend {
namespace {

using Units = std::vector<MandarinUnit>;
using Words = std::vector<WordRange>;

std::u32string Text(const Units& units, const WordRange& w) {
  std::u32string s;
  for (size_t k = w.begin; k < w.end; ++k) s += units[k].cp;
  return s;
}

bool OneOf(std::u32string_view text, std::initializer_list<std::u32string_view> list) {
  for (std::u32string_view s : list) {
    if (text == s) return true;
  }
  return false;
}

bool IsVerb(const WordRange* w) { return w != nullptr && w->tag.starts_with("v"); }
bool IsNoun(const WordRange* w) { return w != nullptr && w->tag.starts_with("n"); }
bool IsNumber(const WordRange* w, const Units& units) {
  return w != nullptr && (w->tag == "m" || units[w->begin].group > 0);
}

// The part of speech of one character on its own, "" if the dictionary has none.
std::string_view CharTag(char32_t c) {
  std::string s;
  AppendUtf8(s, static_cast<int32_t>(c));
  const MandarinEntry* e = FindMandarinWord(s);
  return e != nullptr ? e->tag : std::string_view();
}

constexpr std::u32string_view kPronouns = U"你我他她它您咱";

void Set(MandarinUnit& u, std::string_view reading) {
  if (!u.locked) u.reading = std::string(reading);
}

}  // namespace

int ToneOf(std::string_view syllable) {
  if (syllable.empty()) return 0;
  const char c = syllable.back();
  return c >= '1' && c <= '5' ? c - '0' : 0;
}

std::string WithTone(std::string_view syllable, int tone) {
  if (ToneOf(syllable) == 0) return std::string(syllable);
  std::string out(syllable.substr(0, syllable.size() - 1));
  out += static_cast<char>('0' + tone);
  return out;
}

void ApplyPolyphoneRules(Units& units, const Words& words) {
  for (size_t i = 0; i < words.size(); ++i) {
    const WordRange& w = words[i];
    // 一行字, 两行诗: a counted 行 (a word of jieba's) before a noun other than 人 is háng.
    if (w.end - w.begin == 2 && units[w.begin + 1].cp == U'行' && !units[w.begin + 1].locked &&
        std::u32string_view(U"一两二三几这那每").find(units[w.begin].cp) != std::u32string_view::npos &&
        i + 1 < words.size() && IsNoun(&words[i + 1]) && Text(units, words[i + 1]) != U"人") {
      units[w.begin + 1].reading = "hang2";
    }
    // 走不了, 吃不完: the light 不 of a potential complement (a word of jieba's) after a verb.
    if (w.end - w.begin == 2 && units[w.begin].cp == U'不' && !units[w.begin].locked && i > 0 &&
        words[i - 1].end - words[i - 1].begin == 1 && IsVerb(&words[i - 1]) &&
        std::u32string_view(U"了起到完动开下上来去住见懂清好成出").find(units[w.begin + 1].cp) !=
            std::u32string_view::npos) {
      units[w.begin].reading = "bu5";
    }
    if (w.end - w.begin != 1 || w.from_lexicon) continue;
    MandarinUnit& u = units[w.begin];
    if (u.locked || u.group > 0) continue;
    const WordRange* prev = i > 0 ? &words[i - 1] : nullptr;
    const WordRange* next = i + 1 < words.size() ? &words[i + 1] : nullptr;
    const std::u32string prev_text = prev != nullptr ? Text(units, *prev) : std::u32string();
    const std::u32string next_text = next != nullptr ? Text(units, *next) : std::u32string();
    const bool after_counter = IsNumber(prev, units) || OneOf(prev_text, {U"这", U"那", U"几", U"每", U"哪", U"两", U"一"});
    switch (u.cp) {
      case U'了':  // 了 liǎo as a potential complement: 走不了, 来得了
        Set(u, (prev_text == U"不" || prev_text == U"得") && i >= 2 && IsVerb(&words[i - 2]) ? "liao3" : "le5");
        break;
      case U'得':  // 得 děi "must" between a subject and a verb; de after a verb or adjective
        if ((prev != nullptr && prev->tag == "r" && next != nullptr) ||
            (next != nullptr && (IsVerb(next) || next->tag.starts_with("a") || next->tag == "d") &&
             (prev == nullptr || prev->tag == "d"))) {
          Set(u, "dei3");
        } else if (prev != nullptr) {
          Set(u, "de5");
        }
        break;
      case U'地':  // 地 as the adverbial particle: after a word that is no noun, pronoun, number or
                   // measure (高兴地, 慢慢地), before a verb
        if (prev != nullptr && prev->end - prev->begin >= 2 && IsVerb(next) && units[prev->begin].group == 0 &&
            !prev->tag.starts_with("n") && !prev->tag.starts_with("r") && !prev->tag.starts_with("m") &&
            !prev->tag.starts_with("q") && !prev->tag.starts_with("t") && !prev->tag.starts_with("s") &&
            !prev->tag.starts_with("f")) {
          Set(u, "de5");
        }
        break;
      case U'还':  // 还 huán "give back" before whom or what is returned
        if (!next_text.empty() &&
            ((next_text.size() <= 2 && kPronouns.find(next_text[0]) != std::u32string::npos) ||
             next_text == U"给" || (IsNoun(next) && next->tag != "nr"))) {
          Set(u, "huan2");
        } else {
          Set(u, "hai2");
        }
        break;
      case U'行':  // 一行字, 这行: the measure word háng
        Set(u, after_counter ? "hang2" : "xing2");
        break;
      case U'空':  // free time after 有, 没有
        if (OneOf(prev_text, {U"有", U"没有", U"没"})) Set(u, "kong4");
        break;
      case U'相':  // a photograph: 照个相
        if (OneOf(prev_text, {U"个", U"照"})) Set(u, "xiang4");
        break;
      case U'量':  // alone, the verb "measure"; the noun liàng comes in words (数量, 饭量)
        Set(u, "liang2");
        break;
      case U'背':  // bēi "carry" unless it is someone's back (他的背)
        Set(u, prev_text == U"的" ? "bei4" : "bei1");
        break;
      case U'曾':  // the surname
        if (prev_text == U"姓") Set(u, "zeng1");
        break;
      case U'冲':  // chòng "towards" before whom
        if (!next_text.empty() && kPronouns.find(next_text[0]) != std::u32string::npos) Set(u, "chong4");
        break;
      case U'上':  // the light locative after a noun: 桌子上, 网上
        if (IsNoun(prev) && prev->tag != "nr" && !IsNoun(next)) Set(u, "shang5");
        break;
      case U'里':  // the light locative after a noun: 家里, 城里
        if (IsNoun(prev) && prev->tag != "nr" && !IsNoun(next)) Set(u, "li5");
        break;
      case U'不':  // the light 不 of a potential complement: 走不了, 吃不完
        if (prev != nullptr && prev->end - prev->begin == 1 && IsVerb(prev) &&
            OneOf(next_text, {U"了", U"起", U"到", U"完", U"动", U"开", U"下", U"上", U"来", U"去", U"住", U"见", U"懂",
                              U"清", U"好", U"成", U"出"})) {
          Set(u, "bu5");
        }
        break;
      case U'长':  // alone, 长 is mostly the adjective cháng; zhǎng comes in words (长大, 校长)
        Set(u, "chang2");
        break;
      case U'重':  // 重 chóng "again" before a verb (重写, 重来)
        if (IsVerb(next) && !OneOf(prev_text, {U"很", U"太", U"好", U"真", U"最", U"更", U"多"})) Set(u, "chong2");
        break;
      case U'为':  // 为 wéi "as" after a verb of naming or changing
        if (OneOf(prev_text, {U"被", U"作", U"视", U"称", U"改", U"分", U"变", U"选", U"定", U"评", U"认", U"成", U"以"}))
          Set(u, "wei2");
        break;
      case U'觉':  // a sleep: 睡一觉, 午觉
        if (IsNumber(prev, units) || prev_text == U"睡" || prev_text == U"了") Set(u, "jiao4");
        break;
      case U'教':  // the verb "teach" alone is jiāo (教育, 教室 are words)
        Set(u, "jiao1");
        break;
      case U'只':  // the measure word zhī: 一只猫, 这只
        Set(u, after_counter ? "zhi1" : "zhi3");
        break;
      case U'中':  // zhòng "hit" after a verb, before 了: 猜中了
        if (IsVerb(prev) && prev->end - prev->begin == 1 && next_text == U"了") Set(u, "zhong4");
        break;
      case U'干':  // gàn "do" (干什么, 干活); gān "dry" after a degree word
        Set(u, OneOf(prev_text, {U"很", U"太", U"好", U"真", U"不", U"晒", U"擦", U"吹", U"烘"}) ? "gan1" : "gan4");
        break;
      case U'种':  // zhǒng "kind" after a counter; zhòng "plant" before a noun
        if (!after_counter && IsNoun(next) && !OneOf(next_text, {U"人"})) Set(u, "zhong4");
        break;
      case U'都':
        Set(u, "dou1");
        break;
      case U'着':  // zhe after a verb; zháo in words (着急, 睡着)
        Set(u, "zhe5");
        break;
      case U'的':
        Set(u, "de5");
        break;
      case U'过':  // the aspect particle after a verb is light
        if (IsVerb(prev) && prev->end - prev->begin == 1 && !IsVerb(next)) Set(u, "guo5");
        break;
      case U'好':  // hào "like" before a verb in 好学, 好吃 are words; alone hǎo
        break;
      default: break;
    }
  }
}

void ApplyToneSandhi(Units& units, const Words& words) {
  const size_t n = units.size();
  std::vector<int> base(n);  // tones before any change, for 一 and 不
  for (size_t k = 0; k < n; ++k) base[k] = ToneOf(units[k].reading);
  std::vector<size_t> word_of(n);
  for (size_t i = 0; i < words.size(); ++i) {
    for (size_t k = words[i].begin; k < words[i].end; ++k) word_of[k] = i;
  }
  auto free = [&](size_t k) { return !units[k].locked && !units[k].no_sandhi; };

  // Neutral tones: particles, suffixes, reduplicated verbs and kinship terms, V一V and V不V.
  for (size_t i = 0; i < words.size(); ++i) {
    const WordRange& w = words[i];
    const size_t len = w.end - w.begin;
    if (len == 1 && free(w.begin) && !w.from_lexicon) {
      static constexpr std::array<std::pair<char32_t, std::string_view>, 11> kParticles = {{
          {U'吗', "ma5"}, {U'呢', "ne5"}, {U'吧', "ba5"}, {U'啊', "a5"}, {U'呀', "ya5"}, {U'啦', "la5"},
          {U'嘛', "ma5"}, {U'哇', "wa5"}, {U'们', "men5"}, {U'么', "me5"}, {U'喽', "lou5"},
      }};
      for (const auto& [c, reading] : kParticles) {
        if (units[w.begin].cp == c && i > 0) Set(units[w.begin], reading);
      }
    }
    if (len >= 2 && !w.from_lexicon && units[w.begin].cp == units[w.begin + 1].cp && free(w.begin + 1) &&
        !units[w.begin + 1].from_word && CharTag(units[w.begin].cp).starts_with("v")) {
      units[w.begin + 1].reading = WithTone(units[w.begin + 1].reading, 5);  // 看看, 想想
    }
  }
  for (size_t k = 1; k + 1 < n; ++k) {
    if (units[k - 1].cp != units[k + 1].cp || units[k - 1].group > 0 || !free(k)) continue;
    if (units[k].cp == U'一' && units[k].group == 0) units[k].reading = "yi5";  // 看一看
    if (units[k].cp == U'不') units[k].reading = "bu5";                         // 是不是
  }

  // 一 and 不: second tone before a fourth, 一 fourth before the others; 一 stays first as a
  // digit, an ordinal (第一, 一月), at the end of a word (统一) or of the run.
  for (size_t k = 0; k < n; ++k) {
    MandarinUnit& u = units[k];
    if (!free(k) || u.fixed_yi || ToneOf(u.reading) == 5) continue;
    const bool has_next = k + 1 < n;
    const int next_tone = has_next ? (base[k + 1] != 0 ? base[k + 1] : 4) : 0;
    if (u.cp == U'不') {
      u.reading = has_next && next_tone == 4 ? "bu2" : "bu4";
    } else if (u.cp == U'一' && u.group == 0) {
      const WordRange& w = words[word_of[k]];
      const bool ordinal = (k > 0 && (units[k - 1].cp == U'第' || units[k - 1].group > 0)) ||
                           (has_next && (units[k + 1].cp == U'月' || units[k + 1].cp == U'号' ||
                                         units[k + 1].group > 0 || units[k + 1].cp == U'二' ||
                                         units[k + 1].cp == U'一')) ||
                           (k + 1 == w.end && w.end - w.begin > 1);
      if (!has_next || ordinal) {
        u.reading = "yi1";
      } else {
        u.reading = next_tone == 4 || next_tone == 5 ? "yi2" : "yi4";
      }
    } else if (u.cp == U'一') {  // a lone cardinal one from digits: 1个
      u.reading = has_next && units[k + 1].group == 0 ? (next_tone == 4 ? "yi2" : "yi4") : "yi1";
    }
  }

  // Third tones. Inside a word: a run of third tones turns all but its last to second, except
  // that in three syllables whose first is a word by itself and the last two another (小+老虎),
  // the first keeps its third tone.
  auto third = [&](size_t k) { return ToneOf(units[k].reading) == 3 && free(k); };
  for (const WordRange& w : words) {
    if (units[w.begin].group > 0) {
      // A number: a digit before 百 or 点 only (五百, 五点五), not across its parts (一百|九十九).
      for (size_t k = w.begin; k + 1 < w.end; ++k) {
        if (third(k) && third(k + 1) && (units[k + 1].cp == U'百' || units[k + 1].cp == U'点')) {
          units[k].reading = WithTone(units[k].reading, 2);
        }
      }
      continue;
    }
    for (size_t k = w.begin; k < w.end;) {
      size_t j = k;
      while (j < w.end && third(j)) ++j;
      if (j - k >= 2) {
        bool one_plus_two = false;
        if (j - k == 3) {
          std::string first_two, last_two;
          AppendUtf8(first_two, static_cast<int32_t>(units[k].cp));
          AppendUtf8(first_two, static_cast<int32_t>(units[k + 1].cp));
          AppendUtf8(last_two, static_cast<int32_t>(units[k + 1].cp));
          AppendUtf8(last_two, static_cast<int32_t>(units[k + 2].cp));
          one_plus_two = FindMandarinWord(last_two) != nullptr && FindMandarinWord(first_two) == nullptr;
        }
        for (size_t m = k; m + 1 < j; ++m) {
          if (!(one_plus_two && m == k)) units[m].reading = WithTone(units[m].reading, 2);
        }
      }
      k = j == k ? k + 1 : j;
    }
  }
  // Across words, right to left: a one-syllable word leans on the word after it (我[想买], 很好,
  // 有两千); so does a number on its measure word (十五本), and an object pronoun on its verb (分给你).
  for (size_t i = words.size(); i-- > 1;) {
    const WordRange& a = words[i - 1];
    const WordRange& b = words[i];
    const size_t last = a.end - 1;
    if (!third(last) || !third(b.begin)) continue;
    const bool enclitic = b.end - b.begin == 1 && kPronouns.find(units[b.begin].cp) != std::u32string::npos;
    if (a.end - a.begin == 1 || units[last].group > 0 || enclitic) {
      units[last].reading = WithTone(units[last].reading, 2);
    }
  }
}

}  // namespace ttsd::frontend
