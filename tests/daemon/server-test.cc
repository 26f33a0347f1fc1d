// The real ttsd binary over its real socket: requests, streaming text, cancel, errors, limits.
#include <sys/stat.h>

#include <cstdio>

#include <gtest/gtest.h>

#include "support/daemon-process.h"

namespace ttsd::testing {
namespace {

using protocol::FrameType;
using protocol::SynthesizeRequest;

const char* kLongText =
    "The quick brown fox jumps over the lazy dog while the river keeps running under the old stone bridge. "
    "Every morning the baker opens his shop, and the smell of bread drifts down the narrow street. "
    "Children hurry past on their way to school, counting the minutes until the bell rings. ";

SynthesizeRequest Text(const std::string& text) {
  SynthesizeRequest r;
  r.text = text;
  return r;
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new DaemonProcess({"--max-text-bytes", "20000", "--drain-timeout", "10"}); }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  // After every test the daemon still answers a normal request.
  void TearDown() override {
    RawClient c(daemon_->socket_path());
    ASSERT_TRUE(c.connected());
    c.Handshake();
    c.Synthesize(99, Text("Still here."));
    auto r = CollectRequest(c, 99);
    EXPECT_TRUE(r.last) << daemon_->Log();
  }
  static DaemonProcess* daemon_;
};
DaemonProcess* ServerTest::daemon_ = nullptr;

TEST_F(ServerTest, SocketIsPrivate) {
  struct stat st {};
  ASSERT_EQ(stat(daemon_->socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ServerTest, HandshakeNegotiatesTheHighestCommonVersion) {
  RawClient old_client(daemon_->socket_path());
  old_client.Send(FrameType::kHello, 0, protocol::Serialize(protocol::Hello{1, 1, "version 1 client"}));
  auto old_welcome = old_client.Read();
  ASSERT_TRUE(old_welcome);
  EXPECT_EQ(protocol::ParseWelcome(old_welcome->payload)->version, 1u);
  RawClient c(daemon_->socket_path());
  auto welcome = c.Handshake();
  EXPECT_EQ(welcome.version, protocol::kProtocolVersionMax);
  EXPECT_EQ(welcome.max_payload_bytes, protocol::kMaxClientPayloadBytes);
  EXPECT_NE(welcome.server.find("ttsd"), std::string::npos);
}

TEST_F(ServerTest, UnsupportedVersionIsRefusedAndClosed) {
  RawClient c(daemon_->socket_path());
  protocol::Hello hello{7, 9, "future"};
  c.Send(FrameType::kHello, 0, protocol::Serialize(hello));
  auto f = c.Read();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, FrameType::kError);
  EXPECT_EQ(protocol::ParseErrorBody(f->payload)->code, ErrorCode::kUnsupportedVersion);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, FramesBeforeHelloAreRefused) {
  RawClient c(daemon_->socket_path());
  c.Synthesize(1, Text("Hello."));
  auto f = c.Read();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, FrameType::kError);
  EXPECT_EQ(f->header.request_id, 0u);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, SpeaksInSeveralContiguousChunks) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  c.Synthesize(1, Text("Hello world. This is a test of streaming speech."));
  auto r = CollectRequest(c, 1);
  EXPECT_TRUE(r.accepted);
  EXPECT_FALSE(r.error) << r.error->message;
  EXPECT_TRUE(r.last);
  EXPECT_GT(r.chunks, 3);
  EXPECT_EQ(r.sample_rate, 16000u);
  EXPECT_TRUE(r.offsets_contiguous);
  EXPECT_GT(r.samples.size(), 16000u / 2);
  float peak = 0;
  for (float s : r.samples) peak = std::max(peak, std::abs(s));
  EXPECT_GT(peak, 0.001f);
}

TEST_F(ServerTest, FloatSamplesMatchShortSamples) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto req = Text("Same words twice.");
  c.Synthesize(1, req);
  req.sample_format = protocol::SampleFormat::kF32Le;
  c.Synthesize(2, req);
  std::map<uint32_t, RequestResult> all;
  CollectRequest(c, 1, &all);
  if (!all[2].last) CollectRequest(c, 2, &all);
  ASSERT_EQ(all[1].samples.size(), all[2].samples.size());
  for (size_t i = 0; i < all[1].samples.size(); ++i) ASSERT_NEAR(all[1].samples[i], all[2].samples[i], 1.0 / 16000);
}

