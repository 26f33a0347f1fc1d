// ttsc's voice commands and style options against the real ttsd with fixture-style, with real WAV
// files (stereo, 44.1 kHz): what it prints, what it writes, its exit codes, and the checks it makes
// before it connects.
#include <sndfile.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "support/audio-files.h"
#include "support/daemon-process.h"

namespace ttsd::testing {
namespace {

struct Outcome {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<float> ReadWav(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return {};
  std::vector<float> samples(static_cast<size_t>(info.frames));
  sf_readf_float(f, samples.data(), info.frames);
  sf_close(f);
  return samples;
}

double Difference(const std::vector<float>& a, const std::vector<float>& b) {
  double d = std::abs(static_cast<double>(a.size()) - static_cast<double>(b.size()));
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d += std::abs(a[i] - b[i]);
  return d;
}

class TtscStyle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    files_ = new TempDir;
    const std::string d = files_->path();
    WriteFile(d + "/low.wav", AudioFileBytes(SpeechLike(4.0, 44100, 110), 44100, 2));
    WriteFile(d + "/high.wav", AudioFileBytes(SpeechLike(3.0, 44100, 220, 5), 44100, 2));
    WriteFile(d + "/noise.wav", AudioFileBytes(Noise(2.0, 44100, 0.4f), 44100, 2));
    WriteFile(d + "/silence.wav", AudioFileBytes(Silence(4.0, 44100), 44100, 2));
    WriteFile(d + "/one-second.wav", AudioFileBytes(SpeechLike(1.0, 44100), 44100, 2));
    WriteFile(d + "/twenty-seconds.wav", AudioFileBytes(SpeechLike(20.0, 44100), 44100, 2));
    WriteFile(d + "/notes.txt", BytesOf("Remember to buy milk.\n"));
    daemon_ = new DaemonProcess({"--voice-store", d + "/store"});
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete files_;
  }

  // ttsc ARGS (a shell command line tail) against the suite's daemon.
  Outcome Ttsc(const std::string& args, const std::string& socket = "") const {
    const std::string out = tmp_.path() + "/out", err = tmp_.path() + "/err";
    const std::string command = "cd " + files_->path() + " && " + TtscBinary() + " --socket " +
                                (socket.empty() ? daemon_->socket_path() : socket) + " " + args + " >" + out +
                                " 2>" + err;
    int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
  }
  std::string Wav(const std::string& name) const { return tmp_.path() + "/" + name + ".wav"; }

  static TempDir* files_;
  static DaemonProcess* daemon_;
  TempDir tmp_;
};
TempDir* TtscStyle::files_ = nullptr;
DaemonProcess* TtscStyle::daemon_ = nullptr;

const std::string kSay = "say --voice fixture-style ";
const std::string kText = " 'Hello there, how are you today?'";

TEST_F(TtscStyle, VoiceAddListSpeakReplaceRemove) {
  auto add = Ttsc("voice add anna low.wav high.wav --voice fixture-style");
  ASSERT_EQ(add.code, 0) << add.err;
  EXPECT_NE(add.out.find("saved voice anna (from fixture-style, 2 recordings, 7.0 s)"), std::string::npos) << add.out;

  auto ls = Ttsc("voice ls");
  ASSERT_EQ(ls.code, 0) << ls.err;
  EXPECT_NE(ls.out.find("anna"), std::string::npos);
  EXPECT_NE(ls.out.find("fixture-style"), std::string::npos);
  auto json = nlohmann::json::parse(Ttsc("voice ls --json").out);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["name"], "anna");
  EXPECT_EQ(json[0]["references"], 2);
  EXPECT_NE(Ttsc("voices --json").out.find("\"saved\""), std::string::npos);

  ASSERT_EQ(Ttsc("say --voice anna -o " + Wav("anna") + kText).code, 0);
  ASSERT_EQ(Ttsc(kSay + "--ref low.wav --ref high.wav -o " + Wav("oneoff") + kText).code, 0);
  EXPECT_LT(Difference(ReadWav(Wav("anna")), ReadWav(Wav("oneoff"))), 1e-3);  // the same speaker

  auto exists = Ttsc("voice add anna high.wav --voice fixture-style");
  EXPECT_EQ(exists.code, 1);
  EXPECT_NE(exists.err.find("voice_exists"), std::string::npos) << exists.err;
  ASSERT_EQ(Ttsc("voice add anna high.wav noise.wav --voice fixture-style --replace").code, 0);
  ASSERT_EQ(Ttsc("say --voice anna -o " + Wav("replaced") + kText).code, 0);
  EXPECT_GT(Difference(ReadWav(Wav("anna")), ReadWav(Wav("replaced"))), 1.0);

  auto rm = Ttsc("voice rm anna");
  ASSERT_EQ(rm.code, 0) << rm.err;
  EXPECT_NE(rm.out.find("removed voice anna"), std::string::npos);
  auto again = Ttsc("voice rm anna");
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("unknown_voice"), std::string::npos);
  EXPECT_NE(Ttsc("voice ls").out.find("no saved voices"), std::string::npos);
}

