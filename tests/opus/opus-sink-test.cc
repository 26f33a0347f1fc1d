// The Opus sinks on their own, without ttsd or ffmpeg: Ogg pages as they leave libopusenc, RTP packets as
// they arrive on a UDP socket (decoded with libopus), the HTTP server's responses as raw bytes.
#include <netinet/in.h>
#include <opus.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>

#include "opus/opus-test-support.h"
#include "ttsd/client/http-ogg-sink.h"
#include "ttsd/client/http-stream-server.h"
#include "ttsd/codec/ogg-opus-encoder.h"
#include "ttsd/client/ogg-opus-sink.h"
#include "ttsd/client/output-options.h"
#include "ttsd/client/rtp-opus-sink.h"

namespace ttsd::client {
namespace {

using namespace std::chrono_literals;
using codec::OggOpusEncoder;
using protocol::SampleFormat;
using testing::OggPage;
using testing::ParseOggPages;

std::vector<float> Sine(double freq_hz, size_t n, double amplitude = 0.4, uint32_t rate = 48000) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * freq_hz * static_cast<double>(i) / rate));
  }
  return v;
}

std::span<const uint8_t> Bytes(const std::vector<float>& v) {
  return {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(float)};
}

// ---- OggOpusEncoder ----

TEST(OggOpusEncoder, HeadersAtCreateThenOnePagePerFrameAtOnce) {
  std::vector<std::string> pages;
  auto enc = OggOpusEncoder::Create(32000, [&](std::span<const uint8_t> page) -> Status {
    pages.emplace_back(reinterpret_cast<const char*>(page.data()), page.size());
    return {};
  });
  ASSERT_TRUE(enc.has_value()) << enc.error().ToString();
  ASSERT_EQ(pages.size(), 2u);
  auto head = ParseOggPages(pages[0]);
  ASSERT_EQ(head.size(), 1u);
  EXPECT_EQ(head[0].header_type & 2, 2);  // beginning of stream
  EXPECT_EQ(head[0].body.substr(0, 8), "OpusHead");
  EXPECT_EQ(static_cast<uint8_t>(head[0].body[9]), 1);  // mono
  EXPECT_EQ(ParseOggPages(pages[1]).at(0).body.substr(0, 8), "OpusTags");
  EXPECT_EQ(std::string(pages[0] + pages[1]), std::string((*enc)->headers().begin(), (*enc)->headers().end()));

  // Each 20 ms frame leaves as its own page as soon as its last sample is written: no frame of delay.
  const auto sine = Sine(440, 960 * 5);
  for (int f = 0; f < 5; ++f) {
    ASSERT_TRUE((*enc)->Write(std::span<const float>(sine).subspan(960 * static_cast<size_t>(f), 960)).has_value());
    ASSERT_EQ(pages.size(), 3u + static_cast<size_t>(f)) << "frame " << f;
    auto p = ParseOggPages(pages.back());
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].packet_sizes.size(), 1u);
  }
  ASSERT_TRUE((*enc)->Finish().has_value());
  auto last = ParseOggPages(pages.back());
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].header_type & 4, 4);  // end of stream
  const int preskip = static_cast<uint8_t>(head[0].body[10]) | static_cast<uint8_t>(head[0].body[11]) << 8;
  EXPECT_EQ(last[0].granule, preskip + 1 + 960 * 5);  // the one leading sample of silence, then the audio
  EXPECT_TRUE((*enc)->Finish().has_value());
  EXPECT_FALSE((*enc)->Write(sine).has_value());
}

