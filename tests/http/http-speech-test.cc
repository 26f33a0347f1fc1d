// The HTTP API's pure parts: the http address and token rules, OpenAI's speech body turned into ttsd's
// synthesize body, the error mapping, and the streaming WAV header.
#include "ttsd/daemon/http-speech.h"

#include <gtest/gtest.h>

#include <cmath>
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
  EXPECT_FALSE(r->openai_voice);
  EXPECT_FALSE(r->Retry({ErrorCode::kUnknownVoice, "no such voice"}));
  EXPECT_TRUE(r->channel.empty());
}

TEST(SpeechRequest, DefaultsAndOpenAiVoices) {
  auto r = ParseSpeechRequest(R"({"input":"Hi.","voice":"alloy"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->format, SpeechFormat::kMp3);  // OpenAI's default
  EXPECT_FALSE(r->sse);
  EXPECT_EQ(r->sample_rate, 0u);
  EXPECT_EQ(r->volume, 1.0);
  EXPECT_EQ(json::parse(r->synthesize)["sample_format"], "f32le");
  EXPECT_EQ(json::parse(r->synthesize)["voice"], "alloy");
  // ttsd may have a voice called alloy; if not, the default voice speaks, once.
  EXPECT_FALSE(r->Retry({ErrorCode::kBusy, ""}));
  auto again = r->Retry({ErrorCode::kUnknownVoice, "no voice 'alloy'"});
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(*again)["voice"], "");
  EXPECT_FALSE(r->Retry({ErrorCode::kUnknownVoice, "no voice ''"}));
  for (const char* body : {R"({"input":"Hi.","voice":"default"})", R"({"input":"Hi.","voice":""})", R"({"input":"Hi."})"}) {
    r = ParseSpeechRequest(body);
    ASSERT_TRUE(r) << body;
    EXPECT_EQ(json::parse(r->synthesize)["voice"], "") << body;
  }
  r = ParseSpeechRequest(R"({"input":"Hi.","response_format":"pcm"})");
  EXPECT_EQ(json::parse(r->synthesize)["sample_format"], "s16le");  // passed through as the daemon sends it
  r = ParseSpeechRequest(R"({"input":"Hi.","response_format":"wav","sample_rate":8000})");
  EXPECT_EQ(json::parse(r->synthesize)["sample_format"], "f32le");  // resampled here
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
  for (const Case& c : {Case{R"({"input":"x","response_format":"ogg"})", "invalid_value", "response_format"},
                        Case{R"({"input":"x","response_format":3})", "invalid_value", "response_format"},
                        Case{R"({"input":"x","stream_format":"mpeg"})", "invalid_value", "stream_format"},
                        Case{R"({"input":"x","sample_rate":7999})", "invalid_value", "sample_rate"},
                        Case{R"({"input":"x","sample_rate":48001})", "invalid_value", "sample_rate"},
                        Case{R"({"input":"x","sample_rate":16000.5})", "invalid_value", "sample_rate"},
                        Case{R"({"input":"x","sample_rate":"16000"})", "invalid_value", "sample_rate"},
                        Case{R"({"input":"x","volume":-0.1})", "invalid_value", "volume"},
                        Case{R"({"input":"x","volume":4.5})", "invalid_value", "volume"},
                        Case{R"({"input":"x","volume":"2"})", "invalid_value", "volume"},
                        Case{R"({"input":"x","instructions":5})", "invalid_value", "instructions"},
                        Case{R"({"voice":"x"})", "missing_required_parameter", "input"},
                        Case{R"({"input":5})", "invalid_value", "input"},
                        Case{R"({"input":"x","voice":7})", "invalid_value", "voice"},
                        Case{R"({"input":"x","voice":"a:b","speaker":"c"})", "invalid_value", "speaker"},
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

TEST(SpeechRequest, EveryFormatSampleRateVolumeAndSse) {
  for (const auto& [name, format] : std::vector<std::pair<std::string, SpeechFormat>>{
           {"mp3", SpeechFormat::kMp3}, {"opus", SpeechFormat::kOpus}, {"aac", SpeechFormat::kAac},
           {"flac", SpeechFormat::kFlac}, {"wav", SpeechFormat::kWav}, {"pcm", SpeechFormat::kPcm}}) {
    auto r = ParseSpeechRequest(json{{"input", "x"}, {"response_format", name}}.dump());
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->format, format) << name;
  }
  auto r = ParseSpeechRequest(R"({"input":"héllo","stream_format":"sse","sample_rate":16000,"volume":0.5})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->sse);
  EXPECT_EQ(r->sample_rate, 16000u);
  EXPECT_EQ(r->volume, 0.5);
  EXPECT_EQ(r->input_chars, 5u);  // characters, not bytes
  EXPECT_TRUE(ParseSpeechRequest(R"({"input":"x","stream_format":"audio","sample_rate":8000,"volume":0})"));
  EXPECT_TRUE(ParseSpeechRequest(R"({"input":"x","sample_rate":48000,"volume":4})"));
}

// OpenAI's "instructions" go to the emotion-from-text stage, and are dropped for a voice without one.
TEST(SpeechRequest, InstructionsBecomeEmotionTextWhereTheVoiceReadsIt) {
  auto r = ParseSpeechRequest(R"({"input":"x","voice":"alloy","instructions":"Speak cheerfully."})");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->synthesize)["emotion_text"], "Speak cheerfully.");
  auto plain = r->Retry({ErrorCode::kNotSupported, "voice 'x' cannot read emotion descriptions"});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(json::parse(*plain).contains("emotion_text"));
  EXPECT_EQ(json::parse(*plain)["voice"], "alloy");
  auto fallback = r->Retry({ErrorCode::kUnknownVoice, ""});  // both retries, each once
  ASSERT_TRUE(fallback);
  EXPECT_EQ(json::parse(*fallback)["voice"], "");
  EXPECT_FALSE(json::parse(*fallback).contains("emotion_text"));
  EXPECT_FALSE(r->Retry({ErrorCode::kNotSupported, ""}));
  // ttsd's own emotion_text wins; blank instructions are none.
  r = ParseSpeechRequest(R"({"input":"x","instructions":"calmly","emotion_text":"angrily"})");
  EXPECT_EQ(json::parse(r->synthesize)["emotion_text"], "angrily");
  EXPECT_FALSE(r->Retry({ErrorCode::kNotSupported, ""}));
  r = ParseSpeechRequest(R"({"input":"x","instructions":"  "})");
  EXPECT_FALSE(json::parse(r->synthesize).contains("emotion_text"));
}

TEST(SpeechRequest, SseEventsInOpenAisShape) {
  const std::vector<uint8_t> abc{'a', 'b', 'c', 'd'};
  EXPECT_EQ(SseAudioDelta(abc), "data: {\"type\":\"speech.audio.delta\",\"audio\":\"YWJjZA==\"}\n\n");
  const std::string done = SseAudioDone(12);
  ASSERT_TRUE(done.starts_with("data: ") && done.ends_with("\n\n"));
  json j = json::parse(done.substr(6));
  EXPECT_EQ(j["type"], "speech.audio.done");
  EXPECT_EQ(j["usage"]["input_tokens"], 12);
  EXPECT_EQ(j["usage"]["total_tokens"], 12);
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

SpeechRequest Format(SpeechFormat format, uint32_t rate = 0, double volume = 1.0) {
  SpeechRequest r;
  r.format = format;
  r.sample_rate = rate;
  r.volume = volume;
  return r;
}

std::vector<uint8_t> F32(const std::vector<float>& samples) {
  std::vector<uint8_t> pcm(samples.size() * 4);
  std::memcpy(pcm.data(), samples.data(), pcm.size());
  return pcm;
}

std::vector<int16_t> S16(const std::vector<uint8_t>& bytes) {
  std::vector<int16_t> out(bytes.size() / 2);
  std::memcpy(out.data(), bytes.data(), out.size() * 2);
  return out;
}

TEST(SpeechBody, RawPcmPassesThroughOrIsResampledAndScaled) {
  auto same = SpeechBody::Create(Format(SpeechFormat::kPcm), 16000).value();
  EXPECT_EQ(same->rate(), 16000u);
  const std::vector<uint8_t> s16{1, 2, 3, 4};
  EXPECT_EQ(same->Audio(s16).value(), s16);  // as the daemon sent it
  // 16 kHz to 8 kHz at half volume: half the samples, half the level.
  auto body = SpeechBody::Create(Format(SpeechFormat::kPcm, 8000, 0.5), 16000).value();
  EXPECT_EQ(body->rate(), 8000u);
  std::vector<float> tone(16000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.8f * std::sin(2 * M_PI * 440 * static_cast<double>(i) / 16000);
  auto out = body->Audio(F32(tone)).value();
  auto tail = body->Finish().value();
  out.insert(out.end(), tail.begin(), tail.end());
  const auto samples = S16(out);
  EXPECT_EQ(samples.size(), 8000u);
  const int16_t peak = *std::max_element(samples.begin(), samples.end());
  EXPECT_NEAR(peak, 0.4 * 32767, 0.02 * 32767);
  // Loud enough to clip: full scale, never wrapped around.
  auto loud = SpeechBody::Create(Format(SpeechFormat::kWav, 16000, 4.0), 16000).value();
  EXPECT_EQ(loud->Begin().size(), 44u);
  const auto clipped = S16(loud->Audio(F32(tone)).value());
  EXPECT_EQ(*std::max_element(clipped.begin(), clipped.end()), 32767);
  EXPECT_EQ(*std::min_element(clipped.begin(), clipped.end()), -32767);
}

// The encoders' own tests (tests/codec) decode their output; here: each body starts as its format
// does and hands out bytes while the audio comes, not only at the end.
TEST(SpeechBody, EncodedFormatsStreamAsTheyEncode) {
  std::vector<float> half_second(12000);
  for (size_t i = 0; i < half_second.size(); ++i) half_second[i] = 0.3f * std::sin(static_cast<float>(i) * 0.05f);
  struct Case {
    SpeechFormat format;
    uint32_t voice_rate, want_rate;
  };
  for (const Case& c : {Case{SpeechFormat::kMp3, 22050, 22050}, Case{SpeechFormat::kMp3, 23000, 24000},
                        Case{SpeechFormat::kAac, 24000, 24000}, Case{SpeechFormat::kFlac, 23000, 23000},
                        Case{SpeechFormat::kOpus, 24000, 48000}}) {
    auto body = SpeechBody::Create(Format(c.format), c.voice_rate).value();
    EXPECT_EQ(body->rate(), c.want_rate);
    std::vector<uint8_t> all = body->Begin();
    auto first = body->Audio(F32(std::vector<float>(half_second.begin(), half_second.begin() + c.voice_rate / 2))).value();
    EXPECT_FALSE(first.empty()) << ContentType(c.format) << ": nothing after 0.5 s";
    all.insert(all.end(), first.begin(), first.end());
    auto tail = body->Finish().value();
    all.insert(all.end(), tail.begin(), tail.end());
    ASSERT_GT(all.size(), 4u);
    switch (c.format) {
      case SpeechFormat::kFlac: EXPECT_EQ(std::string(all.begin(), all.begin() + 4), "fLaC"); break;
      case SpeechFormat::kOpus: EXPECT_EQ(std::string(all.begin(), all.begin() + 4), "OggS"); break;
      default:  // MPEG audio and ADTS frames start with a sync word of 11 or 12 set bits
        EXPECT_EQ(all[0], 0xFF) << ContentType(c.format);
        EXPECT_EQ(all[1] & 0xE0, 0xE0) << ContentType(c.format);
    }
  }
}

TEST(SpeechBody, OpusStartsWithHeaderPagesAndEndsTheStream) {
  auto body = SpeechBody::Create(Format(SpeechFormat::kOpus), 16000).value();
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
