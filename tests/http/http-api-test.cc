// The HTTP API against the real ttsd with the fixture voices: OpenAI-compatible speech streamed as WAV,
// PCM and Ogg Opus; errors in OpenAI's shape; voices, health, channels (queue, skip, clear, events);
// the bearer token; refusing to listen beyond loopback without one; limits; curl as the client.
#include <sndfile.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include <gtest/gtest.h>

#include "support/daemon-process.h"
#include "support/http-client.h"

namespace ttsd::testing {
namespace {

using json = nlohmann::json;
using protocol::FrameType;

const std::string kLongText =
    "The quick brown fox jumps over the lazy dog. A second sentence follows the first one closely. "
    "Streaming means that the first sound leaves long before the last one is made. Here is one more, "
    "and then another, so that the utterance lasts for several seconds of audio in all.";

std::string Speech(const json& body) { return body.dump(); }

// Runs a shell command; returns its stdout and sets *status to its exit status.
std::string RunCommand(const std::string& command, int* status) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
  const int rc = pclose(p);
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

double Peak(const std::vector<float>& s) {
  float peak = 0;
  for (float x : s) peak = std::max(peak, std::abs(x));
  return peak;
}

uint32_t Le32(std::string_view b, size_t at) {
  return static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8 | static_cast<uint8_t>(b[at + 2]) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 3])) << 24;
}

// The body is {"error": {"message": string, "type": string, "param": ..., "code": code}}.
void ExpectOpenAiError(const HttpResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  json j = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.body;
  ASSERT_TRUE(j.contains("error") && j["error"].is_object()) << r.body;
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  EXPECT_TRUE(j["error"]["type"].is_string());
  EXPECT_TRUE(j["error"].contains("param"));
  EXPECT_EQ(j["error"]["code"], code) << r.body;
}

class HttpApi : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }
  void Start(std::vector<std::string> extra) {
    daemon_.reset();
    extra.insert(extra.begin(), {"--http", "127.0.0.1:0"});
    daemon_ = std::make_unique<DaemonProcess>(extra);
    port_ = HttpPort(*daemon_);
    ASSERT_GT(port_, 0);
  }
  HttpResponse Post(const std::string& path, const std::string& body, std::vector<std::string> extra = {}) {
    return HttpRequest(port_, "POST", path, body, std::move(extra));
  }
  HttpResponse Get(const std::string& path, std::vector<std::string> extra = {}) {
    return HttpRequest(port_, "GET", path, "", std::move(extra));
  }
  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = -1;
};

