// GPT-SoVITS token voices on the fixture models/fixtures/gpt-sovits/fixture-gpt-sovits (upstream's
// export interfaces, tiny random weights; its expected.json was computed in Python from the same
// files). On libtorch 2.x: the reference pipeline, greedy, seeded and tuned tokens and whole-utterance
// audio match Python; streams through the Voice API, seeds hold while other streams run, cancel, bad input.
// On libtorch 1.13 (Debian's): the voice is refused at load, naming the libtorch it needs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ttsd/engine/voice.h"

#if TORCH_VERSION_MAJOR >= 2
#include "../../engine/src/gpt-sovits.h"
#include "ttsd/frontend/text-frontend.h"
#endif

namespace ttsd::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kFixture = std::string(TTSD_SOURCE_DIR) + "/models/fixtures/gpt-sovits/fixture-gpt-sovits";

EngineConfig Config(bool warmup = false) {
  EngineConfig c;
  c.threads = 1;
  c.warmup = warmup;
  return c;
}

#if TORCH_VERSION_MAJOR < 2

TEST(GptSovits, OlderLibtorchRefusesTheVoiceNamingTheVersionItNeeds) {
  auto voice = Voice::Load(kFixture, Config());
  ASSERT_FALSE(voice);
  EXPECT_EQ(voice.error().code, ErrorCode::kModelError);
  EXPECT_NE(voice.error().message.find("needs libtorch 2.0 or newer"), std::string::npos) << voice.error().message;
  EXPECT_NE(voice.error().message.find(TORCH_VERSION), std::string::npos) << voice.error().message;
}

#else

json Expected() {
  std::ifstream in(kFixture + "/expected.json");
  return json::parse(in);
}

std::vector<float> ReadF32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

std::vector<float> ReferenceAudio() {  // reference.wav: 16-bit mono PCM after a 44-byte header
  std::ifstream in(kFixture + "/reference.wav", std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out;
  for (size_t i = 44; i + 1 < bytes.size(); i += 2) {
    int16_t s;
    std::memcpy(&s, bytes.data() + i, 2);
    out.push_back(static_cast<float>(s) / 32768.0f);
  }
  return out;
}

std::vector<int64_t> Ints(const json& j) { return j.get<std::vector<int64_t>>(); }

torch::Tensor Ids(const std::vector<int64_t>& ids) { return torch::tensor(ids, torch::kLong).view({1, -1}); }

class GptSovitsModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fe = frontend::TextFrontend::Create("en-us");
    ASSERT_TRUE(fe);
    frontend_ = std::move(*fe);
    auto m = VoiceManifest::Read(kFixture);
    ASSERT_TRUE(m) << m.error().message;
    manifest_ = *m;
    auto model = GptSovitsModel::Load(kFixture, manifest_, torch::kCPU, *frontend_);
    ASSERT_TRUE(model) << model.error().message;
    model_ = std::move(*model);
    expected_ = Expected();
  }

  // Tokens y[0, P:] after the end token, as Python's loop takes them.
  std::vector<int64_t> Decode(const GptSovitsReference& ref, const std::vector<int64_t>& text, const Sampling& s,
                              uint64_t seed) {
    c10::InferenceMode guard;
    TokenSampler sampler(torch::kCPU, seed);
    TokenDecode d = model_->Prefill(ref, Ids(text));
    while (!d.ended && d.generated() < kGptSovitsMaxTokens) model_->Step(d, s, sampler);
    torch::Tensor t = d.y.select(0, 0).narrow(0, d.prompt_len, d.generated()).contiguous();
    return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
  }
  // A case's reference as Python had it: upstream's phone ids of the transcript.
  Result<GptSovitsReference> CaseReference(const json& c) {
    auto ref = model_->Reference(ReferenceAudio(), 32000, expected_["reference"]["text"].get<std::string>(),
                                 c["ref_pad_16k_zeros"].get<int64_t>());
    if (ref) ref->ref_seq = Ids(Ints(c["ref_seq"]));
    return ref;
  }
  // Upstream's export samples with top-p 1, temperature 1 and repetition penalty 1.35.
  static Sampling Upstreams(int top_k) { return {.top_k = top_k, .top_p = 1, .temperature = 1, .repetition_penalty = 1.35}; }

  std::unique_ptr<frontend::TextFrontend> frontend_;
  VoiceManifest manifest_;
  std::unique_ptr<GptSovitsModel> model_;
  json expected_;
};

