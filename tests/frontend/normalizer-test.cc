// The normalizer's readings, checked word for word, with a tiny stand-in lexicon.
#include "../../frontend/src/normalizer.h"

#include <gtest/gtest.h>

#include "../../frontend/src/number-words.h"

namespace ttsd::frontend {
namespace {

// "ERROR:<code>" when normalization fails, else the joined tokens.
std::string Norm(std::string_view text) {
  const LexiconCheck lexicon = [](std::string_view w) { return w == "nasa" || w == "ok"; };
  auto tokens = NormalizeTokens(text, lexicon);
  if (!tokens) return "ERROR:" + std::string(ErrorCodeName(tokens.error().code));
  return JoinTokens(*tokens);
}

TEST(NumberWords, Cardinals) {
  EXPECT_EQ(CardinalWords(0), "zero");
  EXPECT_EQ(CardinalWords(13), "thirteen");
  EXPECT_EQ(CardinalWords(105), "one hundred five");
  EXPECT_EQ(CardinalWords(1'000'000), "one million");
  EXPECT_EQ(CardinalWords(2'030'400), "two million thirty thousand four hundred");
  EXPECT_EQ(CardinalWords(kMaxCardinal),
            "nine hundred ninety nine trillion nine hundred ninety nine billion nine hundred ninety nine million "
            "nine hundred ninety nine thousand nine hundred ninety nine");
}

TEST(NumberWords, OrdinalsYearsAndPlurals) {
  EXPECT_EQ(OrdinalWords(12), "twelfth");
  EXPECT_EQ(OrdinalWords(20), "twentieth");
  EXPECT_EQ(OrdinalWords(101), "one hundred first");
  EXPECT_EQ(YearWords(1905), "nineteen oh five");
  EXPECT_EQ(YearWords(1900), "nineteen hundred");
  EXPECT_EQ(YearWords(2000), "two thousand");
  EXPECT_EQ(YearWords(2010), "twenty ten");
  EXPECT_EQ(YearWords(1066), "ten sixty six");
  EXPECT_EQ(PluralWords("nineteen ninety"), "nineteen nineties");
  EXPECT_EQ(PluralWords("six"), "sixes");
  EXPECT_EQ(DigitWords("0071"), "zero zero seven one");
}

TEST(Normalizer, Cardinals) {
  EXPECT_EQ(Norm("1,234,567"), "one million two hundred thirty four thousand five hundred sixty seven");
  EXPECT_EQ(Norm("I have 42 cats"), "i have forty two cats");
  EXPECT_EQ(Norm("-5"), "minus five");
  EXPECT_EQ(Norm("+7 points"), "plus seven points");
  EXPECT_EQ(Norm("it was -12 outside"), "it was minus twelve outside");
  EXPECT_EQ(Norm("007"), "zero zero seven");
  EXPECT_EQ(Norm("12345678901234567890"), "one two three four five six seven eight nine zero one two three four five "
                                          "six seven eight nine zero");
}

TEST(Normalizer, Ordinals) {
  EXPECT_EQ(Norm("1st 2nd 3rd 4th 21st 100th"), "first second third fourth twenty first one hundredth");
}

TEST(Normalizer, Decimals) {
  EXPECT_EQ(Norm("3.14"), "three point one four");
  EXPECT_EQ(Norm("0.5"), "zero point five");
  EXPECT_EQ(Norm("-2.75"), "minus two point seven five");
  EXPECT_EQ(Norm("version 1.2.3"), "version one point two point three");
}

TEST(Normalizer, Currency) {
  EXPECT_EQ(Norm("$5.50"), "five dollars and fifty cents");
  EXPECT_EQ(Norm("$1"), "one dollar");
  EXPECT_EQ(Norm("$0.99"), "ninety nine cents");
  EXPECT_EQ(Norm("$1,000"), "one thousand dollars");
  EXPECT_EQ(Norm("\u20AC3"), "three euros");
  EXPECT_EQ(Norm("5\u20AC"), "five euros");
  EXPECT_EQ(Norm("\u00A32.01"), "two pounds and one penny");
  EXPECT_EQ(Norm("\u00A30.50"), "fifty pence");
  EXPECT_EQ(Norm("$2 million"), "two million dollars");
  EXPECT_EQ(Norm("$1.5B"), "one point five billion dollars");
  EXPECT_EQ(Norm("-$5"), "minus five dollars");
  EXPECT_EQ(Norm("\u00A5100"), "one hundred yen");
}

TEST(Normalizer, Percent) {
  EXPECT_EQ(Norm("50%"), "fifty percent");
  EXPECT_EQ(Norm("3.5 %"), "three point five percent");
  EXPECT_EQ(Norm("1984%"), "one thousand nine hundred eighty four percent");
}

TEST(Normalizer, Years) {
  EXPECT_EQ(Norm("in 1984"), "in nineteen eighty four");
  EXPECT_EQ(Norm("2005"), "two thousand five");
  EXPECT_EQ(Norm("in 2024."), "in twenty twenty four .");
  EXPECT_EQ(Norm("1,984"), "one thousand nine hundred eighty four");
  EXPECT_EQ(Norm("3000"), "three thousand");
  EXPECT_EQ(Norm("the 1990s"), "the nineteen nineties");
  EXPECT_EQ(Norm("the '80s"), "the eighties");
  EXPECT_EQ(Norm("from 1990-1995"), "from nineteen ninety to nineteen ninety five");
}

TEST(Normalizer, Dates) {
  EXPECT_EQ(Norm("2024-03-05"), "march fifth twenty twenty four");
  EXPECT_EQ(Norm("3/5/2024"), "march fifth twenty twenty four");
  EXPECT_EQ(Norm("12/25/99"), "december twenty fifth nineteen ninety nine");
  EXPECT_EQ(Norm("March 5, 2024"), "march fifth twenty twenty four");
  EXPECT_EQ(Norm("on May 1st"), "on may first");
  EXPECT_EQ(Norm("5 March"), "fifth of march");
  EXPECT_EQ(Norm("Jan. 3"), "january third");
  EXPECT_EQ(Norm("Jan Smith"), "jan smith");
}

TEST(Normalizer, Times) {
  EXPECT_EQ(Norm("10:30"), "ten thirty");
  EXPECT_EQ(Norm("10:00"), "ten o'clock");
  EXPECT_EQ(Norm("10:05"), "ten oh five");
  EXPECT_EQ(Norm("14:00"), "fourteen hundred");
  EXPECT_EQ(Norm("7pm"), "seven p m");
  EXPECT_EQ(Norm("at 7 p.m."), "at seven p m");
  EXPECT_EQ(Norm("10:30 am"), "ten thirty a m");
  EXPECT_EQ(Norm("9:15PM"), "nine fifteen p m");
}

TEST(Normalizer, Abbreviations) {
  EXPECT_EQ(Norm("Dr. Smith paid $5."), "doctor smith paid five dollars .");
  EXPECT_EQ(Norm("Mr. and Mrs. Jones"), "mister and missus jones");
  EXPECT_EQ(Norm("Ms. Lee, Jr."), "miz lee , junior .");
  EXPECT_EQ(Norm("St. Louis"), "saint louis");
  EXPECT_EQ(Norm("on Main St."), "on main street .");
  EXPECT_EQ(Norm("cats vs. dogs"), "cats versus dogs");
  EXPECT_EQ(Norm("fruit, e.g. apples"), "fruit , for example apples");
  EXPECT_EQ(Norm("one, i.e. this"), "one , that is this");
  EXPECT_EQ(Norm("No. 5"), "number five");
  EXPECT_EQ(Norm("No. I won't."), "no . i won't .");
  EXPECT_EQ(Norm("approx. 5 km"), "approximately five kilometers");
  EXPECT_EQ(Norm("pens etc. The end"), "pens et cetera . the end");
  EXPECT_EQ(Norm("the U.S. economy"), "the u s economy");
}

TEST(Normalizer, Units) {
  EXPECT_EQ(Norm("5 km"), "five kilometers");
  EXPECT_EQ(Norm("1 kg"), "one kilogram");
  EXPECT_EQ(Norm("10kg"), "ten kilograms");
  EXPECT_EQ(Norm("60 km/h"), "sixty kilometers per hour");
  EXPECT_EQ(Norm("5m"), "five meters");
  EXPECT_EQ(Norm("5M"), "five million");
  EXPECT_EQ(Norm("3k"), "three thousand");
  EXPECT_EQ(Norm("20\u00B0C"), "twenty degrees celsius");
  EXPECT_EQ(Norm("2 GB"), "two gigabytes");
}

TEST(Normalizer, Symbols) {
  EXPECT_EQ(Norm("A & B"), "a and b");
  EXPECT_EQ(Norm("1 + 1 = 2"), "one plus one equals two");
  EXPECT_EQ(Norm("me@example.com"), "me at example dot com");
  EXPECT_EQ(Norm("#1"), "number one");
  EXPECT_EQ(Norm("**bold** and `code`"), "bold and code");
}

TEST(Normalizer, NumberShapes) {
  EXPECT_EQ(Norm("call 555-1234"), "call five five five , one two three four");
  EXPECT_EQ(Norm("pages 5-10"), "pages five to ten");
  EXPECT_EQ(Norm("won 3-2"), "won three to two");
  EXPECT_EQ(Norm("1/2 cup"), "one half cup");
  EXPECT_EQ(Norm("3/4"), "three quarters");
  EXPECT_EQ(Norm("24/7"), "twenty four seven");
  EXPECT_EQ(Norm("1,2,3"), "one , two , three");
}

TEST(Normalizer, Acronyms) {
  EXPECT_EQ(Norm("TTS"), "t t s");
  EXPECT_EQ(Norm("NASA"), "nasa");
  EXPECT_EQ(Norm("The FBI and NATO"), "the f b i and nato");
  EXPECT_EQ(Norm("two CPUs"), "two c p u's");
  EXPECT_EQ(Norm("AI"), "a i");
  EXPECT_EQ(Norm("Please STOP now"), "please stop now");
  EXPECT_EQ(Norm("IBM and HTML"), "i b m and h t m l");
  EXPECT_EQ(Norm("OK"), "ok");
  EXPECT_EQ(Norm("Call the USA"), "call the u s a");
  EXPECT_EQ(Norm("GO TO THE EU OFFICE NOW"), "go to the eu office now");  // shouting, not acronyms
}

TEST(ReadAcronymAsWord, PronounceableOrLexicon) {
  EXPECT_TRUE(ReadAcronymAsWord("nato", true, {}));
  EXPECT_TRUE(ReadAcronymAsWord("world", true, {}));
  EXPECT_FALSE(ReadAcronymAsWord("tts", true, {}));
  EXPECT_FALSE(ReadAcronymAsWord("gpu", true, {}));
  EXPECT_FALSE(ReadAcronymAsWord("ieee", true, {}));
  EXPECT_FALSE(ReadAcronymAsWord("ceo", true, {}));
  EXPECT_TRUE(ReadAcronymAsWord("ceo", false, {}));
  EXPECT_TRUE(ReadAcronymAsWord("xyz", true, [](std::string_view w) { return w == "xyz"; }));
}

TEST(Normalizer, Punctuation) {
  EXPECT_EQ(Norm("Well, I think (maybe) so; yes: no - ok!"), "well , i think ( maybe ) so ; yes : no - ok !");
  EXPECT_EQ(Norm("Wait... what?!"), "wait . what ?");
  EXPECT_EQ(Norm("well-known"), "well known");
  EXPECT_EQ(Norm("word\u2014word"), "word - word");
  EXPECT_EQ(Norm("Title\nBody"), "title , body");
  EXPECT_EQ(Norm("Items:\n- one\n- two"), "items : - one , - two");
  EXPECT_EQ(Norm(", leading"), "leading");
  EXPECT_EQ(Norm("[note]"), "note )");
}

TEST(Normalizer, Unicode) {
  EXPECT_EQ(Norm("Caf\u00E9 na\u00EFve r\u00E9sum\u00E9"), "cafe naive resume");
  EXPECT_EQ(Norm("Cafe\u0301"), "cafe");  // decomposed accent
  EXPECT_EQ(Norm("\u201CHello\u201D \u2013 she said"), "hello - she said");
  EXPECT_EQ(Norm("It\u2019s"), "it's");
  EXPECT_EQ(Norm("Stra\u00DFe \u00C6gir"), "strasse aegir");
  EXPECT_EQ(Norm("\u4F60\u597D hello"), "ni2 hao3 hello");  // Chinese: Mandarin syllables
  EXPECT_EQ(Norm("\u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35 hello"), "hello");  // Thai: dropped
  EXPECT_EQ(Norm("hello \U0001F600"), "hello");
  EXPECT_EQ(Norm("\xFF\xFEok"), "ok");  // invalid UTF-8 bytes are dropped
  EXPECT_EQ(Norm("\uFF11\uFF12"), "twelve");  // fullwidth digits
}

TEST(Normalizer, Errors) {
  EXPECT_EQ(Norm(""), "ERROR:empty_text");
  EXPECT_EQ(Norm("  \n\t "), "ERROR:empty_text");
  EXPECT_EQ(Norm("!!! ..."), "ERROR:empty_text");
  EXPECT_EQ(Norm("\U0001F600"), "ERROR:empty_text");
  EXPECT_EQ(Norm("\u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35\u3002"), "ERROR:unsupported_text");  // Thai
  EXPECT_EQ(Norm("\u041F\u0440\u0438\u0432\u0435\u0442"), "ERROR:unsupported_text");
}

TEST(Normalizer, TokenKinds) {
  auto tokens = NormalizeTokens("TTS, ok.", {});
  ASSERT_TRUE(tokens.has_value());
  const std::vector<Token> expected = {{TokenKind::kLetter, "t"}, {TokenKind::kLetter, "t"},
                                       {TokenKind::kLetter, "s"}, {TokenKind::kPause, ","},
                                       {TokenKind::kWord, "ok"},  {TokenKind::kEnd, "."}};
  EXPECT_EQ(*tokens, expected);
}

}  // namespace
}  // namespace ttsd::frontend
