// The Mandarin frontend piece by piece: numbers, segmentation, polyphones, sandhi, erhua, spans,
// overrides and the user lexicon (mandarin.h, mandarin-numbers.h). The test set with its accuracy
// is mandarin-accuracy-test.
#include "ttsd/frontend/mandarin.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../frontend/src/mandarin-dict.h"
#include "../../frontend/src/mandarin-numbers.h"
#include "../../frontend/src/mandarin-readings.h"
#include "ttsd/frontend/text-frontend.h"
#include "ttsd/frontend/user-lexicon.h"

namespace ttsd::frontend {
namespace {

// All syllables of a text, space-separated, or "ERROR: ...".
std::string Pinyin(std::string_view text) {
  auto words = ReadMandarin(text);
  if (!words) return "ERROR: " + words.error().message;
  std::string out;
  for (const MandarinWord& w : *words) {
    for (const std::string& s : w.syllables) out += (out.empty() ? "" : " ") + s;
  }
  return out;
}

// The words, "text/syllables" each.
std::string Words(std::string_view text) {
  auto words = ReadMandarin(text);
  if (!words) return "ERROR: " + words.error().message;
  std::string out;
  for (const MandarinWord& w : *words) {
    out += (out.empty() ? "" : " ") + w.text + "/";
    for (size_t k = 0; k < w.syllables.size(); ++k) out += (k ? "-" : "") + w.syllables[k];
  }
  return out;
}

std::string Utf8(std::u32string_view s) {
  std::string out;
  for (char32_t c : s) AppendUtf8(out, static_cast<int32_t>(c));
  return out;
}

TEST(ChineseCardinal, WritesNumbersAsTheyAreRead) {
  EXPECT_EQ(Utf8(ChineseCardinal("0")), "零");
  EXPECT_EQ(Utf8(ChineseCardinal("10")), "十");
  EXPECT_EQ(Utf8(ChineseCardinal("15")), "十五");
  EXPECT_EQ(Utf8(ChineseCardinal("110")), "一百一十");
  EXPECT_EQ(Utf8(ChineseCardinal("123")), "一百二十三");
  EXPECT_EQ(Utf8(ChineseCardinal("105")), "一百零五");
  EXPECT_EQ(Utf8(ChineseCardinal("1010")), "一千零一十");
  EXPECT_EQ(Utf8(ChineseCardinal("2000")), "两千");
  EXPECT_EQ(Utf8(ChineseCardinal("10001")), "一万零一");
  EXPECT_EQ(Utf8(ChineseCardinal("20300")), "两万零三百");
  EXPECT_EQ(Utf8(ChineseCardinal("100100")), "十万零一百");
  EXPECT_EQ(Utf8(ChineseCardinal("1000000")), "一百万");
  EXPECT_EQ(Utf8(ChineseCardinal("300000000")), "三亿");
  EXPECT_EQ(Utf8(ChineseCardinal("120000005")), "一亿两千万零五");
  EXPECT_EQ(Utf8(ChineseCardinal("120000")), "十二万");
  EXPECT_EQ(Utf8(ChineseCardinal("12000")), "一万两千");
  EXPECT_EQ(Utf8(ChineseCardinal("012")), "");
  EXPECT_EQ(Utf8(ChineseCardinal("12345678901234567")), "");
}

TEST(ReadMandarin, NumbersDatesTimesMoneyAndUnits) {
  EXPECT_EQ(Words("2024年3月5日"), "二零二四/er4-ling2-er4-si4 年/nian2 三/san1 月/yue4 五/wu3 日/ri4");
  EXPECT_EQ(Pinyin("10:30见"), "shi2 dian3 san1 shi2 fen1 jian4");
  EXPECT_EQ(Pinyin("百分比50%。"), "bai3 fen1 bi3 bai3 fen1 zhi1 wu3 shi2");
  EXPECT_EQ(Pinyin("花了¥25"), "hua1 le5 er4 shi2 wu3 yuan2");
  EXPECT_EQ(Pinyin("零下是-5℃"), "ling2 xia4 shi4 ling2 xia4 wu3 she4 shi4 du4");
  EXPECT_EQ(Pinyin("是3.14"), "shi4 san1 dian3 yi1 si4");
  EXPECT_EQ(Pinyin("拨打110"), "bo1 da3 yao1 yao1 ling2");
  EXPECT_EQ(Pinyin("电话：010-6277"), "dian4 hua4 ling2 yao1 ling2 liu4 er4 qi1 qi1");
  EXPECT_EQ(Pinyin("是2020-2024年"), "shi4 er4 ling2 er4 ling2 dao4 er4 ling2 er4 si4 nian2");
  EXPECT_EQ(Pinyin("读3-5本"), "du2 san1 dao4 wu2 ben3");
  EXPECT_EQ(Pinyin("有2个"), "you2 liang3 ge4");
  EXPECT_EQ(Pinyin("走了5km"), "zou3 le5 wu3 gong1 li3");
  EXPECT_EQ(Pinyin("是2024-03-05"), "shi4 er4 ling2 er4 si4 nian2 san1 yue4 wu3 ri4");
  EXPECT_EQ(Pinyin("第１名"), "di4 yi1 ming2");  // full-width digit
  // A number next to no Chinese is left to the English frontend.
  EXPECT_EQ(Pinyin("I have 3 apples"), "");
  EXPECT_EQ(Pinyin("3 个"), "ge4");  // a space between: the 3 is the English frontend's
}

TEST(ReadMandarin, WordsDecidePolyphones) {
  EXPECT_EQ(Words("银行"), "银行/yin2-hang2");
  EXPECT_EQ(Words("行走"), "行走/xing2-zou3");
  EXPECT_EQ(Pinyin("长大"), "zhang3 da4");
  EXPECT_EQ(Pinyin("很长"), "hen3 chang2");
  EXPECT_EQ(Pinyin("重新"), "chong2 xin1");
  EXPECT_EQ(Pinyin("我得走了"), "wo3 dei2 zou3 le5");  // děi, then 得走 third-tone sandhi
  EXPECT_EQ(Pinyin("跑得快"), "pao3 de5 kuai4");
}

TEST(ReadMandarin, ToneSandhi) {
  EXPECT_EQ(Pinyin("你好"), "ni2 hao3");
  EXPECT_EQ(Pinyin("展览馆"), "zhan2 lan2 guan3");
  EXPECT_EQ(Pinyin("一个"), "yi2 ge4");
  EXPECT_EQ(Pinyin("一天"), "yi4 tian1");
  EXPECT_EQ(Pinyin("第一"), "di4 yi1");
  EXPECT_EQ(Pinyin("不是"), "bu2 shi4");
  EXPECT_EQ(Pinyin("不来"), "bu4 lai2");
  EXPECT_EQ(Pinyin("看一看"), "kan4 yi5 kan4");
  EXPECT_EQ(Pinyin("好不好"), "hao3 bu5 hao3");
  EXPECT_EQ(Pinyin("妈妈"), "ma1 ma5");
  EXPECT_EQ(Pinyin("看看"), "kan4 kan5");
  EXPECT_EQ(Pinyin("好吗"), "hao3 ma5");
}

TEST(ReadMandarin, ErhuaIsTheROfTheSyllableBefore) {
  EXPECT_EQ(Words("哪儿"), "哪儿/nar3");
  EXPECT_EQ(Pinyin("儿子"), "er2 zi5");
  EXPECT_EQ(Pinyin("女儿"), "nv3 er2");
  auto words = ReadMandarin("去哪儿");
  ASSERT_TRUE(words.has_value());
  ASSERT_EQ(words->size(), 2u);
  EXPECT_EQ((*words)[1].span.begin, 3u);
  EXPECT_EQ((*words)[1].span.end, 9u);
  EXPECT_EQ((*words)[1].syllable_spans.size(), 1u);
}

TEST(ReadMandarin, TraditionalAndFullWidthFold) {
  EXPECT_EQ(Words("銀行"), "银行/yin2-hang2");
  EXPECT_EQ(Simplified(U'這'), U'这');
  // 鴀's simplified form (U+2B6DC) has no reading of its own: 鴀 is read as written (fuzz-mandarin).
  EXPECT_EQ(Pinyin("\u9D00"), std::string(MandarinReading(0x9D00)));
  EXPECT_FALSE(MandarinReading(0x9D00).empty());
  EXPECT_EQ(Simplified(U'这'), U'这');
}

TEST(ReadMandarin, SpansPointIntoTheInput) {
  const std::string text = "Go 我在银行, ok 123个";
  auto words = ReadMandarin(text);
  ASSERT_TRUE(words.has_value());
  ASSERT_GE(words->size(), 4u);
  EXPECT_EQ(text.substr((*words)[2].span.begin, (*words)[2].span.end - (*words)[2].span.begin), "银行");
  const MandarinWord& number = (*words)[3];
  EXPECT_EQ(text.substr(number.span.begin, number.span.end - number.span.begin), "123");
  EXPECT_EQ(number.syllables.size(), 5u);  // 一百二十三
  for (const ByteSpan& s : number.syllable_spans) EXPECT_EQ(s.begin, number.span.begin);
}

TEST(ReadMandarin, OverridesWin) {
  EXPECT_EQ(Pinyin("银行(xing2)"), "yin2 xing2");
  EXPECT_EQ(Pinyin("你(ni3)好"), "ni3 hao3");  // an override keeps its tone: no sandhi
  EXPECT_EQ(Pinyin("重(chóngg)要").substr(0, 6), "ERROR:");
}

TEST(ReadMandarin, UserLexiconWordsWin) {
  auto lexicon = UserLexicon::Parse("银行 yin2 xing2\n重庆 zhòng qìng\n", "test");
  ASSERT_TRUE(lexicon.has_value()) << lexicon.error().ToString();
  UserLexicon::Install(*lexicon);
  EXPECT_EQ(Pinyin("我在银行"), "wo3 zai4 yin2 xing2");
  EXPECT_EQ(Pinyin("重慶"), "zhong4 qing4");  // traditional matches too
  UserLexicon::Install(*UserLexicon::Parse("菕 pa4\n", "test"));
  // 菕 folds to a simplified form with no reading of its own, so it is read (and matched) as itself.
  EXPECT_EQ(Pinyin("菕"), "pa4");
  UserLexicon::Install(nullptr);
  EXPECT_EQ(Pinyin("我在银行"), "wo3 zai4 yin2 hang2");
}

TEST(ReadMandarin, BadLexiconEntriesAreRefused) {
  auto bad = UserLexicon::Parse("银行 yin2\n", "test");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "test:1: '银行' has 2 characters and 1 syllables");
  bad = UserLexicon::Parse("银行 yin2 hxng2\n", "test");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "test:1: 'hxng2' is not a pinyin syllable (in '银行')");
}