TEST_F(GptSovitsModelTest, ManifestAndSymbolsAreUpstreams) {
  EXPECT_EQ(manifest_.family, "gpt-sovits");
  EXPECT_EQ(manifest_.sample_rate, 32000);
  EXPECT_EQ(manifest_.hop_samples, 1280);
  ASSERT_EQ(manifest_.phonemes.size(), 732u);
  EXPECT_EQ(manifest_.phonemes[0], "!");
  EXPECT_EQ(manifest_.phonemes[3], ".");
  EXPECT_EQ(manifest_.phonemes[6], "AA0");
  EXPECT_EQ(manifest_.phonemes[51], "HH");
  EXPECT_EQ(manifest_.speakers, std::vector<std::string>{"default"});
}

TEST_F(GptSovitsModelTest, EnglishPhonesBecomeUpstreamsIds) {
  // Every case's text through ttsd's own frontend gives the ids Python was given.
  for (const json& c : expected_["cases"]) {
    const std::string text = c["text"];
    auto seg = frontend_->Phonemize(text);
    ASSERT_TRUE(seg) << text;
    auto ids = model_->SentenceIds(*seg, text);
    ASSERT_TRUE(ids) << text << ": " << ids.error().message;
    EXPECT_EQ(*ids, Ints(c["text_seq"])) << text;
  }
  // The reference transcript holds two sentences: the pause between them is ".", as upstream keeps
  // it. flite's lexicon and upstream's CMUdict differ on a few vowels ("valid": AH0 against IH0);
  // marks and length must agree, and all but a couple of phones.
  const json& ref = expected_["reference"];
  auto seg = frontend_->Phonemize(ref["text"].get<std::string>());
  ASSERT_TRUE(seg);
  auto ids = model_->SentenceIds(*seg, ref["text"].get<std::string>());
  ASSERT_TRUE(ids);
  const auto want = Ints(ref["ref_seq"]);
  ASSERT_EQ(ids->size(), want.size());
  int differ = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] <= 4 || (*ids)[i] <= 4) {  // ! , - . ?
      EXPECT_EQ((*ids)[i], want[i]) << "punctuation at " << i;
    }
    differ += (*ids)[i] != want[i];
  }
  EXPECT_LE(differ, 2);

  // Marks inside a sentence: , ; : and dashes are ",", the end keeps its own.
  const std::string text = "Well, I think so; maybe not?";
  auto marked = frontend_->Phonemize(text);
  ASSERT_TRUE(marked);
  auto marked_ids = model_->SentenceIds(*marked, text);
  ASSERT_TRUE(marked_ids);
  std::vector<int64_t> marks;
  for (int64_t id : *marked_ids) if (id <= 4) marks.push_back(id);
  EXPECT_EQ(marks, (std::vector<int64_t>{1, 1, 4}));  // , , ?
}

TEST_F(GptSovitsModelTest, ReferencePipelineMatchesPython) {
  const auto audio = ReferenceAudio();
  ASSERT_EQ(audio.size(), expected_["reference"]["samples"].get<size_t>());
  for (const json& c : expected_["cases"]) {
    const int64_t pad = c["ref_pad_16k_zeros"];
    auto ref = model_->Reference(audio, 32000, expected_["reference"]["text"].get<std::string>(), pad);
    ASSERT_TRUE(ref) << ref.error().message;
    const json& p = c["reference_pipeline"];
    torch::Tensor prompts = ref->prompts.contiguous();
    EXPECT_EQ(std::vector<int64_t>(prompts.data_ptr<int64_t>(), prompts.data_ptr<int64_t>() + prompts.numel()),
              Ints(p["prompts"]))
        << c["name"];
    EXPECT_NEAR(ref->refer.sum().item<double>(), p["refer"]["sum"].get<double>(), 1e-3 * p["refer"]["abs_sum"].get<double>());
    EXPECT_NEAR(ref->sv_emb.sum().item<double>(), p["sv_emb"]["sum"].get<double>(),
                1e-3 * p["sv_emb"]["abs_sum"].get<double>());
  }
}

