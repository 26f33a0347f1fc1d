// The style fields of synthesize (protocol version 2: emotion, emotion_text, emotion_alpha,
// duration, references, emotion_reference) and the saved voices in the voices reply.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ttsd/protocol/messages.h"

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

TEST(StyleFields, AxisNamesAndLimitsArePinned) {
  const char* names[] = {"happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm"};
  ASSERT_EQ(kEmotionAxes, 8u);
  for (size_t i = 0; i < kEmotionAxes; ++i) EXPECT_EQ(kEmotionAxisNames[i], names[i]);
  EXPECT_EQ(kMaxReferences, 8u);
  EXPECT_EQ(kMaxEmotionTextBytes, 1000u);
  EXPECT_EQ(kMaxDurationS, 600.0);
}

TEST(StyleFields, AbsentFieldsKeepTheVersionOneMeaning) {
  auto r = ParseSynthesize(B(R"({"text":"Hello."})"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_FALSE(r->emotion);
  EXPECT_EQ(r->emotion_text, "");
  EXPECT_EQ(r->emotion_alpha, 1.0);
  EXPECT_EQ(r->duration_s, 0.0);
  EXPECT_EQ(r->references, 0u);
  EXPECT_FALSE(r->emotion_reference);
  EXPECT_FALSE(r->wants_references());
  // And the serializer writes none of them, so a version 1 server sees what it always saw.
  EXPECT_EQ(AsJson(Serialize(*r)), json({{"text", "Hello."}, {"final", true}, {"sample_format", "s16le"}}));
}

TEST(StyleFields, RoundTripEveryField) {
  SynthesizeRequest in;
  in.text = "Hi.";
  in.emotion = EmotionWeights{0, 0.8, 0.2, 0, 0, 0, 0, 1};
  in.emotion_text = "angrily, voice trembling";
  in.emotion_alpha = 0.7;
  in.duration_s = 8;
  in.references = 3;
  in.emotion_reference = true;
  json j = AsJson(Serialize(in));
  EXPECT_EQ(j["emotion"], json({{"angry", 0.8}, {"sad", 0.2}, {"calm", 1.0}}));  // zero axes are left out
  EXPECT_EQ(j["duration"], 8.0);
  EXPECT_EQ(j["references"], 3);
  auto out = ParseSynthesize(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->emotion, in.emotion);
  EXPECT_EQ(out->emotion_text, in.emotion_text);
  EXPECT_EQ(out->emotion_alpha, 0.7);
  EXPECT_EQ(out->duration_s, 8.0);
  EXPECT_EQ(out->references, 3u);
  EXPECT_TRUE(out->emotion_reference);
  EXPECT_TRUE(out->wants_references());
}

TEST(StyleFields, EmptyEmotionObjectIsAllZero) {
  auto r = ParseSynthesize(B(R"({"text":"a","emotion":{}})"));
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_TRUE(r->emotion);
  for (double w : *r->emotion) EXPECT_EQ(w, 0.0);
}

TEST(StyleFields, EmotionAxesAreCheckedByNameAndRange) {
  auto ok = ParseSynthesize(B(R"({"text":"a","emotion":{"happy":0,"surprised":1,"calm":0.5}})"));
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ((*ok->emotion)[6], 1.0);
  EXPECT_EQ((*ok->emotion)[7], 0.5);
  auto unknown = ParseSynthesize(B(R"({"text":"a","emotion":{"joyful":0.5}})"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kBadRequest);
  EXPECT_NE(unknown.error().message.find("joyful"), std::string::npos);
  for (const char* body : {R"({"text":"a","emotion":{"Happy":0.5}})", R"({"text":"a","emotion":{"happy":1.01}})",
                           R"({"text":"a","emotion":{"happy":-0.1}})", R"({"text":"a","emotion":{"happy":"0.5"}})",
                           R"({"text":"a","emotion":{"happy":null}})", R"({"text":"a","emotion":[0.5]})",
                           R"({"text":"a","emotion":"happy"})"}) {
    EXPECT_EQ(CodeOf(ParseSynthesize(B(body))), ErrorCode::kBadRequest) << body;
  }
}

TEST(StyleFields, EmotionTextIsCappedAtAThousandBytes) {
  SynthesizeRequest r;
  r.text = "a";
  r.emotion_text = std::string(1000, 'x');
  EXPECT_TRUE(ParseSynthesize(Serialize(r)));
  r.emotion_text += "x";
  EXPECT_EQ(CodeOf(ParseSynthesize(Serialize(r))), ErrorCode::kBadRequest);
  EXPECT_EQ(CodeOf(ParseSynthesize(B(R"({"text":"a","emotion_text":7})"))), ErrorCode::kBadRequest);
}

TEST(StyleFields, AlphaIsZeroToOneInclusive) {
  for (const char* a : {"0", "0.5", "1", "1.0"}) {
    EXPECT_TRUE(ParseSynthesize(B(std::string(R"({"text":"a","emotion_alpha":)") + a + "}"))) << a;
  }
  for (const char* a : {"-0.01", "1.01", "2", "\"1\"", "true"}) {
    EXPECT_EQ(CodeOf(ParseSynthesize(B(std::string(R"({"text":"a","emotion_alpha":)") + a + "}"))),
              ErrorCode::kBadRequest)
        << a;
  }
}

TEST(StyleFields, DurationIsPositiveAtMostTenMinutesAndNeedsFinalText) {
  for (const char* d : {"0.1", "2", "600", "600.0"}) {
    auto r = ParseSynthesize(B(std::string(R"({"text":"a","duration":)") + d + "}"));
    ASSERT_TRUE(r) << d << ": " << r.error().ToString();
    EXPECT_EQ(r->duration_s, std::stod(d));
  }
  for (const char* d : {"0", "-1", "600.001", "1e9", "\"8s\"", "false"}) {
    EXPECT_EQ(CodeOf(ParseSynthesize(B(std::string(R"({"text":"a","duration":)") + d + "}"))),
              ErrorCode::kBadRequest)
        << d;
  }
  auto streaming = ParseSynthesize(B(R"({"text":"a","final":false,"duration":2})"));
  ASSERT_FALSE(streaming);
  EXPECT_EQ(streaming.error().code, ErrorCode::kBadRequest);
  EXPECT_TRUE(ParseSynthesize(B(R"({"text":"a","duration":null})")));
}

TEST(StyleFields, ReferencesAreZeroToEight) {
  for (int n = 0; n <= 8; ++n) {
    auto r = ParseSynthesize(B(R"({"text":"a","references":)" + std::to_string(n) + "}"));
    ASSERT_TRUE(r) << n;
    EXPECT_EQ(r->references, static_cast<uint32_t>(n));
  }
  for (const char* n : {"9", "-1", "1.5", "\"2\"", "4294967296"}) {
    EXPECT_EQ(CodeOf(ParseSynthesize(B(std::string(R"({"text":"a","references":)") + n + "}"))),
              ErrorCode::kBadRequest)
        << n;
  }
  EXPECT_EQ(CodeOf(ParseSynthesize(B(R"({"text":"a","emotion_reference":1})"))), ErrorCode::kBadRequest);
  auto emo = ParseSynthesize(B(R"({"text":"a","emotion_reference":true})"));
  ASSERT_TRUE(emo);
  EXPECT_TRUE(emo->wants_references());
}

// Token voices (GPT-SoVITS): the reference's transcript, top-k and the request's seed.
TEST(TokenFields, RoundTripAndAbsentMeansTheVoicesOwn) {
  auto plain = ParseSynthesize(B(R"({"text":"a"})"));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->reference_text, "");
  EXPECT_EQ(plain->top_k, 0u);
  EXPECT_EQ(plain->top_p, 0.0);
  EXPECT_EQ(plain->temperature, 0.0);
  EXPECT_EQ(plain->repetition_penalty, 0.0);
  EXPECT_FALSE(plain->seed);
  for (const char* key : {"top_k", "top_p", "temperature", "repetition_penalty"}) {
    EXPECT_EQ(AsJson(Serialize(*plain)).count(key), 0u) << key;
  }
  EXPECT_EQ(AsJson(Serialize(*plain)).count("seed"), 0u);
  SynthesizeRequest in;
  in.text = "Hi.";
  in.references = 2;
  in.reference_text = "What the first file says, ünïcode.";
  in.top_k = 1;
  in.top_p = 0.8;
  in.temperature = 0.7;
  in.repetition_penalty = 1.2;
  in.seed = 18446744073709551615ull;  // all 64 bits
  auto out = ParseSynthesize(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->reference_text, in.reference_text);
  EXPECT_EQ(out->top_k, 1u);
  EXPECT_EQ(out->top_p, 0.8);
  EXPECT_EQ(out->temperature, 0.7);
  EXPECT_EQ(out->repetition_penalty, 1.2);
  EXPECT_EQ(out->seed, in.seed);
  in.seed = 0;  // a seed of 0 is a seed, not "none"
  EXPECT_EQ(ParseSynthesize(Serialize(in))->seed, std::optional<uint64_t>(0));
}

TEST(TokenFields, AreChecked) {
  EXPECT_EQ(kMaxTopK, 1024u);
  EXPECT_EQ(kMaxReferenceTextBytes, 1000u);
  EXPECT_TRUE(ParseSynthesize(B(R"({"text":"a","top_k":1024,"seed":null})")));
  EXPECT_TRUE(ParseSynthesize(B(R"({"text":"a","top_p":1,"temperature":2,"repetition_penalty":2})")));
  EXPECT_TRUE(ParseSynthesize(B(R"({"text":"a","top_p":0.01,"temperature":0.01,"repetition_penalty":1})")));
  for (const char* body :
       {R"({"text":"a","top_k":1025})", R"({"text":"a","top_k":-1})", R"({"text":"a","top_k":"5"})",
        R"({"text":"a","seed":-1})", R"({"text":"a","seed":1.5})", R"({"text":"a","seed":"7"})",
        R"({"text":"a","seed":18446744073709551616})", R"({"text":"a","reference_text":"no references"})",
        R"({"text":"a","references":1,"reference_text":5})", R"({"text":"a","top_p":1.01})",
        R"({"text":"a","top_p":-0.1})", R"({"text":"a","top_p":"0.5"})", R"({"text":"a","temperature":2.01})",
        R"({"text":"a","temperature":0.001})", R"({"text":"a","temperature":-1})",
        R"({"text":"a","repetition_penalty":0.9})", R"({"text":"a","repetition_penalty":2.5})"}) {
    EXPECT_EQ(CodeOf(ParseSynthesize(B(body))), ErrorCode::kBadRequest) << body;
  }
  const std::string long_text(1001, 'x');
  EXPECT_EQ(CodeOf(ParseSynthesize(B(R"({"text":"a","references":1,"reference_text":")" + long_text + "\"}"))),
            ErrorCode::kBadRequest);
  EXPECT_TRUE(ParseSynthesize(B(R"({"text":"a","references":1,"reference_text":")" + long_text.substr(1) + "\"}")));
  EXPECT_EQ(CodeOf(ParseSynthesize(B("{\"text\":\"a\",\"references\":1,\"reference_text\":\"\xff\"}"))),
            ErrorCode::kMalformedFrame);
}