TEST(OggOpusEncoder, RefusesABitrateOutOfRange) {
  auto none = [](std::span<const uint8_t>) -> Status { return {}; };
  EXPECT_EQ(OggOpusEncoder::Create(1000, none).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(OggOpusEncoder::Create(600000, none).error().code, ErrorCode::kBadRequest);
}

TEST(OggOpusEncoder, APageErrorStopsTheStream) {
  int calls = 0;
  auto enc = OggOpusEncoder::Create(32000, [&](std::span<const uint8_t>) -> Status {
    if (++calls > 2) return MakeError(ErrorCode::kIo, "disk full");
    return {};
  });
  ASSERT_TRUE(enc.has_value());
  auto s = (*enc)->Write(Sine(440, 960 * 3));
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_EQ(calls, 3);
}

// ---- OggOpusSink ----

TEST(OggOpusSink, AReaderSeesPagesWhileTheFileGrows) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/a.opus";
  auto sink = OggOpusSink::CreateFile(path);
  ASSERT_TRUE(sink.has_value());
  ASSERT_TRUE((*sink)->Open({16000, 1, SampleFormat::kS16Le}).has_value());
  EXPECT_EQ(ParseOggPages(testing::ReadFile(path)).size(), 2u);  // headers at Open
  std::vector<int16_t> chunk(320);
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<int16_t>(8000 * std::sin(0.2 * static_cast<double>(i)));
  for (int i = 0; i < 10; ++i) {  // 200 ms at 16 kHz
    ASSERT_TRUE((*sink)->Write({reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size() * 2}).has_value());
  }
  // soxr holds back at most ~30 ms: at least 8 of the 10 frames are already in the file.
  EXPECT_GE(ParseOggPages(testing::ReadFile(path)).size(), 2u + 8u);
  ASSERT_TRUE((*sink)->Close().has_value());
  auto pages = ParseOggPages(testing::ReadFile(path));
  ASSERT_GE(pages.size(), 12u);
  EXPECT_EQ(pages.back().header_type & 4, 4);
  const int preskip = static_cast<uint8_t>(pages[0].body[10]) | static_cast<uint8_t>(pages[0].body[11]) << 8;
  EXPECT_EQ(pages.back().granule, preskip + 1 + 9600);  // exactly 200 ms at 48 kHz (and the leading sample)
}

TEST(OggOpusSink, AFileNeverOpenedIsRemoved) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/b.opus";
  auto sink = OggOpusSink::CreateFile(path);
  ASSERT_TRUE(sink.has_value());
  ASSERT_TRUE((*sink)->Close().has_value());
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(OggOpusSink::CreateFile(dir.path() + "/no/such/dir.opus").error().code, ErrorCode::kIo);
}

TEST(OggOpusSink, TakesStereoAndRefusesPartialFrames) {
  testing::TempDir dir;
  auto sink = OggOpusSink::CreateFile(dir.path() + "/c.opus");
  ASSERT_TRUE(sink.has_value());
  ASSERT_TRUE((*sink)->Open({48000, 2, SampleFormat::kF32Le}).has_value());
  std::vector<float> stereo(960 * 2, 0.1f);
  EXPECT_TRUE((*sink)->Write(Bytes(stereo)).has_value());
  EXPECT_EQ((*sink)->Write(Bytes(stereo).first(12)).error().code, ErrorCode::kBadRequest);
}

// ---- RtpOpusSink ----

struct RtpPacket {
  uint8_t first = 0, second = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0, ssrc = 0;
  std::vector<uint8_t> payload;
};

class UdpReceiver {
 public:
  UdpReceiver() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    int size = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~UdpReceiver() { close(fd_); }
  uint16_t port() const { return port_; }

  // Packets until none arrives for `quiet`.
  std::vector<RtpPacket> Receive(std::chrono::milliseconds quiet) {
    std::vector<RtpPacket> out;
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(quiet.count())) <= 0) return out;
      uint8_t buf[2048];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n < 12) continue;
      RtpPacket r;
      r.first = buf[0];
      r.second = buf[1];
      r.sequence = static_cast<uint16_t>(buf[2] << 8 | buf[3]);
      r.timestamp = static_cast<uint32_t>(buf[4]) << 24 | buf[5] << 16 | buf[6] << 8 | buf[7];
      r.ssrc = static_cast<uint32_t>(buf[8]) << 24 | buf[9] << 16 | buf[10] << 8 | buf[11];
      r.payload.assign(buf + 12, buf + n);
      out.push_back(std::move(r));
    }
  }

 private:
  int fd_;
  uint16_t port_;
};