// Python drew these with upstream's own sampling inside pre_infer and decode_next_token, on torch's
// global generator seeded with the same number: ttsd's sampler draws the same tokens.
TEST_F(GptSovitsModelTest, GreedyAndSeededTokensMatchPythonExactly) {
  for (const json& c : expected_["cases"]) {
    auto ref = CaseReference(c);
    ASSERT_TRUE(ref);
    const auto text = Ints(c["text_seq"]);
    EXPECT_EQ(Decode(*ref, text, Upstreams(1), c["greedy"]["seed"]), Ints(c["greedy"]["tokens"])) << c["name"];
    EXPECT_EQ(Decode(*ref, text, Upstreams(c["sampled"]["top_k"]), c["sampled"]["seed"]), Ints(c["sampled"]["tokens"]))
        << c["name"];
  }
}

// Top-p, temperature and another penalty: Python drew these from prefill_logits and step_logits with
// the same steps (models/gpt-sovits/t2s_logits.py's draw) on a generator of its own.
TEST_F(GptSovitsModelTest, TunedSamplingMatchesPythonExactly) {
  for (const json& c : expected_["cases"]) {
    auto ref = CaseReference(c);
    ASSERT_TRUE(ref);
    const json& t = c["tuned"];
    const Sampling s{.top_k = t["top_k"], .top_p = t["top_p"], .temperature = t["temperature"],
                     .repetition_penalty = t["repetition_penalty"]};
    const auto tokens = Decode(*ref, Ints(c["text_seq"]), s, t["seed"]);
    EXPECT_EQ(tokens, Ints(t["tokens"])) << c["name"];
    EXPECT_NE(tokens, Ints(c["sampled"]["tokens"])) << c["name"];
  }
}

// upstream's t2s.pt as its exporter writes it (no logits methods): refused, naming the fix.
TEST_F(GptSovitsModelTest, UpstreamsExportAloneIsRefusedNamingTheFix) {
  const fs::path dir = fs::temp_directory_path() / ("gsv-upstream-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::copy(kFixture, dir);
  torch::jit::Module wrapped = torch::jit::load(kFixture + "/t2s.pt");
  wrapped.attr("stream").toModule().save((dir / "t2s.pt").string());
  auto refused = GptSovitsModel::Load(dir.string(), manifest_, torch::kCPU, *frontend_);
  fs::remove_all(dir);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kModelError);
  EXPECT_NE(refused.error().message.find("t2s_logits.py"), std::string::npos) << refused.error().message;
}

TEST_F(GptSovitsModelTest, WholeUtteranceAudioMatchesPython) {
  const auto audio = ReferenceAudio();
  const double tolerance = expected_["audio_tolerance"]["max_abs"];
  for (const json& c : expected_["cases"]) {
    auto ref = model_->Reference(audio, 32000, expected_["reference"]["text"].get<std::string>(),
                                 c["ref_pad_16k_zeros"].get<int64_t>());
    ASSERT_TRUE(ref);
    const auto tokens = Ints(c["greedy"]["tokens"]);
    TokenDecode d;
    d.y = Ids(tokens);
    c10::InferenceMode guard;
    StreamRng rng(torch::kCPU, c["audio"]["seed"].get<uint64_t>());
    torch::Tensor got = rng.Run([&] { return model_->Vocode(d, 0, d.generated(), Ids(Ints(c["text_seq"])), *ref); });
    const auto want = ReadF32(kFixture + "/" + c["audio"]["file"].get<std::string>());
    ASSERT_EQ(static_cast<size_t>(got.numel()), want.size()) << c["name"];
    ASSERT_EQ(want.size(), tokens.size() * 1280);
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(double(got[i].item<float>()) - want[i]));
    EXPECT_LE(worst, tolerance) << c["name"];
  }
}

std::vector<float> SpeakWith(const Voice& voice, const StreamOptions& options) {
  auto stream = voice.Start(options);
  EXPECT_TRUE(stream) << stream.error().message;
  std::vector<float> audio;
  Chunk c;
  do {
    auto r = (*stream)->Next(&c);
    EXPECT_TRUE(r) << r.error().message;
    if (!r) break;
    EXPECT_EQ(c.sample_offset, audio.size());
    audio.insert(audio.end(), c.samples.begin(), c.samples.end());
  } while (!c.is_last);
  return audio;
}

