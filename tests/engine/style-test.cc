// The engine's style controls on the fixture voices: cloning from reference audio, emotion
// (vector, audio, text, intensity) and exact duration.
#include <cmath>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "ttsd/engine/voice.h"

namespace ttsd::engine {
namespace {

std::string Fixture(const std::string& name) { return std::string(TTSD_SOURCE_DIR) + "/models/fixtures/" + name; }

std::shared_ptr<Voice> Load(const std::string& name) {
  auto v = Voice::Load(Fixture(name), EngineConfig{});
  EXPECT_TRUE(v.has_value()) << v.error().ToString();
  return v ? *v : nullptr;
}

std::vector<float> Speak(const Voice& voice, StreamOptions o) {
  auto s = voice.Start(o);
  EXPECT_TRUE(s.has_value()) << s.error().ToString();
  std::vector<float> out;
  if (!s) return out;
  Chunk c;
  do {
    auto r = (*s)->Next(&c);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    if (!r) return out;
    out.insert(out.end(), c.samples.begin(), c.samples.end());
  } while (!c.is_last);
  return out;
}

// Seconds of a tone with noise: louder / brighter references give other embeddings in the fixture.
std::vector<float> Tone(double seconds, double hz, double noise, int rate = 16000) {
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = 0.3f * std::sin(2.0f * static_cast<float>(M_PI * hz * i / rate)) + static_cast<float>(noise) * n(rng);
  }
  return x;
}

class StyleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    style_ = Load("fixture-style");
    plain_ = Load("fixture-stream");
  }
  static void TearDownTestSuite() {
    style_.reset();
    plain_.reset();
  }
  static std::shared_ptr<Voice> style_, plain_;
};
std::shared_ptr<Voice> StyleTest::style_, StyleTest::plain_;

TEST_F(StyleTest, ReportsWhichStagesAVoiceHas) {
  ASSERT_TRUE(style_ && plain_);
  EXPECT_TRUE(style_->can_clone());
  EXPECT_TRUE(style_->has_emotion());
  EXPECT_TRUE(style_->has_emotion_audio());
  EXPECT_TRUE(style_->has_emotion_text());
  EXPECT_FALSE(plain_->can_clone());
  EXPECT_FALSE(plain_->has_emotion());
  EXPECT_EQ(style_->speaker_dim(), 8u);
}

