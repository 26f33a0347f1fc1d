// The client side of reference audio against a scripted server: files cut to the server's payload cap
// with FINAL / EMOTION flags, voice_add and voice_remove answers, and refusal on protocol version 1.
#include <gtest/gtest.h>

#include "client/scripted-server.h"
#include "ttsd/client/connection.h"
#include "ttsd/client/synthesis.h"

namespace ttsd::client {
namespace {

using protocol::FrameType;
using testing::ScriptedServer;
using testing::ServerPeer;

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7);
  return v;
}

TEST(SendReference, FilesAreCutToTheCapWithFinalOnTheLastPiece) {
  const auto speaker = Pattern(2500), emotion = Pattern(1000);
  std::vector<protocol::Frame> got;
  std::optional<protocol::SynthesizeRequest> request;
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake({2, "scripted", 1000});
    auto f = p.Read();
    if (f) request = protocol::ParseSynthesize(f->payload).value();
    for (int i = 0; i < 4; ++i) {
      if (auto r = p.Read()) got.push_back(std::move(*r));
    }
    p.WaitClosed();
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn) << conn.error().ToString();
  protocol::SynthesizeRequest r;
  r.text = "Hi.";
  ReferenceFiles files;
  files.speaker.push_back(speaker);
  files.emotion = emotion;
  auto syn = Synthesis::Start(conn->get(), r, files);
  ASSERT_TRUE(syn) << syn.error().ToString();
  conn->reset();
  server.Join();
  ASSERT_TRUE(request);
  EXPECT_EQ(request->references, 1u);
  EXPECT_TRUE(request->emotion_reference);
  ASSERT_EQ(got.size(), 4u);
  std::vector<uint8_t> joined;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].header.type, FrameType::kReference);
    EXPECT_EQ(got[i].header.flags, i == 2 ? protocol::kFlagEndOfFile : 0) << i;
    joined.insert(joined.end(), got[i].payload.begin(), got[i].payload.end());
  }
  EXPECT_EQ(got[0].payload.size(), 1000u);
  EXPECT_EQ(joined, speaker);
  EXPECT_EQ(got[3].header.flags, protocol::kFlagEndOfFile | protocol::kFlagEmotion);
  EXPECT_EQ(got[3].payload, emotion);
}

TEST(SendReference, VersionOneServersAreToldApart) {
  ScriptedServer server([](ServerPeer& p) {
    p.Handshake();  // version 1
    p.WaitClosed();
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn);
  protocol::SynthesizeRequest r;
  r.text = "Hi.";
  r.duration_s = 2;
  auto styled = Synthesis::Start(conn->get(), r);
  ASSERT_FALSE(styled);
  EXPECT_EQ(styled.error().code, ErrorCode::kUnsupportedVersion);
  auto add = (*conn)->AddVoice({"anna", "", 0, false}, std::vector<std::vector<uint8_t>>{Pattern(10)});
  ASSERT_FALSE(add);
  EXPECT_EQ(add.error().code, ErrorCode::kUnsupportedVersion);
  EXPECT_EQ((*conn)->RemoveVoice("anna").error().code, ErrorCode::kUnsupportedVersion);
}

TEST(AddVoice, SendsTheFilesAndReturnsVoiceSaved) {
  std::optional<protocol::VoiceAdd> add;
  int pieces = 0;
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake({2, "scripted", protocol::kMaxClientPayloadBytes});
    auto f = p.Read();
    if (!f) return;
    add = protocol::ParseVoiceAdd(f->payload).value();
    while (pieces < 2) {
      auto r = p.Read();
      if (!r) return;
      pieces += (r->header.flags & protocol::kFlagEndOfFile) ? 1 : 0;
    }
    p.Send(FrameType::kVoiceSaved, f->header.request_id,
           protocol::Serialize(protocol::VoiceSaved{"anna", "fixture-style", 2, 6.5}));
    auto rm = p.Read();
    if (!rm) return;
    p.SendError(rm->header.request_id, ErrorCode::kUnknownVoice, "no saved voice named 'bob'");
    p.WaitClosed();
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn);
  auto saved = (*conn)->AddVoice({"anna", "fixture-style", 0, true},
                                 std::vector<std::vector<uint8_t>>{Pattern(100), Pattern(200)});
  ASSERT_TRUE(saved) << saved.error().ToString();
  EXPECT_EQ(saved->name, "anna");
  EXPECT_EQ(saved->seconds, 6.5);
  auto removed = (*conn)->RemoveVoice("bob");
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::kUnknownVoice);
  conn->reset();
  server.Join();
  ASSERT_TRUE(add);
  EXPECT_EQ(add->references, 2u);
  EXPECT_TRUE(add->replace);
  EXPECT_EQ(add->voice, "fixture-style");
}

}  // namespace
}  // namespace ttsd::client
