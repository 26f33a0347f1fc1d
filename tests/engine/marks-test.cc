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
      if (!c.is_last) {
        EXPECT_LT(m.start, end) << m.text;  // no earlier than needed
      }
      if (!h.marks.empty()) {
        EXPECT_GE(m.start, h.marks.back().start) << m.text;
      }
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
    if (i > 0) {
      EXPECT_GE(words[i].start, words[i - 1].end);
    }
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
      if (word != nullptr) {
        EXPECT_EQ(next, word->end) << word->text;
      }
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

namespace ttsd::engine {
namespace {

// Median F0 (Hz) of the voiced 40 ms frames of audio, by autocorrelation.
double MedianF0(const std::vector<float>& audio, int rate) {
  const size_t frame = static_cast<size_t>(rate) / 25, hop = frame / 2;
  const size_t min_lag = static_cast<size_t>(rate) / 400, max_lag = static_cast<size_t>(rate) / 60;
  std::vector<double> f0s;
  for (size_t at = 0; at + frame + max_lag < audio.size(); at += hop) {
    double energy = 0;
    for (size_t i = 0; i < frame; ++i) energy += audio[at + i] * audio[at + i];
    if (energy / static_cast<double>(frame) < 1e-4) continue;
    double best = 0;
    size_t best_lag = 0;
    for (size_t lag = min_lag; lag <= max_lag; ++lag) {
      double c = 0, e = 0;
      for (size_t i = 0; i < frame; ++i) {
        c += audio[at + i] * audio[at + i + lag];
        e += audio[at + i + lag] * audio[at + i + lag];
      }
      const double r = c / std::sqrt(energy * e + 1e-12);
      if (r > best) best = r, best_lag = lag;
    }
    if (best > 0.6) f0s.push_back(static_cast<double>(rate) / static_cast<double>(best_lag));
  }
  if (f0s.empty()) return 0;
  std::nth_element(f0s.begin(), f0s.begin() + static_cast<std::ptrdiff_t>(f0s.size() / 2), f0s.end());
  return f0s[f0s.size() / 2];
}

// The default voice shifts its pitch by the semitones a tag asks; fixtures have no mel range and refuse.
TEST(PitchTag, MovesTheDefaultVoicesPitch) {
  auto voice = Voice::Load(std::string(TTSD_SOURCE_DIR) + "/models/voices/ttsd-en", EngineConfig{});
  ASSERT_TRUE(voice.has_value()) << voice.error().ToString();
  auto f0 = [&](const std::string& tag) {
    StreamOptions o;
    o.text = tag + "We were away a year ago, and we are here now.";
    auto s = (*voice)->Start(o);
    EXPECT_TRUE(s.has_value());
    return MedianF0(Drain(**s).audio, (*voice)->sample_rate());
  };
  const double plain = f0(""), up = f0("[pitch:+4]"), down = f0("[pitch:-4]");
  ASSERT_GT(plain, 60);
  EXPECT_NEAR(up / plain, std::pow(2.0, 4.0 / 12), 0.08) << plain << " -> " << up;
  EXPECT_NEAR(down / plain, std::pow(2.0, -4.0 / 12), 0.08) << plain << " -> " << down;

  auto fixture = Voice::Load(Fixture("fixture-stream"), EngineConfig{});
  ASSERT_TRUE(fixture.has_value());
  StreamOptions o;
  o.text = "[pitch:+2] Hello.";
  auto s = (*fixture)->Start(o);
  ASSERT_TRUE(s.has_value());
  Chunk c;
  auto step = (*s)->Next(&c);
  ASSERT_FALSE(step.has_value());
  EXPECT_EQ(step.error().code, ErrorCode::kNotSupported);
}

}  // namespace
}  // namespace ttsd::engine

namespace ttsd::engine {
namespace {

TEST_F(MarksTest, SsmlIsReadAndItsMarksPointIntoTheDocument) {
  const std::string ssml =
      "<speak>Hello <break time=\"700ms\"/> the <sub alias=\"World Wide Web Consortium\">W3C</sub>.\n"
      "<prosody rate=\"x-fast\">Quickly now.</prosody> <voice name=\"beta\">Bye.</voice></speak>";
  const Heard h = Speak(Options(ssml));
  const auto words = OfKind(h.marks, MarkKind::kWord);
  std::vector<std::string> spans, read;
  for (const Mark& m : words) {
    spans.push_back(ssml.substr(m.text_begin, m.text_end - m.text_begin));
    read.push_back(m.text);
  }
  const std::string sub = "<sub alias=\"World Wide Web Consortium\">W3C</sub>";
  EXPECT_THAT(spans, ::testing::ElementsAre("Hello", "the", sub, sub, sub, sub, "Quickly", "now", "Bye"));
  EXPECT_THAT(read, ::testing::ElementsAre("Hello", "the", "World", "Wide", "Web", "Consortium", "Quickly", "now", "Bye"));
  EXPECT_EQ(words[1].start - words[0].end, Ms(700));
  // The same document streamed in small pieces gives the same marks.
  auto o = Options("");
  o.final = false;
  auto s = voice().Start(o);
  ASSERT_TRUE(s.has_value());
  std::vector<Mark> streamed;
  for (size_t i = 0; i < ssml.size(); i += 7) {
    ASSERT_TRUE((*s)->Append(ssml.substr(i, 7)).has_value());
    auto part = Drain(**s);
    streamed.insert(streamed.end(), part.marks.begin(), part.marks.end());
  }
  ASSERT_TRUE((*s)->Close().has_value());
  auto rest = Drain(**s);
  streamed.insert(streamed.end(), rest.marks.begin(), rest.marks.end());
  EXPECT_EQ(streamed, h.marks);
}

TEST_F(MarksTest, SsmlErrorsSayWhereAndNothingIsReadAloud) {
  auto bad = voice().Start(Options("<speak>\n  Hi <blink>there</blink></speak>"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadRequest);
  EXPECT_THAT(bad.error().message, ::testing::HasSubstr("line 2"));
  EXPECT_THAT(bad.error().message, ::testing::HasSubstr("blink"));
  // Forced SSML: text that does not start with <speak> is still markup, and not well-formed here.
  auto o = Options("Hi <b>there");
  o.ssml = true;
  EXPECT_FALSE(voice().Start(o).has_value());
  // Plain text that merely mentions a tag is read as text.
  EXPECT_TRUE(voice().Start(Options("Type <speak> to begin.")).has_value());
}

}  // namespace
}  // namespace ttsd::engine
