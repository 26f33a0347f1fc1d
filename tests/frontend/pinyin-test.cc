// Pinyin syllables and the Mandarin readings table: spellings, phones, and that every reading of
// the Unihan table has phones of the inventory.
#include "../../frontend/src/pinyin.h"

#include <gtest/gtest.h>

#include <set>

#include "../../frontend/src/mandarin-readings.h"
#include "ttsd/frontend/text-frontend.h"
#include "phone-list.h"

namespace ttsd::frontend {
namespace {

TEST(ParsePinyin, ToneMarksAndDigits) {
  EXPECT_EQ(ParsePinyin("chóng"), "chong2");
  EXPECT_EQ(ParsePinyin("zhǎng"), "zhang3");
  EXPECT_EQ(ParsePinyin("háng"), "hang2");
  EXPECT_EQ(ParsePinyin("pīn"), "pin1");
  EXPECT_EQ(ParsePinyin("pin1"), "pin1");
  EXPECT_EQ(ParsePinyin("Ài"), "ai4");
  EXPECT_EQ(ParsePinyin("CHONG2"), "chong2");
  EXPECT_EQ(ParsePinyin("cho\u0301ng"), "chong2");  // combining acute
  EXPECT_EQ(ParsePinyin("de"), "de5");
  EXPECT_EQ(ParsePinyin("de0"), "de5");
  EXPECT_EQ(ParsePinyin("ń"), "n2");
}

TEST(ParsePinyin, UmlautSpellings) {
  EXPECT_EQ(ParsePinyin("lǜ"), "lv4");
  EXPECT_EQ(ParsePinyin("lü4"), "lv4");
  EXPECT_EQ(ParsePinyin("lv4"), "lv4");
  EXPECT_EQ(ParsePinyin("lu:4"), "lv4");
  EXPECT_EQ(ParsePinyin("nüè"), "nve4");
}

TEST(ParsePinyin, SaysWhetherAToneWasWritten) {
  bool had_tone = true;
  EXPECT_EQ(ParsePinyin("he", &had_tone), "he5");
  EXPECT_FALSE(had_tone);
  EXPECT_EQ(ParsePinyin("hé", &had_tone), "he2");
  EXPECT_TRUE(had_tone);
  EXPECT_EQ(ParsePinyin("he2", &had_tone), "he2");
  EXPECT_TRUE(had_tone);
}

TEST(ParsePinyin, RefusesWhatIsNoSyllable) {
  EXPECT_EQ(ParsePinyin(""), std::nullopt);
  EXPECT_EQ(ParsePinyin("chóngg"), std::nullopt);
  EXPECT_EQ(ParsePinyin("hello"), std::nullopt);
  EXPECT_EQ(ParsePinyin("ch"), std::nullopt);
  EXPECT_EQ(ParsePinyin("chóng2"), std::nullopt);  // two tones
  EXPECT_EQ(ParsePinyin("zh1ong"), std::nullopt);  // the digit comes last
  EXPECT_EQ(ParsePinyin("chong6"), std::nullopt);
  EXPECT_EQ(ParsePinyin("bbo1"), std::nullopt);
}

TEST(PinyinPhones, InitialsFinalsAndStress) {
  EXPECT_EQ(PinyinPhones("chong2"), Split("ch uh1 ng"));
  EXPECT_EQ(PinyinPhones("zhong4"), Split("jh uh1 ng"));
  EXPECT_EQ(PinyinPhones("yao4"), Split("y aw1"));
  EXPECT_EQ(PinyinPhones("zhang3"), Split("jh aa1 ng"));
  EXPECT_EQ(PinyinPhones("hang2"), Split("hh aa1 ng"));
  EXPECT_EQ(PinyinPhones("xing2"), Split("sh iy1 ng"));
  EXPECT_EQ(PinyinPhones("de5"), Split("d ah0"));  // neutral tone: unstressed
  EXPECT_EQ(PinyinPhones("ni3"), Split("n iy1"));
  EXPECT_EQ(PinyinPhones("hao3"), Split("hh aw1"));
  EXPECT_EQ(PinyinPhones("zi4"), Split("d z ih1"));   // i after z c s
  EXPECT_EQ(PinyinPhones("shi4"), Split("sh er1"));   // i after zh ch sh r
  EXPECT_EQ(PinyinPhones("ci2"), Split("t s ih1"));
  EXPECT_EQ(PinyinPhones("bo1"), Split("b w ao1"));
  EXPECT_EQ(PinyinPhones("er4"), Split("er1"));
}

TEST(PinyinPhones, ZeroInitialAndShortenedSpellings) {
  EXPECT_EQ(PinyinPhones("yi1"), Split("iy1"));
  EXPECT_EQ(PinyinPhones("ya1"), Split("y aa1"));
  EXPECT_EQ(PinyinPhones("you3"), Split("y ow1"));
  EXPECT_EQ(PinyinPhones("liu2"), Split("l y ow1"));     // iu = iou
  EXPECT_EQ(PinyinPhones("gui4"), Split("g w ey1"));     // ui = uei
  EXPECT_EQ(PinyinPhones("wei4"), Split("w ey1"));
  EXPECT_EQ(PinyinPhones("dun1"), Split("d w ah1 n"));   // un = uen
  EXPECT_EQ(PinyinPhones("wu3"), Split("uw1"));
  EXPECT_EQ(PinyinPhones("yu2"), Split("y uw1"));        // ü
  EXPECT_EQ(PinyinPhones("ju4"), Split("jh y uw1"));     // u after j q x is ü
  EXPECT_EQ(PinyinPhones("lv4"), Split("l y uw1"));
  EXPECT_EQ(PinyinPhones("xue2"), Split("sh w eh1"));
  EXPECT_EQ(PinyinPhones("yuan2"), Split("y w eh1 n"));
  EXPECT_EQ(PinyinPhones("jun1"), Split("jh y uw1 n"));
  EXPECT_EQ(PinyinPhones("xiong2"), Split("sh y uh1 ng"));
  EXPECT_EQ(PinyinPhones("m2"), Split("ah1 m"));
  EXPECT_TRUE(PinyinPhones("chong").empty());
  EXPECT_TRUE(PinyinPhones("xyz1").empty());
}

TEST(MandarinReadings, Polyphones) {
  EXPECT_EQ(MandarinReading(0x91CD), "zhong4");  // 重
  EXPECT_EQ(MandarinReading(0x957F), "zhang3");  // 长
  EXPECT_EQ(MandarinReading(0x884C), "xing2");   // 行
  EXPECT_EQ(MandarinReading(0x4F60), "ni3");     // 你
  EXPECT_EQ(MandarinReading('a'), "");
  EXPECT_EQ(MandarinReading(0x0E2A), "");        // Thai
}

TEST(MandarinReadings, EveryReadingHasPhonesOfTheInventory) {
  const std::set<std::string> inventory(CmuPhoneInventory().begin(), CmuPhoneInventory().end());
  ASSERT_GT(MandarinSyllables().size(), 1000u);
  for (std::string_view syllable : MandarinSyllables()) {
    const Phones phones = PinyinPhones(syllable);
    EXPECT_FALSE(phones.empty()) << syllable;
    for (const std::string& p : phones) EXPECT_TRUE(inventory.contains(p)) << syllable << ": " << p;
  }
}

}  // namespace
}  // namespace ttsd::frontend
