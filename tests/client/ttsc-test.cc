// The ttsc binary against a scripted server: what it writes, what it prints, its exit codes, Ctrl-C.
// ttsc is built before this binary (integration tests depend on ttsd and ttsc: tests/CMakeLists.txt).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sndfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "client/scripted-server.h"
#include "opus/opus-test-support.h"
#include "support/audio-files.h"
#include "ttsd/version.h"

extern char** environ;

namespace ttsd::testing {
namespace {

using protocol::FrameType;
using namespace std::chrono_literals;

struct Outcome {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out, err;
};

// ttsc running with pipes on stdin, stdout and stderr.
class Ttsc {
 public:
  explicit Ttsc(std::vector<std::string> args, std::vector<std::string> env = {}) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) ADD_FAILURE() << "pipe";
    args.insert(args.begin(), TtscBinary());
    // Everything the child needs is built before fork: after it, only async-signal-safe calls.
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) envp.push_back(*e);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_ = in[1];
    out_reader_ = std::thread([this, fd = out[0]] { Drain(fd, &outcome_.out); });
    err_reader_ = std::thread([this, fd = err[0]] { Drain(fd, &outcome_.err); });
  }

  ~Ttsc() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
  }

  void WriteStdin(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = write(stdin_, s.data(), s.size());
      if (n <= 0) return;
      s.remove_prefix(static_cast<size_t>(n));
    }
  }
  void CloseStdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }
  void Signal(int sig) { kill(pid_, sig); }

  // Waits for exit (killing it after timeout) and returns what it did.
  Outcome Wait(std::chrono::milliseconds timeout = 20s) {
    CloseStdin();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (pid_ > 0) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "ttsc did not exit in time";
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(5ms);
    }
    pid_ = -1;
    if (out_reader_.joinable()) out_reader_.join();
    if (err_reader_.joinable()) err_reader_.join();
    outcome_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return outcome_;
  }

 private:
  static void Drain(int fd, std::string* into) {
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      into->append(buf, static_cast<size_t>(n));
    }
    close(fd);
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  Outcome outcome_;
  std::thread out_reader_, err_reader_;
};

class TtscBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(TtscBinary())) << TtscBinary() << " is not built";
  }
};

std::vector<int16_t> ReadWavS16(const std::string& path, int* rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return {};
  std::vector<int16_t> out(static_cast<size_t>(info.frames * info.channels));
  sf_readf_short(f, out.data(), info.frames);
  sf_close(f);
  *rate = info.samplerate;
  return out;
}

std::vector<int16_t> Samples(size_t n, int seed) {
  std::vector<int16_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int16_t>((seed + i * 131) % 60000 - 30000);
  return v;
}

TEST_F(TtscBinaryTest, SayWritesWavAndPrintsStats) {
  const auto a = Samples(800, 1), b = Samples(1200, 2);
  std::optional<protocol::Hello> hello;
  std::optional<std::pair<uint32_t, protocol::SynthesizeRequest>> req;
  ScriptedServer server([&](ServerPeer& p) {
    hello = p.Handshake();
    req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendAccepted(req->first, 16000);
    uint64_t o = 0;
    p.SendAudio(req->first, S16Pcm(a), &o, false);
    p.SendAudio(req->first, S16Pcm(b), &o, false);
    p.SendAudio(req->first, {}, &o, true);
  });
  TempDir dir;
  const std::string wav = dir.path() + "/hello.wav";
  Ttsc ttsc({"--socket", server.path(), "say", "--stats", "--voice", "v1", "--speed", "1.25", "-o", wav, "Hello",
             "there."});
  Outcome o = ttsc.Wait();
  server.Join();
  EXPECT_EQ(o.exit_code, 0) << o.err;
  ASSERT_TRUE(hello && req);
  EXPECT_EQ(hello->client, "ttsc/" TTSD_VERSION);
  EXPECT_EQ(req->second.text, "Hello there.");
  EXPECT_EQ(req->second.voice, "v1");
  EXPECT_TRUE(req->second.final);
  EXPECT_DOUBLE_EQ(req->second.speed, 1.25);
  int rate = 0;
  auto samples = ReadWavS16(wav, &rate);
  std::vector<int16_t> expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(rate, 16000);
  EXPECT_EQ(samples, expected);
  // One JSON line on stderr.
  EXPECT_EQ(o.err.find("{\"request_id\":"), 0u) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  EXPECT_NE(o.err.find("\"ttfa_ms\":"), std::string::npos);
  EXPECT_EQ(o.err.find("\"ttfa_ms\":null"), std::string::npos);
  EXPECT_NE(o.err.find("\"chunks\":3"), std::string::npos);
  EXPECT_NE(o.err.find("\"audio_s\":0.125"), std::string::npos) << o.err;
  EXPECT_TRUE(o.out.empty());
}