TEST(SavedVoices, RoundTripInTheVoicesReply) {
  VoiceList in;
  in.default_voice = "a";
  in.voices.push_back({"a", "first", {"en"}, {"s"}, 16000});
  in.saved.push_back({"anna", "a", 2, 9.5, "2026-11-22T06:10:40Z"});
  in.saved.push_back({"bob.v2", "a", 1, 3.25, "2026-11-23T00:00:00Z"});
  json j = AsJson(Serialize(in));
  EXPECT_EQ(j["saved"][0], json({{"name", "anna"}, {"voice", "a"}, {"references", 2}, {"seconds", 9.5},
                                 {"created", "2026-11-22T06:10:40Z"}}));
  auto out = ParseVoiceList(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  ASSERT_EQ(out->saved.size(), 2u);
  EXPECT_EQ(out->saved[1].name, "bob.v2");
  EXPECT_EQ(out->saved[1].voice, "a");
  EXPECT_EQ(out->saved[1].references, 1u);
  EXPECT_EQ(out->saved[1].seconds, 3.25);
  EXPECT_EQ(out->saved[1].created, "2026-11-23T00:00:00Z");
}

TEST(SavedVoices, AbsentFromAVersionOneReplyAndMalformedWhenNotAnArray) {
  auto old = ParseVoiceList(B(R"({"default_voice":"a","voices":[]})"));
  ASSERT_TRUE(old);
  EXPECT_TRUE(old->saved.empty());
  EXPECT_FALSE(AsJson(Serialize(VoiceList{})).contains("saved"));
  EXPECT_EQ(CodeOf(ParseVoiceList(B(R"({"voices":[],"saved":{}})"))), ErrorCode::kMalformedFrame);
  EXPECT_EQ(CodeOf(ParseVoiceList(B(R"({"voices":[],"saved":["x"]})"))), ErrorCode::kMalformedFrame);
  EXPECT_EQ(CodeOf(ParseVoiceList(B(R"({"voices":[],"saved":[{"seconds":"long"}]})"))), ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace ttsd::protocol
