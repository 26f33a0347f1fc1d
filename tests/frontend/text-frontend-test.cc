#include "ttsd/frontend/text-frontend.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace ttsd::frontend {
namespace {

using Phones = std::vector<std::string>;

class TextFrontendTest : public ::testing::Test {
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

  static TextFrontend* frontend_;
};
TextFrontend* TextFrontendTest::frontend_ = nullptr;

Phones Split(std::string_view phones) {
  Phones out;
  for (size_t start = 0; start < phones.size();) {
    size_t end = phones.find(' ', start);
    if (end == std::string_view::npos) end = phones.size();
    out.emplace_back(phones.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST(CmuPhoneInventory, OrderAndSize) {
  const auto& inv = CmuPhoneInventory();
  ASSERT_EQ(inv.size(), 76u);
  EXPECT_EQ(inv[0], "pau");
  EXPECT_EQ(inv[1], "b");
  EXPECT_EQ(inv[24], "zh");
  EXPECT_EQ(inv[25], "aa0");
  EXPECT_EQ(inv[26], "aa1");
  EXPECT_EQ(inv[27], "aa2");
  EXPECT_EQ(inv[28], "ae0");
  EXPECT_EQ(inv[43], "axr0");
  EXPECT_EQ(inv[75], "uw2");
  EXPECT_EQ(std::set<std::string>(inv.begin(), inv.end()).size(), inv.size());
}

TEST(TextFrontend, CreateChecksLanguage) {
  EXPECT_TRUE(TextFrontend::Create("en-us").has_value());
  EXPECT_TRUE(TextFrontend::Create("en").has_value());
  EXPECT_TRUE(TextFrontend::Create("en-US").has_value());
  auto german = TextFrontend::Create("de");
  ASSERT_FALSE(german.has_value());
  EXPECT_EQ(german.error().code, ErrorCode::kUnsupportedText);
}

TEST_F(TextFrontendTest, WordPhonesFromLexiconAndRules) {
  EXPECT_EQ(fe().WordPhones("hello"), Split("hh ax0 l ow1"));
  EXPECT_EQ(fe().WordPhones("Hello"), Split("hh ax0 l ow1"));
  EXPECT_EQ(fe().WordPhones("world"), Split("w er1 l d"));
  EXPECT_EQ(fe().WordPhones("the"), Split("dh ax0"));
  EXPECT_EQ(fe().WordPhones("ttsd"), Split("t s d"));  // letter-to-sound rules
  EXPECT_EQ(fe().WordPhones("percent"), Split("p er0 s eh1 n t"));
  EXPECT_TRUE(fe().WordPhones("").empty());
  EXPECT_TRUE(fe().WordPhones("'").empty());
  EXPECT_TRUE(fe().WordPhones("123").empty());
}

TEST_F(TextFrontendTest, WordPhonesOfContractions) {
  EXPECT_EQ(fe().WordPhones("don't"), Split("d ow1 n t"));
  EXPECT_EQ(fe().WordPhones("it's"), Split("ih1 t s"));
  EXPECT_EQ(fe().WordPhones("john's"), Split("jh aa1 n z"));
  EXPECT_EQ(fe().WordPhones("couldn't"), Split("k uh1 d ax0 n t"));
  EXPECT_EQ(fe().WordPhones("i'm"), Split("ay1 m"));
  EXPECT_EQ(fe().WordPhones("o'clock"), Split("ax0 k l aa1 k"));
  EXPECT_EQ(fe().WordPhones("you're"), Split("y uw1 r"));
  EXPECT_EQ(fe().WordPhones("students'"), fe().WordPhones("students"));
}

TEST_F(TextFrontendTest, NormalizeReadsNumbersAndAcronyms) {
  EXPECT_EQ(fe().Normalize("Dr. Smith paid $5."), "doctor smith paid five dollars .");
  EXPECT_EQ(fe().Normalize("NASA and TTS"), "nasa and t t s");
  EXPECT_EQ(fe().Normalize("NATO"), "nato");
  EXPECT_EQ(fe().Normalize("on 2024-03-05 at 10:30"), "on march fifth twenty twenty four at ten thirty");
  auto empty = fe().Normalize(" \n");
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::kEmptyText);
  EXPECT_EQ(fe().Normalize("\u4F60\u597D"), "ni2 hao3");  // Chinese is read as Mandarin syllables (sandhi)
  auto thai = fe().Normalize("\u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35");
  ASSERT_FALSE(thai.has_value());
  EXPECT_EQ(thai.error().code, ErrorCode::kUnsupportedText);
}

TEST_F(TextFrontendTest, PhonemizeAddsPauses) {
  auto seg = fe().Phonemize("Hello, world.");
  ASSERT_TRUE(seg.has_value()) << seg.error().ToString();
  EXPECT_EQ(seg->text, "hello , world .");
  EXPECT_EQ(seg->phones, Split("pau hh ax0 l ow1 pau w er1 l d pau"));

  seg = fe().Phonemize("hello (world) - the; world: the");
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->phones, Split("pau hh ax0 l ow1 pau w er1 l d pau dh ax0 pau w er1 l d pau dh ax0 pau"));
}

TEST_F(TextFrontendTest, PhonemizeSpellsLetters) {
  auto seg = fe().Phonemize("TTS");
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->phones, Split("pau t iy1 t iy1 eh1 s pau"));
  seg = fe().Phonemize("the CPUs");
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->phones, Split("pau dh ax0 s iy1 p iy1 y uw1 z pau"));
}

