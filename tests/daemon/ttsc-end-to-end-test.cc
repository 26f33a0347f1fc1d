// ttsd and ttsc together, as a user runs them: real daemon, real client binary, real files.
#include <sndfile.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon-process.h"

namespace ttsd::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a shell command line; returns its exit status.
int Shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<float> ReadWav(const std::string& path, int* rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return {};
  std::vector<float> samples(static_cast<size_t>(info.frames));
  sf_readf_float(f, samples.data(), info.frames);
  sf_close(f);
  *rate = info.samplerate;
  return samples;
}

class TtscEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new DaemonProcess(); }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  std::string Ttsc() const { return TtscBinary() + " --socket " + daemon_->socket_path(); }
  static DaemonProcess* daemon_;
  TempDir tmp_;
};
DaemonProcess* TtscEndToEnd::daemon_ = nullptr;

TEST_F(TtscEndToEnd, SayWritesAWavInSeveralChunksWithStats) {
  const std::string wav = tmp_.path() + "/x.wav", err = tmp_.path() + "/err";
  ASSERT_EQ(Shell(Ttsc() + " say --stats -o " + wav + " 'Hello there. This sentence is spoken in chunks.' 2>" + err), 0)
      << ReadFile(err);
  auto stats = nlohmann::json::parse(ReadFile(err));
  EXPECT_GT(stats["chunks"].get<int>(), 3);
  EXPECT_GT(stats["ttfa_ms"].get<double>(), 0);
  EXPECT_LT(stats["ttfa_ms"].get<double>(), stats["wall_s"].get<double>() * 1000);
  int rate = 0;
  auto samples = ReadWav(wav, &rate);
  EXPECT_EQ(rate, 16000);
  EXPECT_NEAR(samples.size() / 16000.0, stats["audio_s"].get<double>(), 0.001);

  // The same request over the raw protocol gives the same samples.
  RawClient c(daemon_->socket_path());
  c.Handshake();
  protocol::SynthesizeRequest r;
  r.text = "Hello there. This sentence is spoken in chunks.";
  c.Synthesize(1, r);
  auto raw = CollectRequest(c, 1);
  ASSERT_EQ(raw.samples.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) ASSERT_NEAR(raw.samples[i], samples[i], 1.0 / 32768);
}

TEST_F(TtscEndToEnd, StdinStreamsOneRequestAsTextArrives) {
  const std::string out = tmp_.path() + "/out.raw", err = tmp_.path() + "/err";
  // Text trickles in like an LLM's output; ttsc must keep one request open and close it at EOF.
  const std::string writer =
      "(printf 'The first sentence arrives. '; sleep 0.3; printf 'Then a second one'; sleep 0.3; printf ' ends it.')";
  ASSERT_EQ(Shell(writer + " | " + Ttsc() + " say --stdin --stats -o - >" + out + " 2>" + err), 0) << ReadFile(err);
  auto stats = nlohmann::json::parse(ReadFile(err));
  const std::string pcm = ReadFile(out);
  EXPECT_EQ(pcm.size(), static_cast<size_t>(stats["samples"].get<int>()) * 2);
  // Same audio as the whole text in one request.
  RawClient c(daemon_->socket_path());
  c.Handshake();
  protocol::SynthesizeRequest r;
  r.text = "The first sentence arrives. Then a second one ends it.";
  c.Synthesize(1, r);
  auto whole = CollectRequest(c, 1);
  EXPECT_EQ(whole.samples.size() * 2, pcm.size());
}

TEST_F(TtscEndToEnd, VoicesListsEveryFixture) {
  const std::string out = tmp_.path() + "/out";
  ASSERT_EQ(Shell(Ttsc() + " voices --json >" + out), 0);
  auto voices = nlohmann::json::parse(ReadFile(out));
  EXPECT_EQ(voices["default_voice"], "fixture-ar");
  EXPECT_EQ(voices["voices"].size(), 3u);  // fixture-ar, fixture-stream, fixture-style
}

