// `ttsc say --play` end to end on a headless machine: the real ttsd with the fixture voices, a private
// PulseAudio server, ttsc playing into the null sink "vmic" while parec records its monitor. The recording
// must be the synthesized speech (the same text written with -o, resampled to 48 kHz): its duration, its
// energy, a normalized cross-correlation peak of at least 0.8, and its last 100 ms (the tail a careless
// Pa_StopStream loses). Also: `ttsc devices`, and the errors with no sound server or a wrong device name.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "audio/pulse-fixture.h"

namespace ttsd::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kText = "Hello there. This sentence is spoken in chunks, and then another one follows it.";
constexpr const char* kShortText = "Short and sweet, with a comma.";
// A sanitized ttsd speaks the fixture voice at about 0.7 of real time, so playing as it arrives would
// stutter; there ttsc buffers the whole utterance first (--prefill) and the rest of the path is the same.
const std::vector<std::string> kPrefill = kSanitized ? std::vector<std::string>{"--prefill", "8000"}
                                                     : std::vector<std::string>{};
constexpr double kPrefillMs = kSanitized ? 8000 : 50;

class PlaybackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pulse_ = new PulseServer();
    pulse_ok_ = pulse_->Start();
    daemon_ = new DaemonProcess();
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete pulse_;
    daemon_ = nullptr;
    pulse_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(pulse_ok_) << "the PulseAudio server did not start"; }

  std::vector<std::string> Ttsc(std::vector<std::string> args) const {
    args.insert(args.begin(), {TtscBinary(), "--socket", daemon_->socket_path()});
    return args;
  }

  // The reference: the same request written to a WAV file, at 48 kHz.
  std::vector<float> Reference(const std::vector<std::string>& say_args, double* audio_s) {
    const std::string wav = tmp_.path() + "/ref.wav";
    std::vector<std::string> args = {"say", "-o", wav};
    args.insert(args.end(), say_args.begin(), say_args.end());
    RunResult r = RunProgram(Ttsc(args), pulse_->Env());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    int rate = 0;
    auto samples = ReadWavMono(wav, &rate);
    *audio_s = rate ? static_cast<double>(samples.size()) / rate : 0;
    return ResampleTo48k(samples, static_cast<uint32_t>(rate));
  }

  // Plays with ttsc while recording vmic's monitor; returns the recording and ttsc's --stats line.
  std::vector<float> PlayAndRecord(const std::vector<std::string>& say_args, const std::vector<std::string>& env_extra,
                                   nlohmann::json* stats) {
    Recorder rec(*pulse_, "vmic.monitor");
    EXPECT_TRUE(rec.WaitForData()) << "parec recorded nothing; pulseaudio log:\n" << pulse_->Log();
    std::vector<std::string> args = {"say", "--stats"};
    args.insert(args.end(), say_args.begin(), say_args.end());
    RunResult r = RunProgram(Ttsc(args), pulse_->Env(env_extra));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::this_thread::sleep_for(200ms);  // parec's own latency
    auto recording = rec.Stop();
    const auto line = r.err.substr(0, r.err.find('\n'));
    *stats = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(stats->is_discarded()) << "no --stats line in: " << r.err;
    return recording;
  }

  // The assertions on a recording of ref.
  static void ExpectRecordingMatches(const std::vector<float>& rec, const std::vector<float>& ref) {
    ASSERT_GT(ref.size(), kSinkRateHz / 2) << "the reference is too short to judge";
    ASSERT_GT(rec.size(), ref.size()) << "the recording is shorter than the speech";
    const double ref_rms = Rms(ref.data(), ref.size());
    ASSERT_GT(ref_rms, 0.005) << "the reference is (nearly) silent";

    // Duration: the audible part of the recording is as long as the speech's.
    const auto [ref_begin, ref_end] = AudibleExtent(ref, 0.1 * ref_rms);
    const auto [rec_begin, rec_end] = AudibleExtent(rec, 0.1 * ref_rms);
    const double ref_dur = static_cast<double>(ref_end - ref_begin) / kSinkRateHz;
    const double rec_dur = static_cast<double>(rec_end - rec_begin) / kSinkRateHz;
    EXPECT_NEAR(rec_dur, ref_dur, 0.04) << "audible " << rec_dur << " s of " << ref_dur << " s";

    // It is the speech: the correlation peak.
    const Alignment a = Align(rec, ref);
    EXPECT_GE(a.ncc, 0.8) << "lag " << a.lag;
    ASSERT_GE(a.lag, 0);
    ASSERT_LE(static_cast<size_t>(a.lag) + ref.size(), rec.size()) << "the recording ends before the speech does";

    // Energy: well above silence, and as loud as the speech.
    const double rec_rms = Rms(rec.data() + a.lag, ref.size());
    EXPECT_GT(rec_rms, 0.5 * ref_rms);
    EXPECT_LT(rec_rms, 1.5 * ref_rms);
    // Before it (leaving 20 ms for the resamplers' filters and the alignment's slack): silence.
    const size_t quiet = static_cast<size_t>(std::max<long>(a.lag - static_cast<long>(kSinkRateHz / 50), 0));
    EXPECT_LT(Rms(rec.data(), quiet), 0.01 * ref_rms) << "noise before the speech: lag " << a.lag
                                                      << ", audible from " << rec_begin;

    // The head: the speech's first 50 ms are there too (a stream's first device buffer can be lost).
    const size_t head = kSinkRateHz / 20;
    const auto [head_from, head_to] = AudibleExtent(ref, 0.1 * ref_rms);
    (void)head_to;
    const double head_ref_rms = Rms(ref.data() + head_from, head);
    EXPECT_GE(Ncc(rec, a.lag + static_cast<long>(head_from), ref.data() + head_from, head), 0.8)
        << "the first 50 ms are missing or damaged";
    EXPECT_GT(Rms(rec.data() + a.lag + head_from, head), 0.5 * head_ref_rms) << "the first 50 ms are missing";

    // The tail: the speech's last 100 ms are in the recording.
    const size_t tail = kSinkRateHz / 10;
    const float* ref_tail = ref.data() + ref.size() - tail;
    const long rec_tail = a.lag + static_cast<long>(ref.size() - tail);
    const double tail_ref_rms = Rms(ref_tail, tail);
    ASSERT_GT(tail_ref_rms, 0.1 * ref_rms) << "the text's last 100 ms are silence: pick another text";
    EXPECT_GE(Ncc(rec, rec_tail, ref_tail, tail), 0.8) << "the last 100 ms are missing or damaged";
    EXPECT_GT(Rms(rec.data() + rec_tail, tail), 0.5 * tail_ref_rms) << "the last 100 ms are missing";
  }

  static PulseServer* pulse_;
  static bool pulse_ok_;
  static DaemonProcess* daemon_;
  TempDir tmp_;
};
PulseServer* PlaybackTest::pulse_ = nullptr;
bool PlaybackTest::pulse_ok_ = false;
DaemonProcess* PlaybackTest::daemon_ = nullptr;