TEST_F(TextFrontendTest, PhonemizeErrors) {
  auto empty = fe().Phonemize("... !");
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::kEmptyText);
  auto cyrillic = fe().Phonemize("\u041F\u0440\u0438\u0432\u0435\u0442.");
  ASSERT_FALSE(cyrillic.has_value());
  EXPECT_EQ(cyrillic.error().code, ErrorCode::kUnsupportedText);
}

constexpr std::string_view kVariedText =
    "Dr. Smith paid $5.50 for 3 coffees at 7:45 a.m. on 2024-03-05; Mrs. O'Brien (his neighbour) "
    "didn't. The 21st-century café—naïve as it was—charged €3, £2 and 15% VAT! Isn't that "
    "something? NASA, the FBI & IBM met in 1984, e.g. at No. 10 Downing St. with 1,234,567 people, "
    "i.e. approx. 3.14 km away. Call 555-1234 or email me@example.com #1 priority: 50 kg, 60 km/h, "
    "20\u00B0C, 1/2 cup, 24/7 service, 10k views, the '90s, 1990-1995, 3rd of May, 12/25/99. "
    "Rhythm, psychology, xylophone, queue, through, thorough, schism, gnome, knight, pneumonia, "
    "zzz, hmm, Mississippi, Worcestershire, antidisestablishmentarianism, you're we'll they've I'd "
    "rock'n'roll, y'all, ma'am, CPUs, TTS, GPU's, AI, HTTP, iPhone, McDonald's, Xiaomi, Nguy\u1EC5n, "
    "Zo\u00EB, Bj\u00F6rk, S\u00E3o Paulo, Z\u00FCrich, Stra\u00DFe. -42 degrees, +7 points, 0.001, "
    "\u4F60\u597D mixed in, emoji \U0001F600 too. WHY ARE WE SHOUTING?";

// The written words of a segment, as the sentence spells them.
std::vector<std::string> WrittenWords(std::string_view sentence, const Segment& seg) {
  std::vector<std::string> words;
  for (const SegmentWord& w : seg.words) words.emplace_back(sentence.substr(w.begin, w.end - w.begin));
  return words;
}

