// ttsd's protocol over WebSocket as values (daemon/http: native-ws-messages.h): every client message
// type to its frame (type, flags, id, payload), hello and its token, strict base64, the typed refusals,
// and the daemon's frames to messages (JSON with the payload as body, audio as its whole frame).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ttsd/daemon/native-ws-messages.h"

namespace ttsd::daemon {
namespace {

using json = nlohmann::json;
using protocol::FrameType;

protocol::Frame Decode(const std::vector<uint8_t>& bytes) {
  protocol::FrameDecoder decoder(protocol::kMaxClientPayloadBytes);
  decoder.Feed(bytes);
  auto frame = decoder.Next();
  EXPECT_TRUE(frame.has_value() && frame->has_value());
  return frame && *frame ? **frame : protocol::Frame{};
}

std::string Payload(const protocol::Frame& f) { return std::string(f.payload.begin(), f.payload.end()); }

ErrorCode Refusal(const std::string& message, uint32_t* id = nullptr) {
  auto in = ParseNativeWsMessage(message);
  EXPECT_FALSE(in.has_value()) << message;
  if (in) return ErrorCode::kOk;
  if (id) *id = in.error().id;
  return in.error().error.code;
}

TEST(NativeWsMessages, JsonFramesCarryTheirBodyUnchanged) {
  const json body = {{"text", "Hi."}, {"final", false}, {"speed", 1.5}, {"emotion", {{"happy", 0.5}}}, {"n", 1.0}};
  for (const char* type : {"synthesize", "listen", "channel_control", "voice_add", "voice_remove"}) {
    auto in = ParseNativeWsMessage(json{{"type", type}, {"id", 7}, {"body", body}}.dump());
    ASSERT_TRUE(in.has_value()) << type;
    const protocol::Frame f = Decode(in->frame);
    EXPECT_EQ(FrameTypeName(f.header.type), type);
    EXPECT_EQ(f.header.request_id, 7u);
    EXPECT_EQ(json::parse(Payload(f)), body) << type;
    EXPECT_NE(Payload(f).find("1.0"), std::string::npos) << "a float stays a float (the daemon refuses 1.0 as an integer)";
  }
  auto empty = ParseNativeWsMessage(R"({"type":"synthesize","id":1})");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(Payload(Decode(empty->frame)), "{}");
}

TEST(NativeWsMessages, TextAndReferenceFlags) {
  auto text = ParseNativeWsMessage(R"({"type":"text","id":2,"text":"Hello, ","flush":true})");
  ASSERT_TRUE(text.has_value());
  protocol::Frame f = Decode(text->frame);
  EXPECT_EQ(f.header.type, FrameType::kText);
  EXPECT_EQ(f.header.flags, protocol::kFlagFlush);
  EXPECT_EQ(Payload(f), "Hello, ");
  text = ParseNativeWsMessage(R"({"type":"text","id":2,"final":true})");
  ASSERT_TRUE(text.has_value());
  f = Decode(text->frame);
  EXPECT_EQ(f.header.flags, protocol::kFlagFinal);
  EXPECT_EQ(Payload(f), "");

  auto ref = ParseNativeWsMessage(R"({"type":"reference","id":3,"data":"QUJD","final":true,"emotion":true})");
  ASSERT_TRUE(ref.has_value());
  f = Decode(ref->frame);
  EXPECT_EQ(f.header.type, FrameType::kReference);
  EXPECT_EQ(f.header.flags, protocol::kFlagEndOfFile | protocol::kFlagEmotion);
  EXPECT_EQ(Payload(f), "ABC");
  for (const auto& [b64, bytes] : {std::pair{"QUI=", "AB"}, {"QQ==", "A"}, {"", ""}}) {
    auto r = ParseNativeWsMessage(json{{"type", "reference"}, {"id", 3}, {"data", b64}}.dump());
    ASSERT_TRUE(r.has_value()) << b64;
    EXPECT_EQ(Payload(Decode(r->frame)), bytes);
  }
  for (const char* bad : {"QUJ", " QUJD", "QU JD", "QUJD\n", "Q===", "QU=D", "QUJ*"}) {
    uint32_t id = 0;
    EXPECT_EQ(Refusal(json{{"type", "reference"}, {"id", 3}, {"data", bad}}.dump(), &id), ErrorCode::kMalformedFrame) << bad;
    EXPECT_EQ(id, 3u);
  }
  for (const char* type : {"cancel", "list_voices", "ping"}) {
    auto r = ParseNativeWsMessage(json{{"type", type}, {"id", 4294967295u}}.dump());
    ASSERT_TRUE(r.has_value());
    f = Decode(r->frame);
    EXPECT_EQ(f.header.request_id, 4294967295u);
    EXPECT_TRUE(f.payload.empty());
  }
}

TEST(NativeWsMessages, HelloAndItsToken) {
  auto hello = ParseNativeWsMessage(R"({"type":"hello","min_version":1,"max_version":3,"client":"page","token":"t"})");
  ASSERT_TRUE(hello.has_value());
  ASSERT_TRUE(hello->hello.has_value());
  EXPECT_EQ(hello->hello->client, "page");
  EXPECT_EQ(hello->token, "t");
  EXPECT_TRUE(hello->frame.empty());
  hello = ParseNativeWsMessage(R"({"type":"hello","min_version":1,"max_version":9})");
  ASSERT_TRUE(hello.has_value());
  EXPECT_FALSE(hello->token.has_value());
  EXPECT_EQ(Refusal(R"({"type":"hello","min_version":0,"max_version":3})"), ErrorCode::kBadRequest);
  EXPECT_EQ(Refusal(R"({"type":"hello","min_version":1,"max_version":3,"token":5})"), ErrorCode::kBadRequest);
}

TEST(NativeWsMessages, RefusalsAreTyped) {
  EXPECT_EQ(Refusal("nope"), ErrorCode::kMalformedFrame);
  EXPECT_EQ(Refusal("[]"), ErrorCode::kMalformedFrame);
  EXPECT_EQ(Refusal(R"({"type":1,"id":1})"), ErrorCode::kMalformedFrame);
  EXPECT_EQ(Refusal(R"({"type":"welcome","id":1})"), ErrorCode::kUnknownFrameType);
  EXPECT_EQ(Refusal(R"({"type":"audio","id":1})"), ErrorCode::kUnknownFrameType);
  EXPECT_EQ(Refusal(R"({"type":"Synthesize","id":1})"), ErrorCode::kUnknownFrameType);
  for (const char* id : {"0", "-1", "1.5", "4294967296", "\"1\"", "null"}) {
    EXPECT_EQ(Refusal(std::string(R"({"type":"ping","id":)") + id + "}"), ErrorCode::kBadRequest) << id;
  }
  uint32_t id = 0;
  EXPECT_EQ(Refusal(R"({"type":"synthesize","id":5,"body":[1]})", &id), ErrorCode::kBadRequest);
  EXPECT_EQ(id, 5u);
  EXPECT_EQ(Refusal(R"({"type":"text","id":5,"final":"yes"})"), ErrorCode::kBadRequest);
  const std::string big(protocol::kMaxClientPayloadBytes + 1, 'a');
  EXPECT_EQ(Refusal(json{{"type", "text"}, {"id", 6}, {"text", big}}.dump(), &id), ErrorCode::kFrameTooLarge);
  EXPECT_EQ(id, 6u);
  const std::string exactly(protocol::kMaxClientPayloadBytes, 'a');
  EXPECT_TRUE(ParseNativeWsMessage(json{{"type", "text"}, {"id", 6}, {"text", exactly}}.dump()).has_value());

  const json e = json::parse(NativeWsErrorMessage({9, {ErrorCode::kBadRequest, "why"}}));
  EXPECT_EQ(e, (json{{"type", "error"}, {"id", 9}, {"body", {{"code", 5}, {"name", "bad_request"}, {"message", "why"}}}}));
}

TEST(NativeWsMessages, DaemonFramesBecomeMessages) {
  protocol::Frame accepted{{}, {}};
  accepted.header.type = FrameType::kAccepted;
  accepted.header.request_id = 3;
  const std::string body = R"({"sample_rate":22050,"sample_format":"s16le","channels":1})";
  accepted.payload.assign(body.begin(), body.end());
  auto m = NativeWsMessage(accepted);
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->binary);
  EXPECT_EQ(json::parse(m->data), (json{{"type", "accepted"}, {"id", 3}, {"body", json::parse(body)}}));