std::vector<float> Speak(const Voice& voice, const std::string& text, std::optional<uint64_t> seed, int top_k = 0,
                         std::shared_ptr<const TokenReference> reference = nullptr) {
  return SpeakWith(voice, {.text = text, .top_k = top_k, .seed = seed, .reference = std::move(reference)});
}

TEST(GptSovitsVoice, StreamsSentencesThroughTheVoiceApi) {
  auto voice = Voice::Load(kFixture, Config(/*warmup=*/true));
  ASSERT_TRUE(voice) << voice.error().message;
  EXPECT_EQ((*voice)->sample_rate(), 32000);
  auto stream = (*voice)->Start({.text = "Hello world. What time is it?", .seed = 1});
  ASSERT_TRUE(stream);
  std::vector<float> audio;
  Chunk c;
  int chunks = 0;
  do {
    auto r = (*stream)->Next(&c);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(*r, StepResult::kChunk);
    audio.insert(audio.end(), c.samples.begin(), c.samples.end());
    ++chunks;
  } while (!c.is_last);
  EXPECT_GE(chunks, 3);  // two sentences, each in more than one window
  EXPECT_GT(audio.size(), 32000u / 2);
  for (float s : audio) ASSERT_TRUE(std::isfinite(s));
  EXPECT_GT((*stream)->stage_times().steps, 0);
}

// Token voices mark sentences (each with the chunk that ends it) and keep exact pauses between them.
TEST(GptSovitsVoice, SentenceMarksAndPauseTags) {
  auto voice = Voice::Load(kFixture, Config());
  ASSERT_TRUE(voice) << voice.error().message;
  const std::string text = "Hello world. [pause:250ms] What time is it?";
  auto stream = (*voice)->Start({.text = text, .seed = 3, .marks = MarkLevel::kPhones});
  ASSERT_TRUE(stream) << stream.error().message;
  std::vector<Mark> marks;
  uint64_t samples = 0;
  Chunk c;
  do {
    auto r = (*stream)->Next(&c);
    ASSERT_TRUE(r) << r.error().message;
    samples += c.samples.size();
    for (const Mark& m : c.marks) {
      EXPECT_LE(m.end, samples) << m.text;  // with the chunk that ends it
      marks.push_back(m);
    }
  } while (!c.is_last);
  ASSERT_EQ(marks.size(), 2u);
  for (const Mark& m : marks) {
    EXPECT_EQ(m.kind, MarkKind::kSentence);
    EXPECT_EQ(text.substr(m.text_begin, m.text_end - m.text_begin), m.text);
    EXPECT_LT(m.start, m.end);
  }
  EXPECT_EQ(marks[1].start - marks[0].end, 250u * 32);  // the tag's pause instead of upstream's 0.3 s
  // Rate and pitch tags are not for token voices.
  auto tagged = (*voice)->Start({.text = "[rate:2] Hello.", .seed = 3});
  ASSERT_TRUE(tagged);
  auto r = (*tagged)->Next(&c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotSupported);
}

TEST(GptSovitsVoice, SameSeedSameAudioWhileOtherStreamsRun) {
  auto voice = Voice::Load(kFixture, Config());
  ASSERT_TRUE(voice);
  const auto alone = Speak(**voice, "Hello world.", 42);
  std::vector<float> beside, other, unseeded;
  // Beside a seeded stream and an unseeded one (which draws from the global generator, unlocked from
  // other unseeded streams but never while a seeded stream has its own state swapped in).
  std::thread t([&] { other = Speak(**voice, "What time is it today?", 7); });
  std::thread u([&] { unseeded = Speak(**voice, "What time is it today? Hello again.", std::nullopt); });
  beside = Speak(**voice, "Hello world.", 42);
  t.join();
  u.join();
  EXPECT_EQ(alone, beside);
  EXPECT_FALSE(other.empty());
  EXPECT_FALSE(unseeded.empty());
  EXPECT_NE(Speak(**voice, "Hello world.", 43), alone);  // another seed, other noise and tokens
}