TEST_F(TtscBinaryTest, StdinStreamsIntoOneRequestAndRawPcmGoesToStdout) {
  const auto chunk = Samples(500, 3);
  std::string text;
  std::atomic<bool> got_first_text{false};
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    EXPECT_FALSE(req->second.final);
    EXPECT_EQ(req->second.sample_format, protocol::SampleFormat::kS16Le);
    p.SendAccepted(req->first, 8000);
    while (auto f = p.Read()) {
      EXPECT_EQ(f->header.type, FrameType::kText);
      text.append(f->payload.begin(), f->payload.end());
      got_first_text = true;
      if (f->header.flags & protocol::kFlagFinal) break;
    }
    uint64_t o = 0;
    p.SendAudio(req->first, S16Pcm(chunk), &o, true, 8000);
  });
  Ttsc ttsc({"say", "--stdin", "-o", "-"}, {"TTSD_SOCKET=" + server.path()});
  ttsc.WriteStdin("The first line\n");
  for (int i = 0; i < 500 && !got_first_text; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(got_first_text) << "text was not sent before end of input";
  ttsc.WriteStdin("and the rest.");
  Outcome o = ttsc.Wait();  // closes stdin
  server.Join();
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(text, "The first line\nand the rest.");
  EXPECT_EQ(o.out, std::string(reinterpret_cast<const char*>(S16Pcm(chunk).data()), chunk.size() * 2));
}

TEST_F(TtscBinaryTest, ServerErrorExitsOneWithItsName) {
  ScriptedServer server([](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendError(req->first, ErrorCode::kUnknownVoice, "no voice named 'zz'");
  });
  TempDir dir;
  Ttsc ttsc({"say", "--voice", "zz", "-o", dir.path() + "/x.wav", "hi", "--socket", server.path()});
  Outcome o = ttsc.Wait();
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.err, "ttsc: unknown_voice: no voice named 'zz'\n");
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/x.wav"));
}

TEST_F(TtscBinaryTest, NoDaemonExitsThree) {
  TempDir dir;
  Ttsc ttsc({"--socket", dir.path() + "/none.sock", "ping"});
  Outcome o = ttsc.Wait();
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_NE(o.err.find("is ttsd running?"), std::string::npos) << o.err;
}

TEST_F(TtscBinaryTest, VersionMismatchExitsThree) {
  ScriptedServer server([](ServerPeer& p) {
    p.Expect(FrameType::kHello);
    p.SendError(0, ErrorCode::kUnsupportedVersion, "server speaks 5..6");
  });
  Ttsc ttsc({"--socket", server.path(), "ping"});
  Outcome o = ttsc.Wait();
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_EQ(o.err, "ttsc: unsupported_version: server speaks 5..6\n");
}

TEST_F(TtscBinaryTest, UsageErrorsExitTwo) {
  for (std::vector<std::string> args : {std::vector<std::string>{},
                                        {"say", "--play", "-o", "x.wav", "hi"},  // two outputs
                                        {"say", "-o", "x.wav", "--device", "d", "hi"},  // --device without --play
                                        {"say", "-o", "x.wav", "--prefill", "300", "hi"},  // --prefill too
                                        {"say", "--prefill", "0", "hi"},     // out of range
                                        {"say", "-o", "x.wav"},              // no text
                                        {"say", "-o", "x.mp4", "hi"},        // unknown output
                                        {"say", "--format", "u8", "-o", "x.wav", "hi"},
                                        {"say", "--speed", "10", "-o", "x.wav", "hi"},
                                        {"frobnicate"},
                                        {"ping", "--no-such-flag"}}) {
    Ttsc ttsc(args);
    Outcome o = ttsc.Wait();
    EXPECT_EQ(o.exit_code, 2) << ::testing::PrintToString(args) << ": " << o.err;
    EXPECT_FALSE(o.err.empty());
  }
  Ttsc help({"say", "--help"});
  Outcome o = help.Wait();
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_NE(o.out.find("--stdin"), std::string::npos);
}

