// Every limit of the real ttsd answers at once with a typed busy error, never a hang: clients past
// max-connections (native and Wyoming), requests past max-requests-per-client and
// max-requests-total while the daemon is loaded, reference audio past a connection's share.
#include <gtest/gtest.h>

#include "daemon/hostile-fixture.h"
#include "support/wyoming-client.h"

namespace ttsd::testing {
namespace {

using protocol::FrameType;

// The busy error a connection past the limit gets (request id 0), then EOF.
void ExpectRefusedBusy(RawClient& c) {
  auto f = c.Read(std::chrono::seconds(5));
  ASSERT_TRUE(f) << "no answer: the connection hangs";
  ASSERT_EQ(f->header.type, FrameType::kError);
  EXPECT_EQ(f->header.request_id, 0u);
  EXPECT_EQ(protocol::ParseErrorBody(f->payload)->code, ErrorCode::kBusy);
  EXPECT_TRUE(c.WaitClosed());
}

TEST(Limits, TheConnectionPastMaxConnectionsIsAnsweredBusyAndClosed) {
  DaemonProcess d({"--max-connections", "100", "--wyoming", "tcp://127.0.0.1:0"});
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<RawClient>(d.socket_path()));
    clients.back()->Handshake();
  }
  {  // the 101st, whether it says hello first or not
    RawClient extra(d.socket_path());
    ASSERT_TRUE(extra.connected());
    extra.SendBytes(HelloFrame());
    ExpectRefusedBusy(extra);
    RawClient silent(d.socket_path());
    ExpectRefusedBusy(silent);
  }
  EXPECT_TRUE(d.WaitForLog("100 clients connected, the limit")) << d.Log();
  // Wyoming clients are counted apart: they are still welcome.
  const uint16_t port = WyomingPort(d);
  WyomingClient wy(port);
  wy.Send("describe");
  auto info = wy.Read();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, "info");
  // One leaves: its place is free again.
  clients.front().reset();
  bool served = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!served && std::chrono::steady_clock::now() < deadline) {
    served = NormalRequestSucceeds(d.socket_path());
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served);
  // Those connected meanwhile were served all along.
  clients.back()->Synthesize(1, TextRequest("Still connected."));
  EXPECT_TRUE(CollectRequest(*clients.back(), 1).last);
}

TEST(Limits, TheWyomingClientPastMaxConnectionsGetsABusyErrorEvent) {
  DaemonProcess d({"--max-connections", "3", "--wyoming", "tcp://127.0.0.1:0"});
  const uint16_t port = WyomingPort(d);
  std::vector<std::unique_ptr<WyomingClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<WyomingClient>(port));
    clients.back()->Send("describe");
    ASSERT_TRUE(clients.back()->Read());
  }
  WyomingClient extra(port);
  extra.Send("describe");  // unread by ttsd: the answer must arrive all the same
  auto e = extra.Read(std::chrono::seconds(5));
  ASSERT_TRUE(e) << "no answer: the connection hangs";
  EXPECT_EQ(e->type, "error");
  EXPECT_EQ(e->data["code"], "busy");
  EXPECT_TRUE(extra.WaitClosed());
  // Native clients are counted apart.
  EXPECT_TRUE(NormalRequestSucceeds(d.socket_path()));
  clients.front().reset();
  bool served = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!served && std::chrono::steady_clock::now() < deadline) {
    WyomingClient again(port);
    again.Send("describe");
    auto info = again.Read(std::chrono::seconds(2));
    served = info && info->type == "info";
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served);
}