TEST_F(TextFrontendTest, WordsSpanTheirWrittenForm) {
  const std::string sentence = "Dr. Smith paid $5.50 for TTS on March 5, 2024 — café [[hh ax0 l ow1]] 重(chóng)!";
  auto seg = fe().Phonemize(sentence);
  ASSERT_TRUE(seg.has_value()) << seg.error().ToString();
  EXPECT_EQ(WrittenWords(sentence, *seg),
            (std::vector<std::string>{"Dr.", "Smith", "paid", "$5.50", "for", "TTS", "on", "March 5, 2024",
                                      "café", "[[hh ax0 l ow1]]", "重(chóng)"}));
  // Every spoken phone belongs to exactly one word, in order; pauses between words to none.
  uint32_t next = 0;
  for (const SegmentWord& w : seg->words) {
    ASSERT_LT(w.first_phone, w.end_phone);
    for (uint32_t p = next; p < w.first_phone; ++p) EXPECT_EQ(seg->phones[p], "pau") << p;
    next = w.end_phone;
  }
  for (uint32_t p = next; p < seg->phones.size(); ++p) EXPECT_EQ(seg->phones[p], "pau") << p;
  // "$5.50" is read as several words, all said by one written word.
  const SegmentWord& money = seg->words[3];
  EXPECT_GE(money.end_phone - money.first_phone, 20u);
}

TEST_F(TextFrontendTest, WordsOfTheVariedTextStayInsideTheirSentence) {
  SentenceSplitter splitter;
  splitter.Append(kVariedText);
  splitter.Close();
  for (std::string sentence = splitter.Next(); !sentence.empty(); sentence = splitter.Next()) {
    auto seg = fe().Phonemize(sentence);
    ASSERT_TRUE(seg.has_value()) << sentence;
    uint32_t last_end = 0, last_phone = 0;
    for (const SegmentWord& w : seg->words) {
      EXPECT_LT(w.begin, w.end) << sentence;
      EXPECT_LE(w.end, sentence.size()) << sentence;
      EXPECT_GE(w.begin, last_end) << sentence;
      EXPECT_GE(w.first_phone, last_phone) << sentence;
      last_end = w.end;
      last_phone = w.end_phone;
    }
    EXPECT_FALSE(seg->words.empty()) << sentence;
  }
}

TEST_F(TextFrontendTest, EveryPhoneIsInTheInventory) {
  const std::set<std::string> inventory(CmuPhoneInventory().begin(), CmuPhoneInventory().end());
  SentenceSplitter splitter;
  splitter.Append(kVariedText);
  splitter.Close();
  int sentences = 0;
  for (std::string sentence = splitter.Next(); !sentence.empty(); sentence = splitter.Next()) {
    auto seg = fe().Phonemize(sentence);
    ASSERT_TRUE(seg.has_value()) << sentence << ": " << seg.error().ToString();
    ++sentences;
    ASSERT_GE(seg->phones.size(), 3u);
    EXPECT_EQ(seg->phones.front(), "pau");
    EXPECT_EQ(seg->phones.back(), "pau");
    for (size_t i = 0; i < seg->phones.size(); ++i) {
      EXPECT_TRUE(inventory.contains(seg->phones[i])) << "'" << seg->phones[i] << "' in: " << sentence;
      if (i > 0) {
        EXPECT_FALSE(seg->phones[i] == "pau" && seg->phones[i - 1] == "pau") << sentence;
      }
    }
  }
  EXPECT_GE(sentences, 8);
}

TEST_F(TextFrontendTest, ConcurrentCallsAgree) {
  const auto expected = fe().Phonemize(kVariedText);
  ASSERT_TRUE(expected.has_value());
  std::vector<std::thread> threads;
  std::vector<int> matches(4, 0);
  for (size_t t = 0; t < matches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto seg = fe().Phonemize(kVariedText);
        matches[t] += seg.has_value() && seg->phones == expected->phones ? 1 : 0;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int m : matches) EXPECT_EQ(m, 20);
}

}  // namespace
}  // namespace ttsd::frontend
