// The user lexicon: its file format and errors, the words it overrides in text, and swapping it
// while other threads phonemize.
#include "ttsd/frontend/user-lexicon.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "ttsd/frontend/text-frontend.h"
#include "phone-list.h"

namespace ttsd::frontend {
namespace {

std::shared_ptr<const UserLexicon> MustParse(std::string_view text) {
  auto lexicon = UserLexicon::Parse(text, "test.txt");
  EXPECT_TRUE(lexicon.has_value()) << lexicon.error().ToString();
  return lexicon ? *lexicon : nullptr;
}

std::string ParseError(std::string_view text) {
  auto lexicon = UserLexicon::Parse(text, "lexicon.txt");
  if (lexicon) return "parsed";
  EXPECT_EQ(lexicon.error().code, ErrorCode::kBadRequest);
  return lexicon.error().message;
}

TEST(UserLexicon, FileFormat) {
  auto lexicon = MustParse(
      "# word   phones\n"
      "ttsd\tT IY1 T IY1 EH1 S D IY1\n"
      "\n"
      "  Nguyen    \xC5\x8B w \xC9\xAA n   # IPA, trailing comment\r\n"
      "rock-n-roll [[r \xC9\x91 k \xC9\x99 n \xCB\x88r o\xCA\x8A l]]\n"
      "o'neill  ow0 n iy1 l\n"
      "caf\xC3\xA9 k ae0 f ey1\n"
      "mp3 eh1 m p iy1 th r iy1");
  ASSERT_NE(lexicon, nullptr);
  EXPECT_EQ(lexicon->size(), 6u);
  EXPECT_EQ(*lexicon->Find("ttsd"), Split("t iy1 t iy1 eh1 s d iy1"));
  EXPECT_EQ(*lexicon->Find("TTSD"), Split("t iy1 t iy1 eh1 s d iy1"));  // any case
  EXPECT_EQ(*lexicon->Find("nguyen"), Split("ng w ih1 n"));
  EXPECT_EQ(*lexicon->Find("Rock-N-Roll"), Split("r aa0 k ax0 n r ow1 l"));
  EXPECT_EQ(*lexicon->Find("O'Neill"), Split("ow0 n iy1 l"));
  EXPECT_EQ(*lexicon->Find("cafe"), Split("k ae0 f ey1"));  // accents fold as in text
  EXPECT_EQ(lexicon->Find("hello"), nullptr);
  EXPECT_TRUE(MustParse("# nothing\n\n")->empty());
}

TEST(UserLexicon, ErrorsNameTheLine) {
  EXPECT_EQ(ParseError("ok ow1 k ey1\nlonely\n"),
            "lexicon.txt:2: 'lonely' has no phones (expected: word, then phones)");
  EXPECT_EQ(ParseError("\n\nbad h \xC9\x99 \xCA\x80\n"),
            "lexicon.txt:3: unknown phone symbol '\xCA\x80' in 'h \xC9\x99 \xCA\x80'");
  EXPECT_EQ(ParseError("a.b ey1\n"), "lexicon.txt:1: 'a.b' is not a word (letters, digits, inner ' and -)");
  EXPECT_EQ(ParseError("-ab ey1\n"), "lexicon.txt:1: '-ab' is not a word (letters, digits, inner ' and -)");
  EXPECT_EQ(ParseError("42 f ao1 r\n"), "lexicon.txt:1: '42' is not a word (letters, digits, inner ' and -)");
  EXPECT_EQ(ParseError("Word w er1 d\nword w er1 d\n"), "lexicon.txt:2: 'word' is already given on line 1");
}

TEST(UserLexicon, LoadNamesTheFile) {
  const std::string path = ::testing::TempDir() + "user-lexicon-test.txt";
  std::ofstream(path) << "good g uh1 d\nbad b ae1 d 9\n";
  auto lexicon = UserLexicon::Load(path);
  ASSERT_FALSE(lexicon.has_value());
  EXPECT_EQ(lexicon.error().message, path + ":2: unknown phone '9' in 'b ae1 d 9'");
  std::ofstream(path) << "good g uh1 d\n";
  lexicon = UserLexicon::Load(path);
  ASSERT_TRUE(lexicon.has_value()) << lexicon.error().ToString();
  EXPECT_EQ((*lexicon)->size(), 1u);
  std::remove(path.c_str());
  lexicon = UserLexicon::Load(path);
  ASSERT_FALSE(lexicon.has_value());
  EXPECT_EQ(lexicon.error().code, ErrorCode::kIo);
}

class UserLexiconFrontendTest : public ::testing::Test {
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
  void TearDown() override { UserLexicon::Install(nullptr); }
  static const TextFrontend& fe() { return *frontend_; }
  static Phones PhonesOf(std::string_view sentence) {
    auto seg = fe().Phonemize(sentence);
    EXPECT_TRUE(seg.has_value()) << sentence << ": " << seg.error().ToString();
    return seg ? seg->phones : Phones{};
  }

