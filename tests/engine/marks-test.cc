// Marks from the engine: where each sentence, word and phone of the text is heard, through speed,
// chunking, streamed text, inline tags ([pause:], [rate:], [volume:], [voice:]) and cancel.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "ttsd/engine/voice.h"

namespace ttsd::engine {
namespace {

std::string Fixture(const std::string& name) { return std::string(TTSD_SOURCE_DIR) + "/models/fixtures/" + name; }

struct Heard {
  std::vector<float> audio;
  std::vector<Mark> marks;
};

// Everything a stream gives, checking that each mark comes with the chunk that reaches it.
Heard Drain(Stream& s) {
  Heard h;
  Chunk c;
  for (;;) {
    auto step = s.Next(&c);
    EXPECT_TRUE(step.has_value()) << step.error().ToString();
    if (!step || *step == StepResult::kNeedText) return h;
    const uint64_t end = c.sample_offset + c.samples.size();
    for (const Mark& m : c.marks) {
      if (!c.is_last) EXPECT_LT(m.start, end) << m.text;  // no earlier than needed
      EXPECT_GE(m.start, c.sample_offset > 0 ? 0u : 0u);
      if (!h.marks.empty()) EXPECT_GE(m.start, h.marks.back().start) << m.text;
      h.marks.push_back(m);
    }
    // None that this chunk reaches was left for later.
    h.audio.insert(h.audio.end(), c.samples.begin(), c.samples.end());
    if (c.is_last) return h;
  }
}

StreamOptions Options(const std::string& text, MarkLevel level = MarkLevel::kWords) {
  StreamOptions o;
  o.text = text;
  o.marks = level;
  return o;
}

std::vector<Mark> OfKind(const std::vector<Mark>& marks, MarkKind kind) {
  std::vector<Mark> out;
  for (const Mark& m : marks) {
    if (m.kind == kind) out.push_back(m);
  }
  return out;
}

class MarksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto v = Voice::Load(Fixture("fixture-stream"), EngineConfig{});
    ASSERT_TRUE(v.has_value()) << v.error().ToString();
    voice_ = new std::shared_ptr<Voice>(*v);
  }
  static void TearDownTestSuite() { delete voice_; }
  static const Voice& voice() { return **voice_; }
  static Heard Speak(const StreamOptions& o) {
    auto s = voice().Start(o);
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    return s ? Drain(**s) : Heard{};
  }
  static uint64_t Ms(double ms) { return static_cast<uint64_t>(std::llround(ms * voice().sample_rate() / 1000.0)); }
  static std::shared_ptr<Voice>* voice_;
};
std::shared_ptr<Voice>* MarksTest::voice_ = nullptr;

TEST_F(MarksTest, NoneUnlessAsked) {
  EXPECT_TRUE(Speak(Options("Hello there.", MarkLevel::kNone)).marks.empty());
}

TEST_F(MarksTest, WordsAndSentencesSpanTheTextInOrder) {
  const std::string text = "Hello there, Dr. Smith. It costs $5.50 today!";
  const Heard h = Speak(Options(text));
  const auto words = OfKind(h.marks, MarkKind::kWord);
  std::vector<std::string> written;
  for (const Mark& m : words) written.push_back(text.substr(m.text_begin, m.text_end - m.text_begin));
  EXPECT_THAT(written, ::testing::ElementsAre("Hello", "there", "Dr.", "Smith", "It", "costs", "$5.50", "today"));
  for (size_t i = 0; i < words.size(); ++i) {
    EXPECT_EQ(words[i].text, written[i]);
    EXPECT_LT(words[i].start, words[i].end);
    EXPECT_LE(words[i].end, h.audio.size());
    if (i > 0) EXPECT_GE(words[i].start, words[i - 1].end);
  }
  const auto sentences = OfKind(h.marks, MarkKind::kSentence);
  ASSERT_EQ(sentences.size(), 2u);
  EXPECT_EQ(sentences[0].text, "Hello there, Dr. Smith.");
  EXPECT_EQ(sentences[1].text_begin, text.find("It"));
  EXPECT_EQ(sentences[1].start, words[4].start);
  EXPECT_EQ(sentences[1].end, words[7].end);
}