TEST_F(HttpApi, SpeechStreamsAWavBodyChunkByChunk) {
  auto r = Post("/v1/audio/speech",
                Speech({{"model", "tts-1"}, {"input", kLongText}, {"voice", "fixture-stream"}, {"response_format", "wav"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "audio/wav");
  EXPECT_TRUE(r.chunked);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.header("x-sample-rate"), "16000");
  EXPECT_EQ(r.header("x-voice"), "fixture-stream");
  ASSERT_GT(r.body.size(), 44u);
  EXPECT_EQ(r.body.substr(0, 4), "RIFF");
  EXPECT_EQ(Le32(r.body, 4), 0xFFFFFFFFu);  // streaming: length unknown
  EXPECT_EQ(r.body.substr(8, 4), "WAVE");
  EXPECT_EQ(Le32(r.body, 24), 16000u);
  EXPECT_EQ(r.body.substr(36, 4), "data");
  EXPECT_EQ(Le32(r.body, 40), 0xFFFFFFFFu);
  const auto samples = S16ToFloat(std::string_view(r.body).substr(44));
  EXPECT_GT(samples.size() / 16000.0, 2.0);
  EXPECT_GT(Peak(samples), 0.01);
  // Audio arrives as it is generated: many chunks, the first well before the last.
  EXPECT_GE(r.chunks.size(), 5u);
  EXPECT_LT(r.chunks.front().at_ms, r.chunks.back().at_ms);
}

TEST_F(HttpApi, SpeechPcmIsRawS16AtTheVoiceRate) {
  auto r = Post("/v1/audio/speech", Speech({{"input", "Hello there, raw samples."}, {"voice", "fixture-ar"},
                                            {"response_format", "pcm"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "audio/pcm");
  EXPECT_EQ(r.header("x-sample-rate"), "16000");
  EXPECT_EQ(r.header("x-sample-format"), "s16le");
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.body.size() % 2, 0u);
  EXPECT_NE(r.body.substr(0, 4), "RIFF");
  const auto samples = S16ToFloat(r.body);
  EXPECT_GT(samples.size(), 8000u);
  EXPECT_GT(Peak(samples), 0.01);
  EXPECT_GE(r.chunks.size(), 2u);
}

TEST_F(HttpApi, SpeechOpusIsOggOpusThatFfmpegDecodes) {
  auto r = Post("/v1/audio/speech", Speech({{"input", kLongText}, {"voice", "fixture-stream"}, {"response_format", "opus"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "audio/ogg");
  EXPECT_EQ(r.header("x-sample-rate"), "48000");
  EXPECT_TRUE(r.complete);
  ASSERT_GT(r.body.size(), 100u);
  EXPECT_EQ(r.body.substr(0, 4), "OggS");
  EXPECT_NE(r.body.find("OpusHead"), std::string::npos);
  EXPECT_GE(r.chunks.size(), 5u);  // pages as they are encoded
  const std::string path = daemon_->dir() + "/speech.opus";
  { std::ofstream(path, std::ios::binary) << r.body; }
  int status = -1;
  const std::string pcm =
      RunCommand("ffmpeg -nostdin -hide_banner -loglevel error -i " + path + " -f f32le -ac 1 -ar 48000 pipe:1", &status);
  ASSERT_EQ(status, 0) << "ffmpeg could not decode the Ogg Opus body";
  std::vector<float> decoded(pcm.size() / 4);
  std::memcpy(decoded.data(), pcm.data(), decoded.size() * 4);
  EXPECT_GT(decoded.size() / 48000.0, 2.0);
  EXPECT_GT(Peak(decoded), 0.01);
}

TEST_F(HttpApi, VoiceNamesSpeakersAndOpenAiVoices) {
  auto r = Post("/v1/audio/speech", Speech({{"input", "Beta speaks."}, {"voice", "fixture-ar:beta"}}));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-voice"), "fixture-ar");
  EXPECT_EQ(r.header("x-speaker"), "beta");
  r = Post("/v1/audio/speech", Speech({{"input", "Beta again."}, {"voice", "fixture-stream"}, {"speaker", "beta"}}));
  EXPECT_EQ(r.header("x-speaker"), "beta");
  // OpenAI's own voice names mean the default voice (fixture-ar here).
  r = Post("/v1/audio/speech", Speech({{"model", "tts-1"}, {"input", "Alloy is the default."}, {"voice", "alloy"}}));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-voice"), "fixture-ar");
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"input", "x"}, {"voice", "no-such-voice"}})), 400, "unknown_voice");
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"input", "x"}, {"voice", "fixture-ar:nobody"}})), 400,
                    "unknown_speaker");
}

TEST_F(HttpApi, ErrorsComeInOpenAiShape) {
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"input", "Hello."}, {"response_format", "ogg"}})), 400,
                    "invalid_value");
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"input", "Hello."}, {"sample_rate", 4000}})), 400,
                    "invalid_value");
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"voice", "fixture-ar"}})), 400, "missing_required_parameter");
  ExpectOpenAiError(Post("/v1/audio/speech", "{not json"), 400, "invalid_json");
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"input", "Hello."}, {"speed", 10}})), 400, "bad_request");
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"input", "   "}})), 400, "empty_text");
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"input", "Hello."}, {"emotion", {{"happy", 0.5}}}})), 400,
                    "not_supported");  // fixture-ar has no emotion control
  ExpectOpenAiError(Post("/v1/audio/speech", "input=Hello", {"Content-Type: application/x-www-form-urlencoded"}), 415,
                    "unsupported_media_type");
  ExpectOpenAiError(Get("/v1/nothing-here"), 404, "not_found");
  ExpectOpenAiError(Get("/v1/audio/speech"), 405, "method_not_allowed");
  ExpectOpenAiError(Post("/v1/channels/bad*name/skip", ""), 400, "invalid_channel");
}

