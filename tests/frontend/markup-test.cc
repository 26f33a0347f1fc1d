// Pronunciation markup in text: [[phones]], Chinese characters and their pinyin overrides, from
// the folded text up to the phones a voice gets.
#include "../../frontend/src/markup.h"

#include <gtest/gtest.h>

#include "ttsd/frontend/text-frontend.h"

namespace ttsd::frontend {
namespace {

class MarkupTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto created = TextFrontend::Create("en-us");
    ASSERT_TRUE(created.has_value()) << created.error().ToString();
    frontend_ = created->release();
  }
  static void TearDownTestSuite() {
    delete frontend_;
    frontend_ = nullptr;
  }
  static const TextFrontend& fe() { return *frontend_; }

  // The phones of one sentence, or "ERROR:<code>: <message>".
  static std::string PhonesOf(std::string_view sentence) {
    auto seg = fe().Phonemize(sentence);
    if (!seg) return "ERROR:" + std::string(ErrorCodeName(seg.error().code)) + ": " + seg.error().message;
    std::string out;
    for (const auto& p : seg->phones) out += (out.empty() ? "" : " ") + p;
    return out;
  }

  static TextFrontend* frontend_;
};
TextFrontend* MarkupTest::frontend_ = nullptr;

TEST(FoldWithMarkup, ItemsStandInTheText) {
  auto m = FoldWithMarkup("Say [[h \u0259 l o\u028A]] \u91CD(ch\u00F3ng)\u8981.");
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->ascii, "Say  \x05   \x05  \x05 .");
  const std::vector<Token> items = {
      {TokenKind::kPhones, "hh ax0 l ow1"}, {TokenKind::kSyllable, "chong2"}, {TokenKind::kSyllable, "yao4"}};
  EXPECT_EQ(m->items, items);
  EXPECT_FALSE(m->dropped_foreign);
}

TEST(FoldWithMarkup, OverrideForms) {
  auto syllables = [](std::string_view text) {
    auto m = FoldWithMarkup(text);
    std::string out;
    if (!m) return "ERROR: " + m.error().message;
    for (const Token& t : m->items) out += (out.empty() ? "" : " ") + t.text;
    return out;
  };
  EXPECT_EQ(syllables("\u957F\u5927"), "zhang3 da4");                        // 长大
  EXPECT_EQ(syllables("\u957F(zh\u01CEng)\u5927"), "zhang3 da4");            // 长(zhǎng)大
  EXPECT_EQ(syllables("\u957F(chang2)"), "chang2");                          // tone digit
  EXPECT_EQ(syllables("\u884C\uFF08h\u00E1ng\uFF09"), "hang2");             // 行（háng）fullwidth
  EXPECT_EQ(syllables("\u884C(h\u00E1ng\uFF09"), "hang2");                   // mixed parentheses
  EXPECT_EQ(syllables("\u4ED6(he) \u4ED6(\u6CE8\u610F)"), "ta1 ta1 zhu4 yi4");  // no tone: plain text
  EXPECT_EQ(syllables("\u91CD(ch\u00F3ngg)"), "ERROR: 'ch\u00F3ngg' is not a pinyin syllable (after \u91CD)");
  EXPECT_EQ(syllables("\u91CD(xyz1)"), "ERROR: 'xyz1' is not a pinyin syllable (after \u91CD)");
}

TEST(FoldWithMarkup, UnclosedOrLongBracketsArePlainText) {
  auto m = FoldWithMarkup("a [[b c");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->ascii, "a [[b c");
  EXPECT_TRUE(m->items.empty());
  m = FoldWithMarkup("a [[" + std::string(kMaxInlinePhonesBytes + 1, 'b') + "]]");
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->items.empty());
}

TEST(InlinePhonesEnd, ClosedOpenOrNot) {
  EXPECT_EQ(InlinePhonesEnd("x [[a b]] y", 2), 9u);
  EXPECT_EQ(InlinePhonesEnd("x [[a b] ", 2), kOpen);
  EXPECT_EQ(InlinePhonesEnd("[[" + std::string(kMaxInlinePhonesBytes + 2, 'a'), 0), kNotMarkup);
  EXPECT_EQ(InlinePhonesEnd("[[" + std::string(kMaxInlinePhonesBytes, 'a') + "]]", 0), kMaxInlinePhonesBytes + 4);
}

TEST_F(MarkupTest, InlinePhonesGoStraightIntoTheSegment) {
  EXPECT_EQ(PhonesOf("Say [[HH AH0 L OW1]] now."), "pau s ey1 hh ah0 l ow1 n aw1 pau");
  EXPECT_EQ(PhonesOf("Say [[hh ah l ow]]."), "pau s ey1 hh ah1 l ow1 pau");
  EXPECT_EQ(PhonesOf("Say [[h \u0259 l o\u028A]]."), "pau s ey1 hh ax0 l ow1 pau");
  EXPECT_EQ(PhonesOf("[[\u02C8h\u025Blo\u028A]]"), "pau hh eh1 l ow0 pau");
  EXPECT_EQ(PhonesOf("A [[pau]] b, [[k ae1 t pau]]."), "pau ax0 pau b iy1 pau k ae1 t pau");
  auto seg = fe().Phonemize("Say [[hh ah0 l ow1]].");
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->text, "say [[hh ah0 l ow1]] .");
}

TEST_F(MarkupTest, UnknownPhoneSymbolIsRefusedByName) {
  EXPECT_EQ(PhonesOf("Say [[h \u0259 \u0280]]."),
            "ERROR:unsupported_text: unknown phone symbol '\u0280' in 'h \u0259 \u0280'");
  auto normalized = fe().Normalize("Fine. Then [[q]].");
  ASSERT_FALSE(normalized.has_value());
  EXPECT_EQ(normalized.error().code, ErrorCode::kUnsupportedText);
}

TEST_F(MarkupTest, ChineseIsReadThroughMandarinSyllables) {
  // 这是重要的。 / 这是重(chóng)要的。
  EXPECT_EQ(PhonesOf("\u8FD9\u662F\u91CD\u8981\u7684\u3002"), "pau jh ah1 sh er1 jh uh1 ng y aw1 d ah0 pau");
  EXPECT_EQ(PhonesOf("This is \u91CD(ch\u00F3ng)\u8981."), "pau dh ih1 s ih1 z ch uh1 ng y aw1 pau");
  EXPECT_EQ(fe().Normalize("\u957F(zh\u01CEng)\u5927\uFF0C\u884C(h\u00E1ng)\uFF01"), "zhang3 da4 , hang2 !");
  // A Chinese comma is a pause; Thai is still refused, emoji alone still have nothing to say.
  EXPECT_EQ(PhonesOf("\u4F60\u597D\uFF0C\u4F60\u597D"), "pau n iy1 hh aw1 pau n iy1 hh aw1 pau");
  EXPECT_EQ(PhonesOf("\u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35").substr(0, 23), "ERROR:unsupported_text:");
  EXPECT_EQ(PhonesOf("\U0001F600").substr(0, 16), "ERROR:empty_text");
}

TEST_F(MarkupTest, BadPinyinOverrideIsRefused) {
  EXPECT_EQ(PhonesOf("\u91CD(ch\u00F3ngg)\u8981"),
            "ERROR:unsupported_text: 'ch\u00F3ngg' is not a pinyin syllable (after \u91CD)");
}

}  // namespace
}  // namespace ttsd::frontend
