// VoiceStore: save, load, replace, remove, what a restart finds, and a store that is SIGKILLed in
// the middle of saves many times: every acknowledged save is there and intact, nothing is torn.
#include "ttsd/daemon/voice-store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "support/daemon-process.h"

namespace ttsd::daemon {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

SavedVoice Voice(const std::string& name, float value, size_t dim = 16) {
  SavedVoice v;
  v.name = name;
  v.voice = "fixture-style";
  v.embedding.assign(dim, value);
  v.embedding[0] = value * 0.123456789f;  // a float that needs all its digits
  v.references = 2;
  v.seconds = value;
  v.created = VoiceStore::NowIso8601();
  return v;
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(VoiceStore, MissingDirectoryIsAnEmptyStoreUntilTheFirstSave) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/a/b/voices";
  VoiceStore store(dir);
  EXPECT_TRUE(store.List().empty());
  EXPECT_FALSE(fs::exists(dir));
  ASSERT_TRUE(store.Save(Voice("anna", 1.5f), false));
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(Files(dir), std::vector<std::string>{"anna.json"});
}

TEST(VoiceStore, SavedVoicesLoadBackBitForBit) {
  TempDir tmp;
  const SavedVoice anna = Voice("anna", 1.5f, 192), bob = Voice("bob.v2", -0.25f);
  {
    VoiceStore store(tmp.path());
    ASSERT_TRUE(store.Save(anna, false));
    ASSERT_TRUE(store.Save(bob, false));
    ASSERT_TRUE(store.Find("anna"));
  }
  VoiceStore again(tmp.path());
  auto list = again.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]->name, "anna");
  EXPECT_EQ(list[1]->name, "bob.v2");
  auto a = again.Find("anna");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->voice, anna.voice);
  EXPECT_EQ(a->embedding, anna.embedding);  // exact floats
  EXPECT_EQ(a->references, 2u);
  EXPECT_EQ(a->seconds, 1.5);
  EXPECT_EQ(a->created, anna.created);
  EXPECT_EQ(a->Info().name, "anna");
  EXPECT_FALSE(again.Find("carol"));
}

// A GPT-SoVITS voice keeps a TokenReference: ids as numbers, the float arrays as base64, every
// float back exactly, whatever its bits (denormals, -0, all 2^32 patterns that are finite).
SavedVoice TokenVoice(const std::string& name, size_t frames) {
  SavedVoice v;
  v.name = name;
  v.voice = "fixture-gpt-sovits";
  auto r = std::make_shared<engine::TokenReference>();
  r->text = "That is not a valid conference number. \"Quoted\", ünïcode.";
  r->phone_ids = {0, 3, 731, 42};
  r->prompts = {1023, 0, 512};
  r->spectrogram_bins = 1025;
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (size_t i = 0; i < 1025 * frames; ++i) {
    float f;
    do {
      const uint32_t b = bits(rng);
      std::memcpy(&f, &b, sizeof f);
    } while (!std::isfinite(f));
    r->spectrogram.push_back(f);
  }
  r->speaker = {-0.0f, 1e-40f, 3.4e38f, 0.1f};
  v.reference = r;
  v.references = 2;
  v.seconds = 9.5;
  v.created = VoiceStore::NowIso8601();
  return v;
}

TEST(VoiceStore, TokenVoicesLoadBackBitForBit) {
  TempDir tmp;
  for (size_t frames : {1u, 2u, 3u, 500u}) {  // base64 with no, one and two padding characters
    const SavedVoice saved = TokenVoice("gsv" + std::to_string(frames), frames);
    { ASSERT_TRUE(VoiceStore(tmp.path()).Save(saved, false)); }
    auto back = VoiceStore(tmp.path()).Find(saved.name);
    ASSERT_TRUE(back) << frames;
    ASSERT_TRUE(back->reference);
    EXPECT_TRUE(back->embedding.empty());
    const engine::TokenReference &a = *back->reference, &b = *saved.reference;
    EXPECT_EQ(a.text, b.text);
    EXPECT_EQ(a.phone_ids, b.phone_ids);
    EXPECT_EQ(a.prompts, b.prompts);
    EXPECT_EQ(a.spectrogram_bins, 1025);
    ASSERT_EQ(a.spectrogram.size(), b.spectrogram.size());
    EXPECT_EQ(std::memcmp(a.spectrogram.data(), b.spectrogram.data(), a.spectrogram.size() * sizeof(float)), 0);
    ASSERT_EQ(a.speaker.size(), b.speaker.size());
    EXPECT_EQ(std::memcmp(a.speaker.data(), b.speaker.data(), a.speaker.size() * sizeof(float)), 0);
  }
}