TEST(ReadMandarin, CharactersWithNoReadingAreRefusedByName) {
  // U+2A6DF, a CJK ideograph Unihan gives no Mandarin reading: refused, never dropped; an override reads it.
  EXPECT_EQ(Pinyin("我\U0002A6DF你"),
            "ERROR: '\U0002A6DF' (U+2A6DF) has no known Mandarin reading; write one after it: 字(zi4)");
  EXPECT_EQ(Pinyin("我\U0002A6DF(zi4)你"), "wo3 zi4 ni3");
  auto fe = TextFrontend::Create("en-us");
  ASSERT_TRUE(fe.has_value());
  auto normalized = (*fe)->Normalize("hello \U0002A6DF");
  ASSERT_FALSE(normalized.has_value());
  EXPECT_EQ(normalized.error().code, ErrorCode::kUnsupportedText);
}

TEST(ReadMandarin, LongNumbersAreReadDigitByDigit) {
  // 2,000 digits (too long for a cardinal): one word, a syllable each. (Sub-word readings once made
  // this cubic: fuzz-mandarin's regress-long-number.)
  auto words = ReadMandarin("年" + std::string(2000, '1') + "年");
  ASSERT_TRUE(words.has_value());
  ASSERT_EQ(words->size(), 3u);
  EXPECT_EQ((*words)[1].syllables.size(), 2000u);
  EXPECT_EQ((*words)[1].syllables[0], "yao1");  // a code, like a phone number: 1 as 幺
}

TEST(ReadMandarin, NothingChineseIsNothing) {
  EXPECT_EQ(Pinyin(""), "");
  EXPECT_EQ(Pinyin("hello \U0001F600 \x01\x02"), "");
  EXPECT_EQ(Pinyin(std::string("\xE4\xB8", 2)), "");  // a cut character
}

TEST(ReadMandarin, NativeVoicesGetTheBetterPinyin) {
  auto fe = TextFrontend::Create("en-us");
  ASSERT_TRUE(fe.has_value());
  EXPECT_EQ((*fe)->Normalize("银行"), "yin2 hang2");
  EXPECT_EQ((*fe)->Normalize("我有3个"), "wo2 you3 san1 ge4");
  auto seg = (*fe)->Phonemize("去哪儿");
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->phones.back(), "pau");
  EXPECT_EQ(seg->phones[seg->phones.size() - 2], "r");  // nar3: the r of erhua
  // Mixed: English through flite, Chinese through pinyin, one segment.
  auto mixed = (*fe)->Phonemize("Hello 你好 world");
  ASSERT_TRUE(mixed.has_value());
  EXPECT_EQ(mixed->words.size(), 4u);
}

}  // namespace
}  // namespace ttsd::frontend
