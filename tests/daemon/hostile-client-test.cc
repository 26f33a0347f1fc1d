// Hostile clients against the real ttsd, at the level of bytes: truncated frames, absurd lengths,
// garbage, wrong protocol versions, byte-at-a-time writers. After each scenario a normal request
// still succeeds and the daemon's RSS is back within 10 % of its baseline (hostile-fixture.h).
// The load-shaped scenarios (readers that never read, disconnects, 100 clients, cancel storms) are
// in hostile-load-test.cc.
#include <random>

#include "daemon/hostile-fixture.h"

namespace ttsd::testing {
namespace {

using protocol::FrameType;

class HostileClientTest : public HostileDaemonTest {};

// The connection-level error a misbehaving client gets (request id 0), then EOF.
void ExpectConnectionError(RawClient& c, ErrorCode code) {
  auto f = c.Read(std::chrono::seconds(5));
  ASSERT_TRUE(f) << "no answer";
  ASSERT_EQ(f->header.type, FrameType::kError);
  EXPECT_EQ(f->header.request_id, 0u);
  EXPECT_EQ(protocol::ParseErrorBody(f->payload)->code, code) << protocol::ParseErrorBody(f->payload)->message;
  EXPECT_TRUE(c.WaitClosed());
}

// The error that ends one request; the connection stays open.
ErrorCode RequestError(RawClient& c, uint32_t id) {
  auto r = CollectRequest(c, id);
  if (!r.error) return ErrorCode::kOk;
  return r.error->code;
}

TEST_F(HostileClientTest, TruncatedFrames) {
  const auto synth = protocol::EncodeFrame(FrameType::kSynthesize, 0, 1,
                                           protocol::Serialize(TextRequest(Repeat(kHostileLongText, 10))));
  // Clients that leave part-way through a header, or part-way through a payload.
  for (size_t cut : {size_t{1}, size_t{7}, protocol::kHeaderBytes, protocol::kHeaderBytes + 100, synth.size() - 1}) {
    for (int i = 0; i < 4; ++i) {
      RawClient c(path());
      ASSERT_TRUE(c.SendBytes(HelloFrame()));
      ASSERT_TRUE(c.SendBytes({synth.data(), cut}));
    }
  }
  // One that stops in the middle of a frame and stays, and one that trickles a frame that never
  // ends (a byte every 100 ms): neither is activity, so both are closed once idle (2 s).
  RawClient stalled(path());
  stalled.Handshake();
  ASSERT_TRUE(stalled.SendBytes({synth.data(), protocol::kHeaderBytes + 10}));
  RawClient trickler(path());
  trickler.Handshake();
  uint8_t header[protocol::kHeaderBytes];
  protocol::EncodeHeader({protocol::kMaxClientPayloadBytes, FrameType::kSynthesize, 0, 2}, header);
  ASSERT_TRUE(trickler.SendBytes(header));
  bool trickler_closed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!trickler_closed && std::chrono::steady_clock::now() < deadline) {
    const uint8_t b = '{';
    trickler_closed = !trickler.SendBytes({&b, 1});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(trickler_closed) << "a client trickling one endless frame kept its connection";
  EXPECT_TRUE(stalled.WaitClosed(std::chrono::seconds(3))) << "a client stalled mid-frame kept its connection";
  // A whole frame whose JSON stops half way fails that request only.
  RawClient c(path());
  c.Handshake();
  c.Send(FrameType::kSynthesize, 3, Bytes(R"({"text": "Hello th)"));
  EXPECT_EQ(RequestError(c, 3), ErrorCode::kMalformedFrame);
  c.Synthesize(4, TextRequest("The same connection goes on."));
  EXPECT_TRUE(CollectRequest(c, 4).last);
}

TEST_F(HostileClientTest, AbsurdLengths) {
  for (uint32_t length : {0xFFFFFFFFu, 0x80000000u, protocol::kMaxClientPayloadBytes + 1}) {
    RawClient c(path());
    c.Handshake();
    uint8_t header[protocol::kHeaderBytes];
    protocol::EncodeHeader({length, FrameType::kText, 0, 1}, header);
    ASSERT_TRUE(c.SendBytes(header));
    ExpectConnectionError(c, ErrorCode::kFrameTooLarge);
  }
  RawClient c(path());
  c.Handshake();
  // A payload exactly at the cap: a synthesize whose text is ten times the text limit.
  std::string json = R"({"text": ")" + std::string(protocol::kMaxClientPayloadBytes - 12, 'a') + R"("})";
  ASSERT_EQ(json.size(), protocol::kMaxClientPayloadBytes);
  c.Send(FrameType::kSynthesize, 1, Bytes(json));
  EXPECT_EQ(RequestError(c, 1), ErrorCode::kTextTooLong);
  // Text frames of a megabyte each into an open request.
  c.Synthesize(2, TextRequest("", false));
  for (int i = 0; i < 3; ++i) c.SendText(2, std::string(protocol::kMaxClientPayloadBytes, 'b'), false);
  EXPECT_EQ(RequestError(c, 2), ErrorCode::kTextTooLong);
  // JSON nested half a million deep, numbers past every range, the largest request id.
  c.Send(FrameType::kSynthesize, 3, Bytes(std::string(500'000, '[') + std::string(500'000, ']')));
  EXPECT_EQ(RequestError(c, 3), ErrorCode::kMalformedFrame);
  c.Send(FrameType::kSynthesize, 4, Bytes(R"({"text": "Hi.", "speed": 1e308})"));
  EXPECT_EQ(RequestError(c, 4), ErrorCode::kBadRequest);
  c.Send(FrameType::kSynthesize, 5, Bytes(R"({"text": "Hi.", "references": 18446744073709551615})"));
  EXPECT_NE(RequestError(c, 5), ErrorCode::kOk);
  c.Send(FrameType::kSynthesize, 6, Bytes(R"({"text": "Hi.", "duration": -1e-320})"));
  EXPECT_NE(RequestError(c, 6), ErrorCode::kOk);
  c.Synthesize(0xFFFFFFFFu, TextRequest("The largest request id."));
  EXPECT_TRUE(CollectRequest(c, 0xFFFFFFFFu).last);
}

TEST_F(HostileClientTest, Garbage) {
  std::mt19937 rng(8);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 40; ++i) {
    auto c = std::make_unique<RawClient>(path());
    ASSERT_TRUE(c->connected());
    if (i % 2) c->Handshake();  // garbage after a good start, too
    std::vector<uint8_t> junk(1 + rng() % 8192);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    if (i % 5 == 0) junk[4] = 0x83;  // a well-formed start with a type only servers send
    c->SendBytes(junk);
    clients.push_back(std::move(c));
  }
  // Each is answered with a connection error, or (random bytes that happen to start a frame)
  // left waiting for the rest, and closed once idle.
  int answered = 0;
  for (auto& c : clients) {
    if (auto f = c->Read(std::chrono::seconds(5))) {
      EXPECT_EQ(f->header.type, FrameType::kError);
      EXPECT_EQ(f->header.request_id, 0u);
      answered++;
    }
    EXPECT_TRUE(c->WaitClosed());
  }
  EXPECT_GT(answered, 30);
  // A frame type no one knows, after a good handshake.
  RawClient c(path());
  c.Handshake();
  uint8_t header[protocol::kHeaderBytes] = {0, 0, 0, 0, 0x7F, 0, 0, 0, 1, 0, 0, 0};
  c.SendBytes(header);
  ExpectConnectionError(c, ErrorCode::kUnknownFrameType);
}

TEST_F(HostileClientTest, WrongProtocolVersion) {
  for (auto [min, max] : {std::pair<uint32_t, uint32_t>{99, 120}, {0xFFFFFFFFu, 0xFFFFFFFFu}}) {
    RawClient c(path());
    c.SendBytes(HelloFrame(min, max));
    ExpectConnectionError(c, ErrorCode::kUnsupportedVersion);
  }
  for (auto [min, max] : {std::pair<uint32_t, uint32_t>{0, 0}, {5, 2}}) {  // not a range of versions
    RawClient c(path());
    c.SendBytes(HelloFrame(min, max));
    ExpectConnectionError(c, ErrorCode::kBadRequest);
  }
  {  // a hello that is not JSON
    RawClient c(path());
    c.Send(FrameType::kHello, 0, Bytes("hello?"));
    ExpectConnectionError(c, ErrorCode::kMalformedFrame);
  }
  {  // hello twice
    RawClient c(path());
    c.Handshake();
    c.SendBytes(HelloFrame());
    ExpectConnectionError(c, ErrorCode::kBadRequest);
  }
  {  // a version-1 client sending a version-2 frame
    RawClient c(path());
    c.SendBytes(HelloFrame(1, 1));
    ASSERT_TRUE(c.Read());
    c.Send(FrameType::kReference, 1, Bytes("RIFF"));
    ExpectConnectionError(c, ErrorCode::kUnknownFrameType);
  }
}

TEST_F(HostileClientTest, ByteAtATimeWriters) {
  // Eight clients at once, each writing a streamed-text request one byte per send.
  std::atomic<int> spoken{0};
  RunClients(8, [&](int i) {
    RawClient c(path());
    std::vector<uint8_t> bytes = HelloFrame();
    auto add = [&](const std::vector<uint8_t>& f) { bytes.insert(bytes.end(), f.begin(), f.end()); };
    add(protocol::EncodeFrame(FrameType::kSynthesize, 0, 1, protocol::Serialize(TextRequest("", false))));
    const std::string text = "Client " + std::to_string(i) + " writes one byte at a time.";
    add(protocol::EncodeFrame(FrameType::kText, 0, 1, Bytes(text.substr(0, 10))));
    add(protocol::EncodeFrame(FrameType::kText, protocol::kFlagFinal, 1, Bytes(text.substr(10))));
    for (uint8_t b : bytes) {
      if (!c.SendBytes({&b, 1})) return;
    }
    auto welcome = c.Read();
    if (!welcome || welcome->header.type != FrameType::kWelcome) return;
    auto r = CollectRequest(c, 1);
    if (r.last && r.offsets_contiguous && !r.error) spoken++;
  });
  EXPECT_EQ(spoken.load(), 8);
}

}  // namespace
}  // namespace ttsd::testing
