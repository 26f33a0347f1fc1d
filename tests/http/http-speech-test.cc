// The HTTP API's pure parts: the http address and token rules, OpenAI's speech body turned into ttsd's
// synthesize body, the error mapping, and the streaming WAV header.
#include "ttsd/daemon/http-speech.h"

#include <gtest/gtest.h>

#include <cstring>
#include <tuple>
#include <nlohmann/json.hpp>

#include "ttsd/daemon/http-config.h"

namespace ttsd::daemon {
namespace {

using json = nlohmann::json;

TEST(HttpConfig, DefaultsArePinned) {
  HttpConfig c;
  EXPECT_EQ(c.listen, "127.0.0.1:5002");
  EXPECT_TRUE(c.enabled());
  EXPECT_TRUE(c.token.empty());
  EXPECT_EQ(c.max_connections, 64u);
  EXPECT_EQ(HttpConfig::kMaxBodyBytes, 1u << 20);
  EXPECT_EQ(HttpConfig::kMaxHeaderBytes, 16u << 10);
  EXPECT_TRUE(c.Validate());
}

TEST(HttpConfig, AddressesAndLoopback) {
  HttpConfig c;
  for (auto [listen, host, port, loopback] : {std::tuple{"127.0.0.1:5002", "127.0.0.1", 5002, true},
                                              std::tuple{"localhost:0", "127.0.0.1", 0, true},
                                              std::tuple{"[::1]:80", "::1", 80, true},
                                              std::tuple{"0.0.0.0:5002", "0.0.0.0", 5002, false},
                                              std::tuple{"192.168.1.2:9", "192.168.1.2", 9, false}}) {
    c.listen = listen;
    auto e = c.Endpoint();
    ASSERT_TRUE(e) << listen;
    EXPECT_EQ(e->host, host);
    EXPECT_EQ(e->port, port);
    EXPECT_EQ(e->loopback, loopback) << listen;
  }
  for (const char* bad : {"", "5002", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "host.example:80", "::1:80",
                          "127.0.0.1:80x"}) {
    c.listen = bad;
    EXPECT_FALSE(c.Endpoint()) << bad;
    EXPECT_FALSE(c.Validate()) << bad;
  }
  c.listen = "off";
  EXPECT_FALSE(c.enabled());
  EXPECT_TRUE(c.Validate());
}

TEST(HttpConfig, BeyondLoopbackNeedsAToken) {
  HttpConfig c;
  c.listen = "0.0.0.0:5002";
  auto s = c.Validate();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("http-token"), std::string::npos);
  c.token = "t";
  EXPECT_TRUE(c.Validate());
  c.token.clear();
  c.token_file = "/some/file";
  EXPECT_TRUE(c.Validate());
  EXPECT_EQ(c.ToString().find("/some/file"), std::string::npos);
  c.token = "secret-value";
  EXPECT_EQ(c.ToString().find("secret-value"), std::string::npos);  // never printed
}

TEST(SpeechRequest, OpenAiBodyBecomesASynthesizeBody) {
  auto r = ParseSpeechRequest(R"({"model":"tts-1","input":"Hi.","voice":"ttsd-en:hts-deep","speed":1.5,
                                  "response_format":"opus","emotion":{"happy":0.5},"duration":3})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->format, SpeechFormat::kOpus);
  json j = json::parse(r->synthesize);
  EXPECT_EQ(j["text"], "Hi.");
  EXPECT_EQ(j["voice"], "ttsd-en");
  EXPECT_EQ(j["speaker"], "hts-deep");
  EXPECT_EQ(j["speed"], 1.5);
  EXPECT_EQ(j["sample_format"], "f32le");
  EXPECT_EQ(j["emotion"]["happy"], 0.5);
  EXPECT_EQ(j["duration"], 3);
  EXPECT_FALSE(j.contains("model"));
  EXPECT_FALSE(r->fallback);
  EXPECT_TRUE(r->channel.empty());
}