TEST_F(ServerTest, ConcurrentRequestsOnOneConnectionInterleave) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  for (uint32_t id = 1; id <= 4; ++id) c.Synthesize(id, Text(kLongText));
  std::map<uint32_t, RequestResult> all;
  std::vector<uint32_t> order;
  for (uint32_t id = 1; id <= 4; ++id) {
    if (!all[id].last) CollectRequest(c, id, &all);
  }
  for (uint32_t id = 1; id <= 4; ++id) {
    EXPECT_TRUE(all[id].last);
    EXPECT_TRUE(all[id].offsets_contiguous);
  }
  // Same text and speaker: the same audio, whichever order the chunks went in.
  EXPECT_EQ(all[1].samples, all[4].samples);
}

TEST_F(ServerTest, StreamedTextSpeaksBeforeTheTextIsClosed) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  SynthesizeRequest r;
  r.final = false;
  c.Synthesize(5, r);
  c.SendText(5, "The first sentence is com", false);
  c.SendText(5, "plete now. And the second", false);
  // Audio for the first sentence must arrive while the request is still open.
  bool got_audio = false;
  for (int i = 0; i < 50 && !got_audio; ++i) {
    auto f = c.Read();
    ASSERT_TRUE(f);
    ASSERT_NE(f->header.type, FrameType::kError);
    got_audio = f->header.type == FrameType::kAudio;
    ASSERT_FALSE(f->header.flags & protocol::kFlagLast);
  }
  EXPECT_TRUE(got_audio);
  c.SendText(5, " one ends here.", true);
  auto rest = CollectRequest(c, 5);
  EXPECT_TRUE(rest.last);
  EXPECT_FALSE(rest.error);
}

TEST_F(ServerTest, CancelStopsGenerationAndTheConnectionGoesOn) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  std::string text;
  for (int i = 0; i < 20; ++i) text += kLongText;
  c.Synthesize(7, Text(text));
  // Wait for the first audio, then cancel.
  for (;;) {
    auto f = c.Read();
    ASSERT_TRUE(f);
    if (f->header.type == FrameType::kAudio) break;
  }
  c.Send(FrameType::kCancel, 7, {});
  auto r = CollectRequest(c, 7);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kCancelled);
  EXPECT_FALSE(r.last);
  EXPECT_TRUE(daemon_->WaitForLog("cancelled: generation stopped"));
  // Cancelling an ended request is ignored; the next request on the same connection works.
  c.Send(FrameType::kCancel, 7, {});
  c.Synthesize(8, Text("After the cancel."));
  auto next = CollectRequest(c, 8);
  EXPECT_TRUE(next.last);
}

TEST_F(ServerTest, RequestErrorsAreTypedAndLeaveTheConnectionUsable) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  SynthesizeRequest unknown_voice = Text("Hi.");
  unknown_voice.voice = "nobody";
  c.Synthesize(1, unknown_voice);
  EXPECT_EQ(CollectRequest(c, 1).error->code, ErrorCode::kUnknownVoice);

  SynthesizeRequest unknown_speaker = Text("Hi.");
  unknown_speaker.speaker = "nobody";
  c.Synthesize(2, unknown_speaker);
  EXPECT_EQ(CollectRequest(c, 2).error->code, ErrorCode::kUnknownSpeaker);

  c.Synthesize(3, Text("   "));
  EXPECT_EQ(CollectRequest(c, 3).error->code, ErrorCode::kEmptyText);

  c.Synthesize(4, Text(std::string(20001, 'a')));
  EXPECT_EQ(CollectRequest(c, 4).error->code, ErrorCode::kTextTooLong);

  const std::string not_json = "{not json";
  c.Send(FrameType::kSynthesize, 5, {reinterpret_cast<const uint8_t*>(not_json.data()), not_json.size()});
  EXPECT_EQ(CollectRequest(c, 5).error->code, ErrorCode::kMalformedFrame);

  c.SendText(6, "text for nothing", false);
  EXPECT_EQ(CollectRequest(c, 6).error->code, ErrorCode::kUnknownRequest);

  SynthesizeRequest bad_speed = Text("Hi.");
  bad_speed.speed = 9;
  c.Synthesize(7, bad_speed);
  EXPECT_EQ(CollectRequest(c, 7).error->code, ErrorCode::kBadRequest);

  c.Synthesize(8, Text("สวัสดี"));  // Thai: no reading (Chinese is read through Mandarin syllables)
  EXPECT_EQ(CollectRequest(c, 8).error->code, ErrorCode::kUnsupportedText);

  c.Synthesize(9, Text("And yet it speaks."));
  EXPECT_TRUE(CollectRequest(c, 9).last);
}