// ffmpeg's decoding of path as mono float at rate_hz.
std::vector<float> DecodeWithFfmpeg(const std::string& path, uint32_t rate_hz) {
  Child ff({"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", path, "-f", "f32le", "-ac", "1", "-ar",
            std::to_string(rate_hz), "pipe:1"});
  EXPECT_EQ(ff.Wait(30s), 0) << ff.CommandLine() << ": " << ff.Stderr() << " (./install-deps.sh --test installs ffmpeg)";
  return F32(ff.Stdout());
}

// The same speech through -o X.wav, -o X.mp3|.flac|.aac and mp3:-|flac:-|aac:- (stdout): ffmpeg decodes each
// compressed output to the WAV's audio, behind the codec's delay.
TEST_F(TtscBinaryTest, SayWritesMp3FlacAndAacToFilesAndStdout) {
  std::vector<int16_t> speech;
  for (float v : SpeechLike(1.5, 16000)) speech.push_back(static_cast<int16_t>(std::lround(v * 32767)));
  TempDir dir;
  // Runs ttsc say -o spec against a server that sends speech in 20 ms chunks.
  auto say = [&](const std::string& spec) {
    ScriptedServer server([&](ServerPeer& p) {
      p.Handshake();
      auto req = p.ExpectSynthesize();
      ASSERT_TRUE(req);
      p.SendAccepted(req->first, 16000);
      uint64_t o = 0;
      for (size_t at = 0; at < speech.size(); at += 320) {
        const std::vector<int16_t> chunk(speech.begin() + static_cast<long>(at),
                                         speech.begin() + static_cast<long>(std::min(at + 320, speech.size())));
        p.SendAudio(req->first, S16Pcm(chunk), &o, false);
      }
      p.SendAudio(req->first, {}, &o, true);
    });
    Ttsc ttsc({"--socket", server.path(), "say", "-o", spec, "Hello there."});
    Outcome o = ttsc.Wait();
    server.Join();
    EXPECT_EQ(o.exit_code, 0) << spec << ": " << o.err;
    return o;
  };
  say(dir.path() + "/ref.wav");
  int rate = 0;
  const auto wav = ReadWav(dir.path() + "/ref.wav", &rate);
  ASSERT_EQ(rate, 16000);
  ASSERT_EQ(wav.size(), speech.size());
  struct Format {
    std::string ext;
    long delay_samples;  // at 16 kHz (codec/'s encoder headers)
  };
  for (const Format& f : {Format{"mp3", 1105}, Format{"flac", 0}, Format{"aac", 1600}}) {
    for (bool to_stdout : {false, true}) {
      const std::string path = dir.path() + "/speech" + (to_stdout ? "-stdout." : ".") + f.ext;
      if (to_stdout) {
        Outcome o = say(f.ext + ":-");
        WriteFile(path, o.out);
      } else {
        EXPECT_TRUE(say(path).out.empty());
      }
      const std::string what = f.ext + (to_stdout ? " on stdout" : " file");
      ASSERT_TRUE(std::filesystem::exists(path)) << what;
      const auto decoded = DecodeWithFfmpeg(path, 16000);
      const auto match = BestMatch(decoded, wav, 0, 2000);
      std::printf("[ %s: %zu bytes, decoded %zu samples for %zu, lag %ld, NCC %.5f ]\n", what.c_str(),
                  std::filesystem::file_size(path), decoded.size(), wav.size(), match.lag, match.ncc);
      EXPECT_GT(Rms(decoded), 0.5 * Rms(wav)) << what;  // not silent
      EXPECT_NEAR(static_cast<double>(decoded.size()), static_cast<double>(wav.size() + f.delay_samples), 0.1 * 16000)
          << what;
      EXPECT_GE(match.ncc, 0.95) << what;
      EXPECT_EQ(match.lag, f.delay_samples) << what;
    }
  }
}