TEST_F(StyleTest, VoicesWithoutTheStagesRefuseWithNotSupported) {
  std::vector<std::vector<float>> refs{Tone(3, 120, 0.01)};
  EXPECT_EQ(plain_->EmbedSpeaker(refs).error().code, ErrorCode::kNotSupported);
  EXPECT_EQ(plain_->EmotionFromAudio(refs[0]).error().code, ErrorCode::kNotSupported);
  EXPECT_EQ(plain_->EmotionFromText("angrily").error().code, ErrorCode::kNotSupported);
  StreamOptions o;
  o.text = "Hello.";
  o.emotion = EmotionVector{0, 1, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(plain_->Start(o).error().code, ErrorCode::kNotSupported);
}

TEST_F(StyleTest, DifferentReferencesGiveDifferentSpeakersAndSeveralAreFusedByLength) {
  std::vector<float> a = Tone(3, 110, 0.01), b = Tone(6, 330, 0.2);
  auto ea = style_->EmbedSpeaker(std::vector<std::vector<float>>{a});
  auto eb = style_->EmbedSpeaker(std::vector<std::vector<float>>{b});
  auto both = style_->EmbedSpeaker(std::vector<std::vector<float>>{a, b});
  ASSERT_TRUE(ea && eb && both);
  ASSERT_EQ(ea->size(), style_->speaker_dim());
  EXPECT_NE(*ea, *eb);
  for (size_t i = 0; i < ea->size(); ++i) EXPECT_NEAR((*both)[i], ((*ea)[i] * 3 + (*eb)[i] * 6) / 9, 1e-5);

  StreamOptions o;
  o.text = "A cloned voice speaks.";
  o.speaker_embedding = *ea;
  std::vector<float> with_a = Speak(*style_, o);
  o.speaker_embedding = *eb;
  std::vector<float> with_b = Speak(*style_, o);
  ASSERT_FALSE(with_a.empty());
  EXPECT_NE(with_a, with_b);

  o.speaker_embedding.push_back(0.0f);
  EXPECT_EQ(style_->Start(o).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(style_->EmbedSpeaker(std::vector<std::vector<float>>{}).error().code, ErrorCode::kBadAudio);
  EXPECT_EQ(style_->EmbedSpeaker(std::vector<std::vector<float>>{std::vector<float>(100)}).error().code, ErrorCode::kBadAudio);
}

TEST_F(StyleTest, EmotionChangesTheAudioAndZeroIntensityIsNeutral) {
  StreamOptions o;
  o.text = "How could you do this to me?";
  const std::vector<float> neutral = Speak(*style_, o);
  o.emotion = EmotionVector{0, 1, 0, 0, 0, 0, 0, 0};
  const std::vector<float> angry = Speak(*style_, o);
  EXPECT_NE(angry, neutral);
  o.emotion_alpha = 0.0;
  EXPECT_EQ(Speak(*style_, o), neutral);
  o.emotion_alpha = 1.5;
  EXPECT_EQ(style_->Start(o).error().code, ErrorCode::kBadRequest);
}

TEST_F(StyleTest, EmotionVectorsAreCappedAtASumOfOne) {
  StreamOptions o;
  o.text = "Everything at once.";
  o.emotion = EmotionVector{1, 1, 0, 0, 0, 0, 0, 0};
  const std::vector<float> both_full = Speak(*style_, o);
  o.emotion = EmotionVector{0.5f, 0.5f, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(Speak(*style_, o), both_full);
}

TEST_F(StyleTest, EmotionFromAudioAndTextGiveEightAxesWithinZeroAndOne) {
  auto a = style_->EmotionFromAudio(Tone(3, 200, 0.05));
  auto t = style_->EmotionFromText("angrily, voice trembling");
  auto zh = style_->EmotionFromText("悲伤地");
  ASSERT_TRUE(a && t && zh);
  for (const auto* v : {&*a, &*t, &*zh}) {
    for (float x : *v) {
      EXPECT_GE(x, 0.0f);
      EXPECT_LE(x, 1.0f);
    }
  }
  EXPECT_NE(*t, *zh);
  EXPECT_EQ(style_->EmotionFromText("   ").error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(style_->EmotionFromText(std::string(1001, 'a')).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(style_->EmotionFromAudio(std::vector<float>(10)).error().code, ErrorCode::kBadAudio);
}

double Seconds(const std::vector<float>& audio) { return static_cast<double>(audio.size()) / 16000.0; }

TEST_F(StyleTest, DurationHitsTheTargetFromPointSevenToOnePointFiveTimesNatural) {
  const std::string text = "First, a short sentence. Then another one, with a pause; and a third!";
  for (const auto& voice : {style_, plain_}) {
    StreamOptions o;
    o.text = text;
    const double natural = Seconds(Speak(*voice, o));
    ASSERT_GT(natural, 1.0);
    for (double factor : {0.7, 0.85, 1.0, 1.2, 1.5}) {
      o.duration_s = natural * factor;
      const double got = Seconds(Speak(*voice, o));
      EXPECT_NEAR(got, o.duration_s, 0.01 * o.duration_s) << voice->name() << " factor " << factor;
    }
  }
}

TEST_F(StyleTest, DurationNeedsClosedTextAndAReachableLength) {
  StreamOptions o;
  o.text = "Some words.";
  o.final = false;
  o.duration_s = 2;
  EXPECT_EQ(style_->Start(o).error().code, ErrorCode::kBadRequest);
  o.final = true;
  o.duration_s = 60;  // far beyond 4x
  EXPECT_EQ(style_->Start(o).error().code, ErrorCode::kBadRequest);
  o.duration_s = -1;
  EXPECT_EQ(style_->Start(o).error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace ttsd::engine