TEST_F(TtscEndToEnd, UnknownVoiceExitsOneWithTheErrorName) {
  const std::string err = tmp_.path() + "/err";
  EXPECT_EQ(Shell(Ttsc() + " say --voice nobody -o " + tmp_.path() + "/x.wav hi 2>" + err), 1);
  EXPECT_NE(ReadFile(err).find("unknown_voice"), std::string::npos) << ReadFile(err);
}

TEST_F(TtscEndToEnd, ListenHearsWhatIsSaidOnTheChannel) {
  const std::string wav = tmp_.path() + "/listen.wav", err = tmp_.path() + "/err";
  // ttsc listen runs until interrupted; start it in the background and stop it with SIGINT.
  const std::string listen = Ttsc() + " listen --channel stream -o " + wav + " 2>" + tmp_.path() + "/listen.err & echo $! > " +
                             tmp_.path() + "/pid";
  ASSERT_EQ(Shell(listen), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(Shell(Ttsc() + " say --channel stream --stats 'Hello chat, welcome to the stream.' 2>" + err), 0)
      << ReadFile(err);
  auto stats = nlohmann::json::parse(ReadFile(err));
  const double audio_s = stats["audio_s"].get<double>();
  // Waited while it played.
  EXPECT_GE(stats["wall_s"].get<double>(), audio_s - 0.3);
  EXPECT_LE(stats["wall_s"].get<double>(), audio_s + kPlayoutLateS);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string pid = ReadFile(tmp_.path() + "/pid");
  pid.erase(pid.find_last_not_of(" \n") + 1);
  ASSERT_EQ(Shell("kill -INT " + pid + " && while kill -0 " + pid + " 2>/dev/null; do sleep 0.05; done"), 0);
  int rate = 0;
  auto samples = ReadWav(wav, &rate);
  EXPECT_EQ(rate, 48000);
  size_t first = samples.size(), last = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (std::abs(samples[i]) > 1e-3f) {
      first = std::min(first, i);
      last = i;
    }
  }
  ASSERT_LT(first, last);
  EXPECT_NEAR((last - first) / 48000.0, audio_s, 0.3);
  EXPECT_GT(samples.size() / 48000.0, audio_s + 0.3);  // silence around it: one continuous stream
}

TEST(DaemonConfigFile, FlagsOverrideTheTomlFile) {
  TempDir home;
  std::filesystem::create_directories(home.path() + "/ttsd");
  std::ofstream(home.path() + "/ttsd/ttsd.toml") << "voices = [\"" << FixturesDir() << "\"]\n"
                                                 << "workers = 3\nchunk-frames = 12\njit-fusion = true\n";
  const std::string out = home.path() + "/out";
  ASSERT_EQ(Shell("XDG_CONFIG_HOME=" + home.path() + " " + TtsdBinary() +
                  " --socket /tmp/unused.sock --workers 1 --print-config >" + out),
            0);
  const std::string config = ReadFile(out);
  EXPECT_NE(config.find("workers=1"), std::string::npos) << config;
  EXPECT_NE(config.find("chunk_frames=12"), std::string::npos) << config;
  EXPECT_NE(config.find("jit_fusion=on"), std::string::npos) << config;
  EXPECT_NE(config.find("voices=" + FixturesDir()), std::string::npos) << config;
  // A bad value in the file is a clear startup error.
  std::ofstream(home.path() + "/ttsd/ttsd.toml") << "voices = [\"x\"]\nthreads = 0\n";
  EXPECT_EQ(Shell("XDG_CONFIG_HOME=" + home.path() + " " + TtsdBinary() + " --socket /tmp/unused.sock --print-config 2>" +
                  out),
            2);
  EXPECT_NE(ReadFile(out).find("threads"), std::string::npos) << ReadFile(out);
}

}  // namespace
}  // namespace ttsd::testing