TEST_F(MarksTest, PhonesTileTheirWord) {
  const Heard h = Speak(Options("Good morning.", MarkLevel::kPhones));
  const Mark* word = nullptr;
  uint64_t next = 0;
  for (const Mark& m : h.marks) {
    if (m.kind == MarkKind::kWord) {
      if (word != nullptr) EXPECT_EQ(next, word->end) << word->text;
      word = &m;
      next = m.start;
    } else if (m.kind == MarkKind::kPhone) {
      ASSERT_NE(word, nullptr);
      EXPECT_EQ(m.start, next) << m.text;
      EXPECT_EQ(m.text_begin, word->text_begin);
      next = m.end;
    }
  }
  EXPECT_EQ(next, word->end);
  EXPECT_THAT(OfKind(h.marks, MarkKind::kPhone).front().text, "g");
}

TEST_F(MarksTest, ChunkingLeavesMarksAlone) {
  EngineConfig small;
  small.first_chunk_frames = 1;
  small.chunk_frames = 3;
  auto other = Voice::Load(Fixture("fixture-stream"), small);
  ASSERT_TRUE(other.has_value());
  const auto o = Options("One, two, three. Four five six seven.", MarkLevel::kPhones);
  auto s = (*other)->Start(o);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(Drain(**s).marks, Speak(o).marks);
}

TEST_F(MarksTest, SpeedMovesTheMarks) {
  auto o = Options("A sentence of several words to say.");
  const auto normal = OfKind(Speak(o).marks, MarkKind::kWord);
  o.speed = 2.0;
  const auto fast = OfKind(Speak(o).marks, MarkKind::kWord);
  ASSERT_EQ(normal.size(), fast.size());
  const double ratio = static_cast<double>(fast.back().end) / static_cast<double>(normal.back().end);
  EXPECT_NEAR(ratio, 0.5, 0.08);
}

TEST_F(MarksTest, StreamedTextCountsBytesOfAllTheText) {
  auto o = Options("");
  o.final = false;
  auto s = voice().Start(o);
  ASSERT_TRUE(s.has_value());
  const std::string parts[] = {"First part ", "of it. Second ", "part here."};
  std::string all;
  std::vector<Mark> marks;
  for (const std::string& part : parts) {
    ASSERT_TRUE((*s)->Append(part).has_value());
    all += part;
    auto h = Drain(**s);
    marks.insert(marks.end(), h.marks.begin(), h.marks.end());
  }
  ASSERT_TRUE((*s)->Close().has_value());
  auto h = Drain(**s);
  marks.insert(marks.end(), h.marks.begin(), h.marks.end());
  std::vector<std::string> written;
  for (const Mark& m : OfKind(marks, MarkKind::kWord)) written.push_back(all.substr(m.text_begin, m.text_end - m.text_begin));
  EXPECT_THAT(written, ::testing::ElementsAre("First", "part", "of", "it", "Second", "part", "here"));
}

TEST_F(MarksTest, PausesLastWhatTheTagSays) {
  for (double ms : {40.0, 250.0, 700.0, 1234.0}) {
    const std::string text = "Say one. [pause:" + std::to_string(static_cast<int>(ms)) + "ms] And then two.";
    const auto words = OfKind(Speak(Options(text)).marks, MarkKind::kWord);
    ASSERT_EQ(words.size(), 5u);
    EXPECT_EQ(words[2].start - words[1].end, Ms(ms)) << ms;  // "one" ... "And": to the sample
  }
  // Inside a sentence, and at the very start.
  auto words = OfKind(Speak(Options("Wait for it [pause:1s] now")).marks, MarkKind::kWord);
  ASSERT_EQ(words.size(), 4u);
  EXPECT_EQ(words[3].start - words[2].end, Ms(1000));
  words = OfKind(Speak(Options("[pause:500ms]Late start.")).marks, MarkKind::kWord);
  EXPECT_EQ(words[0].start, Ms(500) + static_cast<uint64_t>(voice().manifest().audio_delay_samples));
}