TEST(RtpOpusSink, PacketsFollowRfc7587AndDecodeToTheInput) {
  testing::TempDir dir;
  UdpReceiver receiver;
  RtpOptions options;
  options.host = "127.0.0.1";
  options.port = receiver.port();
  options.sdp_path = dir.path() + "/s.sdp";
  options.pace = false;
  auto sink = RtpOpusSink::Create(options);
  ASSERT_TRUE(sink.has_value()) << sink.error().ToString();
  const std::string sdp = testing::ReadFile(options.sdp_path);
  EXPECT_EQ(sdp, RtpOpusSink::Sdp("127.0.0.1", receiver.port()));
  EXPECT_NE(sdp.find("m=audio " + std::to_string(receiver.port()) + " RTP/AVP 111\r\n"), std::string::npos);
  EXPECT_NE(sdp.find("a=rtpmap:111 opus/48000/2\r\n"), std::string::npos);
  EXPECT_NE(sdp.find("c=IN IP4 127.0.0.1\r\n"), std::string::npos);

  const auto input = Sine(440, 48000 / 2 + 100);  // 0.5 s and a partial frame
  ASSERT_TRUE((*sink)->Open({48000, 1, SampleFormat::kF32Le}).has_value());
  for (size_t at = 0; at < input.size(); at += 700) {
    const size_t n = std::min<size_t>(700, input.size() - at);
    ASSERT_TRUE((*sink)->Write(Bytes(input).subspan(at * 4, n * 4)).has_value());
  }
  ASSERT_TRUE((*sink)->Close().has_value());
  auto packets = receiver.Receive(500ms);
  // The lead-in frame of silence, 25 whole frames, and the partial one padded (its padding covers the
  // encoder's lookahead, so no further frame is needed for the tail).
  ASSERT_EQ(packets.size(), 27u);
  EXPECT_EQ((*sink)->packets_sent(), 27u);

  int error = 0;
  OpusDecoder* dec = opus_decoder_create(48000, 1, &error);
  ASSERT_EQ(error, OPUS_OK);
  std::vector<float> decoded;
  for (size_t i = 0; i < packets.size(); ++i) {
    const auto& p = packets[i];
    EXPECT_EQ(p.first, 0x80) << i;                 // version 2, no padding/extension/CSRC
    EXPECT_EQ(p.second & 0x7f, 111) << i;          // payload type
    EXPECT_EQ((p.second & 0x80) != 0, i == 0) << i;  // marker on the first packet only
    EXPECT_EQ(p.ssrc, packets[0].ssrc);
    EXPECT_EQ(p.sequence, static_cast<uint16_t>(packets[0].sequence + i));
    EXPECT_EQ(p.timestamp, packets[0].timestamp + 960u * static_cast<uint32_t>(i));
    std::vector<float> pcm(960);
    ASSERT_EQ(opus_decode_float(dec, p.payload.data(), static_cast<opus_int32>(p.payload.size()), pcm.data(), 960, 0), 960);
    decoded.insert(decoded.end(), pcm.begin(), pcm.end());
  }
  opus_decoder_destroy(dec);
  auto match = testing::BestMatch(decoded, input, 0, 2000);
  EXPECT_GT(match.ncc, 0.9);
  EXPECT_NEAR(match.lag, 960 + 312, 8);  // the lead-in, then the encoder's lookahead
  EXPECT_LT(testing::Rms(std::span<const float>(decoded).first(960)), 1e-3);  // the lead-in is silent
}

TEST(RtpOpusSink, RandomStreamIdentityAndRealTimePace) {
  UdpReceiver receiver;
  RtpOptions options;
  options.port = receiver.port();
  auto a = RtpOpusSink::Create(options), b = RtpOpusSink::Create(options);
  ASSERT_TRUE(a && b);
  const auto second = Sine(300, 48000);
  ASSERT_TRUE((*a)->Open({48000, 1, SampleFormat::kF32Le}).has_value());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE((*a)->Write(Bytes(second)).has_value());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // 1 s of audio leaves over ~1 s, at most 60 ms ahead of real time.
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 2000ms);
  ASSERT_TRUE((*a)->Close().has_value());
  ASSERT_TRUE((*b)->Open({48000, 1, SampleFormat::kF32Le}).has_value());
  ASSERT_TRUE((*b)->Write(Bytes(second).first(960 * 4 * sizeof(float))).has_value());
  ASSERT_TRUE((*b)->Close().has_value());
  auto packets = receiver.Receive(300ms);
  // Each: the lead-in, its whole frames, and one more frame so the lookahead's tail comes out.
  std::map<uint32_t, int> per_stream;
  for (const auto& p : packets) per_stream[p.ssrc]++;
  EXPECT_EQ(per_stream.size(), 2u);
  EXPECT_EQ(per_stream[packets.front().ssrc], 1 + 50 + 1);
  EXPECT_EQ(per_stream[packets.back().ssrc], 1 + 4 + 1);
  EXPECT_NE(packets.front().ssrc, packets.back().ssrc);
}

