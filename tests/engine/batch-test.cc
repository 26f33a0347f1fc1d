// Continuous batching: Stream::NextBatch runs several streams' model steps as one call and gives
// each stream exactly what Next() alone gives it. Uses the default voice (it declares batching)
// and a fixture (it does not, so its streams run one by one inside the batch).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "ttsd/engine/voice.h"

namespace ttsd::engine {
namespace {

std::string DefaultVoice() { return std::string(TTSD_SOURCE_DIR) + "/models/voices/ttsd-en"; }
std::string Fixture(const std::string& name) { return std::string(TTSD_SOURCE_DIR) + "/models/fixtures/" + name; }

std::shared_ptr<Voice> Load(const std::string& dir) {
  auto v = Voice::Load(dir, EngineConfig{});
  EXPECT_TRUE(v) << v.error().ToString();
  return v ? *v : nullptr;
}

std::vector<StreamOptions> Requests() {
  std::vector<StreamOptions> r(4);
  r[0].text = "The first request is a short one.";
  r[1].text = "A second, longer request talks over the first one, then keeps going for a while.";
  r[1].speaker = "slt";
  r[2].text = "Three.";
  r[2].speed = 1.3;
  r[3].text = "The fourth request is angry about the batch.";
  r[3].emotion = EmotionVector{0, 1, 0, 0, 0, 0, 0, 0};
  return r;
}

// Each stream alone, through Next().
std::vector<std::vector<float>> Alone(const Voice& voice, const std::vector<StreamOptions>& requests) {
  std::vector<std::vector<float>> out;
  for (const auto& o : requests) {
    auto s = voice.Start(o).value();
    std::vector<float> audio;
    Chunk c;
    do {
      auto r = s->Next(&c);
      EXPECT_TRUE(r) << r.error().ToString();
      if (!r) break;
      audio.insert(audio.end(), c.samples.begin(), c.samples.end());
    } while (!c.is_last);
    out.push_back(std::move(audio));
  }
  return out;
}

// All streams together, through NextBatch(), until each has its last chunk. `before_step` may act
// on the streams between calls.
std::vector<std::vector<float>> Together(const Voice& voice, const std::vector<StreamOptions>& requests,
                                         std::vector<Error>* errors = nullptr,
                                         const std::function<void(int, std::vector<std::unique_ptr<Stream>>&)>& before_step = {}) {
  std::vector<std::unique_ptr<Stream>> streams;
  for (const auto& o : requests) streams.push_back(voice.Start(o).value());
  std::vector<std::vector<float>> out(streams.size());
  std::vector<bool> done(streams.size(), false);
  if (errors) errors->assign(streams.size(), Error{ErrorCode::kOk, ""});
  for (int call = 0;; ++call) {
    if (before_step) before_step(call, streams);
    std::vector<Stream*> active;
    std::vector<size_t> index;
    for (size_t i = 0; i < streams.size(); ++i) {
      if (!done[i]) {
        active.push_back(streams[i].get());
        index.push_back(i);
      }
    }
    if (active.empty()) break;
    std::vector<Chunk> chunks(active.size());
    auto results = Stream::NextBatch(active, chunks);
    EXPECT_EQ(results.size(), active.size());
    for (size_t k = 0; k < active.size(); ++k) {
      const size_t i = index[k];
      if (!results[k]) {
        done[i] = true;
        if (errors) (*errors)[i] = results[k].error();
        else ADD_FAILURE() << results[k].error().ToString();
        continue;
      }
      EXPECT_EQ(*results[k], StepResult::kChunk);
      EXPECT_EQ(chunks[k].sample_offset, out[i].size());
      out[i].insert(out[i].end(), chunks[k].samples.begin(), chunks[k].samples.end());
      done[i] = chunks[k].is_last;
    }
  }
  return out;
}

// Batched matrix products sum in another order: rows differ from solo runs by rounding only.
constexpr double kTolerance = 5e-4;

double MaxDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, double(std::abs(a[i] - b[i])));
  return d;
}

