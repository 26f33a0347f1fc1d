// The engine on the committed fixture voices: loading, streaming, chunking, text input, errors.
#include <dlfcn.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ttsd/engine/voice.h"

namespace ttsd::engine {
namespace {

std::string Fixture(const std::string& name) { return std::string(TTSD_SOURCE_DIR) + "/models/fixtures/" + name; }

struct Output {
  std::vector<float> audio;
  std::vector<size_t> chunk_sizes;
  int need_text = 0;
};

Output Drain(Stream& s) {
  Output r;
  const uint64_t base = s.samples_produced();
  Chunk c;
  for (;;) {
    auto step = s.Next(&c);
    EXPECT_TRUE(step.has_value()) << step.error().ToString();
    if (!step) return r;
    if (*step == StepResult::kNeedText) {
      r.need_text++;
      return r;
    }
    EXPECT_EQ(c.sample_offset, base + r.audio.size());
    r.audio.insert(r.audio.end(), c.samples.begin(), c.samples.end());
    r.chunk_sizes.push_back(c.samples.size());
    if (c.is_last) return r;
  }
}

Output Speak(const Voice& voice, const std::string& text, const std::string& speaker = "", double speed = 1.0) {
  StreamOptions o;
  o.text = text;
  o.speaker = speaker;
  o.speed = speed;
  auto s = voice.Start(o);
  EXPECT_TRUE(s.has_value()) << s.error().ToString();
  return s ? Drain(**s) : Output{};
}

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

class VoiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  static std::shared_ptr<Voice> Load(const std::string& name, EngineConfig config = {}) {
    auto v = Voice::Load(Fixture(name), config);
    EXPECT_TRUE(v.has_value()) << v.error().ToString();
    return v ? *v : nullptr;
  }
};

TEST_P(VoiceTest, LoadsManifest) {
  auto voice = Load(GetParam());
  ASSERT_TRUE(voice);
  EXPECT_EQ(voice->name(), GetParam());
  EXPECT_EQ(voice->sample_rate(), 16000);
  EXPECT_THAT(voice->manifest().speakers, ::testing::ElementsAre("alpha", "beta"));
  EXPECT_EQ(voice->manifest().phonemes.size(), 76u);
}

TEST_P(VoiceTest, FirstChunkIsSmallAndOffsetsAreContiguous) {
  EngineConfig config;
  config.first_chunk_frames = 3;
  config.chunk_frames = 10;
  auto voice = Load(GetParam(), config);
  ASSERT_TRUE(voice);
  Output r = Speak(*voice, "Hello world, this is streaming.");
  ASSERT_GT(r.chunk_sizes.size(), 3u);
  EXPECT_EQ(r.chunk_sizes[0], 3u * voice->manifest().hop_samples);
  EXPECT_EQ(r.chunk_sizes[1], 10u * voice->manifest().hop_samples);
  for (float s : r.audio) ASSERT_TRUE(std::isfinite(s));
}

TEST_P(VoiceTest, ChunkingDoesNotChangeTheAudio) {
  EngineConfig small;
  small.first_chunk_frames = 1;
  small.chunk_frames = 3;
  EngineConfig large;
  large.first_chunk_frames = 50;
  large.chunk_frames = 1000;
  auto a = Load(GetParam(), small);
  auto b = Load(GetParam(), large);
  ASSERT_TRUE(a && b);
  const std::string text = "Streaming must not change a single sample. Not at chunk boundaries either.";
  Output ra = Speak(*a, text);
  Output rb = Speak(*b, text);
  EXPECT_GT(ra.chunk_sizes.size(), rb.chunk_sizes.size());
  EXPECT_LE(MaxAbsDiff(ra.audio, rb.audio), 1e-5f);
}

TEST_P(VoiceTest, LongUnpunctuatedSentenceStreamsFromItsFirstFrames) {
  EngineConfig config;
  auto voice = Load(GetParam(), config);
  ASSERT_TRUE(voice);
  std::string text;
  for (int i = 0; i < 60; ++i) text += "word ";
  StreamOptions o;
  o.text = text;
  auto s = voice->Start(o);
  ASSERT_TRUE(s);
  Chunk c;
  ASSERT_EQ((*s)->Next(&c).value(), StepResult::kChunk);
  // The first chunk is first_chunk_frames long, not the whole sentence.
  EXPECT_EQ(c.samples.size(), static_cast<size_t>(config.first_chunk_frames * voice->manifest().hop_samples));
  EXPECT_FALSE(c.is_last);
}

TEST_P(VoiceTest, SpeakersSoundDifferent) {
  auto voice = Load(GetParam());
  ASSERT_TRUE(voice);
  Output a = Speak(*voice, "Same text.", "alpha");
  Output b = Speak(*voice, "Same text.", "beta");
  Output d = Speak(*voice, "Same text.");
  EXPECT_EQ(a.audio, d.audio);  // alpha is the default
  EXPECT_NE(a.audio, b.audio);
}

TEST_P(VoiceTest, SpeedScalesDuration) {
  auto voice = Load(GetParam());
  ASSERT_TRUE(voice);
  const std::string text = "A sentence long enough to measure its duration well.";
  double normal = Speak(*voice, text).audio.size();
  double fast = Speak(*voice, text, "", 2.0).audio.size();
  EXPECT_NEAR(fast / normal, 0.5, 0.08);
}

TEST_P(VoiceTest, AppendedTextSpeaksSentenceBySentence) {
  auto voice = Load(GetParam());
  ASSERT_TRUE(voice);
  StreamOptions o;
  o.final = false;
  auto s = voice->Start(o);
  ASSERT_TRUE(s);
  Chunk c;
  EXPECT_EQ((*s)->Next(&c).value(), StepResult::kNeedText);
  ASSERT_TRUE((*s)->Append("First sentence is"));
  EXPECT_EQ((*s)->Next(&c).value(), StepResult::kNeedText);
  ASSERT_TRUE((*s)->Append(" done. Second"));
  Output first = Drain(**s);
  EXPECT_FALSE(first.audio.empty());
  EXPECT_EQ(first.need_text, 1);
  ASSERT_TRUE((*s)->Append(" one."));
  ASSERT_TRUE((*s)->Close());
  Output rest = Drain(**s);
  EXPECT_FALSE(rest.audio.empty());
  EXPECT_TRUE((*s)->finished());
  // Same audio as the text given at once.
  std::vector<float> streamed = first.audio;
  streamed.insert(streamed.end(), rest.audio.begin(), rest.audio.end());
  EXPECT_LE(MaxAbsDiff(streamed, Speak(*voice, "First sentence is done. Second one.").audio), 1e-5f);
  EXPECT_FALSE((*s)->Append("late"));
}

TEST_P(VoiceTest, CancelEndsTheStream) {
  auto voice = Load(GetParam());
  ASSERT_TRUE(voice);
  StreamOptions o;
  o.text = "This will be cut short. Very short indeed.";
  auto s = voice->Start(o);
  ASSERT_TRUE(s);
  Chunk c;
  ASSERT_TRUE((*s)->Next(&c));
  (*s)->Cancel();
  auto r = (*s)->Next(&c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCancelled);
  EXPECT_TRUE((*s)->finished());
}

TEST_P(VoiceTest, BadRequestsAreTypedErrors) {
  EngineConfig config;
  config.max_text_bytes = 50;
  auto voice = Load(GetParam(), config);
  ASSERT_TRUE(voice);
  StreamOptions o;
  o.text = "Hi.";
  o.speaker = "gamma";
  EXPECT_EQ(voice->Start(o).error().code, ErrorCode::kUnknownSpeaker);
  o.speaker = "";
  o.text = "  ";
  EXPECT_EQ(voice->Start(o).error().code, ErrorCode::kEmptyText);
  o.text = std::string(51, 'a');
  EXPECT_EQ(voice->Start(o).error().code, ErrorCode::kTextTooLong);
  o.text = "Hi.";
  o.speed = 0;
  EXPECT_EQ(voice->Start(o).error().code, ErrorCode::kBadRequest);
  o.speed = 1;
  o.final = false;
  o.text = "";
  auto s = voice->Start(o);
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->Close().error().code, ErrorCode::kEmptyText);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, VoiceTest, ::testing::Values("fixture-ar", "fixture-stream"));