TEST_F(ServerTest, StreamedTextOverTheLimitFailsTheRequest) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  SynthesizeRequest r;
  r.final = false;
  c.Synthesize(3, r);
  for (int i = 0; i < 30; ++i) c.SendText(3, std::string(1000, 'a') + " ", false);
  auto result = CollectRequest(c, 3);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, ErrorCode::kTextTooLong);
}

TEST_F(ServerTest, DuplicateRequestIdIsRefused) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  SynthesizeRequest open;
  open.final = false;
  c.Synthesize(4, open);
  c.Synthesize(4, Text("again"));
  std::map<uint32_t, RequestResult> all;
  auto f = c.Read();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, FrameType::kAccepted);
  f = c.Read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, FrameType::kError);
  EXPECT_EQ(protocol::ParseErrorBody(f->payload)->code, ErrorCode::kDuplicateRequest);
  c.SendText(4, "Now it ends.", true);
  EXPECT_TRUE(CollectRequest(c, 4).last);
}

TEST_F(ServerTest, OversizedFrameIsRefusedBeforeItsPayloadArrives) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  uint8_t header[protocol::kHeaderBytes];
  protocol::EncodeHeader({0xFFFFFFF0u, FrameType::kSynthesize, 0, 1}, header);
  c.SendBytes(header);
  auto f = c.Read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, FrameType::kError);
  EXPECT_EQ(protocol::ParseErrorBody(f->payload)->code, ErrorCode::kFrameTooLarge);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(ServerTest, GarbageClosesOnlyThatConnection) {
  RawClient bystander(daemon_->socket_path());
  bystander.Handshake();
  RawClient c(daemon_->socket_path());
  const std::string garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  c.SendBytes({reinterpret_cast<const uint8_t*>(garbage.data()), garbage.size()});
  auto f = c.Read();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, FrameType::kError);
  EXPECT_TRUE(c.WaitClosed());
  bystander.Synthesize(1, Text("Unaffected."));
  EXPECT_TRUE(CollectRequest(bystander, 1).last);
}

TEST_F(ServerTest, ByteAtATimeWriterIsUnderstood) {
  RawClient c(daemon_->socket_path());
  protocol::Hello hello;
  auto bytes = protocol::EncodeFrame(FrameType::kHello, 0, 0, protocol::Serialize(hello));
  auto synth = protocol::EncodeFrame(FrameType::kSynthesize, 0, 1, protocol::Serialize(Text("One byte at a time.")));
  bytes.insert(bytes.end(), synth.begin(), synth.end());
  for (uint8_t b : bytes) ASSERT_TRUE(c.SendBytes({&b, 1}));
  auto welcome = c.Read();
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->header.type, FrameType::kWelcome);
  EXPECT_TRUE(CollectRequest(c, 1).last);
}

TEST_F(ServerTest, ClientVanishingMidStreamCancelsItsRequests) {
  {
    RawClient c(daemon_->socket_path());
    c.Handshake();
    std::string text;
    for (int i = 0; i < 20; ++i) text += kLongText;
    c.Synthesize(1, Text(text));
    for (;;) {
      auto f = c.Read();
      ASSERT_TRUE(f);
      if (f->header.type == FrameType::kAudio) break;
    }
  }  // closed mid-stream
  EXPECT_TRUE(daemon_->WaitForLog("closed with 1 open requests"));
}

