// End to end: the real ttsd (fixture voices) and ttsc, with ffmpeg decoding each Opus output the way OBS's
// Media Source does: the Ogg file (and Ogg on stdout), the RTP stream through the SDP, the HTTP Ogg stream
// (two clients at once). The decoded audio must last as long as what was synthesized, carry its energy,
// and match it (normalized cross-correlation against `ttsc say -o ref.wav`, resampled to 48 kHz).
// ffmpeg is required: ./install-deps.sh installs it; without it these tests fail.
#include <gtest/gtest.h>

#include <filesystem>

#include "opus/opus-test-support.h"
#include "support/daemon-process.h"
#include "ttsd/client/rtp-opus-sink.h"

namespace ttsd::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kText[] = "Opus output test: the quick brown fox jumps over the lazy dog, twice.";
constexpr long kCodecDelaySamples = 312;  // Opus's lookahead at 48 kHz (6.5 ms)
constexpr long kTolerance = 40 * 48;      // 40 ms

class OpusOutputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new DaemonProcess();
    // The reference: the same text as a WAV file, resampled to 48 kHz.
    ref_dir_ = new TempDir();
    const std::string wav = ref_dir_->path() + "/ref.wav";
    Child ttsc({TtscBinary(), "--socket", daemon_->socket_path(), "say", "-o", wav, kText});
    ASSERT_EQ(ttsc.Wait(30s), 0) << ttsc.Stderr();
    int rate = 0;
    auto samples = ReadWav(wav, &rate);
    ASSERT_GT(rate, 0);
    ref_rate_ = rate;
    ref_ = new std::vector<float>(To48k(samples, static_cast<uint32_t>(rate)));
    ASSERT_GT(ref_->size(), 48000u) << "the reference should last over a second";
  }
  static void TearDownTestSuite() {
    delete ref_;
    delete ref_dir_;
    delete daemon_;
    ref_ = nullptr;
    ref_dir_ = nullptr;
    daemon_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(TtscBinary())) << TtscBinary() << " is not built";
    Child probe({"ffmpeg", "-hide_banner", "-version"});
    ASSERT_EQ(probe.Wait(10s), 0) << "ffmpeg is required for these tests (./install-deps.sh installs it): "
                                  << probe.Stderr();
  }

  std::vector<std::string> Ttsc(std::vector<std::string> args) const {
    args.insert(args.begin(), {TtscBinary(), "--socket", daemon_->socket_path(), "say"});
    args.push_back(kText);
    return args;
  }

  // The checks every output must pass. decoded: mono 48 kHz; lead: samples of the decoded stream expected
  // before the audio's first sample (Ogg: its one leading sample; network streams: a frame of silence and,
  // for RTP, the codec delay; ffmpeg with -fflags nobuffer drops the first packet, so up to a frame less);
  // extra: how much longer the stream may end (RTP ends on whole packets).
  static void ExpectMatchesReference(const std::vector<float>& decoded, long lead, long extra, const std::string& what) {
    const auto& ref = *ref_;
    SCOPED_TRACE(what);
    const auto match = BestMatch(decoded, ref, 0, lead + 2 * 960);
    EXPECT_GE(match.ncc, 0.8) << "best lag " << match.lag;
    EXPECT_NEAR(match.lag, lead, 960 + 48) << "the audio is shifted in time";
    const long audio = static_cast<long>(decoded.size()) - match.lag;  // from the audio's first sample on
    const long synthesized = static_cast<long>(ref.size());
    EXPECT_GE(audio, synthesized - kTolerance) << "decoded " << audio / 48.0 << " ms, synthesized "
                                               << synthesized / 48.0 << " ms";
    EXPECT_LE(audio, synthesized + kTolerance + kCodecDelaySamples + extra)
        << "decoded " << audio / 48.0 << " ms, synthesized " << synthesized / 48.0 << " ms";
    const double ref_rms = Rms(ref), rms = Rms(std::span<const float>(decoded).subspan(
                                                   static_cast<size_t>(std::max<long>(0, match.lag))));
    ASSERT_GT(ref_rms, 0.005) << "the reference is silent";
    const double db = 20 * std::log10(rms / ref_rms);
    EXPECT_NEAR(db, 0.0, 3.0) << "decoded RMS " << rms << " against " << ref_rms;
    std::printf("[ %s: %.1f ms decoded after a %.1f ms lead, %.1f ms synthesized, %+.2f dB, NCC %.3f ]\n",
                what.c_str(), audio / 48.0, match.lag / 48.0, synthesized / 48.0, db, match.ncc);
  }

  static std::vector<std::string> FfmpegDecode(std::vector<std::string> input) {
    std::vector<std::string> args = {"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"};
    args.insert(args.end(), input.begin(), input.end());
    for (const char* a : {"-ac", "1", "-ar", "48000", "-f", "f32le", "-flush_packets", "1", "pipe:1"}) args.push_back(a);
    return args;
  }

  static DaemonProcess* daemon_;
  static TempDir* ref_dir_;
  static std::vector<float>* ref_;
  static int ref_rate_;
};

DaemonProcess* OpusOutputTest::daemon_ = nullptr;
TempDir* OpusOutputTest::ref_dir_ = nullptr;
std::vector<float>* OpusOutputTest::ref_ = nullptr;
int OpusOutputTest::ref_rate_ = 0;