// A request's sampling reaches the token loop; values out of range are refused.
TEST(GptSovitsVoice, RequestsChooseTheirSampling) {
  auto voice = Voice::Load(kFixture, Config());
  ASSERT_TRUE(voice);
  const std::string text = "Hello world.";
  const auto plain = Speak(**voice, text, 9);
  // The voice's own values, named, change nothing.
  EXPECT_EQ(SpeakWith(**voice, {.text = text, .top_k = 15, .top_p = 1, .temperature = 1, .repetition_penalty = 1.35,
                                .seed = 9}),
            plain);
  // The fixture's top logits lie close together, so sampling draws far from greedy; a tiny top-p keeps
  // only the likeliest (greedy, as top-k 1), a tiny temperature nearly so.
  const auto greedy = Speak(**voice, text, 9, 1);
  EXPECT_NE(greedy, plain);
  EXPECT_EQ(SpeakWith(**voice, {.text = text, .top_p = 0.001, .seed = 9}), greedy);
  EXPECT_NE(SpeakWith(**voice, {.text = text, .temperature = 0.01, .seed = 9}), plain);
  EXPECT_NE(SpeakWith(**voice, {.text = text, .repetition_penalty = 1.0, .seed = 9}), plain);
  for (StreamOptions o : {StreamOptions{.top_k = 1025}, StreamOptions{.top_p = 1.5}, StreamOptions{.temperature = 0.001},
                          StreamOptions{.temperature = 3}, StreamOptions{.repetition_penalty = 0.5},
                          StreamOptions{.repetition_penalty = 2.5}}) {
    o.text = "Hello.";
    auto s = (*voice)->Start(o);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kBadRequest) << s.error().message;
  }
}

TEST(GptSovitsVoice, CancelStopsAtTheNextStep) {
  auto voice = Voice::Load(kFixture, Config());
  ASSERT_TRUE(voice);
  auto stream = (*voice)->Start({.text = "Hello world. What time is it? Today is fine.", .seed = 3});
  ASSERT_TRUE(stream);
  Chunk c;
  ASSERT_TRUE((*stream)->Next(&c));
  (*stream)->Cancel();
  auto r = (*stream)->Next(&c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCancelled);
}

// A reference prepared from the package's own recording and transcript is the voice's own speaker:
// the same tokens and audio. Through plain numbers (what the voice store keeps), nothing is lost.
TEST(GptSovitsVoice, APreparedReferenceSpeaksLikeThePackagesOwn) {
  auto voice = Voice::Load(kFixture, Config());
  ASSERT_TRUE(voice);
  const std::vector<std::vector<float>> refs{ReferenceAudio()};
  auto prepared = (*voice)->PrepareReference(refs, (*voice)->manifest().gpt_sovits.reference_text);
  ASSERT_TRUE(prepared) << prepared.error().message;
  EXPECT_EQ(prepared->spectrogram_bins, 1025);
  EXPECT_EQ(prepared->spectrogram_frames(), 200);  // 4 s at 32 kHz, hop 640
  EXPECT_EQ(prepared->speaker.size(), 20480u);
  EXPECT_FALSE(prepared->prompts.empty());
  auto ref = std::make_shared<const TokenReference>(*prepared);
  EXPECT_EQ(Speak(**voice, "Hello world.", 5, 1, ref), Speak(**voice, "Hello world.", 5, 1));
}

// Several references: the first gives the prompt, all give the timbre (spectrograms end to end,
// speaker embeddings averaged by length), so a second recording changes the audio, not the prompt.
TEST(GptSovitsVoice, SeveralReferencesAverageTheTimbre) {
  auto voice = Voice::Load(kFixture, Config());
  ASSERT_TRUE(voice);
  const std::vector<float> full = ReferenceAudio();
  const std::vector<float> tail(full.begin() + 32000, full.end());  // its last 3 s
  const std::string text = (*voice)->manifest().gpt_sovits.reference_text;
  auto one = (*voice)->PrepareReference(std::vector<std::vector<float>>{full}, text);
  auto same = (*voice)->PrepareReference(std::vector<std::vector<float>>{full, full}, text);
  auto two = (*voice)->PrepareReference(std::vector<std::vector<float>>{full, tail}, text);
  ASSERT_TRUE(one && same && two);
  EXPECT_EQ(same->spectrogram_frames(), 2 * one->spectrogram_frames());
  for (size_t i = 0; i < one->speaker.size(); ++i) ASSERT_NEAR(same->speaker[i], one->speaker[i], 1e-5);
  EXPECT_EQ(two->prompts, one->prompts);
  EXPECT_EQ(two->phone_ids, one->phone_ids);
  EXPECT_EQ(two->spectrogram_frames(), one->spectrogram_frames() + 150);
  EXPECT_NE(two->speaker, one->speaker);
  const auto a = Speak(**voice, "Hello world.", 5, 1, std::make_shared<const TokenReference>(*one));
  const auto b = Speak(**voice, "Hello world.", 5, 1, std::make_shared<const TokenReference>(*two));
  EXPECT_NE(a, b);
}