TEST_F(PlaybackTest, PlaysSpeechIntoTheNamedSinkWithItsTailAndNoUnderruns) {
  double audio_s = 0;
  const auto ref = Reference({kText}, &audio_s);
  nlohmann::json stats;
  std::vector<std::string> args = {"--play", "--device", "vmic", kText};
  args.insert(args.end(), kPrefill.begin(), kPrefill.end());
  const auto rec = PlayAndRecord(args, {}, &stats);
  ExpectRecordingMatches(rec, ref);
  ASSERT_TRUE(stats.is_object());
  EXPECT_EQ(stats["status"], "ok");
  EXPECT_EQ(stats["underruns"], 0) << stats.dump();
  EXPECT_NEAR(stats["played_s"].get<double>(), audio_s, 0.001);
  EXPECT_NEAR(stats["audio_s"].get<double>(), audio_s, 0.001);
  EXPECT_EQ(stats["prefill_ms"], kPrefillMs);
}

// No --play and no -o: playback is the default. PULSE_SINK picks the sink by name (the default sink is
// "speakers"); f32le takes the float path through PortAudio.
TEST_F(PlaybackTest, PlaysByDefaultIntoThePulseSinkTheEnvironmentNames) {
  double audio_s = 0;
  const auto ref = Reference({"--format", "f32le", kShortText}, &audio_s);
  nlohmann::json stats;
  std::vector<std::string> args = {"--format", "f32le", kShortText};
  args.insert(args.end(), kPrefill.begin(), kPrefill.end());
  const auto rec = PlayAndRecord(args, {"PULSE_SINK=vmic"}, &stats);
  ExpectRecordingMatches(rec, ref);
  EXPECT_EQ(stats["underruns"], 0) << stats.dump();
}

TEST_F(PlaybackTest, DevicesListsTheOutputsWhileTheServerRuns) {
  RunResult r = RunProgram({TtscBinary(), "devices"}, pulse_->Env());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pulse"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ALSA"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* "), std::string::npos) << "no default marked: " << r.out;
  EXPECT_EQ(r.err, "") << "PortAudio's probing noise leaked to stderr";
}

TEST_F(PlaybackTest, NoSoundServerIsAClearErrorForSayAndDevices) {
  RunResult say = RunProgram(Ttsc({"say", "--play", "Hello."}), pulse_->NoServerEnv());
  EXPECT_EQ(say.exit_code, 1) << say.err;
  EXPECT_NE(say.err.find("no audio output device"), std::string::npos) << say.err;
  EXPECT_NE(say.err.find("pactl info"), std::string::npos) << "no hint at the sound server: " << say.err;
  EXPECT_EQ(say.err.find("ALSA lib"), std::string::npos) << "ALSA noise leaked: " << say.err;

  RunResult devices = RunProgram({TtscBinary(), "devices"}, pulse_->NoServerEnv());
  EXPECT_EQ(devices.exit_code, 1);
  EXPECT_NE(devices.err.find("no audio output devices"), std::string::npos) << devices.err;
}

TEST_F(PlaybackTest, AnUnknownDeviceNameListsTheDevices) {
  RunResult r = RunProgram(Ttsc({"say", "--device", "no-such-sink", "Hello."}), pulse_->Env());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no audio output device matches 'no-such-sink'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'pulse'"), std::string::npos) << "the available devices are not listed: " << r.err;
}

TEST_F(PlaybackTest, PlayAndAFileAreExclusive) {
  for (std::vector<std::string> args : {std::vector<std::string>{"say", "--play", "-o", "x.wav", "hi"},
                                        {"say", "-o", "x.wav", "--device", "vmic", "hi"}}) {
    RunResult r = RunProgram(Ttsc(args), pulse_->Env());
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << ": " << r.err;
  }
}

}  // namespace
}  // namespace ttsd::testing