TEST_F(MarksTest, PausesHoldUnderADurationTarget) {
  auto o = Options("First words here. [pause:600ms] Then some more words.");
  o.duration_s = 4.0;
  const Heard h = Speak(o);
  EXPECT_NEAR(static_cast<double>(h.audio.size()), 4.0 * voice().sample_rate(), voice().manifest().hop_samples);
  const auto words = OfKind(h.marks, MarkKind::kWord);
  ASSERT_EQ(words.size(), 7u);
  EXPECT_EQ(words[3].start - words[2].end, Ms(600));
}

TEST_F(MarksTest, RateVolumeAndVoiceTags) {
  const auto plain = Speak(Options("Some words to say. Some words to say."));
  const auto tagged = Speak(Options("Some words to say. [rate:2][volume:0.5][voice:beta]Some words to say."));
  const auto a = OfKind(plain.marks, MarkKind::kSentence), b = OfKind(tagged.marks, MarkKind::kSentence);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(a[0], b[0]);  // the first sentence is untouched
  EXPECT_NEAR(static_cast<double>(b[1].end - b[1].start) / static_cast<double>(a[1].end - a[1].start), 0.5, 0.1);
  // The second sentence is quieter.
  auto peak = [](const std::vector<float>& audio, uint64_t from, uint64_t to) {
    float p = 0;
    for (uint64_t i = from; i < to && i < audio.size(); ++i) p = std::max(p, std::abs(audio[i]));
    return p;
  };
  EXPECT_LT(peak(tagged.audio, b[1].start, b[1].end), 0.75f * peak(plain.audio, a[1].start, a[1].end));
}

TEST_F(MarksTest, BadTagsSayWhere) {
  auto s = voice().Start(Options("Fine.\nThen [voice:nobody] speaks."));
  ASSERT_TRUE(s.has_value());
  Chunk c;
  Result<StepResult> step;
  while ((step = (*s)->Next(&c)) && *step == StepResult::kChunk && !c.is_last) {
  }
  ASSERT_FALSE(step.has_value());
  EXPECT_EQ(step.error().code, ErrorCode::kUnknownSpeaker);
  EXPECT_THAT(step.error().message, ::testing::StartsWith("line 2, column 6: "));
  s = voice().Start(Options("Wait [pause:forever] now."));
  ASSERT_TRUE(s.has_value());
  while ((step = (*s)->Next(&c)) && *step == StepResult::kChunk && !c.is_last) {
  }
  ASSERT_FALSE(step.has_value());
  EXPECT_EQ(step.error().code, ErrorCode::kBadRequest);
  EXPECT_THAT(step.error().message, ::testing::HasSubstr("[pause:forever]"));
}

TEST_F(MarksTest, AfterCancelTheLastMarkIsTheLastWordBegun) {
  auto s = voice().Start(Options("One two three four five six seven eight nine ten eleven twelve."));
  ASSERT_TRUE(s.has_value());
  Chunk c;
  uint64_t heard = 0;
  std::vector<Mark> marks;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*s)->Next(&c).has_value());
    heard += c.samples.size();
    marks.insert(marks.end(), c.marks.begin(), c.marks.end());
  }
  (*s)->Cancel();
  EXPECT_FALSE((*s)->Next(&c).has_value());
  const auto words = OfKind(marks, MarkKind::kWord);
  ASSERT_FALSE(words.empty());
  EXPECT_LT(words.back().start, heard);
  EXPECT_LT(words.size(), 12u);
}

}  // namespace
}  // namespace ttsd::engine