TEST_F(HttpApi, TextOverTheLimitIs413) {
  Start({"--max-text-bytes", "100"});
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"input", std::string(200, 'a')}})), 413, "text_too_long");
}

TEST_F(HttpApi, EmotionAndDurationReachAStyleVoice) {
  auto r = Post("/v1/audio/speech",
                Speech({{"input", "Happy words, said on time."}, {"voice", "fixture-style"}, {"response_format", "pcm"},
                        {"emotion", {{"happy", 0.8}, {"surprised", 0.2}}}, {"emotion_alpha", 0.7}, {"duration", 2.0}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NEAR(r.body.size() / 2 / 16000.0, 2.0, 0.1);  // duration: the whole utterance lasts 2 s
  r = Post("/v1/audio/speech", Speech({{"input", "Described in words."}, {"voice", "fixture-style"},
                                       {"emotion_text", "cheerful and bright"}}));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(HttpApi, VoicesAndHealth) {
  auto r = Get("/v1/voices");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["default_voice"], "fixture-ar");
  std::set<std::string> names;
  for (const auto& v : j["voices"]) {
    names.insert(v["name"].get<std::string>());
    EXPECT_FALSE(v["speakers"].empty());
    EXPECT_GT(v["sample_rate"].get<int>(), 0);
  }
  EXPECT_TRUE(names.contains("fixture-ar") && names.contains("fixture-stream") && names.contains("fixture-style"));
  EXPECT_TRUE(j["saved"].is_array());

  r = Get("/health");
  ASSERT_EQ(r.status, 200) << r.body;
  j = json::parse(r.body);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_GE(j["uptime_s"].get<double>(), 0);
  EXPECT_EQ(j["voices"].size(), 3u);
  EXPECT_EQ(j["default_voice"], "fixture-ar");

  r = Get("/v1/models");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["object"], "list");
}

// A native listener hears what the HTTP API queued; skip and clear act on the queue; events follow it.
TEST_F(HttpApi, ChannelQueueSkipClearAndEvents) {
  RawClient listener(daemon_->socket_path());
  listener.Handshake();
  protocol::ListenRequest l;
  l.channel = "http-chan";
  listener.Send(FrameType::kListen, 1, protocol::Serialize(l));
  ASSERT_EQ(listener.Read()->header.type, FrameType::kAccepted);

  auto r = Post("/v1/audio/speech", Speech({{"input", "Queued over HTTP."}, {"channel", "http-chan"}}));
  ASSERT_EQ(r.status, 202) << r.body;
  json queued = json::parse(r.body);
  EXPECT_EQ(queued["status"], "queued");
  EXPECT_EQ(queued["channel"], "http-chan");

  std::vector<float> heard;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < until) {
    auto f = listener.Read(std::chrono::seconds(2));
    ASSERT_TRUE(f);
    if (f->header.type != FrameType::kAudio) continue;
    std::span<const uint8_t> pcm;
    protocol::ParseAudioHeader(f->payload, &pcm).value();
    auto s = S16ToFloat(std::string_view(reinterpret_cast<const char*>(pcm.data()), pcm.size()));
    heard.insert(heard.end(), s.begin(), s.end());
  }
  EXPECT_GT(Peak(heard), 0.01) << "the listener heard only silence";

  r = Get("/v1/channels/http-chan");
  ASSERT_EQ(r.status, 200) << r.body;
  json status = json::parse(r.body);
  EXPECT_EQ(status["channel"], "http-chan");
  EXPECT_EQ(status["listeners"], 1);

  const std::string long_text = "This one is long enough to be playing still when it is skipped, and then some more.";
  for (const char* text : {long_text.c_str(), "Second.", "Third."}) {
    ASSERT_EQ(Post("/v1/audio/speech", Speech({{"input", text}, {"channel", "http-chan"}})).status, 202);
  }
  status = json::parse(Get("/v1/channels/http-chan").body);
  EXPECT_TRUE(status["playing"].get<bool>());
  EXPECT_EQ(status["queue"].size(), 2u);
  r = Post("/v1/channels/http-chan/skip", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["queue"].size(), 1u);  // "Second." plays now
  r = Post("/v1/channels/http-chan/clear", "");
  ASSERT_EQ(r.status, 200) << r.body;
  status = json::parse(r.body);
  EXPECT_FALSE(status["playing"].get<bool>());
  EXPECT_TRUE(status["queue"].empty());

  // Events: an open stream that starts with the channel's status.
  auto events = HttpRequest(port_, "GET", "/v1/channels/http-chan/events", "", {}, std::chrono::milliseconds(1500));
  EXPECT_EQ(events.status, 200);
  EXPECT_EQ(events.header("content-type"), "text/event-stream");
  EXPECT_FALSE(events.complete);  // it stays open
  EXPECT_NE(events.body.find("retry: 2000"), std::string::npos);
  const size_t data = events.body.find("event: status\ndata: ");
  ASSERT_NE(data, std::string::npos) << events.body;
  const size_t end = events.body.find("\n\n", data);
  json event = json::parse(events.body.substr(data + 20, end - data - 20));
  EXPECT_EQ(event["channel"], "http-chan");
  EXPECT_EQ(event["listeners"], 1);
}

TEST_F(HttpApi, TheBearerTokenIsRequiredAndChecked) {
  Start({"--http-token", "s3cret-token"});
  auto r = Get("/v1/voices");
  ExpectOpenAiError(r, 401, "invalid_api_key");
  EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  ExpectOpenAiError(Get("/v1/voices", {"Authorization: Bearer wrong"}), 401, "invalid_api_key");
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"input", "Hello."}})), 401, "invalid_api_key");
  EXPECT_EQ(Get("/v1/voices", {"Authorization: Bearer s3cret-token"}).status, 200);
  EXPECT_EQ(Post("/v1/audio/speech", Speech({{"input", "Hello."}}), {"Authorization: Bearer s3cret-token"}).status, 200);
  // The page holds no secret: it loads without the token and sends the one in its URL.
  EXPECT_EQ(Get("/").status, 200);
}