TEST(Limits, RequestsPastEveryLimitAreAnsweredBusyWhileTheDaemonIsLoaded) {
  DaemonProcess d({"--workers", "1", "--max-requests-per-client", "4", "--max-requests-total", "6", "--wyoming",
                   "tcp://127.0.0.1:0"});
  const auto long_text = TextRequest(Repeat(kHostileLongText, 30));
  // A fills its share with long requests: the only worker has minutes of speech to make.
  RawClient a(d.socket_path());
  a.Handshake();
  for (uint32_t id = 1; id <= 5; ++id) a.Synthesize(id, long_text);
  // The fifth is refused at once: before any of the four has finished.
  std::map<uint32_t, RequestResult> all;
  for (int frames = 0; !all[5].error; ++frames) {
    auto f = a.Read(std::chrono::seconds(5));
    ASSERT_TRUE(f) << "no answer to the fifth request";
    RequestResult& r = all[f->header.request_id];
    if (f->header.type == FrameType::kError) r.error = protocol::ParseErrorBody(f->payload).value();
    if (f->header.type == FrameType::kAudio && (f->header.flags & protocol::kFlagLast)) r.last = true;
    ASSERT_FALSE(r.last) << "request " << f->header.request_id << " finished before the busy answer";
  }
  EXPECT_EQ(all[5].error->code, ErrorCode::kBusy);
  EXPECT_NE(all[5].error->message.find("limit 4"), std::string::npos) << all[5].error->message;
  // B gets the two left in the daemon; its third is refused, by the daemon-wide limit.
  RawClient b(d.socket_path());
  b.Handshake();
  for (uint32_t id = 1; id <= 3; ++id) b.Synthesize(id, long_text);
  std::map<uint32_t, RequestResult> b_all;
  while (!b_all[3].error) {
    auto f = b.Read(std::chrono::seconds(5));
    ASSERT_TRUE(f) << "no answer to B's third request";
    if (f->header.type == FrameType::kError) b_all[f->header.request_id].error = protocol::ParseErrorBody(f->payload).value();
  }
  EXPECT_EQ(b_all[3].error->code, ErrorCode::kBusy);
  EXPECT_NE(b_all[3].error->message.find("limit of 6 open requests"), std::string::npos) << b_all[3].error->message;
  EXPECT_FALSE(b_all[1].error);
  // A Wyoming client meets the same daemon-wide limit.
  WyomingClient wy(WyomingPort(d));
  wy.Send("synthesize", {{"text", "Hello."}});
  auto e = wy.Read(std::chrono::seconds(5));
  ASSERT_TRUE(e) << "no answer from Wyoming";
  EXPECT_EQ(e->type, "error");
  EXPECT_EQ(e->data["code"], "busy");
  // Cancelled, the requests free their places at once.
  for (uint32_t id = 1; id <= 4; ++id) a.Send(FrameType::kCancel, id, {});
  for (uint32_t id = 1; id <= 2; ++id) b.Send(FrameType::kCancel, id, {});
  for (uint32_t id = 1; id <= 4; ++id) {
    if (!all[id].error && !all[id].last) CollectRequest(a, id, &all);
  }
  a.Synthesize(9, TextRequest("Room again."));
  EXPECT_TRUE(CollectRequest(a, 9).last);
}

TEST(Limits, ReferenceAudioPastAConnectionsShareIsBusy) {
  // Nine files' worth (8 speaker references and an emotion reference) at most, per connection.
  DaemonProcess d({"--max-reference-bytes", "100000"});
  RawClient c(d.socket_path());
  c.Handshake();
  protocol::SynthesizeRequest r = TextRequest("Cloned.");
  r.voice = "fixture-style";
  r.references = 8;
  const std::vector<uint8_t> piece(99'000, 0x55);
  c.Synthesize(1, r);
  for (int file = 0; file < 7; ++file) c.Send(FrameType::kReference, 1, piece, protocol::kFlagEndOfFile);
  c.Send(FrameType::kReference, 1, piece);  // the eighth, still arriving: 792 kB held
  c.Synthesize(2, r);
  c.Send(FrameType::kReference, 2, piece, protocol::kFlagEndOfFile);  // 891 kB
  c.Send(FrameType::kReference, 2, piece);                            // 990 kB: past 900 kB
  auto refused = CollectRequest(c, 2);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, ErrorCode::kBusy) << refused.error->message;
  // The other request and the connection go on.
  c.Send(FrameType::kCancel, 1, {});
  EXPECT_EQ(CollectRequest(c, 1).error->code, ErrorCode::kCancelled);
  c.Synthesize(3, TextRequest("Plain speech still works."));
  EXPECT_TRUE(CollectRequest(c, 3).last);
}

}  // namespace
}  // namespace ttsd::testing
