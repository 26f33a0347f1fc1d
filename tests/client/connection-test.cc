// Connection against a scripted server over a real Unix socket: handshake, typed errors, hostile frames,
// request/response helpers, text splitting and concurrent sends.
#include "ttsd/client/connection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/scripted-server.h"

namespace ttsd::client {
namespace {

using protocol::FrameType;
using testing::Bytes;
using testing::ScriptedServer;
using testing::ServerPeer;
using testing::ToBytes;
using namespace std::chrono_literals;

Bytes RawHeader(uint32_t payload_bytes, uint8_t type, uint8_t flags, uint32_t id, uint8_t reserved = 0) {
  return {static_cast<uint8_t>(payload_bytes), static_cast<uint8_t>(payload_bytes >> 8),
          static_cast<uint8_t>(payload_bytes >> 16), static_cast<uint8_t>(payload_bytes >> 24),
          type, flags, reserved, 0,
          static_cast<uint8_t>(id), static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id >> 16),
          static_cast<uint8_t>(id >> 24)};
}

Bytes Cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Connection, HandshakeSendsHelloAndReturnsWelcome) {
  std::optional<protocol::Hello> hello;
  ScriptedServer server([&](ServerPeer& p) {
    hello = p.Handshake({1, "scripted 9.9", 4096});
    p.WaitClosed();
  });
  ConnectOptions options;
  options.client_name = "unit-test";
  auto conn = Connection::Connect(server.path(), options);
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  EXPECT_EQ((*conn)->welcome().version, 1u);
  EXPECT_EQ((*conn)->welcome().server, "scripted 9.9");
  EXPECT_EQ((*conn)->max_send_payload_bytes(), 4096u);
  EXPECT_EQ((*conn)->path(), server.path());
  conn->reset();
  server.Join();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->client, "unit-test");
  EXPECT_EQ(hello->min_version, protocol::kProtocolVersionMin);
  EXPECT_EQ(hello->max_version, protocol::kProtocolVersionMax);
}

TEST(Connection, DefaultClientNameCarriesVersion) {
  std::optional<protocol::Hello> hello;
  ScriptedServer server([&](ServerPeer& p) { hello = p.Handshake(); });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  server.Join();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->client.rfind("ttsd-client/", 0), 0u) << hello->client;
}

TEST(Connection, ServerRefusingVersionGivesUnsupportedVersion) {
  ScriptedServer server([](ServerPeer& p) {
    p.Expect(FrameType::kHello);
    p.SendError(0, ErrorCode::kUnsupportedVersion, "client speaks versions 1..1, server speaks 2..3");
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(conn.error().message, "client speaks versions 1..1, server speaks 2..3");
}

TEST(Connection, WelcomeOutsideClientRangeGivesUnsupportedVersion) {
  ScriptedServer server([](ServerPeer& p) { p.Handshake({7, "future", 1024}); });
  auto conn = Connection::Connect(server.path());
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, ErrorCode::kUnsupportedVersion);
  EXPECT_NE(conn.error().message.find("version 7"), std::string::npos) << conn.error().message;
}

TEST(Connection, MissingSocketSaysIsTtsdRunning) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/ttsd.sock";
  auto conn = Connection::Connect(path);
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, ErrorCode::kIo);
  EXPECT_EQ(conn.error().message,
            "cannot connect to " + path + ": No such file or directory — is ttsd running?");
}

TEST(Connection, OverlongSocketPathIsIo) {
  auto conn = Connection::Connect("/tmp/" + std::string(200, 'x'));
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, ErrorCode::kIo);
  EXPECT_NE(conn.error().message.find("longer than"), std::string::npos);
}

TEST(Connection, ServerClosingDuringHandshakeIsIo) {
  ScriptedServer server([](ServerPeer& p) { p.Expect(FrameType::kHello); });
  auto conn = Connection::Connect(server.path());
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, ErrorCode::kIo);
  EXPECT_NE(conn.error().message.find("during the handshake"), std::string::npos) << conn.error().message;
}

TEST(Connection, SilentServerTimesOut) {
  ScriptedServer server([](ServerPeer& p) { p.WaitClosed(); });
  ConnectOptions options;
  options.handshake_timeout = 150ms;
  auto start = std::chrono::steady_clock::now();
  auto conn = Connection::Connect(server.path(), options);
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, ErrorCode::kTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
}

