// A GPT-SoVITS voice package in the real ttsd: on libtorch 2.x ttsd lists it and ttsc speaks with it
// (32 kHz, sentences streamed in several chunks); on Debian's libtorch 1.13 ttsd refuses to start,
// saying which libtorch the voice needs.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <torch/version.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/daemon-process.h"
#include "support/http-client.h"
#include "support/wyoming-client.h"
#include "support/run-command.h"

namespace ttsd::testing {
namespace {

const std::string kVoices = FixturesDir() + "/gpt-sovits";

#if TORCH_VERSION_MAJOR < 2

TEST(GptSovitsDaemon, OlderLibtorchRefusesToStartNamingTheVersion) {
  TempDir dir;
  auto r = RunCommand({TtsdBinary(), "--socket", dir.path() + "/s.sock", "--voices", kVoices, "--no-warmup"});
  ASSERT_TRUE(r);
  EXPECT_NE(r->exit_code, 0);
  EXPECT_NE(r->out.find("needs libtorch 2.0 or newer"), std::string::npos) << r->out;
}

#else

TEST(GptSovitsDaemon, TtscSpeaksWithAGptSovitsVoice) {
  DaemonProcess d({"--voices", kVoices, "--default-voice", "fixture-gpt-sovits"});
  auto voices = RunCommand({TtscBinary(), "--socket", d.socket_path(), "voices"});
  ASSERT_TRUE(voices);
  EXPECT_NE(voices->out.find("fixture-gpt-sovits  32000 Hz"), std::string::npos) << voices->out;
  TempDir dir;
  const std::string wav = dir.path() + "/out.wav";
  auto say = RunCommand({TtscBinary(), "--socket", d.socket_path(), "say", "--stats", "--voice", "fixture-gpt-sovits",
                         "-o", wav, "Hello world. What time is it?"});
  ASSERT_TRUE(say);
  ASSERT_EQ(say->exit_code, 0) << say->out;
  EXPECT_NE(say->out.find("\"status\":\"ok\""), std::string::npos) << say->out;
  SF_INFO info{};
  SNDFILE* f = sf_open(wav.c_str(), SFM_READ, &info);
  ASSERT_NE(f, nullptr);
  sf_close(f);
  EXPECT_EQ(info.samplerate, 32000);
  EXPECT_GT(info.frames, 32000);  // two sentences of at least 11 tokens each, 0.3 s apart
}

// The other front ends serve it as any voice: the HTTP API (OpenAI's speech endpoint, a streamed WAV)
// and Wyoming (Home Assistant), both at the voice's 32 kHz.
TEST(GptSovitsDaemon, HttpAndWyomingSpeakWithIt) {
  DaemonProcess d({"--voices", kVoices, "--default-voice", "fixture-gpt-sovits", "--http", "127.0.0.1:0", "--wyoming",
                   "tcp://127.0.0.1:0"});
  const std::string body = R"({"model":"tts-1","input":"Hello world.","voice":"fixture-gpt-sovits","response_format":"wav"})";
  HttpResponse r = HttpRequest(HttpPort(d), "POST", "/v1/audio/speech", body, {"Content-Type: application/json"});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_GT(r.body.size(), 44u + 2 * 11 * 1280);  // a header and at least 11 tokens of 16-bit audio
  uint32_t rate = 0;
  std::memcpy(&rate, r.body.data() + 24, 4);
  EXPECT_EQ(rate, 32000u);

  WyomingClient c(WyomingPort(d));
  ASSERT_TRUE(c.connected());
  c.Send("synthesize", {{"text", "Hello world."}, {"voice", {{"name", "fixture-gpt-sovits"}}}});
  WyAudio audio = Collect(c.ReadUntil("audio-stop"));
  EXPECT_TRUE(audio.stopped && !audio.error) << d.Log();
  EXPECT_EQ(audio.rate, 32000);
  EXPECT_GE(audio.samples, 11u * 1280);
}

// The fixture's own reference.wav and transcript, saved as a voice or sent with one request, speak
// exactly as the package's default speaker does (same seed, greedy): the stored numbers lose nothing,
// and a restarted ttsd still has the voice.
class GptSovitsReferences : public ::testing::Test {
 protected:
  std::string Say(const DaemonProcess& d, const std::string& name, std::vector<std::string> extra) {
    const std::string wav = dir_.path() + "/" + name + ".wav";
    std::vector<std::string> args{TtscBinary(), "--socket", d.socket_path(), "say", "-o", wav};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("Hello world.");
    auto r = RunCommand(args);
    EXPECT_TRUE(r && r->exit_code == 0) << (r ? r->out : "");
    std::ifstream in(wav, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  const std::string ref_ = kVoices + "/fixture-gpt-sovits/reference.wav";
  const std::string text_ = "That is not a valid conference number. Please try again.";
  TempDir dir_, store_;
};

TEST_F(GptSovitsReferences, SavedAndPerRequestReferencesSpeakAsTheirRecording) {
  std::string own, saved;
  {
    DaemonProcess d({"--voices", kVoices, "--default-voice", "fixture-gpt-sovits", "--voice-store", store_.path()});
    auto add = RunCommand({TtscBinary(), "--socket", d.socket_path(), "voice", "add", "anna", ref_, "--ref-text", text_,
                           "--voice", "fixture-gpt-sovits"});
    ASSERT_TRUE(add);
    ASSERT_EQ(add->exit_code, 0) << add->out;
    EXPECT_NE(add->out.find("saved voice anna (from fixture-gpt-sovits, 1 recordings"), std::string::npos) << add->out;
    own = Say(d, "own", {"--top-k", "1", "--seed", "9"});
    ASSERT_GT(own.size(), 44u);
    saved = Say(d, "saved", {"--voice", "anna", "--top-k", "1", "--seed", "9"});
    EXPECT_EQ(saved, own);
    EXPECT_EQ(Say(d, "sent", {"--ref", ref_, "--ref-text", text_, "--top-k", "1", "--seed", "9"}), own);
    EXPECT_NE(Say(d, "other-seed", {"--top-k", "1", "--seed", "10"}), own);  // the vocoder's noise
    const std::string seeded = Say(d, "same-seed", {"--seed", "11"});
    EXPECT_EQ(seeded, Say(d, "same-seed-again", {"--seed", "11"}));
    // The request's sampling reaches the token loop, and a seed holds with it: a tiny top-p keeps only
    // the likeliest token (greedy, as top-k 1).
    const std::string greedy = Say(d, "greedy", {"--seed", "11", "--top-k", "1"});
    EXPECT_NE(greedy, seeded);
    EXPECT_EQ(Say(d, "top-p", {"--seed", "11", "--top-p", "0.001"}), greedy);
    const std::vector<std::string> tuned{"--seed", "11", "--temperature", "0.5", "--repetition-penalty", "1"};
    const std::string steady = Say(d, "tuned", tuned);
    EXPECT_NE(steady, seeded);
    EXPECT_EQ(Say(d, "tuned-again", tuned), steady);
  }
  DaemonProcess again({"--voices", kVoices, "--default-voice", "fixture-gpt-sovits", "--voice-store", store_.path()});
  EXPECT_EQ(Say(again, "restarted", {"--voice", "anna", "--top-k", "1", "--seed", "9"}), own);
}

TEST_F(GptSovitsReferences, ReferencesWithoutTheirTranscriptAreRefused) {
  DaemonProcess d({"--voices", kVoices, "--default-voice", "fixture-gpt-sovits", "--voice-store", store_.path()});
  for (std::vector<std::string> args :
       {std::vector<std::string>{"say", "--ref", ref_, "-o", dir_.path() + "/x.wav", "Hello."},
        std::vector<std::string>{"voice", "add", "bob", ref_, "--voice", "fixture-gpt-sovits"}}) {
    args.insert(args.begin(), {TtscBinary(), "--socket", d.socket_path()});
    auto r = RunCommand(args);
    ASSERT_TRUE(r);
    EXPECT_NE(r->exit_code, 0);
    EXPECT_NE(r->out.find("reference_text"), std::string::npos) << r->out;
    EXPECT_NE(r->out.find("reference-free"), std::string::npos) << r->out;
  }
  // A first reference outside 3-10 s is bad audio, whatever follows it.
  const std::string clip = dir_.path() + "/clip.wav";
  auto cut = RunCommand({"ffmpeg", "-v", "error", "-y", "-i", ref_, "-t", "2", clip});
  ASSERT_TRUE(cut && cut->exit_code == 0);
  auto r = RunCommand({TtscBinary(), "--socket", d.socket_path(), "say", "--ref", clip, "--ref", ref_, "--ref-text",
                       "Hello.", "-o", dir_.path() + "/y.wav", "Hello."});
  ASSERT_TRUE(r);
  EXPECT_NE(r->exit_code, 0);
  EXPECT_NE(r->out.find("3-10 s"), std::string::npos) << r->out;
}

#endif

}  // namespace
}  // namespace ttsd::testing