  static TextFrontend* frontend_;
};
TextFrontend* UserLexiconFrontendTest::frontend_ = nullptr;

TEST_F(UserLexiconFrontendTest, InstalledLexiconOverridesFlite) {
  const Phones before = PhonesOf("Hello TTS, meet ttsd's e-mail.");
  UserLexicon::Install(MustParse("hello  h \xC9\x99 \xCB\x88l o\xCA\x8A\ntts  t iy1 t iy1 eh1 s\n"
                                 "ttsd t iy1 d iy1\ne-mail iy1 m ey2 l\n"));
  EXPECT_EQ(PhonesOf("Hello TTS, meet ttsd's e-mail."),
            Split("pau hh ax0 l ow1 t iy1 t iy1 eh1 s pau m iy1 t t iy1 d iy1 z iy1 m ey2 l pau"));
  EXPECT_EQ(fe().WordPhones("ttsd"), Split("t iy1 d iy1"));
  EXPECT_EQ(fe().WordPhones("ttsd'll"), Split("t iy1 d iy1 l"));
  EXPECT_EQ(fe().Normalize("Hello ttsd"), "[[hh ax0 l ow1]] [[t iy1 d iy1]]");
  UserLexicon::Install(nullptr);
  EXPECT_EQ(PhonesOf("Hello TTS, meet ttsd's e-mail."), before);
}

// A voice's own lexicon (a GPT-SoVITS voice's CMUdict, in this format): after the user's, before flite's.
TEST_F(UserLexiconFrontendTest, AVoiceLexiconComesBetweenTheUsersAndFlites) {
  auto own = TextFrontend::Create("en-us", MustParse("VALID  V AE1 L IH0 D\nACCESS  AE1 K S EH2 S\n"));
  ASSERT_TRUE(own);
  EXPECT_EQ((*own)->WordPhones("valid"), Split("v ae1 l ih0 d"));
  EXPECT_EQ((*own)->WordPhones("Access"), Split("ae1 k s eh2 s"));
  EXPECT_EQ((*own)->WordPhones("hello"), fe().WordPhones("hello"));  // not in it: flite's
  EXPECT_NE(fe().WordPhones("valid"), Split("v ae1 l ih0 d"));     // other frontends keep flite's
  UserLexicon::Install(MustParse("valid  v ae1 l ax0 d\n"));
  EXPECT_EQ((*own)->WordPhones("valid"), Split("v ae1 l ax0 d"));  // the user's wins
  EXPECT_EQ((*own)->WordPhones("access"), Split("ae1 k s eh2 s"));
}

TEST_F(UserLexiconFrontendTest, WordsWithDigitsAndAbbreviations) {
  UserLexicon::Install(MustParse("mp3 eh1 m p iy1 th r iy1\n3d th r iy1 d iy1\ndr d r ay1 v\n"));
  EXPECT_EQ(PhonesOf("An mp3 in 3d"), Split("pau ae1 n eh1 m p iy1 th r iy1 ih0 n th r iy1 d iy1 pau"));
  EXPECT_EQ(PhonesOf("Dr. X"), Split("pau d r ay1 v pau eh1 k s pau"));  // the user wins over "doctor"
}

TEST_F(UserLexiconFrontendTest, SwapWhileOtherThreadsPhonemize) {
  auto short_word = MustParse("zorblax z ao1 r\n");
  auto long_word = MustParse("zorblax z ao1 r b l ae1 k s z ao1 r b l ae1 k s\n");
  UserLexicon::Install(short_word);
  const Phones a = PhonesOf("The zorblax, and zorblax again.");
  UserLexicon::Install(long_word);
  const Phones b = PhonesOf("The zorblax, and zorblax again.");
  ASSERT_NE(a, b);
  std::atomic<bool> stop = false;
  std::atomic<int> torn = 0, calls = 0;
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        const Phones p = PhonesOf("The zorblax, and zorblax again.");
        torn += p == a || p == b ? 0 : 1;  // both words from one lexicon
        ++calls;
      }
    });
  }
  for (int i = 0; i < 2000; ++i) UserLexicon::Install(i % 2 ? short_word : long_word);
  while (calls < 50) std::this_thread::yield();
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(torn, 0);
}

}  // namespace
}  // namespace ttsd::frontend