TEST(GptSovitsVoice, ReferencesThatDoNotFitGetTypedErrors) {
  auto voice = Voice::Load(kFixture, Config());
  ASSERT_TRUE(voice);
  const std::string text = (*voice)->manifest().gpt_sovits.reference_text;
  auto none = (*voice)->PrepareReference({}, text);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kBadAudio);
  auto untold = (*voice)->PrepareReference(std::vector<std::vector<float>>{ReferenceAudio()}, "  ");
  ASSERT_FALSE(untold);
  EXPECT_EQ(untold.error().code, ErrorCode::kEmptyText);
  const std::vector<float> two_s(64000, 0.1f);
  auto short_first = (*voice)->PrepareReference(std::vector<std::vector<float>>{two_s, ReferenceAudio()}, text);
  ASSERT_FALSE(short_first);
  EXPECT_EQ(short_first.error().code, ErrorCode::kBadAudio);

  auto good = (*voice)->PrepareReference(std::vector<std::vector<float>>{ReferenceAudio()}, text);
  ASSERT_TRUE(good);
  auto start_with = [&](auto change) {
    TokenReference r = *good;
    change(r);
    return (*voice)->Start({.text = "Hello.", .reference = std::make_shared<const TokenReference>(r)});
  };
  for (auto change : std::vector<std::function<void(TokenReference&)>>{
           [](TokenReference& r) { r.spectrogram_bins = 513; },
           [](TokenReference& r) { r.speaker.resize(192); },
           [](TokenReference& r) { r.prompts.back() = kGptSovitsEos; },
           [](TokenReference& r) { r.phone_ids.front() = 100000; },
           [](TokenReference& r) { r.prompts.clear(); }}) {
    auto s = start_with(change);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kBadRequest) << s.error().message;
  }
}

TEST(GptSovitsVoice, BadInputGetsTypedErrors) {
  auto voice = Voice::Load(kFixture, Config());
  ASSERT_TRUE(voice);
  auto speed = (*voice)->Start({.text = "Hello.", .speed = 2.0});
  ASSERT_FALSE(speed);
  EXPECT_EQ(speed.error().code, ErrorCode::kNotSupported);
  auto speaker = (*voice)->Start({.speaker = "nobody", .text = "Hello."});
  ASSERT_FALSE(speaker);
  EXPECT_EQ(speaker.error().code, ErrorCode::kUnknownSpeaker);
  auto empty = (*voice)->Start({.text = "   "});
  ASSERT_FALSE(empty);

  // A package whose module is missing, or whose reference is too short, is refused naming why.
  const fs::path dir = fs::temp_directory_path() / ("gsv-bad-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::copy(kFixture, dir);
  fs::remove(dir / "vits.pt");
  auto missing = Voice::Load(dir.string(), Config());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kModelError);
  EXPECT_NE(missing.error().message.find("vits.pt"), std::string::npos) << missing.error().message;
  fs::remove_all(dir);

  auto fe = frontend::TextFrontend::Create("en-us");
  auto m = VoiceManifest::Read(kFixture);
  auto model = GptSovitsModel::Load(kFixture, *m, torch::kCPU, **fe);
  ASSERT_TRUE(model);
  std::vector<float> short_ref(32000, 0.1f);  // 1 s
  auto r = (*model)->Reference(short_ref, 32000, "Hello there.");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBadAudio);
}

// Chinese (issue 20, item 3): upstream's symbols and the fixture's bert_model.pt features, laid out per
// phone, non-zero exactly on the phones of Chinese runs.
bool IsArpabet(const std::string& s) {  // upstream's English symbols: upper case (AA1, TH); not AA EE OO
  return !s.empty() && std::isupper(static_cast<unsigned char>(s[0])) && s != "AA" && s != "EE" && s != "OO";
}