TEST(Batch, DefaultVoiceDeclaresBatching) {
  auto voice = Load(DefaultVoice());
  ASSERT_TRUE(voice);
  EXPECT_TRUE(voice->manifest().batching);
}

TEST(Batch, BatchedStreamsEqualStreamsAlone) {
  auto voice = Load(DefaultVoice());
  ASSERT_TRUE(voice);
  const auto requests = Requests();
  const auto alone = Alone(*voice, requests);
  const auto together = Together(*voice, requests);
  ASSERT_EQ(together.size(), alone.size());
  for (size_t i = 0; i < alone.size(); ++i) {
    SCOPED_TRACE(requests[i].text);
    ASSERT_GT(alone[i].size(), 0u);
    EXPECT_EQ(together[i].size(), alone[i].size());
    EXPECT_LT(MaxDiff(together[i], alone[i]), kTolerance);
  }
}

// Stream::stage_times: every stage of a request is timed, and a batched stream counts its own steps.
TEST(Batch, StageTimesCoverEveryStageAndStep) {
  auto voice = Load(DefaultVoice());
  ASSERT_TRUE(voice);
  StreamOptions o;
  o.text = "Where does the time go? Into the stages.";
  auto alone = voice->Start(o).value();
  int chunks_with_audio = 0;
  Chunk c;
  do {
    ASSERT_TRUE(alone->Next(&c));
    chunks_with_audio += !c.is_last;  // the last chunk is the vocoder's flush, not a step
  } while (!c.is_last);
  const StageTimes& t = alone->stage_times();
  EXPECT_GT(t.frontend_ms, 0);
  EXPECT_GT(t.encoder_ms, 0);
  EXPECT_GT(t.acoustic_ms, 0);
  EXPECT_GT(t.vocoder_ms, 0);
  EXPECT_EQ(t.steps, chunks_with_audio);

  auto a = voice->Start(o).value();
  auto b = voice->Start(o).value();
  std::vector<Stream*> both = {a.get(), b.get()};
  for (bool last = false; !last;) {
    std::vector<Chunk> chunks(2);
    auto results = Stream::NextBatch(both, chunks);
    ASSERT_TRUE(results[0] && results[1]);
    last = chunks[0].is_last;
    EXPECT_EQ(chunks[1].is_last, last);
  }
  EXPECT_EQ(a->stage_times().steps, chunks_with_audio);
  EXPECT_EQ(b->stage_times().steps, chunks_with_audio);
  EXPECT_GT(a->stage_times().acoustic_ms, 0);
  EXPECT_GT(b->stage_times().vocoder_ms, 0);
}

TEST(Batch, StreamsJoiningLaterEqualStreamsAlone) {
  // Continuous batching: requests start while others are mid-utterance.
  auto voice = Load(DefaultVoice());
  ASSERT_TRUE(voice);
  const auto requests = Requests();
  const auto alone = Alone(*voice, requests);
  std::vector<std::unique_ptr<Stream>> streams;
  std::vector<std::vector<float>> out(requests.size());
  std::vector<bool> done(requests.size(), false);
  size_t started = 0;
  for (int call = 0; started < requests.size() || std::find(done.begin(), done.end(), false) != done.end(); ++call) {
    if (started < requests.size() && call % 2 == 0) streams.push_back(voice->Start(requests[started++]).value());
    std::vector<Stream*> active;
    std::vector<size_t> index;
    for (size_t i = 0; i < streams.size(); ++i) {
      if (!done[i]) active.push_back(streams[i].get()), index.push_back(i);
    }
    std::vector<Chunk> chunks(active.size());
    auto results = Stream::NextBatch(active, chunks);
    for (size_t k = 0; k < active.size(); ++k) {
      ASSERT_TRUE(results[k]) << results[k].error().ToString();
      out[index[k]].insert(out[index[k]].end(), chunks[k].samples.begin(), chunks[k].samples.end());
      done[index[k]] = chunks[k].is_last;
    }
    ASSERT_LT(call, 10000);
  }
  for (size_t i = 0; i < alone.size(); ++i) {
    EXPECT_EQ(out[i].size(), alone[i].size()) << i;
    EXPECT_LT(MaxDiff(out[i], alone[i]), kTolerance) << i;
  }
}