TEST(VoiceStore, ASavedVoiceHoldsAnEmbeddingOrAReferenceNotBoth) {
  TempDir tmp;
  VoiceStore store(tmp.path());
  SavedVoice both = TokenVoice("both", 1);
  both.embedding = {1.0f};
  EXPECT_EQ(store.Save(both, false).error().code, ErrorCode::kBadRequest);
  EXPECT_TRUE(Files(tmp.path()).empty());
}

TEST(VoiceStore, ExistingNamesNeedReplace) {
  TempDir tmp;
  VoiceStore store(tmp.path());
  ASSERT_TRUE(store.Save(Voice("anna", 1), false));
  auto again = store.Save(Voice("anna", 2), false);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kVoiceExists);
  EXPECT_EQ(store.Find("anna")->seconds, 1.0);
  ASSERT_TRUE(store.Save(Voice("anna", 2), true));
  EXPECT_EQ(store.Find("anna")->seconds, 2.0);
  EXPECT_EQ(VoiceStore(tmp.path()).Find("anna")->seconds, 2.0);
  EXPECT_EQ(Files(tmp.path()), std::vector<std::string>{"anna.json"});
}

TEST(VoiceStore, RemoveDeletesTheFile) {
  TempDir tmp;
  VoiceStore store(tmp.path());
  ASSERT_TRUE(store.Save(Voice("anna", 1), false));
  ASSERT_TRUE(store.Remove("anna"));
  EXPECT_FALSE(store.Find("anna"));
  EXPECT_TRUE(Files(tmp.path()).empty());
  auto missing = store.Remove("anna");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kUnknownVoice);
  EXPECT_TRUE(VoiceStore(tmp.path()).List().empty());
}

TEST(VoiceStore, BadNamesNeverBecomePaths) {
  TempDir tmp;
  VoiceStore store(tmp.path() + "/voices");
  for (std::string name : {std::string("../escape"), std::string(".hidden"), std::string("a/b"), std::string(""),
                           std::string(65, 'x')}) {
    auto s = store.Save(Voice(name, 1), false);
    ASSERT_FALSE(s) << name;
    EXPECT_EQ(s.error().code, ErrorCode::kBadRequest) << name;
  }
  EXPECT_FALSE(fs::exists(tmp.path() + "/escape.json"));
  EXPECT_FALSE(fs::exists(tmp.path() + "/voices"));
  SavedVoice empty = Voice("empty", 1);
  empty.embedding.clear();
  EXPECT_EQ(store.Save(empty, false).error().code, ErrorCode::kBadRequest);
}