TEST_F(TtscStyle, ASavedVoiceSurvivesADaemonRestart) {
  TempDir store;
  std::vector<float> before;
  {
    DaemonProcess first({"--voice-store", store.path()});
    ASSERT_EQ(Ttsc("voice add bea low.wav --voice fixture-style", first.socket_path()).code, 0);
    ASSERT_EQ(Ttsc("say --voice bea -o " + Wav("before") + kText, first.socket_path()).code, 0);
    before = ReadWav(Wav("before"));
  }
  DaemonProcess second({"--voice-store", store.path()});
  EXPECT_NE(Ttsc("voice ls", second.socket_path()).out.find("bea"), std::string::npos);
  auto say = Ttsc("say --voice bea -o " + Wav("after") + kText, second.socket_path());
  ASSERT_EQ(say.code, 0) << say.err;
  EXPECT_LT(Difference(before, ReadWav(Wav("after"))), 1e-3);
}

TEST_F(TtscStyle, DurationGivesThatLength) {
  for (auto [flag, seconds] : {std::pair{"2s", 2.0}, std::pair{"1500ms", 1.5}, std::pair{"3", 3.0}}) {
    auto r = Ttsc(kSay + "--duration " + flag + " -o " + Wav("d") + kText);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NEAR(ReadWav(Wav("d")).size() / 16000.0, seconds, 0.03 * seconds) << flag;
  }
}

TEST_F(TtscStyle, EmotionOptionsChangeTheAudio) {
  ASSERT_EQ(Ttsc(kSay + "-o " + Wav("plain") + kText).code, 0);
  const auto plain = ReadWav(Wav("plain"));
  for (const std::string& flags :
       {std::string("--emotion angry=0.8,sad=0.2"), std::string("--emotion-text 'angrily, voice trembling'"),
        std::string("--emotion calm=1 --emotion-alpha 0.7"), std::string("--emotion-ref noise.wav"),
        std::string("--ref low.wav --emotion happy=1 --duration 2s")}) {
    auto r = Ttsc(kSay + flags + " -o " + Wav("styled") + kText);
    ASSERT_EQ(r.code, 0) << flags << ": " << r.err;
    EXPECT_GT(Difference(plain, ReadWav(Wav("styled"))), 1.0) << flags;
  }
}

TEST_F(TtscStyle, BadRecordingsAreReportedAndTheDaemonCarriesOn) {
  struct Case {
    std::string flags, expected;
  };
  for (const Case& c : {Case{"--ref notes.txt", "bad_audio: reference 1: not an audio file"},
                        Case{"--ref silence.wav", "silent"},
                        Case{"--ref one-second.wav", "at least 3 s"},
                        Case{"--ref twenty-seconds.wav", "at most 15 s"},
                        Case{"--emotion-ref notes.txt", "emotion reference: not an audio file"}}) {
    auto r = Ttsc(kSay + c.flags + " -o " + Wav("bad") + kText);
    EXPECT_EQ(r.code, 1) << c.flags;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.flags << ": " << r.err;
    ASSERT_EQ(Ttsc("say -o " + Wav("fine") + " 'Still fine.'").code, 0) << c.flags;
  }
  auto no_encoder = Ttsc("say --voice fixture-ar --ref low.wav -o " + Wav("bad") + kText);
  EXPECT_EQ(no_encoder.code, 1);
  EXPECT_NE(no_encoder.err.find("not_supported: voice 'fixture-ar' cannot clone"), std::string::npos) << no_encoder.err;
  auto add = Ttsc("voice add carol silence.wav --voice fixture-style");
  EXPECT_EQ(add.code, 1);
  EXPECT_NE(add.err.find("silent"), std::string::npos) << add.err;
}

TEST_F(TtscStyle, OptionsAreCheckedBeforeConnecting) {
  const std::string nowhere = tmp_.path() + "/no-daemon.sock";  // exit 3 would mean it tried to connect
  struct Case {
    std::string args, expected;
  };
  for (const Case& c : {Case{kSay + "--emotion angri=0.5" + kText, "unknown emotion 'angri'"},
                        Case{kSay + "--emotion angry=1.5" + kText, "from 0 to 1"},
                        Case{kSay + "--emotion angry" + kText, "AXIS=VALUE"},
                        Case{kSay + "--ref missing.wav" + kText, "missing.wav: No such file or directory"},
                        Case{kSay + "--emotion-ref missing.wav" + kText, "missing.wav"},
                        Case{kSay + "--duration 0" + kText, "more than 0"},
                        Case{kSay + "--duration 8x" + kText, "not a number of seconds"},
                        Case{kSay + "--duration 2s --stdin", "drop --stdin"},
                        Case{kSay + "--emotion-alpha 1.5" + kText, "emotion-alpha"},
                        Case{"voice add ../evil low.wav", "cannot be a voice name"},
                        Case{"voice add dan missing.wav", "missing.wav"},
                        Case{"voice add dan", "files is required"},
                        Case{kSay + "--ref-text 'Hello there.'" + kText, "give --ref"},
                        Case{kSay + "--top-k 0" + kText, "top-k"},
                        Case{kSay + "--top-k 1025" + kText, "top-k"},
                        Case{kSay + "--seed -1" + kText, "seed"},
                        Case{kSay + "--top-p 1.5" + kText, "top-p"},
                        Case{kSay + "--temperature 5" + kText, "temperature"},
                        Case{kSay + "--temperature 0.001" + kText, "temperature"},
                        Case{kSay + "--repetition-penalty 0.5" + kText, "repetition-penalty"},
                        Case{"voice add dan low.wav --ref-text '" + std::string(1001, 'x') + "'", "longer than 1000"}}) {
    auto r = Ttsc(c.args, nowhere);
    EXPECT_EQ(r.code, 2) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.args << ": " << r.err;
  }
}

}  // namespace
}  // namespace ttsd::testing