// Broken packages: each gives a kModelError or kIo naming the problem, never a crash.
class BrokenPackage : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ttsd-broken-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::copy(Fixture("fixture-ar"), dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& file, const std::string& content) { std::ofstream(dir_ / file) << content; }
  Error LoadError() {
    auto v = Voice::Load(dir_.string(), EngineConfig{});
    EXPECT_FALSE(v.has_value());
    return v ? Error{} : v.error();
  }
  std::filesystem::path dir_;
};

TEST_F(BrokenPackage, MissingManifest) {
  std::filesystem::remove(dir_ / "voice.json");
  EXPECT_EQ(LoadError().code, ErrorCode::kIo);
}

TEST_F(BrokenPackage, ManifestIsNotJson) {
  Write("voice.json", "{oops");
  EXPECT_EQ(LoadError().code, ErrorCode::kModelError);
}

TEST_F(BrokenPackage, UnsupportedFormatVersion) {
  std::ifstream in(dir_ / "voice.json");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  auto pos = s.find("\"format_version\": 1");
  ASSERT_NE(pos, std::string::npos);
  s.replace(pos, 19, "\"format_version\": 9");
  Write("voice.json", s);
  Error e = LoadError();
  EXPECT_EQ(e.code, ErrorCode::kModelError);
  EXPECT_THAT(e.message, ::testing::HasSubstr("format_version"));
}