TEST(VoiceStore, LoadRemovesTempLeftoversAndSetsUnreadableFilesAside) {
  TempDir tmp;
  { VoiceStore(tmp.path()).Save(Voice("good", 1), false).value(); }
  auto write = [&](const std::string& file, const std::string& text) { std::ofstream(tmp.path() + "/" + file) << text; };
  write(".anna.json.tmp.123.0", "{\"format\":1,\"na");   // a save cut short
  write("torn.json", "{\"format\":1,\"name\":\"torn\",\"embe");
  write("wrong.json", R"({"format":1,"name":"other","voice":"v","embedding":[1],"references":1,"seconds":1,"created":""})");
  write("nan.json", R"({"format":1,"name":"nan","voice":"v","embedding":["x"],"references":1,"seconds":1,"created":""})");
  const std::string head = R"({"format":1,"voice":"v","references":1,"seconds":1,"created":"",)";
  const std::string ref = R"("reference":{"text":"t","phone_ids":[1],"prompts":[2],"spectrogram_bins":2,)";
  write("b64.json", head + R"("name":"b64",)" + ref + R"("spectrogram":"AAAAAA%%","speaker":"AACAPw=="}})");
  write("odd.json", head + R"("name":"odd",)" + ref + R"("spectrogram":"AACAPw==","speaker":"AACAPw=="}})");
  write("inf.json", head + R"("name":"inf",)" + ref + R"("spectrogram":"AACAfwAAgH8=","speaker":"AACAPw=="}})");
  write("both.json", head + R"("name":"both","embedding":[1],)" + ref +
                         R"("spectrogram":"AACAPwAAgD8=","speaker":"AACAPw=="}})");
  write("notes.txt", "not a voice; left alone");
  fs::create_directory(tmp.path() + "/some-package");  // voice packages share the directory
  VoiceStore store(tmp.path());
  auto list = store.List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]->name, "good");
  EXPECT_EQ(Files(tmp.path()),
            (std::vector<std::string>{"b64.json.bad", "both.json.bad", "good.json", "inf.json.bad", "nan.json.bad",
                                      "notes.txt", "odd.json.bad", "some-package", "torn.json.bad", "wrong.json.bad"}));
}

// ---- kill -9 in the middle of saves ---------------------------------------------------------

// The child: saves "v<i % 7>" with content i, for i = first, first+1, ..., writing i to fd once
// Save returned ok (the acknowledgement), until killed.
[[noreturn]] void SaveForever(const std::string& dir, int fd, int first) {
  VoiceStore store(dir);
  for (int i = first;; ++i) {
    if (!store.Save(Voice("v" + std::to_string(i % 7), static_cast<float>(i), 64), true)) _exit(3);
    if (write(fd, &i, sizeof(i)) != sizeof(i)) _exit(4);
  }
}

TEST(VoiceStore, SurvivesSigkillAtRandomMomentsWithEveryAcknowledgedSaveIntact) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/voices";
  std::mt19937 rng(12345);
  std::map<std::string, int> acknowledged;  // name -> the last content whose save returned
  int next = 0;
  int kills = 0;
  for (int round = 0; round < 40; ++round) {
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      SaveForever(dir, fds[1], next);
    }
    close(fds[1]);
    // Odd rounds kill only after a first save finished, so that a slow machine (a sanitizer build
    // under load) still acknowledges saves; even rounds may kill before any, while the store opens.
    int first_ack = -1;
    if (round % 2 == 1) {
      ASSERT_EQ(read(fds[0], &first_ack, sizeof(first_ack)), ssize_t{sizeof(first_ack)});
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 30000));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child stopped by itself: " << status;
    ++kills;
    if (first_ack >= 0) {
      acknowledged["v" + std::to_string(first_ack % 7)] = first_ack;
      next = first_ack + 1;
    }
    int i;
    while (read(fds[0], &i, sizeof(i)) == sizeof(i)) {
      acknowledged["v" + std::to_string(i % 7)] = i;
      next = i + 1;
    }
    close(fds[0]);
    next += 1000;  // contents never repeat, acknowledged or not

    VoiceStore store(dir);
    for (const auto& [name, content] : acknowledged) {
      auto v = store.Find(name);
      ASSERT_TRUE(v) << "round " << round << ": acknowledged voice " << name << " is missing";
      // The acknowledged content, or a later save that finished but was not acknowledged in time.
      EXPECT_GE(static_cast<int>(v->seconds), content) << name;
      const float value = static_cast<float>(v->seconds);
      ASSERT_EQ(v->embedding.size(), 64u) << name;
      EXPECT_EQ(v->embedding[0], value * 0.123456789f) << name;
      for (size_t k = 1; k < 64; ++k) ASSERT_EQ(v->embedding[k], value) << name;
    }
    for (const auto& file : Files(dir)) {
      EXPECT_FALSE(file.ends_with(".bad")) << "round " << round << ": torn file " << file;
      EXPECT_FALSE(file.starts_with('.')) << "round " << round << ": leftover " << file;
    }
  }
  EXPECT_EQ(kills, 40);
  EXPECT_GE(acknowledged.size(), 5u) << "too few saves finished to test anything";
}

}  // namespace
}  // namespace ttsd::daemon