TEST(Batch, CancellingOneStreamLeavesTheOthersIntact) {
  auto voice = Load(DefaultVoice());
  ASSERT_TRUE(voice);
  const auto requests = Requests();
  const auto alone = Alone(*voice, requests);
  std::vector<Error> errors;
  const auto together = Together(*voice, requests, &errors, [](int call, auto& streams) {
    if (call == 2) streams[1]->Cancel();
  });
  EXPECT_EQ(errors[1].code, ErrorCode::kCancelled);
  EXPECT_LT(together[1].size(), alone[1].size());
  for (size_t i : {0u, 2u, 3u}) {
    EXPECT_EQ(errors[i].code, ErrorCode::kOk) << errors[i].ToString();
    EXPECT_EQ(together[i].size(), alone[i].size()) << i;
    EXPECT_LT(MaxDiff(together[i], alone[i]), kTolerance) << i;
  }
}

TEST(Batch, VoicesWithoutBatchingRunOneByOneInsideABatch) {
  auto fixture = Load(Fixture("fixture-stream"));
  auto ar = Load(Fixture("fixture-ar"));
  ASSERT_TRUE(fixture && ar);
  EXPECT_FALSE(fixture->manifest().batching);
  std::vector<StreamOptions> requests(3);
  requests[0].text = "One fixture stream.";
  requests[1].text = "Another fixture stream, a little longer than the first.";
  requests[2].text = "Short.";
  for (const auto& voice : {fixture, ar}) {
    const auto alone = Alone(*voice, requests);
    const auto together = Together(*voice, requests);
    for (size_t i = 0; i < alone.size(); ++i) {
      EXPECT_EQ(together[i], alone[i]) << i;
    }
  }
}

TEST(Batch, ABatchingManifestWithUnbatchedStatesIsRefused) {
  // fixture-stream's vocoder keeps a phase of shape [1]: fine alone, but declaring batching must be
  // checked at load rather than corrupting audio later. Its states all have size 1 on dim 0, so it
  // loads; the batched call then either matches or fails with a model error, never silently mixes.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ttsd-batch-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(Fixture("fixture-stream"), dir, fs::copy_options::recursive);
  std::string manifest;
  {
    std::ifstream in(dir / "voice.json");
    manifest.assign(std::istreambuf_iterator<char>(in), {});
  }
  manifest.insert(manifest.find('{') + 1, "\"batching\": true,");
  std::ofstream(dir / "voice.json") << manifest;
  auto voice = Voice::Load(dir.string(), EngineConfig{});
  fs::remove_all(dir);
  if (!voice) {
    EXPECT_EQ(voice.error().code, ErrorCode::kModelError) << voice.error().ToString();
    return;
  }
  std::vector<StreamOptions> requests(2);
  requests[0].text = "One fixture stream.";
  requests[1].text = "Another one.";
  const auto alone = Alone(**voice, requests);
  std::vector<Error> errors;
  const auto together = Together(**voice, requests, &errors);
  for (size_t i = 0; i < requests.size(); ++i) {
    if (errors[i].code == ErrorCode::kOk) {
      EXPECT_EQ(together[i].size(), alone[i].size());
      EXPECT_LT(MaxDiff(together[i], alone[i]), kTolerance);
    } else {
      EXPECT_EQ(errors[i].code, ErrorCode::kModelError);
    }
  }
}

}  // namespace
}  // namespace ttsd::engine
