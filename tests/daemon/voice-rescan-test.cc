// Voices added, replaced and removed while ttsd runs (issue 17: a fine-tuned voice is heard without
// a restart): SIGHUP re-scans the voice directories. A package copied in is served, a rewritten
// voice.json reloads it, a deleted package is no longer served (a request naming it gets
// unknown_voice), and a broken or clashing package is logged while everything else keeps serving.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/daemon-process.h"

namespace ttsd::testing {
namespace {

namespace fs = std::filesystem;

// A copy of the fixture voice fixture-ar named `name` in dir/name.
void CopyVoice(const std::string& dir, const std::string& name, const std::string& description = "copy") {
  const fs::path to = fs::path(dir) / name;
  fs::copy(fs::path(FixturesDir()) / "fixture-ar", to, fs::copy_options::recursive);
  std::ifstream in(to / "voice.json");
  std::stringstream text;
  text << in.rdbuf();
  std::string json = std::regex_replace(text.str(), std::regex("\"name\": \"fixture-ar\""), "\"name\": \"" + name + "\"");
  json = std::regex_replace(json, std::regex("\"description\": \"[^\"]*\""), "\"description\": \"" + description + "\"");
  std::ofstream(to / "voice.json", std::ios::trunc) << json;
}

// The request's result for voice.
RequestResult Speak(DaemonProcess& d, const std::string& voice) {
  RawClient c(d.socket_path());
  c.Handshake();
  protocol::SynthesizeRequest request;
  request.voice = voice;
  request.text = "Hello there.";
  c.Synthesize(1, request);
  return CollectRequest(c, 1);
}

void Hangup(DaemonProcess& d, size_t* rescans) {
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  ++*rescans;
  // Wait for this rescan's summary line (one per SIGHUP here: each waits for the one before).
  for (int i = 0; i < 600; ++i) {
    const std::string log = d.Log();
    size_t count = 0;
    for (size_t at = log.find("voices rescanned:"); at != std::string::npos; at = log.find("voices rescanned:", at + 1)) {
      ++count;
    }
    if (count >= *rescans) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "no rescan summary\n" << d.Log();
}

TEST(VoiceRescan, SighupAddsReloadsAndRemovesPackages) {
  TempDir voices;
  DaemonProcess d({"--voices", voices.path()});
  size_t rescans = 0;
  ASSERT_EQ(Speak(d, "mine").error.value_or(protocol::ErrorBody{}).code, ErrorCode::kUnknownVoice);

  CopyVoice(voices.path(), "mine");
  Hangup(d, &rescans);
  EXPECT_NE(d.Log().find("voice 'mine' added"), std::string::npos) << d.Log();
  RequestResult r = Speak(d, "mine");
  EXPECT_FALSE(r.error) << r.error->message;
  EXPECT_TRUE(r.last);
  EXPECT_GT(r.samples.size(), 1000u);

  // Unchanged: nothing reloaded.
  Hangup(d, &rescans);
  EXPECT_NE(d.Log().find("voices rescanned: 0 added, 0 reloaded, 0 removed, 0 not loaded"), std::string::npos);

  // A rewritten package (a fine-tune's new epoch) is reloaded under its name.
  fs::remove_all(fs::path(voices.path()) / "mine");
  CopyVoice(voices.path(), "mine", "the second version, longer description");
  Hangup(d, &rescans);
  EXPECT_NE(d.Log().find("voice 'mine' reloaded"), std::string::npos) << d.Log();
  EXPECT_FALSE(Speak(d, "mine").error);

  // Broken and clashing packages are refused with the reason; what was served stays served.
  fs::create_directory(fs::path(voices.path()) / "broken");
  std::ofstream(fs::path(voices.path()) / "broken" / "voice.json") << "{ not json";
  CopyVoice(voices.path(), "fixture-ar");
  Hangup(d, &rescans);
  EXPECT_NE(d.Log().find("voice package not loaded: " + voices.path() + "/broken"), std::string::npos) << d.Log();
  EXPECT_NE(d.Log().find("another package is already named 'fixture-ar'"), std::string::npos) << d.Log();
  EXPECT_FALSE(Speak(d, "mine").error);
  EXPECT_FALSE(Speak(d, "fixture-ar").error);

  // Removed: no longer served.
  fs::remove_all(fs::path(voices.path()) / "mine");
  Hangup(d, &rescans);
  EXPECT_NE(d.Log().find("voice 'mine' removed"), std::string::npos) << d.Log();
  r = Speak(d, "mine");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kUnknownVoice);
  EXPECT_FALSE(d.Exited());
  EXPECT_EQ(d.Stop(), 0) << d.Log();
}

}  // namespace
}  // namespace ttsd::testing