TEST_F(ServerTest, SlowReaderIsThrottledWithBoundedMemory) {
  const long rss_before = daemon_->RssKb();
  const double cpu_before = daemon_->CpuSeconds();
  RawClient slow(daemon_->socket_path());
  slow.Handshake();
  std::string text;
  for (int i = 0; i < 12; ++i) text += kLongText;  // a minute of audio, several times the bound
  slow.Synthesize(1, Text(text));
  // Not reading: generation must pause instead of buffering everything. It has paused once the
  // daemon idles (under 30 ms of CPU in 300 ms).
  double cpu_stalled = daemon_->CpuSeconds();
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "ttsd never paused for a client that does not read";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const double cpu = daemon_->CpuSeconds();
    const bool idle = cpu - cpu_stalled < 0.03;
    cpu_stalled = cpu;
    if (idle) break;
  }
  const long rss_stalled = daemon_->RssKb();
  // Meanwhile other clients are served promptly.
  RawClient other(daemon_->socket_path());
  other.Handshake();
  other.Synthesize(1, Text("Someone else."));
  EXPECT_TRUE(CollectRequest(other, 1).last);
  // Everything arrives once the client reads, contiguous and complete.
  const double cpu_reading = daemon_->CpuSeconds();
  auto r = CollectRequest(slow, 1);
  EXPECT_TRUE(r.last);
  EXPECT_TRUE(r.offsets_contiguous);
  // Most of the work waited for the reader (the bound holds seconds of audio; the text is a minute):
  // this holds under a sanitizer too, whose quarantine keeps freed memory and so blurs RSS.
  const double before_reading = cpu_stalled - cpu_before, after_reading = daemon_->CpuSeconds() - cpu_reading;
  std::printf("[ CPU      ] %.2f s before the client read, %.2f s after; RSS %+ld kB while stalled\n", before_reading,
              after_reading, rss_stalled - rss_before);
  EXPECT_GT(after_reading, 2 * before_reading)
      << "CPU seconds before the client read: " << before_reading << ", after: " << after_reading;
  if (!kSanitized) {
    EXPECT_LT(rss_stalled - rss_before, 64 * 1024) << "RSS grew by " << (rss_stalled - rss_before) << " kB";
  }
}

TEST_F(ServerTest, ListsVoicesAndAnswersPing) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  c.Send(FrameType::kListVoices, 3, {});
  auto f = c.Read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, FrameType::kVoices);
  EXPECT_EQ(f->header.request_id, 3u);
  auto list = protocol::ParseVoiceList(f->payload).value();
  EXPECT_EQ(list.default_voice, "fixture-ar");
  ASSERT_EQ(list.voices.size(), 3u);
  EXPECT_EQ(list.voices[0].name, "fixture-ar");
  EXPECT_EQ(list.voices[1].name, "fixture-stream");
  EXPECT_EQ(list.voices[2].name, "fixture-style");
  EXPECT_EQ(list.voices[0].speakers, (std::vector<std::string>{"alpha", "beta"}));
  c.Send(FrameType::kPing, 4, {});
  f = c.Read();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, FrameType::kPong);
  EXPECT_EQ(f->header.request_id, 4u);
}

TEST_F(ServerTest, BusyWhenTooManyRequestsAreOpen) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  SynthesizeRequest open;
  open.final = false;
  for (uint32_t id = 1; id <= 16; ++id) c.Synthesize(id, open);
  c.Synthesize(17, open);
  bool busy = false;
  for (int i = 0; i < 17; ++i) {
    auto f = c.Read();
    ASSERT_TRUE(f);
    if (f->header.type == FrameType::kError && f->header.request_id == 17) {
      busy = protocol::ParseErrorBody(f->payload)->code == ErrorCode::kBusy;
    }
  }
  EXPECT_TRUE(busy);
  for (uint32_t id = 1; id <= 16; ++id) c.Send(FrameType::kCancel, id, {});
  std::map<uint32_t, RequestResult> all;
  for (uint32_t id = 1; id <= 16; ++id) {
    if (!all[id].error) CollectRequest(c, id, &all);
    EXPECT_EQ(all[id].error->code, ErrorCode::kCancelled);
  }
}

}  // namespace
}  // namespace ttsd::testing
