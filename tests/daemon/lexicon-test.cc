// The user lexicon in the real ttsd: loaded at start (a bad one is fatal), re-read on SIGHUP (a
// bad one is logged and the old one stays). The fixture voices have random weights, so the
// lexicon's effect is seen in the audio's length: a word of 2 phones against one of 24.
#include <gtest/gtest.h>

#include "support/daemon-process.h"

namespace ttsd::testing {
namespace {

constexpr const char* kShort = "zorblax z ao1\n";
constexpr const char* kLong =
    "# a made-up word, read long\n"
    "Zorblax  z ao1 r b l ae1 k s z ao1 r b l ae1 k s z ao1 r b l ae1 k s\n";

void Write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

// Samples of the speech for text, or -1 if the request failed.
long Speak(DaemonProcess& d, const std::string& text) {
  RawClient c(d.socket_path());
  c.Handshake();
  protocol::SynthesizeRequest request;
  request.text = text;
  c.Synthesize(1, request);
  const RequestResult r = CollectRequest(c, 1);
  if (r.error || !r.last) {
    ADD_FAILURE() << "request failed: " << (r.error ? r.error->message : "no last chunk") << "\n" << d.Log();
    return -1;
  }
  return static_cast<long>(r.samples.size());
}

TEST(Lexicon, SighupRereadsTheFileAndABrokenOneKeepsTheOld) {
  TempDir dir;
  const std::string path = dir.path() + "/lexicon.txt";
  Write(path, kShort);
  DaemonProcess d({"--lexicon", path});
  ASSERT_TRUE(d.WaitForLog("lexicon " + path + ": 1 entries")) << d.Log();
  const long short_samples = Speak(d, "Zorblax.");

  Write(path, kLong);
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("lexicon reloaded: 1 entries")) << d.Log();
  const long long_samples = Speak(d, "Zorblax.");
  EXPECT_GT(long_samples, 3 * short_samples) << "2 phones: " << short_samples << ", 24 phones: " << long_samples;

  Write(path, "zorblax z ao1\nbroken \xCA\x80\xCA\x80\n");
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("lexicon not reloaded")) << d.Log();
  EXPECT_NE(d.Log().find(path + ":2: unknown phone symbol"), std::string::npos) << d.Log();
  EXPECT_EQ(Speak(d, "Zorblax."), long_samples);  // the old lexicon is still in effect
  EXPECT_FALSE(d.Exited());

  std::filesystem::remove(path);  // a missing file is an error too; still serving
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("cannot read lexicon " + path)) << d.Log();
  EXPECT_EQ(Speak(d, "Zorblax."), long_samples);
  EXPECT_EQ(d.Stop(), 0) << d.Log();
}

TEST(Lexicon, SighupWithoutALexiconIsHarmless) {
  DaemonProcess d;
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ASSERT_TRUE(d.WaitForLog("no lexicon configured")) << d.Log();
  EXPECT_GT(Speak(d, "Still here."), 0);
  EXPECT_EQ(d.Stop(), 0);
}

TEST(Lexicon, ABadFileAtStartIsAFatalConfigurationError) {
  TempDir dir;
  const std::string path = dir.path() + "/lexicon.txt";
  Write(path, "good g uh1 d\nnophones\n");
  DaemonProcess d({"--lexicon", path}, {}, /*wait_ready=*/false);
  for (int i = 0; i < 600 && !d.Exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(d.Exited());
  EXPECT_TRUE(WIFEXITED(d.exit_status()) && WEXITSTATUS(d.exit_status()) == 2) << d.Log();
  EXPECT_NE(d.Log().find("bad configuration: " + path + ":2: 'nophones' has no phones"), std::string::npos)
      << d.Log();
}

TEST(Lexicon, MarkupAndChineseReachTheVoice) {
  DaemonProcess d;
  EXPECT_GT(Speak(d, "Say [[h \xC9\x99 l o\xCA\x8A]]."), 0);
  EXPECT_GT(Speak(d, "\xE8\xBF\x99\xE6\x98\xAF\xE9\x87\x8D(ch\xC3\xB3ng)\xE8\xA6\x81\xE7\x9A\x84\xE3\x80\x82"), 0);
  RawClient c(d.socket_path());
  c.Handshake();
  protocol::SynthesizeRequest request;
  request.text = "Say [[h \xCA\x80]].";
  c.Synthesize(1, request);
  const RequestResult r = CollectRequest(c, 1);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kUnsupportedText);
  EXPECT_NE(r.error->message.find("unknown phone symbol '\xCA\x80'"), std::string::npos) << r.error->message;
}

}  // namespace
}  // namespace ttsd::testing