TEST_F(OpusOutputTest, OggFileAndOggOnStdoutDecode) {
  TempDir dir;
  const std::string file = dir.path() + "/speech.opus";
  Child say(Ttsc({"-o", file}));
  ASSERT_EQ(say.Wait(30s), 0) << say.Stderr();
  Child ff(FfmpegDecode({"-i", file}));
  ASSERT_EQ(ff.Wait(30s), 0) << ff.CommandLine() << "\n" << ff.Stderr();
  ExpectMatchesReference(F32(ff.Stdout()), 1, 0, "Ogg Opus file");

  Child piped(Ttsc({"-o", "ogg:-"}));
  ASSERT_EQ(piped.Wait(30s), 0) << piped.Stderr();
  const std::string ogg = piped.Stdout();
  ASSERT_EQ(ogg.substr(0, 4), "OggS");
  EXPECT_EQ(ParseOggPages(ogg).back().header_type & 4, 4) << "no end-of-stream page";
  WriteFile(dir.path() + "/piped.ogg", ogg);
  Child ff2(FfmpegDecode({"-f", "ogg", "-i", dir.path() + "/piped.ogg"}));
  ASSERT_EQ(ff2.Wait(30s), 0) << ff2.Stderr();
  ExpectMatchesReference(F32(ff2.Stdout()), 1, 0, "Ogg Opus on stdout");
}

TEST_F(OpusOutputTest, RtpStreamDecodesThroughTheSdp) {
  TempDir dir;
  const uint16_t port = FreeRtpPort();
  ASSERT_NE(port, 0);
  const std::string sdp = dir.path() + "/stream.sdp";
  // The SDP depends only on the destination, so ffmpeg can start first (as OBS would) on the same file
  // ttsc then rewrites.
  WriteFile(sdp, client::RtpOpusSink::Sdp("127.0.0.1", port));
  Child ff(FfmpegDecode({"-protocol_whitelist", "file,udp,rtp", "-analyzeduration", "0", "-probesize", "32",
                         "-fflags", "nobuffer", "-i", sdp}));
  ASSERT_TRUE(WaitUntil([&] { return UdpPortBound(port); }, 10s)) << "ffmpeg did not open the RTP port: " << ff.Stderr();

  Child say(Ttsc({"--stats", "--rtp", "127.0.0.1:" + std::to_string(port), "--sdp", sdp}));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(say.Wait(60s), 0) << say.Stderr();
  const auto wall = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ReadFile(sdp), client::RtpOpusSink::Sdp("127.0.0.1", port));
  // Packets leave at real-time pace, not as fast as ttsd synthesizes.
  EXPECT_GE(std::chrono::duration<double>(wall).count(), ref_->size() / 48000.0 - 0.2);

  WaitForQuietOutput(ff, 500ms, 10s);
  ff.Interrupt();
  // A whole last packet plus the one sent so the codec delay's tail comes out: up to 2 frames more.
  ExpectMatchesReference(F32(ff.Stdout()), 960 + kCodecDelaySamples, 2 * 960, "RTP through the SDP");
}

TEST_F(OpusOutputTest, HttpOggStreamReachesTwoClientsAtOnce) {
  const uint16_t port = FreePort(SOCK_STREAM);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  Child say(Ttsc({"--http", "127.0.0.1:" + std::to_string(port), "--http-wait", "2"}));
  ASSERT_TRUE(WaitUntil([&] { return TcpAccepts(port); }, 10s)) << "ttsc did not listen: " << say.Stderr();
  const std::vector<std::string> low_delay = {"-analyzeduration", "0", "-probesize", "32", "-fflags", "nobuffer",
                                              "-f", "ogg", "-i"};
  auto input = [&](const std::string& url) {
    auto v = low_delay;
    v.push_back(url);
    return v;
  };
  // One client with OBS's low-delay options, one with ffmpeg's defaults.
  Child a(FfmpegDecode(input(base + "/stream.ogg")));
  Child b(FfmpegDecode({"-f", "ogg", "-i", base + "/"}));
  ASSERT_EQ(say.Wait(60s), 0) << say.Stderr();
  // The response ends with the stream: ffmpeg finishes by itself.
  ASSERT_EQ(a.Wait(20s), 0) << a.Stderr();
  ASSERT_EQ(b.Wait(20s), 0) << b.Stderr();
  ExpectMatchesReference(F32(a.Stdout()), 960 + 1, 0, "HTTP Ogg, low-delay client");
  ExpectMatchesReference(F32(b.Stdout()), 960 + 1, 0, "HTTP Ogg, default client");
}

TEST_F(OpusOutputTest, UsageErrorsAndBusyOutputs) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--sdp", "x.sdp", "-o", "x.opus"},
                                        {"--rtp", "127.0.0.1:5004", "--http", "8090"},
                                        {"--rtp", "127.0.0.1"},
                                        {"--http", "8.8.8.8:8090"},
                                        {"--http-wait", "1", "-o", "x.opus"},
                                        {"--opus-bitrate", "1", "-o", "x.opus"}}) {
    Child ttsc(Ttsc(args));
    EXPECT_EQ(ttsc.Wait(10s), 2) << ::testing::PrintToString(args) << ttsc.Stderr();
  }
  // A port already taken fails before any request, as an output error.
  const uint16_t port = FreePort(SOCK_STREAM);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  Child busy(Ttsc({"--http", "127.0.0.1:" + std::to_string(port)}));
  EXPECT_EQ(busy.Wait(10s), 1);
  EXPECT_NE(busy.Stderr().find("cannot serve HTTP"), std::string::npos) << busy.Stderr();
  close(fd);
}

}  // namespace
}  // namespace ttsd::testing