TEST(Connection, AnswerOtherThanWelcomeIsMalformed) {
  ScriptedServer server([](ServerPeer& p) {
    p.Expect(FrameType::kHello);
    p.Send(FrameType::kPong, 0, {});
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, ErrorCode::kMalformedFrame);
}

TEST(Connection, WelcomeThatIsNotJsonIsMalformed) {
  ScriptedServer server([](ServerPeer& p) {
    p.Expect(FrameType::kHello);
    p.Send(FrameType::kWelcome, 0, ToBytes("{not json"));
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, ErrorCode::kMalformedFrame);
}

TEST(Connection, ListVoicesKeepsOtherFramesForReadFrame) {
  ScriptedServer server([](ServerPeer& p) {
    p.Handshake();
    auto f = p.Expect(FrameType::kListVoices);
    ASSERT_TRUE(f);
    EXPECT_NE(f->header.request_id, 0u);
    p.Send(FrameType::kPong, 4242, {});  // belongs to someone else
    protocol::VoiceList list{"a", {{"a", "first", {"en"}, {"s1", "s2"}, 16000}, {"b", "", {}, {}, 22050}}};
    p.Send(FrameType::kVoices, f->header.request_id, protocol::Serialize(list));
    p.WaitClosed();
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  auto list = (*conn)->ListVoices(5s);
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  EXPECT_EQ(list->default_voice, "a");
  ASSERT_EQ(list->voices.size(), 2u);
  EXPECT_EQ(list->voices[0].speakers, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(list->voices[1].sample_rate, 22050u);
  auto other = (*conn)->ReadFrame(1s);
  ASSERT_TRUE(other.has_value()) << other.error().ToString();
  EXPECT_EQ(other->header.type, FrameType::kPong);
  EXPECT_EQ(other->header.request_id, 4242u);
}

TEST(Connection, ListVoicesErrorIsTyped) {
  ScriptedServer server([](ServerPeer& p) {
    p.Handshake();
    auto f = p.Expect(FrameType::kListVoices);
    ASSERT_TRUE(f);
    p.SendError(f->header.request_id, ErrorCode::kShuttingDown, "ttsd is stopping");
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  auto list = (*conn)->ListVoices(5s);
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error().code, ErrorCode::kShuttingDown);
  EXPECT_EQ(list.error().ToString(), "shutting_down: ttsd is stopping");
}

TEST(Connection, PingMeasuresRoundTrip) {
  ScriptedServer server([](ServerPeer& p) {
    p.Handshake();
    auto f = p.Expect(FrameType::kPing);
    ASSERT_TRUE(f);
    std::this_thread::sleep_for(30ms);
    p.Send(FrameType::kPong, f->header.request_id, {});
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  auto rtt = (*conn)->Ping(5s);
  ASSERT_TRUE(rtt.has_value()) << rtt.error().ToString();
  EXPECT_GE(*rtt, 30ms);
  EXPECT_LT(*rtt, 5s);
}

TEST(Connection, PingWithoutAnswerTimesOut) {
  ScriptedServer server([](ServerPeer& p) {
    p.Handshake();
    p.WaitClosed();
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  auto rtt = (*conn)->Ping(100ms);
  ASSERT_FALSE(rtt.has_value());
  EXPECT_EQ(rtt.error().code, ErrorCode::kTimeout);
}

// Hostile frames from the server: every one is a typed error, none a crash or a huge allocation.
struct HostileCase {
  const char* name;
  Bytes bytes;
  ErrorCode expected;
};

class ConnectionHostile : public ::testing::TestWithParam<HostileCase> {};

TEST_P(ConnectionHostile, GivesTypedErrorThatSticks) {
  const HostileCase& c = GetParam();
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake();
    p.SendRaw(c.bytes);  // then close
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  auto f = (*conn)->ReadFrame(5s);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code, c.expected) << f.error().ToString();
  // Framing is lost: the same error again, at once.
  auto again = (*conn)->ReadFrame(5s);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Frames, ConnectionHostile,
    ::testing::Values(
        HostileCase{"oversized", RawHeader(0xFFFFFFF0u, 0x83, 0, 1), ErrorCode::kFrameTooLarge},
        HostileCase{"just_over_cap", RawHeader(protocol::kMaxServerPayloadBytes + 1, 0x83, 0, 1),
                    ErrorCode::kFrameTooLarge},
        HostileCase{"reserved_bytes", RawHeader(0, 0x86, 0, 1, 0x5A), ErrorCode::kMalformedFrame},
        HostileCase{"unknown_type", RawHeader(0, 0x77, 0, 1), ErrorCode::kUnknownFrameType},
        HostileCase{"client_type", RawHeader(0, 0x02, 0, 1), ErrorCode::kMalformedFrame},
        HostileCase{"http", ToBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ErrorCode::kUnknownFrameType},
        HostileCase{"garbage", Cat(RawHeader(8, 0x83, 1, 1, 0xff), ToBytes("garbage!")), ErrorCode::kMalformedFrame},
        HostileCase{"truncated_then_eof", RawHeader(100, 0x86, 0, 1), ErrorCode::kIo}),
    [](const ::testing::TestParamInfo<HostileCase>& info) { return std::string(info.param.name); });

TEST(Connection, ReadTimeoutLeavesConnectionUsable) {
  std::atomic<bool> timed_out{false};
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake();
    Bytes frame = protocol::EncodeFrame(FrameType::kPong, 0, 9, ToBytes("abc"));
    p.SendRaw(std::span(frame).first(5));  // half a header
    while (!timed_out) std::this_thread::sleep_for(5ms);
    p.SendRaw(std::span(frame).subspan(5));
    p.WaitClosed();
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  auto f = (*conn)->ReadFrame(50ms);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code, ErrorCode::kTimeout);
  timed_out = true;
  f = (*conn)->ReadFrame(5s);
  ASSERT_TRUE(f.has_value()) << f.error().ToString();
  EXPECT_EQ(f->header.request_id, 9u);
  EXPECT_EQ(f->payload, ToBytes("abc"));
}

TEST(Connection, EndOfStreamIsIo) {
  ScriptedServer server([](ServerPeer& p) { p.Handshake(); });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  auto f = (*conn)->ReadFrame(5s);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code, ErrorCode::kIo);
  EXPECT_EQ(f.error().message, "ttsd closed the connection");
}

TEST(Connection, RequestIdsAreNonzeroAndDistinct) {
  ScriptedServer server([](ServerPeer& p) { p.Handshake(); });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  std::set<uint32_t> ids;
  for (int i = 0; i < 1000; ++i) ids.insert((*conn)->NextRequestId());
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_FALSE(ids.contains(0));
}

TEST(Connection, AppendTextSplitsAtPayloadCapBetweenCharacters) {
  const std::string text = "aé€😀 bcdefgh ijklmn €€€€ 😀😀 end";
  std::vector<protocol::Frame> frames;
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake({1, "tiny", 8});
    for (;;) {
      auto f = p.Read();
      if (!f) break;
      frames.push_back(*f);
      if (f->header.flags & protocol::kFlagFinal) break;
    }
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  ASSERT_TRUE((*conn)->AppendText(5, text, /*final=*/true).has_value());
  server.Join();
  std::string joined;
  ASSERT_FALSE(frames.empty());
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto& f = frames[i];
    EXPECT_EQ(f.header.type, FrameType::kText);
    EXPECT_EQ(f.header.request_id, 5u);
    EXPECT_LE(f.payload.size(), 8u);
    auto piece = protocol::ParseText(f.payload);
    ASSERT_TRUE(piece.has_value()) << "frame " << i << " cuts a character";
    joined += *piece;
    EXPECT_EQ((f.header.flags & protocol::kFlagFinal) != 0, i + 1 == frames.size());
  }
  EXPECT_EQ(joined, text);
}

TEST(Connection, EmptyFinalTextSendsOneEmptyFinalFrame) {
  std::optional<protocol::Frame> frame;
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake();
    frame = p.Read();
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  ASSERT_TRUE((*conn)->AppendText(3, "", /*final=*/false).has_value());  // sends nothing
  ASSERT_TRUE((*conn)->AppendText(3, "", /*final=*/true).has_value());
  server.Join();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->header.type, FrameType::kText);
  EXPECT_EQ(frame->header.flags, protocol::kFlagFinal);
  EXPECT_TRUE(frame->payload.empty());
}

TEST(Connection, InvalidUtf8TextIsBadRequest) {
  ScriptedServer server([](ServerPeer& p) { p.Handshake(); });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  EXPECT_EQ((*conn)->AppendText(1, "\xC3(", true).error().code, ErrorCode::kBadRequest);
  protocol::SynthesizeRequest r;
  r.text = "\xFF";
  EXPECT_EQ((*conn)->StartSynthesis(r).error().code, ErrorCode::kBadRequest);
}

TEST(Connection, StartSynthesisSendsRequest) {
  std::optional<std::pair<uint32_t, protocol::SynthesizeRequest>> got;
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake();
    got = p.ExpectSynthesize();
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  protocol::SynthesizeRequest r;
  r.voice = "v";
  r.speaker = "s";
  r.text = "Hello.";
  r.sample_format = protocol::SampleFormat::kF32Le;
  r.speed = 1.5;
  auto id = (*conn)->StartSynthesis(r);
  ASSERT_TRUE(id.has_value());
  server.Join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->first, *id);
  EXPECT_EQ(got->second.voice, "v");
  EXPECT_EQ(got->second.speaker, "s");
  EXPECT_EQ(got->second.text, "Hello.");
  EXPECT_TRUE(got->second.final);
  EXPECT_EQ(got->second.sample_format, protocol::SampleFormat::kF32Le);
  EXPECT_DOUBLE_EQ(got->second.speed, 1.5);
}

TEST(Connection, StartSynthesisStreamsTextTooLongForOneFrame) {
  const std::string text(300, 'x');
  std::optional<std::pair<uint32_t, protocol::SynthesizeRequest>> opened;
  std::string streamed;
  bool final_seen = false;
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake({1, "small", 128});
    opened = p.ExpectSynthesize();
    while (auto f = p.Read()) {
      EXPECT_EQ(f->header.type, FrameType::kText);
      streamed.append(f->payload.begin(), f->payload.end());
      if (f->header.flags & protocol::kFlagFinal) {
        final_seen = true;
        break;
      }
    }
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  protocol::SynthesizeRequest r;
  r.text = text;
  auto id = (*conn)->StartSynthesis(r);
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  server.Join();
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->first, *id);
  EXPECT_FALSE(opened->second.final);
  EXPECT_TRUE(opened->second.text.empty());
  EXPECT_EQ(streamed, text);
  EXPECT_TRUE(final_seen);
}

TEST(Connection, PayloadAboveServerCapIsRefusedUnsent) {
  ScriptedServer server([](ServerPeer& p) { p.Handshake({1, "small", 16}); });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  Bytes big(17, 'a');
  auto s = (*conn)->Send(FrameType::kText, 0, 1, big);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kFrameTooLarge);
}

TEST(Connection, ConcurrentSendsNeverInterleave) {
  constexpr int kPerThread = 400;
  std::vector<protocol::Frame> frames;
  ScriptedServer server([&](ServerPeer& p) {
    p.Handshake();
    while (frames.size() < 2 * kPerThread) {
      auto f = p.Read();
      if (!f) break;
      frames.push_back(std::move(*f));
    }
  });
  auto conn = Connection::Connect(server.path());
  ASSERT_TRUE(conn.has_value());
  auto sender = [&](uint32_t id, char fill) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string text(1 + (i * 37) % 3000, fill);
      ASSERT_TRUE((*conn)->AppendText(id, text, false).has_value());
    }
  };
  std::thread a(sender, 1, 'a');
  std::thread b(sender, 2, 'b');
  a.join();
  b.join();
  server.Join();
  ASSERT_EQ(frames.size(), 2u * kPerThread);
  int seen[3] = {0, 0, 0};
  for (const auto& f : frames) {
    ASSERT_TRUE(f.header.request_id == 1 || f.header.request_id == 2);
    const char fill = f.header.request_id == 1 ? 'a' : 'b';
    const int i = seen[f.header.request_id]++;
    ASSERT_EQ(f.payload.size(), size_t(1 + (i * 37) % 3000));
    for (uint8_t c : f.payload) ASSERT_EQ(c, fill);
  }
}

}  // namespace
}  // namespace ttsd::client