TEST(RtpOpusSink, BadDestinationsFailAtCreate) {
  RtpOptions options;
  options.port = 0;
  EXPECT_EQ(RtpOpusSink::Create(options).error().code, ErrorCode::kBadRequest);
  options.port = 5004;
  options.host = "no.such.host.invalid";
  EXPECT_EQ(RtpOpusSink::Create(options).error().code, ErrorCode::kBadRequest);
  options.host = "127.0.0.1";
  options.sdp_path = "/nonexistent/dir/s.sdp";
  EXPECT_EQ(RtpOpusSink::Create(options).error().code, ErrorCode::kIo);
}

TEST(RtpOpusSink, SdpForIpv6) {
  const auto sdp = RtpOpusSink::Sdp("::1", 5004);
  EXPECT_NE(sdp.find("c=IN IP6 ::1\r\n"), std::string::npos);
}

// ---- HttpStreamServer ----

// A raw HTTP client: sends the request and collects everything until the server closes.
class HttpClient {
 public:
  HttpClient(uint16_t port, const std::string& request) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(send(fd_, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  }
  ~HttpClient() { close(fd_); }

  std::string ReadAll(std::chrono::milliseconds timeout = 5s) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<size_t>(n));
    }
    ADD_FAILURE() << "the server did not close the response";
    return out;
  }

 private:
  int fd_;
};

std::string Get(const std::string& path, const std::string& version = "HTTP/1.1") {
  return "GET " + path + " " + version + "\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n\r\n";
}