TEST_F(TtscBinaryTest, CompressedAudioIsNotForATerminal) {
  for (const std::string spec : {"mp3:-", "flac:-", "aac:-"}) {
    const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(master, 0);
    ASSERT_EQ(grantpt(master), 0);
    ASSERT_EQ(unlockpt(master), 0);
    const int tty = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(tty, 0);
    int err[2];
    ASSERT_EQ(pipe2(err, O_CLOEXEC), 0);
    std::string binary = TtscBinary();
    std::vector<std::string> args = {binary, "--socket", "/nonexistent/ttsd.sock", "say", "-o", spec, "hi"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      dup2(tty, 1);
      dup2(err[1], 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(tty);
    close(err[1]);
    std::string message;
    char buf[4096];
    for (ssize_t n; (n = read(err[0], buf, sizeof(buf))) > 0;) message.append(buf, static_cast<size_t>(n));
    close(err[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    close(master);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << spec << ": " << message;
    EXPECT_NE(message.find("not for a terminal"), std::string::npos) << spec << ": " << message;
  }
}

TEST_F(TtscBinaryTest, SigintCancelsTheRequestAndExits130) {
  const auto chunk = Samples(320, 4);
  std::atomic<bool> streaming{false};
  bool cancel_seen = false;
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendAccepted(req->first);
    uint64_t o = 0;
    p.SendAudio(req->first, S16Pcm(chunk), &o, false);
    streaming = true;
    while (auto f = p.Read()) {
      if (f->header.type == FrameType::kCancel && f->header.request_id == req->first) {
        cancel_seen = true;
        p.SendError(req->first, ErrorCode::kCancelled, "cancelled");
        break;
      }
    }
  });
  TempDir dir;
  const std::string wav = dir.path() + "/partial.wav";
  Ttsc ttsc({"--socket", server.path(), "say", "--stdin", "-o", wav});
  ttsc.WriteStdin("A long text that never ends");
  for (int i = 0; i < 500 && !streaming; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(streaming);
  std::this_thread::sleep_for(50ms);
  ttsc.Signal(SIGINT);
  auto start = std::chrono::steady_clock::now();
  Outcome o = ttsc.Wait(10s);
  EXPECT_EQ(o.exit_code, 130) << o.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  server.Join();
  EXPECT_TRUE(cancel_seen);
  int rate = 0;
  EXPECT_EQ(ReadWavS16(wav, &rate), chunk);  // what arrived before Ctrl-C is a valid WAV
}

TEST_F(TtscBinaryTest, VoicesListsDefaultAndSpeakers) {
  protocol::VoiceList list{"beta",
                           {{"alpha", "First voice", {"en"}, {"a1"}, 16000},
                            {"beta", "Second voice", {"en", "de"}, {"b1", "b2"}, 22050}}};
  for (bool json : {false, true}) {
    ScriptedServer server([&](ServerPeer& p) {
      p.Handshake();
      auto f = p.Expect(FrameType::kListVoices);
      ASSERT_TRUE(f);
      p.Send(FrameType::kVoices, f->header.request_id, protocol::Serialize(list));
    });
    std::vector<std::string> args = {"--socket", server.path(), "voices"};
    if (json) args.push_back("--json");
    Ttsc ttsc(args);
    Outcome o = ttsc.Wait();
    EXPECT_EQ(o.exit_code, 0) << o.err;
    if (json) {
      auto parsed = protocol::ParseVoiceList(ToBytes(o.out));
      ASSERT_TRUE(parsed.has_value()) << o.out;
      EXPECT_EQ(parsed->default_voice, "beta");
      EXPECT_EQ(parsed->voices.size(), 2u);
    } else {
      EXPECT_NE(o.out.find("  alpha  16000 Hz  en  — First voice\n"), std::string::npos) << o.out;
      EXPECT_NE(o.out.find("* beta  22050 Hz  en de  — Second voice\n    speakers: b1 (default), b2\n"),
                std::string::npos)
          << o.out;
    }
  }
}

TEST_F(TtscBinaryTest, PingPrintsRoundTrip) {
  ScriptedServer server([](ServerPeer& p) {
    p.Handshake({1, "scripted 1.0", 1024});
    auto f = p.Expect(FrameType::kPing);
    ASSERT_TRUE(f);
    p.Send(FrameType::kPong, f->header.request_id, {});
  });
  Ttsc ttsc({"ping", "--socket", server.path()});
  Outcome o = ttsc.Wait();
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out.rfind("pong from scripted 1.0 (protocol 1) at " + server.path() + " in ", 0), 0u) << o.out;
}

}  // namespace
}  // namespace ttsd::testing