  protocol::Frame pong{{}, {}};
  pong.header.type = FrameType::kPong;
  pong.header.request_id = 8;
  m = NativeWsMessage(pong);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(json::parse(m->data), (json{{"type", "pong"}, {"id", 8}}));

  protocol::AudioHeader h;
  h.sample_rate = 16000;
  h.sample_offset = 320;
  const std::vector<uint8_t> pcm = {1, 2, 3, 4};
  protocol::Frame audio{{}, protocol::SerializeAudio(h, pcm)};
  audio.header.type = FrameType::kAudio;
  audio.header.flags = protocol::kFlagLast;
  audio.header.request_id = 3;
  m = NativeWsMessage(audio);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->binary);
  const auto whole = protocol::EncodeFrame(FrameType::kAudio, protocol::kFlagLast, 3, audio.payload);
  EXPECT_EQ(m->data, std::string(whole.begin(), whole.end()));
  EXPECT_EQ(m->data.size(), 12u + 16u + 4u);

  protocol::Frame welcome{{}, {}};
  welcome.header.type = FrameType::kWelcome;
  EXPECT_FALSE(NativeWsMessage(welcome).has_value()) << "the mapping sends its own welcome";
  const json w = json::parse(NativeWsWelcome(3, 1048576));
  EXPECT_EQ(w["type"], "welcome");
  EXPECT_EQ(w["id"], 0);
  EXPECT_EQ(w["body"]["version"], 3);
}

}  // namespace
}  // namespace ttsd::daemon
