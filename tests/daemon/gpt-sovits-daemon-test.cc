// A GPT-SoVITS voice package in the real ttsd: on libtorch 2.x ttsd lists it and ttsc speaks with it
// (32 kHz, sentences streamed in several chunks); on Debian's libtorch 1.13 ttsd refuses to start,
// saying which libtorch the voice needs.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <torch/version.h>

#include <string>

#include "support/daemon-process.h"
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

#endif

}  // namespace
}  // namespace ttsd::testing