std::vector<std::string> SymbolsOf(const VoiceManifest& m, const std::vector<int64_t>& ids) {
  std::vector<std::string> out;
  for (int64_t id : ids) out.push_back(m.phonemes.at(static_cast<size_t>(id)));
  return out;
}

TEST_F(GptSovitsModelTest, ChineseGetsUpstreamSymbolsAndBertFeaturesPerPhone) {
  ASSERT_TRUE(model_->speaks_chinese());
  const std::string text = "我在银行工作。";
  auto seg = frontend_->Phonemize(text);
  ASSERT_TRUE(seg);
  auto input = model_->SentenceInput(*seg, text);
  ASSERT_TRUE(input) << input.error().message;
  EXPECT_EQ(SymbolsOf(manifest_, input->ids),
            (std::vector<std::string>{"w", "o3", "z", "ai4", "y", "in2", "h", "ang2", "g", "ong1", "z", "uo4", "."}));
  ASSERT_EQ(input->bert.sizes(), (std::vector<int64_t>{13, kGptSovitsBertDim}));
  // build_phone_level_feature: a character's row once per phone; the next character's differs.
  const torch::Tensor b = input->bert;
  for (int64_t i = 0; i < 12; i += 2) {
    EXPECT_TRUE(torch::equal(b[i], b[i + 1])) << i;
    EXPECT_FALSE(torch::equal(b[i + 1], b[i + 2])) << i;
  }
  EXPECT_GT(b.abs().sum(1).min().item<double>(), 0);
  // The same characters straight through bert_model.pt, as upstream's TextPreprocessor calls it.
  auto vocab = BertVocab::Read(kFixture + "/vocab.txt");
  ASSERT_TRUE(vocab);
  const auto tokens = vocab->Encode({"我", "在", "银", "行", "工", "作", "."});
  const auto n = static_cast<int64_t>(tokens.size());
  auto bert = torch::jit::load(kFixture + "/bert_model.pt");
  torch::Tensor direct = bert.forward({torch::tensor(tokens).view({1, n}), torch::ones({1, n}, torch::kLong),
                                       torch::zeros({1, n}, torch::kLong),
                                       torch::tensor(std::vector<int32_t>{2, 2, 2, 2, 2, 2, 1}, torch::kInt)})
                             .toTensor();
  EXPECT_TRUE(torch::allclose(direct, b));
  // Another character (行 -> 走) changes the features: they depend on the ids.
  const std::string other = "我在银走工作。";
  auto other_input = model_->SentenceInput(*frontend_->Phonemize(other), other);
  ASSERT_TRUE(other_input);
  EXPECT_FALSE(torch::allclose(other_input->bert, b));
  // The features reach the token model: the same ids with zeros give other logits.
  {
    c10::InferenceMode guard;
    torch::Tensor ids = Ids(input->ids);
    const TokenDecode with = model_->Prefill(model_->default_reference(), ids, input->bert);
    const TokenDecode without = model_->Prefill(model_->default_reference(), ids);
    EXPECT_FALSE(torch::allclose(with.logits, without.logits));
  }

  // English alone: SentenceIds' ids and zeros.
  const std::string english = "Hello world.";
  auto en = model_->SentenceInput(*frontend_->Phonemize(english), english);
  ASSERT_TRUE(en);
  EXPECT_EQ(en->ids, *model_->SentenceIds(*frontend_->Phonemize(english), english));
  EXPECT_EQ(en->bert.abs().sum().item<double>(), 0);
}

