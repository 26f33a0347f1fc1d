// ElevenLabsAligner (daemon/http/include/ttsd/daemon/elevenlabs-aligner.h): word marks to characters
// timed per message, as Pipecat adds them up.
#include "ttsd/daemon/elevenlabs-aligner.h"

#include <gtest/gtest.h>

namespace ttsd::daemon {
namespace {

using Kind = protocol::MarkInfo::Kind;

protocol::MarkInfo Mark(Kind kind, uint64_t begin, uint64_t end, uint64_t start, uint64_t stop) {
  protocol::MarkInfo m;
  m.kind = kind;
  m.text_begin = begin;
  m.text_end = end;
  m.start = start;
  m.end = stop;
  return m;
}

protocol::Marks Words(std::initializer_list<protocol::MarkInfo> marks) { return protocol::Marks{marks}; }

std::string Chars(const ElevenLabsAlignment& a) {
  std::string s;
  for (const auto& c : a.chars) s += c;
  return s;
}

// Checks what every alignment must hold; returns its end (the last start plus duration).
int64_t CheckShape(const ElevenLabsAlignment& a) {
  EXPECT_EQ(a.chars.size(), a.start_ms.size());
  EXPECT_EQ(a.chars.size(), a.duration_ms.size());
  for (size_t i = 0; i < a.chars.size(); ++i) {
    EXPECT_GE(a.duration_ms[i], 0);
    if (i > 0) {
      EXPECT_EQ(a.start_ms[i], a.start_ms[i - 1] + a.duration_ms[i - 1]) << "characters tile the message";
    }
  }
  return a.chars.empty() ? 0 : a.start_ms.back() + a.duration_ms.back();
}

// " Hi there." at 1 kHz (a sample is a millisecond): "Hi" 100-300, "there" 400-900.
TEST(ElevenLabsAligner, WordsSpreadOverTheirCharactersAndMessagesEndWithTheirAudio) {
  ElevenLabsAligner a;
  a.AddText(" Hi there.");
  a.AddMarks(Words({Mark(Kind::kSentence, 1, 10, 100, 900), Mark(Kind::kWord, 1, 3, 100, 300)}));
  auto first = a.Take(250, 1000);  // the first chunk: 0-250; the space after "Hi" starts at 300
  ASSERT_TRUE(first);
  EXPECT_EQ(Chars(*first), " Hi");
  EXPECT_EQ(first->start_ms, (std::vector<int64_t>{0, 100, 200}));
  EXPECT_EQ(CheckShape(*first), 250);
  auto next = a.Take(500, 1000);
  ASSERT_TRUE(next);
  EXPECT_EQ(Chars(*next), " ");  // "there" is not marked yet; the space trails "Hi" and starts at its end
  EXPECT_EQ(next->start_ms, (std::vector<int64_t>{50}));
  EXPECT_EQ(CheckShape(*next), 250);
}

TEST(ElevenLabsAligner, EveryCharacterOnceTimesFromEachMessage) {
  ElevenLabsAligner a;
  a.AddText(" Hi there.");
  a.AddMarks(Words({Mark(Kind::kWord, 1, 3, 100, 300)}));
  std::string all;
  auto m1 = a.Take(200, 1000);  // " H" (0, 100); "i" starts at 200: not in this chunk
  ASSERT_TRUE(m1);
  EXPECT_EQ(Chars(*m1), " H");
  EXPECT_EQ(m1->start_ms, (std::vector<int64_t>{0, 100}));
  EXPECT_EQ(CheckShape(*m1), 200);
  all += Chars(*m1);
  a.AddMarks(Words({Mark(Kind::kWord, 4, 9, 400, 900)}));
  auto m2 = a.Take(400, 1000);  // "i" at 200, " " at 300 (the end of "Hi"); relative to 200
  ASSERT_TRUE(m2);
  EXPECT_EQ(Chars(*m2), "i ");
  EXPECT_EQ(m2->start_ms, (std::vector<int64_t>{0, 100}));
  EXPECT_EQ(CheckShape(*m2), 200);
  all += Chars(*m2);
  EXPECT_FALSE(a.Take(400, 1000)) << "nothing new";
  auto m3 = a.Take(1000, 1000);  // "there" 400-900 (100 each), "." where it ends
  ASSERT_TRUE(m3);
  EXPECT_EQ(Chars(*m3), "there.");
  EXPECT_EQ(m3->start_ms, (std::vector<int64_t>{0, 100, 200, 300, 400, 500}));
  EXPECT_EQ(CheckShape(*m3), 600);
  all += Chars(*m3);
  EXPECT_FALSE(a.Finish(1000, 1000));
  EXPECT_EQ(all, " Hi there.");
}

// A message whose audio begins no character has no alignment; the next one counts from its start, so
// that the ends add up (Pipecat's clock).
TEST(ElevenLabsAligner, APauseCarriesNoAlignmentAndTheNextCountsFromIt) {
  ElevenLabsAligner a;
  a.AddText("Yes. No");
  a.AddMarks(Words({Mark(Kind::kWord, 0, 3, 0, 300)}));
  auto m1 = a.Take(400, 1000);
  ASSERT_TRUE(m1);
  EXPECT_EQ(Chars(*m1), "Yes. ");  // ". " starts where "Yes" ends
  EXPECT_EQ(CheckShape(*m1), 400);
  EXPECT_FALSE(a.Take(800, 1000));  // the pause
  a.AddMarks(Words({Mark(Kind::kWord, 5, 7, 900, 1100)}));
  auto m3 = a.Take(1200, 1000);
  ASSERT_TRUE(m3);
  EXPECT_EQ(Chars(*m3), "No");
  EXPECT_EQ(m3->start_ms, (std::vector<int64_t>{500, 600}));  // from 400, the pause's start
  EXPECT_EQ(CheckShape(*m3), 800);
}

// Text that no mark reaches goes out at the end, spread over what is left.
TEST(ElevenLabsAligner, FinishTimesTheRestAndNothingIsLost) {
  ElevenLabsAligner a;
  a.AddText("Go [pause:1s] now");
  a.AddMarks(Words({Mark(Kind::kWord, 0, 2, 0, 200)}));
  auto m1 = a.Take(300, 1000);
  ASSERT_TRUE(m1);
  EXPECT_EQ(Chars(*m1), "Go ");
  a.AddText(" ");
  auto last = a.Finish(1500, 1000);
  ASSERT_TRUE(last);
  EXPECT_EQ(Chars(*last), "[pause:1s] now ");
  EXPECT_EQ(CheckShape(*last), 1200);
  EXPECT_FALSE(a.Finish(1500, 1000));
}

// Voices that mark sentences only (token voices): a sentence is aligned once its audio is complete.
TEST(ElevenLabsAligner, SentencesStandForWordsWhenNoWordIsMarked) {
  ElevenLabsAligner a;
  a.AddText("One. Two.");
  a.AddMarks(Words({Mark(Kind::kSentence, 0, 4, 0, 400)}));
  EXPECT_FALSE(a.Take(200, 1000));  // the sentence's audio is not complete
  auto m = a.Take(500, 1000);
  ASSERT_TRUE(m);
  EXPECT_EQ(Chars(*m), "One. ");
  EXPECT_EQ(m->start_ms, (std::vector<int64_t>{0, 100, 200, 300, 400}));
  // A voice that marks words: its sentence marks are not used.
  ElevenLabsAligner w;
  w.AddText("One.");
  w.AddMarks(Words({Mark(Kind::kSentence, 0, 4, 0, 400), Mark(Kind::kWord, 0, 3, 0, 300)}));
  auto wm = w.Take(500, 1000);
  ASSERT_TRUE(wm);
  EXPECT_EQ(wm->start_ms, (std::vector<int64_t>{0, 100, 200, 300}));
}

TEST(ElevenLabsAligner, MultiByteCharactersStayWhole) {
  ElevenLabsAligner a;
  a.AddText("Grüße 你好");  // ü, ß: 2 bytes; 你, 好: 3
  a.AddMarks(Words({Mark(Kind::kWord, 0, 7, 0, 500), Mark(Kind::kWord, 8, 14, 600, 800)}));
  auto m = a.Finish(1000, 16000);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->chars, (std::vector<std::string>{"G", "r", "ü", "ß", "e", " ", "你", "好"}));
  CheckShape(*m);
}

}  // namespace
}  // namespace ttsd::daemon
