// The limits every layer shares (protocol/limits.h): their values, and the messages built from them,
// which must read as they did when each layer spelled the numbers out.
#include "ttsd/protocol/limits.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ttsd/protocol/messages.h"
#include "ttsd/protocol/voice-messages.h"

namespace ttsd::protocol {
namespace {

std::vector<uint8_t> B(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::string MessageOf(std::string_view synthesize_json) {
  auto r = ParseSynthesize(B(synthesize_json));
  return r ? "" : r.error().message;
}

TEST(Limits, ValuesArePinned) {
  EXPECT_EQ(kMinSpeed, 0.25);
  EXPECT_EQ(kMaxSpeed, 4.0);
  EXPECT_EQ(kEmotionAxes, 8u);
  EXPECT_EQ(kMaxEmotionWeight, 1.0);
  EXPECT_EQ(kMaxEmotionAlpha, 1.0);
  EXPECT_EQ(kMaxEmotionTextBytes, 1000u);
  EXPECT_EQ(kMaxDurationS, 600.0);
  EXPECT_EQ(kMaxReferences, 8u);
  EXPECT_EQ(kChannelSampleRate, 48000u);
  EXPECT_EQ(kMaxChannelNameBytes, 64u);
  EXPECT_EQ(kMaxSavedVoiceNameBytes, 64u);
}

TEST(Limits, TextForms) {
  EXPECT_EQ(LimitText(0.25), "0.25");
  EXPECT_EQ(LimitText(4.0), "4");
  EXPECT_EQ(LimitText(1.0), "1");
  EXPECT_EQ(LimitText(600), "600");
  EXPECT_EQ(EmotionAxisList(), "happy, angry, sad, afraid, disgusted, melancholic, surprised, calm");
}

TEST(Limits, MessagesReadAsBefore) {
  EXPECT_EQ(MessageOf(R"({"text":"a","speed":5})"), "'speed' must be between 0.25 and 4");
  EXPECT_EQ(MessageOf(R"({"text":"a","emotion_alpha":2})"), "'emotion_alpha' must be between 0 and 1");
  EXPECT_EQ(MessageOf(R"({"text":"a","duration":601})"), "'duration' must be more than 0 and at most 600 seconds");
  EXPECT_EQ(MessageOf(R"({"text":"a","references":9})"), "'references' must be 0 to 8");
  EXPECT_EQ(MessageOf(R"({"text":"a","channel":"a b"})"), "'channel' must be 1-64 characters of a-z A-Z 0-9 - _ .");
  EXPECT_EQ(MessageOf(R"({"text":"a","emotion":{"glad":1}})"),
            "unknown emotion axis 'glad' (happy, angry, sad, afraid, disgusted, melancholic, surprised, calm)");
  EXPECT_EQ(MessageOf(R"({"text":"a","emotion":{"sad":2}})"), "emotion axis 'sad' must be a number from 0 to 1");
  EXPECT_EQ(MessageOf(R"({"text":"a","emotion_text":")" + std::string(1001, 'x') + "\"}"),
            "'emotion_text' is longer than 1000 bytes");
  auto listen = ParseListen(B(R"({"channel":""})"));
  ASSERT_FALSE(listen);
  EXPECT_EQ(listen.error().message, "'channel' must be 1-64 characters of a-z A-Z 0-9 - _ .");
  auto add = ParseVoiceAdd(B(R"({"name":"anna","references":9})"));
  ASSERT_FALSE(add);
  EXPECT_EQ(add.error().message, "'references' must be 1 to 8");
  auto remove = ParseVoiceRemove(B(R"({"name":".x"})"));
  ASSERT_FALSE(remove);
  EXPECT_EQ(remove.error().message, "'name' must be 1-64 characters of A-Z a-z 0-9 _ . - and not start with '.'");
}

}  // namespace
}  // namespace ttsd::protocol