TEST_F(GptSovitsModelTest, MixedTextHasBertFeaturesExactlyOnTheChinesePhones) {
  for (const std::string text : {"我喜欢Python编程。", "Hello, 世界!", "今天的 meeting 改到三点, OK?", "好。"}) {
    auto seg = frontend_->Phonemize(text);
    ASSERT_TRUE(seg) << text;
    auto input = model_->SentenceInput(*seg, text);
    ASSERT_TRUE(input) << text << ": " << input.error().message;
    const auto symbols = SymbolsOf(manifest_, input->ids);
    ASSERT_EQ(input->bert.size(0), static_cast<int64_t>(symbols.size()));
    const torch::Tensor nonzero = input->bert.abs().sum(1) > 0;
    int zh = 0, en = 0;
    std::string shown;
    for (size_t i = 0; i < symbols.size(); ++i) shown += symbols[i] + (nonzero[static_cast<int64_t>(i)].item<bool>() ? "* " : " ");
    for (size_t i = 0; i < symbols.size(); ++i) {
      const bool has = nonzero[static_cast<int64_t>(i)].item<bool>();
      const std::string& s = symbols[i];
      if (IsArpabet(s)) {
        EXPECT_FALSE(has) << text << ": " << shown;
        ++en;
      } else if (s.size() > 1 || std::isalpha(static_cast<unsigned char>(s[0]))) {
        EXPECT_TRUE(has) << text << ": " << shown;
        ++zh;
      }
    }
    EXPECT_GT(zh, 0) << text;
    if (text != "好。") {
      EXPECT_GT(en, 0) << text;
    } else {  // fewer than 6 phones: "." ahead, read by BERT with the Chinese (upstream's ".好。")
      EXPECT_EQ(symbols, (std::vector<std::string>{".", "h", "ao3", "."})) << shown;
      EXPECT_TRUE(nonzero.all().item<bool>()) << shown;
    }
  }
  // The last symbol is the sentence's own end.
  const std::string q = "你去过 Paris 吗?";
  auto input = model_->SentenceInput(*frontend_->Phonemize(q), q);
  ASSERT_TRUE(input);
  EXPECT_EQ(SymbolsOf(manifest_, input->ids).back(), "?");
}

TEST(GptSovitsVoice, SpeaksChineseAndMixedTextAndAChineseReference) {
  auto voice = Voice::Load(kFixture, Config());
  ASSERT_TRUE(voice) << voice.error().message;
  for (const std::string text : {"我在银行工作。", "今天的 meeting 改到三点。好吗？"}) {
    const auto audio = Speak(**voice, text, 3);
    EXPECT_GT(audio.size(), 11u * 1280) << text;
    for (float s : audio) ASSERT_TRUE(std::isfinite(s));
    EXPECT_EQ(audio, Speak(**voice, text, 3)) << text;  // seeded: the same audio
  }
  // A reference with a Chinese transcript (its features computed again from the prepared text).
  auto prepared = (*voice)->PrepareReference(std::vector<std::vector<float>>{ReferenceAudio()},
                                             "这是一个测试，请再试一次。");
  ASSERT_TRUE(prepared) << prepared.error().message;
  const auto with_zh_ref = Speak(**voice, "你好，世界。", 5, 0, std::make_shared<TokenReference>(*prepared));
  EXPECT_GE(with_zh_ref.size(), 11u * 1280);  // at least the 11 tokens before the end may come
  EXPECT_NE(with_zh_ref, Speak(**voice, "你好，世界。", 5));
}

TEST(GptSovitsVoice, APackageWithoutBertRefusesChineseNamingTheFix) {
  const fs::path dir = fs::temp_directory_path() / ("gsv-nobert-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::copy(kFixture, dir);
  fs::remove(dir / "bert_model.pt");
  fs::remove(dir / "vocab.txt");
  json manifest = json::parse(std::ifstream(dir / "voice.json"));
  manifest.erase("bert_file");
  manifest.erase("bert_vocab_file");
  std::ofstream(dir / "voice.json") << manifest.dump(2);
  auto voice = Voice::Load(dir.string(), Config());
  ASSERT_TRUE(voice) << voice.error().message;
  EXPECT_GT(Speak(**voice, "Hello world.", 1).size(), 0u);  // English as before
  auto stream = (*voice)->Start({.text = "你好。"});
  std::optional<Error> error;
  if (!stream) {
    error = stream.error();
  } else {
    Chunk c;
    auto r = (*stream)->Next(&c);
    if (!r) error = r.error();
  }
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, ErrorCode::kUnsupportedText);
  EXPECT_NE(error->message.find("package.py"), std::string::npos) << error->message;

  // Only one of the two named: the manifest is refused.
  manifest["bert_file"] = "bert_model.pt";
  std::ofstream(dir / "voice.json") << manifest.dump(2);
  auto half = Voice::Load(dir.string(), Config());
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().code, ErrorCode::kModelError);
  fs::remove_all(dir);
}

#endif

}  // namespace
}  // namespace ttsd::engine