TEST_F(HttpApi, TheTokenCanComeFromAFile) {
  TempDir dir;
  const std::string file = dir.path() + "/token";
  { std::ofstream(file) << "  from-a-file \n"; }
  Start({"--http-token-file", file});
  EXPECT_EQ(Get("/v1/voices").status, 401);
  EXPECT_EQ(Get("/v1/voices", {"Authorization: Bearer from-a-file"}).status, 200);
  // /health without the token is a probe's: "ok" and nothing else; with it, the voices and uptime.
  auto probe = Get("/health");
  EXPECT_EQ(probe.status, 200);
  EXPECT_EQ(json::parse(probe.body), json({{"status", "ok"}}));
  auto full = Get("/health", {"Authorization: Bearer from-a-file"});
  EXPECT_EQ(full.status, 200);
  EXPECT_TRUE(json::parse(full.body).contains("voices")) << full.body;
}

TEST(HttpApiStartup, RefusesToListenBeyondLoopbackWithoutAToken) {
  DaemonProcess d({"--http", "0.0.0.0:0"}, {}, /*wait_ready=*/false);
  for (int i = 0; i < 200 && !d.Exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(d.Exited()) << d.Log();
  EXPECT_EQ(WEXITSTATUS(d.exit_status()), 2);
  EXPECT_NE(d.Log().find("reachable from other machines"), std::string::npos) << d.Log();
  EXPECT_NE(d.Log().find("http-token"), std::string::npos);

  DaemonProcess with_token({"--http", "0.0.0.0:0", "--http-token", "t"});
  EXPECT_TRUE(with_token.WaitForLog("(bearer token required)")) << with_token.Log();
}

TEST(HttpApiStartup, AnAddressInUseIsFatalWhenGivenExplicitly) {
  DaemonProcess first({"--http", "127.0.0.1:0"});
  const int port = HttpPort(first);
  DaemonProcess second({"--http", "127.0.0.1:" + std::to_string(port)}, {}, /*wait_ready=*/false);
  for (int i = 0; i < 200 && !second.Exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(second.Exited());
  EXPECT_EQ(WEXITSTATUS(second.exit_status()), 1);
  EXPECT_NE(second.Log().find("cannot listen on http://"), std::string::npos) << second.Log();
}

TEST_F(HttpApi, OtherOriginsAndForeignHostsAreRefused) {
  ExpectOpenAiError(Post("/v1/channels/stream/clear", "", {"Origin: http://evil.example"}), 403, "forbidden_origin");
  ExpectOpenAiError(Post("/v1/audio/speech", Speech({{"input", "Hi"}}), {"Origin: null"}), 403, "forbidden_origin");
  // DNS rebinding: a foreign name that resolves to 127.0.0.1.
  int fd = ConnectTcp(port_);
  const std::string req = "GET /v1/voices HTTP/1.1\r\nHost: evil.example:" + std::to_string(port_) + "\r\n\r\n";
  send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  ExpectOpenAiError(ReadHttpResponse(fd, std::chrono::steady_clock::now()), 403, "forbidden_host");
  close(fd);
  // The page's own origin is fine.
  EXPECT_EQ(Post("/v1/channels/stream/clear", "", {"Origin: http://127.0.0.1:" + std::to_string(port_)}).status, 200);
}

TEST_F(HttpApi, MalformedRequestsGet400AndNothingElseBreaks) {
  auto raw = [&](const std::string& bytes) {
    int fd = ConnectTcp(port_);
    send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    HttpResponse r = ReadHttpResponse(fd, std::chrono::steady_clock::now(), std::chrono::seconds(5));
    close(fd);
    return r;
  };
  ExpectOpenAiError(raw("NOT HTTP AT ALL\r\n\r\n"), 400, "malformed_request");
  ExpectOpenAiError(raw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: zz\r\n\r\n"), 400, "malformed_request");
  EXPECT_EQ(raw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(20000, 'x') + "\r\n\r\n").status, 431);
  ExpectOpenAiError(raw("POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        "Content-Length: 5000000\r\n\r\n{"),
                    413, "body_too_large");
  // A target that is not UTF-8 is quoted in the 404 (found by fuzzing: it used to throw and stop ttsd).
  ExpectOpenAiError(raw("GET /v1/\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 404, "not_found");
  // A client that connects and says nothing does not stop anyone else.
  int idle = ConnectTcp(port_);
  EXPECT_EQ(Get("/health").status, 200);
  close(idle);
  EXPECT_EQ(Post("/v1/audio/speech", Speech({{"input", "Still here."}})).status, 200);
}

TEST_F(HttpApi, KeepAliveAndPipelinedRequestsAreAnsweredInOrder) {
  int fd = ConnectTcp(port_);
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  const std::string body = R"({"input":"One.","response_format":"pcm"})";
  const std::string reqs = "GET /health HTTP/1.1\r\n" + host + "\r\n" + "POST /v1/audio/speech HTTP/1.1\r\n" + host +
                           "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\n\r\n" + body + "GET /v1/voices HTTP/1.1\r\n" + host + "\r\n";
  send(fd, reqs.data(), reqs.size(), MSG_NOSIGNAL);
  const auto now = std::chrono::steady_clock::now();
  std::string carry;
  auto a = ReadHttpResponse(fd, now, std::chrono::seconds(30), &carry);
  auto b = ReadHttpResponse(fd, now, std::chrono::seconds(30), &carry);
  auto c = ReadHttpResponse(fd, now, std::chrono::seconds(30), &carry);
  close(fd);
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("\"status\":\"ok\""), std::string::npos);
  EXPECT_EQ(b.status, 200);
  EXPECT_TRUE(b.complete);
  EXPECT_EQ(b.header("content-type"), "audio/pcm");
  EXPECT_EQ(c.status, 200);
  EXPECT_NE(c.body.find("fixture-stream"), std::string::npos);
}

TEST_F(HttpApi, ConnectionsBeyondTheLimitGet503) {
  Start({"--http-max-connections", "2"});
  int a = ConnectTcp(port_), b = ConnectTcp(port_);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto r = Get("/health");
  ExpectOpenAiError(r, 503, "too_many_connections");
  close(a);
  close(b);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Get("/health").status, 200);
}

TEST_F(HttpApi, AClientThatLeavesCancelsItsSpeech) {
  int fd = ConnectTcp(port_);
  const std::string body = json{{"input", kLongText + " " + kLongText + " " + kLongText}, {"voice", "fixture-ar"}}.dump();
  const std::string req = "POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  char buf[256];
  ASSERT_GT(recv(fd, buf, sizeof(buf), 0), 0);  // the response has started
  close(fd);
  EXPECT_TRUE(daemon_->WaitForLog("cancel") || daemon_->WaitForLog("done:")) << daemon_->Log();
  EXPECT_EQ(Get("/health").status, 200);
}

TEST_F(HttpApi, TheControlPageIsServedFromTheBinary) {
  auto r = Get("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("id=\"speak\""), std::string::npos);
  EXPECT_EQ(r.body.find("https://"), std::string::npos);  // nothing from elsewhere: works offline in OBS
  r = Get("/app.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_NE(r.body.find("/v1/audio/speech"), std::string::npos);
  EXPECT_EQ(Get("/style.css").status, 200);
}

TEST_F(HttpApi, CurlStreamsSpeechToAWavFile) {
  const std::string out = daemon_->dir() + "/curl.wav";
  int status = -1;
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/v1/audio/speech";
  const std::string written =
      RunCommand("curl -sS -N -o " + out + " -w '%{http_code}' -H 'Content-Type: application/json' -d '" +
              json{{"model", "tts-1"}, {"input", "Hello from curl."}, {"voice", "fixture-stream"}, {"response_format", "wav"}}
                  .dump() +
              "' " + url,
          &status);
  ASSERT_EQ(status, 0) << "curl failed (./install-deps.sh installs curl)";
  EXPECT_EQ(written, "200");
  SF_INFO info{};
  SNDFILE* f = sf_open(out.c_str(), SFM_READ, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  EXPECT_EQ(info.samplerate, 16000);
  EXPECT_EQ(info.channels, 1);
  std::vector<float> samples(16000 * 10);
  samples.resize(static_cast<size_t>(sf_read_float(f, samples.data(), static_cast<sf_count_t>(samples.size()))));
  sf_close(f);
  EXPECT_GT(samples.size(), 4000u);
  EXPECT_GT(Peak(samples), 0.01);

  // And the error side, as curl users see it.
  const std::string error = RunCommand(
      "curl -sS -H 'Content-Type: application/json' -d '{\"input\":\"x\",\"response_format\":\"ogg\"}' " + url, &status);
  EXPECT_NE(error.find("\"param\":\"response_format\""), std::string::npos) << error;
}

TEST_F(HttpApi, ShutdownStopsTheHttpApiToo) {
  EXPECT_EQ(Get("/health").status, 200);
  EXPECT_EQ(daemon_->Stop(), 0);
  EXPECT_LT(ConnectTcp(port_), 0);
}

}  // namespace
}  // namespace ttsd::testing