TEST(SpeechRequest, DefaultsAndOpenAiVoices) {
  auto r = ParseSpeechRequest(R"({"input":"Hi.","voice":"alloy"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->format, SpeechFormat::kWav);
  EXPECT_EQ(json::parse(r->synthesize)["sample_format"], "s16le");
  ASSERT_TRUE(r->fallback);
  EXPECT_EQ(json::parse(*r->fallback)["voice"], "");
  r = ParseSpeechRequest(R"({"input":"Hi.","channel":"stream","interrupt":true})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->channel, "stream");
  EXPECT_EQ(json::parse(r->synthesize)["interrupt"], true);
}

TEST(SpeechRequest, RefusalsNameTheField) {
  struct Case {
    const char* body;
    const char* code;
    const char* param;
  };
  for (const Case& c : {Case{R"({"input":"x","response_format":"mp3"})", "unsupported_response_format", "response_format"},
                        Case{R"({"input":"x","response_format":"aac"})", "unsupported_response_format", "response_format"},
                        Case{R"({"input":"x","response_format":"ogg"})", "invalid_value", "response_format"},
                        Case{R"({"voice":"x"})", "missing_required_parameter", "input"},
                        Case{R"({"input":5})", "invalid_value", "input"},
                        Case{R"({"input":"x","voice":7})", "invalid_value", "voice"},
                        Case{R"({"input":"x","voice":"a:b","speaker":"c"})", "invalid_value", "speaker"},
                        Case{R"({"input":"x","stream_format":"sse"})", "invalid_value", "stream_format"},
                        Case{R"([1,2])", "invalid_json", ""}, Case{"{", "invalid_json", ""}}) {
    auto r = ParseSpeechRequest(c.body);
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().code, c.code) << c.body;
    EXPECT_EQ(r.error().param, c.param) << c.body;
    json j = json::parse(r.error().Json());
    EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  }
}

TEST(SpeechRequest, ErrorCodesMapToStatuses) {
  EXPECT_EQ(ToHttpError({ErrorCode::kUnknownVoice, ""}).status, 400);
  EXPECT_EQ(ToHttpError({ErrorCode::kUnknownVoice, ""}).param, "voice");
  EXPECT_EQ(ToHttpError({ErrorCode::kTextTooLong, ""}).status, 413);
  EXPECT_EQ(ToHttpError({ErrorCode::kBusy, ""}).status, 429);
  EXPECT_EQ(ToHttpError({ErrorCode::kShuttingDown, ""}).status, 503);
  EXPECT_EQ(ToHttpError({ErrorCode::kTimeout, ""}).status, 504);
  EXPECT_EQ(ToHttpError({ErrorCode::kModelError, ""}).status, 500);
  EXPECT_EQ(ToHttpError({ErrorCode::kModelError, ""}).type, "server_error");
  EXPECT_EQ(ToHttpError({ErrorCode::kNotSupported, ""}).status, 400);
  EXPECT_EQ(ToHttpError({ErrorCode::kBusy, "x"}).code, "busy");
  json j = json::parse(ToHttpError({ErrorCode::kUnknownSpeaker, "no speaker 'z'"}).Json());
  EXPECT_EQ(j["error"]["message"], "no speaker 'z'");
  EXPECT_EQ(j["error"]["code"], "unknown_speaker");
  EXPECT_EQ(j["error"]["param"], "speaker");
}

TEST(SpeechBody, WavHeaderSaysLengthUnknown) {
  auto h = StreamingWavHeader(22050);
  ASSERT_EQ(h.size(), 44u);
  EXPECT_EQ(std::string(h.begin(), h.begin() + 4), "RIFF");
  EXPECT_EQ(h[4] & h[5] & h[6] & h[7], 0xFF);
  EXPECT_EQ(std::string(h.begin() + 36, h.begin() + 40), "data");
  EXPECT_EQ(h[40] & h[41] & h[42] & h[43], 0xFF);
  EXPECT_EQ(h[24] | h[25] << 8 | h[26] << 16, 22050);
  EXPECT_EQ(h[34], 16);  // bits
}

TEST(SpeechBody, OpusStartsWithHeaderPagesAndEndsTheStream) {
  auto body = SpeechBody::Create(SpeechFormat::kOpus, 16000).value();
  auto head = body->Begin();
  ASSERT_GT(head.size(), 27u);
  EXPECT_EQ(std::string(head.begin(), head.begin() + 4), "OggS");
  std::vector<float> second(16000, 0.1f);
  std::vector<uint8_t> pcm(second.size() * 4);
  std::memcpy(pcm.data(), second.data(), pcm.size());
  auto pages = body->Audio(pcm).value();
  EXPECT_FALSE(pages.empty());  // pages go out as frames complete
  auto tail = body->Finish().value();
  const std::string bytes(tail.begin(), tail.end());
  const size_t last_page = bytes.rfind("OggS");
  ASSERT_NE(last_page, std::string::npos);
  EXPECT_EQ(bytes[last_page + 5] & 0x04, 0x04) << "the last page carries end-of-stream";
}

}  // namespace
}  // namespace ttsd::daemon