// Splits a response into its head and body, undoing chunked transfer encoding when the head says so.
std::pair<std::string, std::string> SplitResponse(const std::string& response, bool* complete = nullptr) {
  const size_t end = response.find("\r\n\r\n");
  if (end == std::string::npos) return {response, ""};
  std::string head = response.substr(0, end + 2), raw = response.substr(end + 4), body;
  if (complete) *complete = true;
  if (head.find("Transfer-Encoding: chunked") == std::string::npos) return {head, raw};
  if (complete) *complete = false;
  size_t at = 0;
  while (at < raw.size()) {
    const size_t eol = raw.find("\r\n", at);
    if (eol == std::string::npos) break;
    const size_t size = std::stoul(raw.substr(at, eol - at), nullptr, 16);
    if (size == 0) {
      if (complete) *complete = raw.compare(eol, 4, "\r\n\r\n") == 0;
      break;
    }
    body += raw.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return {head, body};
}

TEST(HttpStreamServer, EveryClientGetsThePreambleThenWhatFollowsItsArrival) {
  HttpStreamOptions options;
  options.port = 0;
  auto server = HttpStreamServer::Start(options);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
  const uint16_t port = (*server)->port();
  EXPECT_EQ((*server)->url(), "http://127.0.0.1:" + std::to_string(port) + "/");
  const std::string preamble = "HEADERS";
  (*server)->SetPreamble({reinterpret_cast<const uint8_t*>(preamble.data()), preamble.size()});
  auto send = [&](const std::string& s) {
    (*server)->Broadcast({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  };

  HttpClient a(port, Get("/")), b(port, Get("/stream.ogg?x=1"));
  ASSERT_TRUE((*server)->WaitForClients(2, 5000ms, nullptr).has_value());
  send("page1");
  send("page2");
  HttpClient late(port, Get("/stream.ogg"));
  ASSERT_TRUE((*server)->WaitForClients(3, 5000ms, nullptr).has_value());
  send("page3");
  HttpClient old(port, Get("/stream.opus", "HTTP/1.0"));
  ASSERT_TRUE((*server)->WaitForClients(4, 5000ms, nullptr).has_value());
  send("page4");
  (*server)->Finish();
  EXPECT_EQ((*server)->clients(), 0u);
  EXPECT_EQ((*server)->clients_served(), 4u);

  for (HttpClient* c : {&a, &b}) {
    bool complete = false;
    auto [head, body] = SplitResponse(c->ReadAll(), &complete);
    EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
    EXPECT_NE(head.find("Content-Type: audio/ogg\r\n"), std::string::npos);
    EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
    EXPECT_EQ(body, "HEADERSpage1page2page3page4");
    EXPECT_TRUE(complete) << "no chunked terminator";
  }
  EXPECT_EQ(SplitResponse(late.ReadAll()).second, "HEADERSpage3page4");
  auto [head10, body10] = SplitResponse(old.ReadAll());
  EXPECT_EQ(head10.rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
  EXPECT_EQ(head10.find("chunked"), std::string::npos);
  EXPECT_EQ(body10, "HEADERSpage4");
}

TEST(HttpStreamServer, AnswersOtherRequestsWithErrors) {
  HttpStreamOptions options;
  options.port = 0;
  auto server = HttpStreamServer::Start(options);
  ASSERT_TRUE(server.has_value());
  const uint16_t port = (*server)->port();
  HttpClient missing(port, Get("/other"));
  EXPECT_EQ(missing.ReadAll().rfind("HTTP/1.1 404", 0), 0u);
  HttpClient post(port, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.ReadAll().rfind("HTTP/1.1 405", 0), 0u);
  HttpClient head(port, "HEAD /stream.ogg HTTP/1.1\r\n\r\n");
  auto response = head.ReadAll();
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(SplitResponse(response).second, "");
  HttpClient huge(port, "GET /" + std::string(10000, 'a') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(huge.ReadAll().rfind("HTTP/1.1 431", 0), 0u);
  EXPECT_EQ((*server)->clients_served(), 0u);
}

TEST(HttpStreamServer, LoopbackOnlyUnlessAllowed) {
  HttpStreamOptions options;
  options.port = 0;
  options.host = "0.0.0.0";
  auto refused = HttpStreamServer::Start(options);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kBadRequest);
  options.allow_remote = true;
  EXPECT_TRUE(HttpStreamServer::Start(options).has_value());
  options.host = "localhost";
  options.allow_remote = false;
  EXPECT_TRUE(HttpStreamServer::Start(options).has_value());
  options.host = "::1";
  auto v6 = HttpStreamServer::Start(options);
  if (v6) {  // hosts without IPv6 cannot bind it
    EXPECT_EQ((*v6)->url().rfind("http://[::1]:", 0), 0u);
  }
  options.host = "not-an-address";
  EXPECT_EQ(HttpStreamServer::Start(options).error().code, ErrorCode::kBadRequest);
}

TEST(HttpStreamServer, ABusyPortFailsAtStartAndWaitingCanBeCancelled) {
  HttpStreamOptions options;
  options.port = 0;
  auto first = HttpStreamServer::Start(options);
  ASSERT_TRUE(first.has_value());
  options.port = (*first)->port();
  EXPECT_EQ(HttpStreamServer::Start(options).error().code, ErrorCode::kIo);
  std::atomic<bool> cancel{true};
  EXPECT_EQ((*first)->WaitForClients(1, 0ms, &cancel).error().code, ErrorCode::kCancelled);
  EXPECT_EQ((*first)->WaitForClients(1, 50ms, nullptr).error().code, ErrorCode::kTimeout);
}

// ---- HttpOggSink ----

TEST(HttpOggSink, ServesAWholeOggOpusStream) {
  HttpStreamOptions options;
  options.port = 0;
  auto sink = HttpOggSink::Create(options, 32000, /*pace=*/false);
  ASSERT_TRUE(sink.has_value()) << sink.error().ToString();
  HttpClient client((*sink)->server().port(), Get("/stream.ogg"));
  ASSERT_TRUE((*sink)->WaitForClients(1, 5000ms, nullptr).has_value());
  ASSERT_TRUE((*sink)->Open({48000, 1, SampleFormat::kF32Le}).has_value());
  const auto audio = Sine(500, 48000 / 5);
  ASSERT_TRUE((*sink)->Write(Bytes(audio)).has_value());
  ASSERT_TRUE((*sink)->Close().has_value());
  bool complete = false;
  auto [head, body] = SplitResponse(client.ReadAll(), &complete);
  EXPECT_TRUE(complete);
  auto pages = ParseOggPages(body);
  ASSERT_GE(pages.size(), 2u + 11u);  // headers, the lead-in, 200 ms
  EXPECT_EQ(pages[0].body.substr(0, 8), "OpusHead");
  EXPECT_EQ(pages[1].body.substr(0, 8), "OpusTags");
  EXPECT_EQ(pages.back().header_type & 4, 4);
  for (size_t i = 1; i < pages.size(); ++i) EXPECT_EQ(pages[i].sequence, pages[i - 1].sequence + 1);
}

// ---- Output options ----

TEST(OutputOptions, NamesMapToSpecs) {
  auto kind = [](std::string_view s) { return ParseOutputSpec(s).value().kind; };
  EXPECT_EQ(kind("a.opus"), OutputSpec::Kind::kOggFile);
  EXPECT_EQ(kind("A.OGG"), OutputSpec::Kind::kOggFile);
  EXPECT_EQ(kind("x.oga"), OutputSpec::Kind::kOggFile);
  EXPECT_EQ(kind("ogg:-"), OutputSpec::Kind::kOggStdout);
  EXPECT_EQ(kind("-"), OutputSpec::Kind::kRawStdout);
  EXPECT_EQ(ParseOutputSpec("ogg:speech.bin").value().path, "speech.bin");
  EXPECT_EQ(ParseOutputSpec("ogg:speech.bin").value().kind, OutputSpec::Kind::kOggFile);
  EXPECT_FALSE(ParseOutputSpec(".opus").has_value());
  EXPECT_FALSE(ParseOutputSpec("x.mp4").has_value());

  OutputOptions o;
  EXPECT_FALSE(ToOutputSpec(o).has_value());  // none
  o.rtp = "127.0.0.1:5004";
  o.sdp = "s.sdp";
  o.opus_bitrate_kbps = 24;
  auto rtp = ToOutputSpec(o);
  ASSERT_TRUE(rtp.has_value());
  EXPECT_EQ(rtp->kind, OutputSpec::Kind::kRtp);
  EXPECT_EQ(rtp->host, "127.0.0.1");
  EXPECT_EQ(rtp->port, 5004);
  EXPECT_EQ(rtp->sdp_path, "s.sdp");
  EXPECT_EQ(rtp->opus_bitrate_bps, 24000u);
  o.output = "x.wav";
  EXPECT_FALSE(ToOutputSpec(o).has_value());  // two outputs
  o = {};
  o.http = "8090";
  o.http_wait = 2;
  auto http = ToOutputSpec(o);
  ASSERT_TRUE(http.has_value());
  EXPECT_EQ(http->kind, OutputSpec::Kind::kHttp);
  EXPECT_EQ(http->host, "127.0.0.1");
  EXPECT_EQ(http->port, 8090);
  EXPECT_EQ(http->http_wait_clients, 2u);
  o = {};
  o.output = "x.opus";
  o.sdp = "s.sdp";
  EXPECT_FALSE(ToOutputSpec(o).has_value());  // --sdp without --rtp
  o.sdp.clear();
  o.http_wait = 1;
  EXPECT_FALSE(ToOutputSpec(o).has_value());  // --http-wait without --http
}

TEST(OutputOptions, HostPort) {
  EXPECT_EQ(ParseHostPort("[::1]:5004").value().host, "::1");
  EXPECT_EQ(ParseHostPort("localhost:80").value().port, 80);
  EXPECT_EQ(ParseHostPort(":80").value().host, "127.0.0.1");
  for (std::string_view bad : {"", "host:", "host:0", "host:65536", "::1:5004", "[::1]5004", "h:12x"}) {
    EXPECT_FALSE(ParseHostPort(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace ttsd::client