TEST_F(BrokenPackage, StageFileIsGarbage) {
  Write("vocoder.ts", "this is not a torchscript archive");
  Error e = LoadError();
  EXPECT_EQ(e.code, ErrorCode::kModelError);
  EXPECT_THAT(e.message, ::testing::HasSubstr("vocoder.ts"));
}

TEST_F(BrokenPackage, StageFileMissing) {
  std::filesystem::remove(dir_ / "encoder.ts");
  EXPECT_EQ(LoadError().code, ErrorCode::kModelError);
}

TEST(EngineConfig, DefaultsArePinnedAndValid) {
  EngineConfig c;
  EXPECT_EQ(c.device, "cpu");
  EXPECT_EQ(c.dtype, "fp32");
  EXPECT_EQ(c.threads, 1);
  EXPECT_EQ(c.first_chunk_frames, 4);
  EXPECT_EQ(c.chunk_frames, 24);
  EXPECT_EQ(c.max_text_bytes, kMaxTextBytes);
  EXPECT_TRUE(c.Validate());
  c.dtype = "fp16";
  EXPECT_EQ(c.Validate().error().code, ErrorCode::kBadRequest);  // fp16 needs cuda
  c = EngineConfig{};
  c.device = "tpu";
  EXPECT_FALSE(c.Validate());
}

// --threads caps OpenBLAS's own pool too, not just torch's: otherwise every worker's matrix product
// fans out over all cores (and TSan sees OpenBLAS's hand-offs between its threads as races).
TEST(EngineConfig, ThreadsCapOpenBlasToo) {
  auto get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  auto set = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (!get || !set) GTEST_SKIP() << "this libtorch does its matrix products without OpenBLAS";
  set(2);  // not 1 before the load, whatever the machine's core count
  ASSERT_EQ(get(), 2);
  auto v = Voice::Load(Fixture("fixture-ar"), EngineConfig{});  // threads = 1
  ASSERT_TRUE(v.has_value()) << v.error().ToString();
  EXPECT_EQ(get(), 1);
}

}  // namespace
}  // namespace ttsd::engine
