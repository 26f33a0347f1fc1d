// Payload bodies (protocol/README.md, "Frame types"): JSON control messages, the binary audio
// header, raw UTF-8 text, and version negotiation.
#include "ttsd/protocol/messages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace ttsd {
// Failure messages print "bad_request (5)" rather than raw bytes.
[[maybe_unused]] static void PrintTo(ErrorCode code, std::ostream* os) {
  *os << ErrorCodeName(code) << " (" << static_cast<int>(code) << ")";
}
}  // namespace ttsd

namespace ttsd::protocol {
namespace {

using Bytes = std::vector<uint8_t>;
using nlohmann::json;

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

json AsJson(const Bytes& b) { return json::parse(b.begin(), b.end()); }

template <typename T>
ErrorCode CodeOf(const Result<T>& r) {
  return r ? ErrorCode::kOk : r.error().code;
}

// ---- constants ---------------------------------------------------------------------------

TEST(MessageConstants, ArePinned) {
  EXPECT_EQ(kProtocolVersionMin, 1u);
  EXPECT_EQ(kProtocolVersionMax, 3u);
  EXPECT_EQ(kAudioHeaderBytes, 16u);
  EXPECT_EQ(static_cast<uint8_t>(SampleFormat::kS16Le), 1);
  EXPECT_EQ(static_cast<uint8_t>(SampleFormat::kF32Le), 2);
}

TEST(SampleFormat, NamesParseAndSizes) {
  EXPECT_EQ(SampleFormatName(SampleFormat::kS16Le), "s16le");
  EXPECT_EQ(SampleFormatName(SampleFormat::kF32Le), "f32le");
  EXPECT_EQ(ParseSampleFormat("s16le").value(), SampleFormat::kS16Le);
  EXPECT_EQ(ParseSampleFormat("f32le").value(), SampleFormat::kF32Le);
  for (const char* bad : {"S16LE", "s16", "f32be", "wav", " s16le", ""}) {
    auto r = ParseSampleFormat(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << bad;
  }
  EXPECT_EQ(BytesPerSample(SampleFormat::kS16Le), 2u);
  EXPECT_EQ(BytesPerSample(SampleFormat::kF32Le), 4u);
}

TEST(SynthesizeRequest, DefaultsArePinned) {
  SynthesizeRequest r;
  EXPECT_EQ(r.voice, "");
  EXPECT_EQ(r.speaker, "");
  EXPECT_EQ(r.text, "");
  EXPECT_TRUE(r.final);
  EXPECT_EQ(r.sample_format, SampleFormat::kS16Le);
  EXPECT_EQ(r.speed, 1.0);
}

// ---- hello and version negotiation ---------------------------------------------------------

TEST(Hello, RoundTrips) {
  Hello in{1, 7, "ttsc 0.1.0"};
  auto out = ParseHello(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->min_version, 1u);
  EXPECT_EQ(out->max_version, 7u);
  EXPECT_EQ(out->client, "ttsc 0.1.0");
}

TEST(Hello, SerializesTheDocumentedFields) {
  json j = AsJson(Serialize(Hello{1, 2, "c"}));
  EXPECT_EQ(j, json({{"min_version", 1}, {"max_version", 2}, {"client", "c"}}));
}

TEST(Hello, ClientIsOptionalAndUnknownFieldsAreIgnored) {
  auto h = ParseHello(B(R"({"max_version":3,"min_version":2,"features":{"x":1},"zz":null})"));
  ASSERT_TRUE(h) << h.error().ToString();
  EXPECT_EQ(h->min_version, 2u);
  EXPECT_EQ(h->max_version, 3u);
  EXPECT_EQ(h->client, "");
}

TEST(Hello, VersionsAreRequiredAndOrdered) {
  for (const char* body : {R"({})", R"({"min_version":1})", R"({"max_version":1})",
                           R"({"min_version":0,"max_version":1})", R"({"min_version":2,"max_version":1})",
                           R"({"min_version":null,"max_version":1})"}) {
    EXPECT_EQ(CodeOf(ParseHello(B(body))), ErrorCode::kBadRequest) << body;
  }
}

TEST(Hello, WrongTypesAreBadRequests) {
  for (const char* body : {
           R"({"min_version":"1","max_version":1})",
           R"({"min_version":1,"max_version":1.0})",
           R"({"min_version":-1,"max_version":1})",
           R"({"min_version":1,"max_version":4294967296})",
           R"({"min_version":1,"max_version":true})",
           R"({"min_version":1,"max_version":[1]})",
           R"({"min_version":1,"max_version":1,"client":5})",
           R"({"min_version":1,"max_version":1,"client":["x"]})",
       }) {
    EXPECT_EQ(CodeOf(ParseHello(B(body))), ErrorCode::kBadRequest) << body;
  }
}

TEST(Hello, LargestVersionNumberIsAccepted) {
  auto h = ParseHello(B(R"({"min_version":1,"max_version":4294967295})"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->max_version, 4294967295u);
}

TEST(NegotiateVersion, PicksTheHighestCommonVersion) {
  EXPECT_EQ(NegotiateVersion({1, 1, ""}).value(), 1u);
  EXPECT_EQ(NegotiateVersion({1, 5, ""}).value(), kProtocolVersionMax);
  EXPECT_EQ(NegotiateVersion({1, std::numeric_limits<uint32_t>::max(), ""}).value(), kProtocolVersionMax);
  EXPECT_EQ(NegotiateVersion(Hello{}).value(), kProtocolVersionMax);
}

TEST(NegotiateVersion, NoCommonVersionIsUnsupportedVersion) {
  for (Hello h : {Hello{kProtocolVersionMax + 1, kProtocolVersionMax + 5, ""},
                  Hello{std::numeric_limits<uint32_t>::max(), std::numeric_limits<uint32_t>::max(), ""},
                  Hello{0, 0, ""}}) {
    auto v = NegotiateVersion(h);
    ASSERT_FALSE(v) << h.min_version << ".." << h.max_version;
    EXPECT_EQ(v.error().code, ErrorCode::kUnsupportedVersion);
    EXPECT_EQ(static_cast<int>(v.error().code), 1);  // the code the README promises
    EXPECT_NE(v.error().message.find("server speaks"), std::string::npos) << v.error().message;
  }
}

TEST(NegotiateVersion, AgreesWithTheRuleForEveryRange) {
  // The README's rule, spelled independently: the largest v with both ranges containing v.
  for (uint32_t lo = 0; lo <= 6; ++lo) {
    for (uint32_t hi = lo; hi <= 6; ++hi) {
      uint32_t expected = 0;
      for (uint32_t v = kProtocolVersionMin; v <= kProtocolVersionMax; ++v) {
        if (v >= lo && v <= hi) expected = v;
      }
      auto got = NegotiateVersion({lo, hi, ""});
      if (expected == 0) {
        ASSERT_FALSE(got) << lo << ".." << hi;
        EXPECT_EQ(got.error().code, ErrorCode::kUnsupportedVersion);
      } else {
        ASSERT_TRUE(got) << lo << ".." << hi;
        EXPECT_EQ(*got, expected);
      }
    }
  }
}

// ---- welcome -------------------------------------------------------------------------------

TEST(Welcome, RoundTrips) {
  Welcome in{1, "ttsd 0.1.0", 1u << 20};
  auto out = ParseWelcome(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->version, 1u);
  EXPECT_EQ(out->server, "ttsd 0.1.0");
  EXPECT_EQ(out->max_payload_bytes, 1u << 20);
  EXPECT_EQ(AsJson(Serialize(in)), json({{"version", 1}, {"server", "ttsd 0.1.0"}, {"max_payload_bytes", 1048576}}));
}

TEST(Welcome, WrongTypesAreBadRequests) {
  for (const char* body : {R"({"version":"1"})", R"({"version":-1})", R"({"server":1})",
                           R"({"max_payload_bytes":1.5})"}) {
    EXPECT_EQ(CodeOf(ParseWelcome(B(body))), ErrorCode::kBadRequest) << body;
  }
}

// ---- synthesize ----------------------------------------------------------------------------

TEST(Synthesize, RoundTripsEveryField) {
  SynthesizeRequest in;
  in.voice = "en-fixture";
  in.speaker = "alice";
  in.text = "Grüße, 世界! 😀";
  in.final = false;
  in.sample_format = SampleFormat::kF32Le;
  in.speed = 1.75;
  auto out = ParseSynthesize(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->voice, in.voice);
  EXPECT_EQ(out->speaker, in.speaker);
  EXPECT_EQ(out->text, in.text);
  EXPECT_EQ(out->final, in.final);
  EXPECT_EQ(out->sample_format, in.sample_format);
  EXPECT_EQ(out->speed, in.speed);
}

TEST(Synthesize, RoundTripsDefaults) {
  auto out = ParseSynthesize(Serialize(SynthesizeRequest{}));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->voice, "");
  EXPECT_EQ(out->speaker, "");
  EXPECT_EQ(out->text, "");
  EXPECT_TRUE(out->final);
  EXPECT_EQ(out->sample_format, SampleFormat::kS16Le);
  EXPECT_EQ(out->speed, 1.0);
}

TEST(Synthesize, SerializerOmitsDefaultsItMayOmit) {
  SynthesizeRequest defaults;
  defaults.text = "hi";
  json j = AsJson(Serialize(defaults));
  EXPECT_EQ(j, json({{"text", "hi"}, {"final", true}, {"sample_format", "s16le"}}));
  json k = AsJson(Serialize(SynthesizeRequest{.voice = "v", .speaker = "s", .text = "", .final = false,
                                              .sample_format = SampleFormat::kF32Le, .speed = 0.5, .channel = ""}));
  EXPECT_EQ(k, json({{"voice", "v"}, {"speaker", "s"}, {"text", ""}, {"final", false},
                     {"sample_format", "f32le"}, {"speed", 0.5}}));
}

// "loudness": true is the default target, a number its own, false or null none; the rest is refused.
TEST(Synthesize, LoudnessIsTrueOrATargetInRange) {
  EXPECT_EQ(ParseSynthesize(B(R"({"text":"a"})"))->loudness_lufs, std::nullopt);
  EXPECT_EQ(ParseSynthesize(B(R"({"text":"a","loudness":true})"))->loudness_lufs, kDefaultLoudnessLufs);
  EXPECT_EQ(ParseSynthesize(B(R"({"text":"a","loudness":-23})"))->loudness_lufs, -23);
  EXPECT_EQ(ParseSynthesize(B(R"({"text":"a","loudness":-5})"))->loudness_lufs, -5);
  EXPECT_EQ(ParseSynthesize(B(R"({"text":"a","loudness":false})"))->loudness_lufs, std::nullopt);
  EXPECT_EQ(ParseSynthesize(B(R"({"text":"a","loudness":null})"))->loudness_lufs, std::nullopt);
  for (const char* bad : {R"({"text":"a","loudness":0})", R"({"text":"a","loudness":-70.5})",
                          R"({"text":"a","loudness":"-16"})", R"({"text":"a","loudness":{}})"}) {
    auto r = ParseSynthesize(B(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
    EXPECT_NE(r.error().message.find("'loudness'"), std::string::npos) << r.error().message;
  }
  SynthesizeRequest in;
  in.text = "a";
  in.loudness_lufs = -18.5;
  EXPECT_EQ(AsJson(Serialize(in))["loudness"], -18.5);
  EXPECT_EQ(ParseSynthesize(Serialize(in))->loudness_lufs, -18.5);
  EXPECT_FALSE(AsJson(Serialize(SynthesizeRequest{})).contains("loudness"));
}

TEST(Synthesize, MinimalHandWrittenBodyGetsDefaults) {
  auto r = ParseSynthesize(B(R"({"text":"Hello."})"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->text, "Hello.");
  EXPECT_EQ(r->voice, "");
  EXPECT_TRUE(r->final);
  EXPECT_EQ(r->sample_format, SampleFormat::kS16Le);
  EXPECT_EQ(r->speed, 1.0);

  auto empty = ParseSynthesize(B("{}"));
  ASSERT_TRUE(empty);  // the parser accepts it; the daemon answers empty_text
  EXPECT_EQ(empty->text, "");
}

TEST(Synthesize, NullMeansDefault) {
  auto r = ParseSynthesize(B(R"({"text":"a","voice":null,"final":null,"sample_format":null,"speed":null})"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->voice, "");
  EXPECT_TRUE(r->final);
  EXPECT_EQ(r->speed, 1.0);
}

TEST(Synthesize, EmptySampleFormatMeansDefault) {
  auto r = ParseSynthesize(B(R"({"text":"a","sample_format":""})"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->sample_format, SampleFormat::kS16Le);
}

TEST(Synthesize, UnknownFieldsAreIgnored) {
  auto r = ParseSynthesize(
      B(R"({"text":"a","pitch":1.2,"ssml":true,"future":{"nested":[1,{"x":null}]},"speed":2})"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->text, "a");
  EXPECT_EQ(r->speed, 2.0);
}

TEST(Synthesize, WrongTypesAreBadRequests) {
  for (const char* body : {
           R"({"text":5})",
           R"({"text":["a"]})",
           R"({"text":{"a":1}})",
           R"({"text":"a","voice":1})",
           R"({"text":"a","speaker":false})",
           R"({"text":"a","final":"true"})",
           R"({"text":"a","final":1})",
           R"({"text":"a","sample_format":1})",
           R"({"text":"a","sample_format":"wav"})",
           R"({"text":"a","sample_format":"S16LE"})",
           R"({"text":"a","speed":"fast"})",
           R"({"text":"a","speed":true})",
           R"({"text":"a","speed":[1]})",
       }) {
    EXPECT_EQ(CodeOf(ParseSynthesize(B(body))), ErrorCode::kBadRequest) << body;
  }
}

TEST(Synthesize, SpeedRangeIsInclusiveQuarterToFour) {
  struct Case {
    const char* speed;
    bool ok;
  };
  for (Case c : {Case{"0.25", true}, Case{"4", true}, Case{"4.0", true}, Case{"1", true}, Case{"2.5", true},
                 Case{"0.2499999", false}, Case{"4.0000001", false}, Case{"0", false}, Case{"-1", false},
                 Case{"1e300", false}, Case{"-0.5", false}}) {
    auto r = ParseSynthesize(B(std::string(R"({"text":"a","speed":)") + c.speed + "}"));
    if (c.ok) {
      ASSERT_TRUE(r) << c.speed << ": " << r.error().ToString();
      EXPECT_EQ(r->speed, std::stod(c.speed));
    } else {
      ASSERT_FALSE(r) << c.speed;
      EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << c.speed;
    }
  }
}

TEST(Synthesize, NumberTooLargeForADoubleIsNotJson) {
  // 1e400 overflows a double; the JSON parser refuses the document rather than yield infinity.
  EXPECT_EQ(CodeOf(ParseSynthesize(B(R"({"text":"a","speed":1e400})"))), ErrorCode::kMalformedFrame);
}

TEST(Synthesize, DuplicateKeysTakeTheLastValue) {
  auto r = ParseSynthesize(B(R"({"text":"first","text":"second"})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "second");
}

TEST(Synthesize, EscapedTextDecodes) {
  auto r = ParseSynthesize(B(R"({"text":"a\"b\\c\n\u00e9\ud83d\ude00\u0000z"})"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->text, std::string("a\"b\\c\n\xC3\xA9\xF0\x9F\x98\x80\0z", 14));
}

// ---- bodies that are not JSON objects --------------------------------------------------------

TEST(JsonBodies, NonJsonIsMalformedFrame) {
  for (std::string body : {std::string(""), std::string(" "), std::string("{"), std::string("{\"text\":}"),
                           std::string("text=hi"), std::string("{'text':'a'}"), std::string("{\"text\":\"a\"} x"),
                           std::string("{\"text\":\"a\",}"), std::string("\x00{}", 3)}) {
    SCOPED_TRACE(body);
    EXPECT_EQ(CodeOf(ParseHello(B(body))), ErrorCode::kMalformedFrame);
    EXPECT_EQ(CodeOf(ParseWelcome(B(body))), ErrorCode::kMalformedFrame);
    EXPECT_EQ(CodeOf(ParseSynthesize(B(body))), ErrorCode::kMalformedFrame);
    EXPECT_EQ(CodeOf(ParseAccepted(B(body))), ErrorCode::kMalformedFrame);
    EXPECT_EQ(CodeOf(ParseVoiceList(B(body))), ErrorCode::kMalformedFrame);
    EXPECT_EQ(CodeOf(ParseErrorBody(B(body))), ErrorCode::kMalformedFrame);
  }
}

TEST(JsonBodies, NonObjectJsonIsMalformedFrame) {
  for (const char* body : {"[]", "[{\"text\":\"a\"}]", "\"text\"", "42", "null", "true"}) {
    SCOPED_TRACE(body);
    EXPECT_EQ(CodeOf(ParseHello(B(body))), ErrorCode::kMalformedFrame);
    EXPECT_EQ(CodeOf(ParseSynthesize(B(body))), ErrorCode::kMalformedFrame);
    EXPECT_EQ(CodeOf(ParseErrorBody(B(body))), ErrorCode::kMalformedFrame);
  }
}

TEST(JsonBodies, InvalidUtf8InsideJsonIsMalformedFrame) {
  for (std::string bad : {std::string("\xC0\x80"), std::string("\xED\xA0\x80"), std::string("\xE2\x82"),
                          std::string("\xFF"), std::string("\\ud800"), std::string("\\udc00x")}) {
    EXPECT_EQ(CodeOf(ParseSynthesize(B("{\"text\":\"" + bad + "\"}"))), ErrorCode::kMalformedFrame);
  }
}

TEST(JsonBodies, DeepNestingInAnIgnoredFieldIsHarmless) {
  // A hostile payload near the 1 MiB cap: 400,000 levels of nesting must not overflow the stack.
  const std::string deep = "{\"x\":" + std::string(400000, '[') + std::string(400000, ']') + ",\"text\":\"a\"}";
  auto r = ParseSynthesize(B(deep));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->text, "a");
}

// ---- accepted --------------------------------------------------------------------------------

TEST(Accepted, RoundTrips) {
  Accepted in{"en-fixture", "bob", 22050, SampleFormat::kF32Le, 1, ""};
  auto out = ParseAccepted(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->voice, "en-fixture");
  EXPECT_EQ(out->speaker, "bob");
  EXPECT_EQ(out->sample_rate, 22050u);
  EXPECT_EQ(out->sample_format, SampleFormat::kF32Le);
  EXPECT_EQ(out->channels, 1u);
  EXPECT_EQ(AsJson(Serialize(in)), json({{"voice", "en-fixture"}, {"speaker", "bob"}, {"sample_rate", 22050},
                                         {"sample_format", "f32le"}, {"channels", 1}}));
}

TEST(Accepted, WrongTypesAreBadRequests) {
  for (const char* body : {R"({"sample_rate":"22050"})", R"({"sample_format":"pcm"})", R"({"channels":-1})",
                           R"({"voice":1})"}) {
    EXPECT_EQ(CodeOf(ParseAccepted(B(body))), ErrorCode::kBadRequest) << body;
  }
}

// ---- voices ----------------------------------------------------------------------------------

TEST(VoiceList, RoundTrips) {
  VoiceList in;
  in.default_voice = "b";
  in.voices.push_back({"a", "first voice", {"en"}, {"alice", "bob"}, 22050});
  in.voices.push_back({"b", "zweite Stimme — ü", {"de", "en"}, {"default"}, 24000});
  in.voices.push_back({"c", "", {}, {}, 16000});
  auto out = ParseVoiceList(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->default_voice, "b");
  ASSERT_EQ(out->voices.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out->voices[i].name, in.voices[i].name);
    EXPECT_EQ(out->voices[i].description, in.voices[i].description);
    EXPECT_EQ(out->voices[i].languages, in.voices[i].languages);
    EXPECT_EQ(out->voices[i].speakers, in.voices[i].speakers);
    EXPECT_EQ(out->voices[i].sample_rate, in.voices[i].sample_rate);
  }
  json j = AsJson(Serialize(in));
  EXPECT_EQ(j["voices"][0], json({{"name", "a"}, {"description", "first voice"}, {"languages", {"en"}},
                                  {"speakers", {"alice", "bob"}}, {"sample_rate", 22050}}));
}

TEST(VoiceList, EmptyListRoundTrips) {
  auto out = ParseVoiceList(Serialize(VoiceList{}));
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->voices.empty());
  EXPECT_EQ(AsJson(Serialize(VoiceList{})), json({{"default_voice", ""}, {"voices", json::array()}}));
}

TEST(VoiceList, VoicesMustBeAnArrayOfObjects) {
  EXPECT_EQ(CodeOf(ParseVoiceList(B(R"({"default_voice":"a"})"))), ErrorCode::kMalformedFrame);
  EXPECT_EQ(CodeOf(ParseVoiceList(B(R"({"voices":{}})"))), ErrorCode::kMalformedFrame);
  EXPECT_EQ(CodeOf(ParseVoiceList(B(R"({"voices":["a"]})"))), ErrorCode::kMalformedFrame);
}

TEST(VoiceList, WrongFieldTypesAreBadRequests) {
  for (const char* body : {R"({"voices":[{"name":1}]})", R"({"voices":[{"languages":"en"}]})",
                           R"({"voices":[{"speakers":["a",2]}]})", R"({"voices":[{"sample_rate":-5}]})",
                           R"({"default_voice":[],"voices":[]})"}) {
    EXPECT_EQ(CodeOf(ParseVoiceList(B(body))), ErrorCode::kBadRequest) << body;
  }
}

TEST(VoiceList, UnknownFieldsAreIgnored) {
  auto out = ParseVoiceList(B(R"({"voices":[{"name":"a","gender":"x","speakers":["s"]}],"total":1})"));
  ASSERT_TRUE(out) << out.error().ToString();
  ASSERT_EQ(out->voices.size(), 1u);
  EXPECT_EQ(out->voices[0].name, "a");
  EXPECT_EQ(out->voices[0].speakers, std::vector<std::string>{"s"});
}

// ---- error body ------------------------------------------------------------------------------

TEST(ErrorBody, RoundTripsEveryCode) {
  for (uint16_t n = 0; n <= static_cast<uint16_t>(ErrorCode::kInternal); ++n) {
    ErrorBody in{static_cast<ErrorCode>(n), "message " + std::to_string(n)};
    Bytes bytes = Serialize(in);
    json j = AsJson(bytes);
    EXPECT_EQ(j["code"], n);
    EXPECT_EQ(j["name"], ErrorCodeName(in.code));
    EXPECT_EQ(j["message"], in.message);
    auto out = ParseErrorBody(bytes);
    ASSERT_TRUE(out) << out.error().ToString();
    EXPECT_EQ(out->code, in.code);
    EXPECT_EQ(out->message, in.message);
  }
}

TEST(ErrorBody, CodesFromNewerServersArePreserved) {
  auto out = ParseErrorBody(B(R"({"code":999,"name":"some_new_error","message":"m"})"));
  ASSERT_TRUE(out);
  EXPECT_EQ(static_cast<uint16_t>(out->code), 999);
  EXPECT_EQ(ErrorCodeName(out->code), "unknown_error");
  EXPECT_EQ(out->message, "m");
}

TEST(ErrorBody, MissingCodeIsInternal) {
  auto out = ParseErrorBody(B(R"({"message":"m"})"));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->code, ErrorCode::kInternal);
}

TEST(ErrorBody, CodeAboveSixteenBitsIsRejectedNotTruncated) {
  // 65549 = 65536 + 13: truncating it would turn garbage into a plausible "cancelled".
  for (const char* body : {R"({"code":65536})", R"({"code":65549})", R"({"code":4294967295})"}) {
    EXPECT_EQ(CodeOf(ParseErrorBody(B(body))), ErrorCode::kBadRequest) << body;
  }
  auto top = ParseErrorBody(B(R"({"code":65535})"));
  ASSERT_TRUE(top);
  EXPECT_EQ(static_cast<uint16_t>(top->code), 65535);
}

TEST(ErrorBody, WrongTypesAreBadRequests) {
  for (const char* body : {R"({"code":"5"})", R"({"code":-1})", R"({"code":5.0})", R"({"code":5,"message":1})"}) {
    EXPECT_EQ(CodeOf(ParseErrorBody(B(body))), ErrorCode::kBadRequest) << body;
  }
}

// ---- audio ---------------------------------------------------------------------------------

TEST(Audio, HeaderLayoutIsPinned) {
  AudioHeader h{0x00015888 /* 88200 */, SampleFormat::kF32Le, 2, 0x0102030405060708ull};
  const Bytes pcm = {0xAA, 0xBB, 0xCC, 0xDD, 0x11, 0x22, 0x33, 0x44};
  Bytes out = SerializeAudio(h, pcm);
  const Bytes expected = {0x88, 0x58, 0x01, 0x00,  // sample_rate u32 LE
                          0x02,                    // sample_format f32le
                          0x02,                    // channels
                          0x00, 0x00,              // reserved
                          0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // sample_offset u64 LE
                          0xAA, 0xBB, 0xCC, 0xDD, 0x11, 0x22, 0x33, 0x44};
  EXPECT_EQ(out, expected);
}

TEST(Audio, RoundTripsWithPcmAsAViewIntoThePayload) {
  for (SampleFormat f : {SampleFormat::kS16Le, SampleFormat::kF32Le}) {
    for (uint8_t channels : {uint8_t{1}, uint8_t{2}, uint8_t{255}}) {
      const size_t frame = BytesPerSample(f) * channels;
      Bytes pcm(frame * 37);
      for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<uint8_t>(i);
      AudioHeader in{48000, f, channels, 123456789012345ull};
      Bytes payload = SerializeAudio(in, pcm);
      ASSERT_EQ(payload.size(), kAudioHeaderBytes + pcm.size());
      std::span<const uint8_t> view;
      auto out = ParseAudioHeader(payload, &view);
      ASSERT_TRUE(out) << out.error().ToString();
      EXPECT_EQ(out->sample_rate, 48000u);
      EXPECT_EQ(out->sample_format, f);
      EXPECT_EQ(out->channels, channels);
      EXPECT_EQ(out->sample_offset, 123456789012345ull);
      EXPECT_EQ(view.data(), payload.data() + kAudioHeaderBytes);
      EXPECT_EQ(Bytes(view.begin(), view.end()), pcm);
    }
  }
}

TEST(Audio, EmptyPcmIsAllowed) {
  // The LAST chunk may carry no samples.
  Bytes payload = SerializeAudio({22050, SampleFormat::kS16Le, 1, 999}, {});
  std::span<const uint8_t> view;
  auto out = ParseAudioHeader(payload, &view);
  ASSERT_TRUE(out);
  EXPECT_TRUE(view.empty());
  EXPECT_EQ(out->sample_offset, 999u);
}

TEST(Audio, NullPcmPointerIsAllowed) {
  Bytes payload = SerializeAudio({22050, SampleFormat::kS16Le, 1, 0}, Bytes(4, 0));
  EXPECT_TRUE(ParseAudioHeader(payload, nullptr));
}

TEST(Audio, PcmSamplesAreLittleEndian) {
  const int16_t s16[] = {1, -2, 0x1234};
  Bytes pcm16(sizeof(s16));
  std::memcpy(pcm16.data(), s16, sizeof(s16));  // this test runs on a little-endian host
  EXPECT_EQ(pcm16, (Bytes{0x01, 0x00, 0xFE, 0xFF, 0x34, 0x12}));
  const float f32[] = {1.0f};
  Bytes pcmf(4);
  std::memcpy(pcmf.data(), f32, 4);
  EXPECT_EQ(pcmf, (Bytes{0x00, 0x00, 0x80, 0x3F}));
  std::span<const uint8_t> view;
  Bytes payload = SerializeAudio({22050, SampleFormat::kS16Le, 1, 0}, pcm16);
  ASSERT_TRUE(ParseAudioHeader(payload, &view));
  EXPECT_EQ(view[2] | view[3] << 8, 0xFFFE);
}

TEST(Audio, ShortPayloadIsMalformed) {
  Bytes full = SerializeAudio({22050, SampleFormat::kS16Le, 1, 0}, {});
  for (size_t n = 0; n < kAudioHeaderBytes; ++n) {
    EXPECT_EQ(CodeOf(ParseAudioHeader(std::span(full).first(n), nullptr)), ErrorCode::kMalformedFrame) << n;
  }
}

TEST(Audio, PartialSampleIsMalformed) {
  struct Case {
    SampleFormat f;
    uint8_t channels;
    size_t pcm_bytes;
  };
  for (Case c : {Case{SampleFormat::kS16Le, 1, 1}, Case{SampleFormat::kS16Le, 1, 3}, Case{SampleFormat::kS16Le, 2, 2},
                 Case{SampleFormat::kS16Le, 2, 6}, Case{SampleFormat::kF32Le, 1, 2}, Case{SampleFormat::kF32Le, 1, 7},
                 Case{SampleFormat::kF32Le, 2, 4}, Case{SampleFormat::kF32Le, 3, 8}}) {
    Bytes payload = SerializeAudio({22050, c.f, c.channels, 0}, Bytes(c.pcm_bytes, 0));
    EXPECT_EQ(CodeOf(ParseAudioHeader(payload, nullptr)), ErrorCode::kMalformedFrame)
        << int(c.f) << " " << int(c.channels) << " " << c.pcm_bytes;
  }
}

TEST(Audio, BadHeaderFieldsAreMalformed) {
  Bytes good = SerializeAudio({22050, SampleFormat::kS16Le, 1, 0}, Bytes(4, 0));
  ASSERT_TRUE(ParseAudioHeader(good, nullptr));
  for (uint8_t format : {uint8_t{0}, uint8_t{3}, uint8_t{0xFF}}) {
    Bytes b = good;
    b[4] = format;
    EXPECT_EQ(CodeOf(ParseAudioHeader(b, nullptr)), ErrorCode::kMalformedFrame) << int(format);
  }
  Bytes no_channels = good;
  no_channels[5] = 0;
  EXPECT_EQ(CodeOf(ParseAudioHeader(no_channels, nullptr)), ErrorCode::kMalformedFrame);
  Bytes no_rate = good;
  no_rate[0] = no_rate[1] = no_rate[2] = no_rate[3] = 0;
  EXPECT_EQ(CodeOf(ParseAudioHeader(no_rate, nullptr)), ErrorCode::kMalformedFrame);
}

TEST(Audio, ReservedBytesAreWrittenAsZeroAndIgnoredOnRead) {
  Bytes b = SerializeAudio({22050, SampleFormat::kS16Le, 1, 0}, Bytes(2, 0));
  EXPECT_EQ(b[6], 0);
  EXPECT_EQ(b[7], 0);
  b[6] = 0x12;
  b[7] = 0x34;
  auto out = ParseAudioHeader(b, nullptr);
  ASSERT_TRUE(out);  // protocol/README.md: receivers ignore these bytes
  EXPECT_EQ(out->sample_rate, 22050u);
}

// ---- text ----------------------------------------------------------------------------------

TEST(Text, IsRawUtf8) {
  EXPECT_EQ(ParseText(B("Hello, world.")).value(), "Hello, world.");
  EXPECT_EQ(ParseText(B("")).value(), "");
  EXPECT_EQ(ParseText(B("\xF0\x9F\x98\x80 ok")).value(), "\xF0\x9F\x98\x80 ok");
  EXPECT_EQ(ParseText(B(std::string("a\0b", 3))).value(), std::string("a\0b", 3));
}

TEST(Text, InvalidUtf8IsMalformed) {
  for (std::string bad : {std::string("\xC3"), std::string("abc\xE2\x82"), std::string("\xED\xA0\x80"),
                          std::string("\xC0\xAF"), std::string("\x80"), std::string("ok\xFF")}) {
    EXPECT_EQ(CodeOf(ParseText(B(bad))), ErrorCode::kMalformedFrame);
  }
}

TEST(Text, AFourByteCharacterSplitAcrossTwoTextFramesIsRejected) {
  // Each text frame must hold whole characters: senders split text on character boundaries.
  const std::string emoji = "\xF0\x9F\x98\x80";
  EXPECT_FALSE(ParseText(B(emoji.substr(0, 2))));
  EXPECT_FALSE(ParseText(B(emoji.substr(2))));
}

// ---- UTF-8 validation ------------------------------------------------------------------------

TEST(IsValidUtf8, AcceptsWellFormedText) {
  for (std::string ok : {
           std::string(""), std::string("plain ASCII"), std::string("\x7F"), std::string("\0", 1),
           std::string("\xC2\x80"),          // U+0080, smallest 2-byte
           std::string("\xC3\xA9"),          // é
           std::string("\xDF\xBF"),          // U+07FF
           std::string("\xE0\xA0\x80"),      // U+0800, smallest 3-byte
           std::string("\xE2\x82\xAC"),      // €
           std::string("\xED\x9F\xBF"),      // U+D7FF, just below the surrogates
           std::string("\xEE\x80\x80"),      // U+E000, just above them
           std::string("\xEF\xBF\xBF"),      // U+FFFF
           std::string("\xF0\x90\x80\x80"),  // U+10000, smallest 4-byte
           std::string("\xF0\x9F\x98\x80"),  // 😀
           std::string("\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB"),  // 👩‍💻 (ZWJ sequence)
           std::string("\xF4\x8F\xBF\xBF"),  // U+10FFFF, the last code point
       }) {
    EXPECT_TRUE(IsValidUtf8(ok)) << testing::PrintToString(ok);
  }
}

TEST(IsValidUtf8, RejectsOverlongForms) {
  for (std::string bad : {std::string("\xC0\x80"), std::string("\xC0\xAF"), std::string("\xC1\xBF"),
                          std::string("\xE0\x80\x80"), std::string("\xE0\x9F\xBF"), std::string("\xF0\x80\x80\x80"),
                          std::string("\xF0\x8F\xBF\xBF")}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << testing::PrintToString(bad);
  }
}

TEST(IsValidUtf8, RejectsSurrogates) {
  for (std::string bad : {std::string("\xED\xA0\x80"), std::string("\xED\xAD\xBF"), std::string("\xED\xB0\x80"),
                          std::string("\xED\xBF\xBF"),
                          std::string("\xED\xA0\xBD\xED\xB8\x80")}) {  // CESU-8 pair for U+1F600
    EXPECT_FALSE(IsValidUtf8(bad)) << testing::PrintToString(bad);
  }
}

TEST(IsValidUtf8, RejectsTruncatedSequences) {
  for (std::string bad : {std::string("\xC3"), std::string("\xE2\x82"), std::string("\xE2"),
                          std::string("\xF0\x9F\x98"), std::string("\xF0\x9F"), std::string("\xF0"),
                          std::string("a\xC3"), std::string("\xC3" "a"), std::string("\xE2\x82" "a"),
                          std::string("\xF0\x9F\x98" "a")}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << testing::PrintToString(bad);
  }
}

TEST(IsValidUtf8, StopsAtTheEndOfTheViewEvenWhenMoreBytesFollow) {
  // A payload is a view into a larger buffer; a sequence cut by the view's end is truncated even
  // if the bytes that complete it lie just past the end.
  const std::string emoji = "\xF0\x9F\x98\x80ok";
  EXPECT_TRUE(IsValidUtf8(std::string_view(emoji).substr(0, 4)));
  for (size_t n = 1; n < 4; ++n) EXPECT_FALSE(IsValidUtf8(std::string_view(emoji).substr(0, n))) << n;
  const std::string euro = "a\xE2\x82\xAC";
  EXPECT_FALSE(IsValidUtf8(std::string_view(euro).substr(0, 3)));
}

TEST(IsValidUtf8, RejectsStrayBytesAndOutOfRange) {
  for (std::string bad : {std::string("\x80"), std::string("\xBF"), std::string("a\x80z"),
                          std::string("\xC3\xA9\xA9"),      // extra continuation
                          std::string("\xF4\x90\x80\x80"),  // U+110000
                          std::string("\xF5\x80\x80\x80"), std::string("\xF7\xBF\xBF\xBF"),
                          std::string("\xF8\x88\x80\x80\x80"), std::string("\xFC\x84\x80\x80\x80\x80"),
                          std::string("\xFE"), std::string("\xFF")}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << testing::PrintToString(bad);
  }
}

// Well-formed byte sequences, from Table 3-7 of the Unicode Standard, written independently of
// the implementation under test.
bool WellFormed(const uint8_t* s, size_t n) {
  size_t i = 0;
  auto in = [](uint8_t b, uint8_t lo, uint8_t hi) { return b >= lo && b <= hi; };
  while (i < n) {
    const uint8_t b0 = s[i];
    size_t len = 0;
    uint8_t lo1 = 0x80, hi1 = 0xBF;
    if (b0 <= 0x7F) len = 1;
    else if (in(b0, 0xC2, 0xDF)) len = 2;
    else if (b0 == 0xE0) len = 3, lo1 = 0xA0;
    else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) len = 3;
    else if (b0 == 0xED) len = 3, hi1 = 0x9F;
    else if (b0 == 0xF0) len = 4, lo1 = 0x90;
    else if (in(b0, 0xF1, 0xF3)) len = 4;
    else if (b0 == 0xF4) len = 4, hi1 = 0x8F;
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if (!in(s[i + k], k == 1 ? lo1 : 0x80, k == 1 ? hi1 : 0xBF)) return false;
    }
    i += len;
  }
  return true;
}

TEST(IsValidUtf8, AgreesWithTheUnicodeTableForEveryShortSequence) {
  uint8_t buf[4];
  size_t checked = 0, mismatches = 0;
  auto check = [&](size_t n) {
    // The bytes after the view are valid continuation bytes, so a validator that reads past the
    // end of a truncated sequence would wrongly accept it.
    char probe[8];
    std::memset(probe, 0x80, sizeof(probe));
    std::memcpy(probe, buf, n);
    std::string_view sv(probe, n);
    ++checked;
    if (IsValidUtf8(sv) != WellFormed(buf, n) && ++mismatches <= 10) {
      ADD_FAILURE() << "disagreement on " << testing::PrintToString(std::string(sv));
    }
  };
  for (int a = 0; a < 256; ++a) {
    buf[0] = static_cast<uint8_t>(a);
    check(1);
    for (int b = 0; b < 256; ++b) {
      buf[1] = static_cast<uint8_t>(b);
      check(2);
      for (int c = 0; c < 256; ++c) {
        buf[2] = static_cast<uint8_t>(c);
        check(3);
      }
    }
  }
  // Four bytes: every lead and second byte, with a spread of third and fourth bytes.
  for (int a = 0xE0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : {0x00, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF}) {
        for (int d : {0x00, 0x41, 0x80, 0xBF, 0xC0, 0xF0}) {
          buf[0] = static_cast<uint8_t>(a);
          buf[1] = static_cast<uint8_t>(b);
          buf[2] = static_cast<uint8_t>(c);
          buf[3] = static_cast<uint8_t>(d);
          check(4);
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(checked, 16'000'000u);
}

}  // namespace
}  // namespace ttsd::protocol

namespace ttsd::protocol {
namespace {

TEST(Synthesize, MarksAndSsmlRoundTrip) {
  SynthesizeRequest in;
  in.text = "<speak>Hi</speak>";
  in.marks = MarkLevel::kPhones;
  in.ssml = true;
  auto out = ParseSynthesize(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->marks, MarkLevel::kPhones);
  EXPECT_TRUE(out->ssml);
  for (const char* body : {R"({"marks":"words"})", R"({"marks":"none"})", R"({"marks":""})"}) {
    auto r = ParseSynthesize(std::vector<uint8_t>(body, body + strlen(body)));
    ASSERT_TRUE(r) << body;
    EXPECT_EQ(r->marks, std::string_view(body).find("words") != std::string_view::npos ? MarkLevel::kWords : MarkLevel::kNone);
  }
  const std::string bad = R"({"marks":"syllables"})";
  auto r = ParseSynthesize(std::vector<uint8_t>(bad.begin(), bad.end()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
}

TEST(Marks, RoundTripAndSkipKindsFromNewerServers) {
  Marks in{{{MarkInfo::Kind::kSentence, "Hi there.", 0, 9, 200, 9000},
            {MarkInfo::Kind::kWord, "Hi", 0, 2, 200, 3000},
            {MarkInfo::Kind::kPhone, "hh", 0, 2, 200, 1400}}};
  auto out = ParseMarks(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->marks, in.marks);
  const std::string newer = R"({"marks":[{"kind":"viseme","text":"A"},{"kind":"word","text":"x","text_begin":1,"text_end":2,"start":5,"end":9}]})";
  out = ParseMarks(std::vector<uint8_t>(newer.begin(), newer.end()));
  ASSERT_TRUE(out) << out.error().ToString();
  ASSERT_EQ(out->marks.size(), 1u);
  EXPECT_EQ(out->marks[0].text, "x");
  for (const std::string bad : {R"({"marks":{}})", R"({"marks":[1]})",
                                R"({"marks":[{"kind":"word","start":9,"end":5}]})",
                                R"({"marks":[{"kind":"word","text":7}]})"}) {
    EXPECT_FALSE(ParseMarks(std::vector<uint8_t>(bad.begin(), bad.end()))) << bad;
  }
}

}  // namespace
}  // namespace ttsd::protocol

namespace ttsd::protocol {
namespace {

TEST(Listen, AudioAndEventsRoundTripAndOneIsNeeded) {
  ListenRequest in{"stream", SampleFormat::kS16Le, false, true};
  auto out = ParseListen(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_FALSE(out->audio);
  EXPECT_TRUE(out->events);
  EXPECT_EQ(AsJson(Serialize(ListenRequest{"stream"})), json({{"channel", "stream"}, {"sample_format", "s16le"}}));
  const std::string neither = R"({"channel":"stream","audio":false})";
  auto r = ParseListen(std::vector<uint8_t>(neither.begin(), neither.end()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
}

TEST(ChannelEvent, EachKindRoundTripsWithItsFields) {
  using Kind = ChannelEvent::Kind;
  for (const ChannelEvent& e : {ChannelEvent{Kind::kStart, 7, "Hello there.", 0, 0, 0, 0, "", 0},
                                ChannelEvent{Kind::kSentence, 7, "Hello there.", 0, 12, 0.2, 1.5, "", 0},
                                ChannelEvent{Kind::kWord, 7, "there", 6, 11, 0.75, 1.25, "", 0},
                                ChannelEvent{Kind::kEnd, 7, "", 0, 0, 0, 0, "skipped", 1.02}}) {
    auto out = ParseChannelEvent(Serialize(e));
    ASSERT_TRUE(out) << out.error().ToString();
    EXPECT_EQ(*out, e);
  }
  EXPECT_EQ(AsJson(Serialize(ChannelEvent{Kind::kWord, 7, "there", 6, 11, 0.75049, 1.25, "", 0})),
            json({{"type", "word"}, {"id", 7}, {"text", "there"}, {"text_begin", 6}, {"text_end", 11},
                  {"start_s", 0.75}, {"end_s", 1.25}}));
  const std::string unknown = R"({"type":"viseme","id":1})";
  EXPECT_FALSE(ParseChannelEvent(std::vector<uint8_t>(unknown.begin(), unknown.end())));
}

}  // namespace
}  // namespace ttsd::protocol
