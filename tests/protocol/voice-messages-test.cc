// voice_add / voice_saved / voice_remove / voice_removed bodies and the saved voice name rule.
#include "ttsd/protocol/voice-messages.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

TEST(SavedVoiceName, FollowsTheDocumentedRule) {
  for (std::string ok : {std::string("a"), std::string("Anna"), std::string("anna_2"), std::string("x.y-z"),
                         std::string("9"), std::string("a."), std::string(64, 'n')}) {
    EXPECT_TRUE(IsValidSavedVoiceName(ok)) << ok;
  }
  for (std::string bad : {std::string(""), std::string(65, 'n'), std::string(".hidden"), std::string(".."),
                          std::string("a/b"), std::string("../etc"), std::string("a b"), std::string("ä"),
                          std::string("a\nb"), std::string("a\0b", 3), std::string("a:b")}) {
    EXPECT_FALSE(IsValidSavedVoiceName(bad)) << bad;
  }
}

TEST(VoiceAdd, RoundTripsAndOmitsDefaults) {
  VoiceAdd in{"anna", "", 2, false};
  EXPECT_EQ(AsJson(Serialize(in)), json({{"name", "anna"}, {"references", 2}}));
  in.voice = "ttsd-en";
  in.replace = true;
  auto out = ParseVoiceAdd(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->name, "anna");
  EXPECT_EQ(out->voice, "ttsd-en");
  EXPECT_EQ(out->references, 2u);
  EXPECT_TRUE(out->replace);
}

TEST(VoiceAdd, NameAndReferenceCountAreChecked) {
  EXPECT_TRUE(ParseVoiceAdd(B(R"({"name":"a","references":8,"future":[1]})")));
  for (const char* body : {R"({"references":1})", R"({"name":"","references":1})",
                           R"({"name":"../x","references":1})", R"({"name":".a","references":1})",
                           R"({"name":"a"})", R"({"name":"a","references":0})", R"({"name":"a","references":9})",
                           R"({"name":"a","references":"2"})", R"({"name":1,"references":1})",
                           R"({"name":"a","references":1,"replace":"yes"})",
                           R"({"name":"a","references":1,"voice":false})"}) {
    EXPECT_EQ(CodeOf(ParseVoiceAdd(B(body))), ErrorCode::kBadRequest) << body;
  }
  EXPECT_EQ(CodeOf(ParseVoiceAdd(B("[1]"))), ErrorCode::kMalformedFrame);
  EXPECT_EQ(CodeOf(ParseVoiceAdd(B("{"))), ErrorCode::kMalformedFrame);
}

TEST(VoiceAdd, CarriesTheTranscriptOfTokenVoices) {
  VoiceAdd in{"anna", "gsv", 2, false, "That is not a valid conference number."};
  auto out = ParseVoiceAdd(Serialize(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->reference_text, in.reference_text);
  EXPECT_EQ(AsJson(Serialize(VoiceAdd{"anna", "", 1, false})).count("reference_text"), 0u);
  EXPECT_EQ(CodeOf(ParseVoiceAdd(B(R"({"name":"a","references":1,"reference_text":["x"]})"))), ErrorCode::kBadRequest);
  EXPECT_EQ(CodeOf(ParseVoiceAdd(B(R"({"name":"a","references":1,"reference_text":")" + std::string(1001, 'x') + "\"}"))),
            ErrorCode::kBadRequest);
}

TEST(VoiceSaved, RoundTrips) {
  VoiceSaved in{"anna", "ttsd-en", 3, 11.5};
  EXPECT_EQ(AsJson(Serialize(in)), json({{"name", "anna"}, {"voice", "ttsd-en"}, {"references", 3}, {"seconds", 11.5}}));
  auto out = ParseVoiceSaved(Serialize(in));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->name, "anna");
  EXPECT_EQ(out->voice, "ttsd-en");
  EXPECT_EQ(out->references, 3u);
  EXPECT_EQ(out->seconds, 11.5);
}

TEST(VoiceRemove, RoundTripsAndChecksTheName) {
  auto out = ParseVoiceRemove(Serialize(VoiceRemove{"anna"}));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->name, "anna");
  EXPECT_EQ(CodeOf(ParseVoiceRemove(B(R"({"name":"../../x"})"))), ErrorCode::kBadRequest);
  EXPECT_EQ(CodeOf(ParseVoiceRemove(B(R"({})"))), ErrorCode::kBadRequest);
  auto removed = ParseVoiceRemoved(Serialize(VoiceRemoved{"anna"}));
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->name, "anna");
  EXPECT_EQ(AsJson(Serialize(VoiceRemoved{"anna"})), json({{"name", "anna"}}));
}

}  // namespace
}  // namespace ttsd::protocol
