// Output channels over the real socket: continuous listener audio, queueing, skip, clear, interrupt.
#include <gtest/gtest.h>

#include "support/daemon-process.h"

namespace ttsd::testing {
namespace {

using protocol::FrameType;
using Clock = std::chrono::steady_clock;

protocol::SynthesizeRequest OnChannel(const std::string& text, const std::string& channel, bool interrupt = false) {
  protocol::SynthesizeRequest r;
  r.text = text;
  r.channel = channel;
  r.interrupt = interrupt;
  return r;
}

// Reads a listen stream: every frame 20 ms at 48 kHz, offsets contiguous.
struct Listened {
  std::vector<float> samples;
  int frames = 0;
  bool contiguous = true;
};

void Listen(RawClient& c, uint32_t id, const std::string& channel) {
  protocol::ListenRequest l;
  l.channel = channel;
  c.Send(FrameType::kListen, id, protocol::Serialize(l));
  auto f = c.Read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, FrameType::kAccepted);
  auto a = protocol::ParseAccepted(f->payload).value();
  EXPECT_EQ(a.sample_rate, 48000u);
  EXPECT_EQ(a.channel, channel);
}

void ReadFor(RawClient& c, uint32_t id, Clock::duration how_long, Listened* out) {
  const auto end = Clock::now() + how_long;
  while (Clock::now() < end) {
    auto f = c.Read(std::chrono::seconds(2));
    ASSERT_TRUE(f);
    if (f->header.request_id != id || f->header.type != FrameType::kAudio) continue;
    std::span<const uint8_t> pcm;
    auto h = protocol::ParseAudioHeader(f->payload, &pcm).value();
    EXPECT_EQ(h.sample_rate, 48000u);
    EXPECT_EQ(pcm.size(), 960u * 2);
    if (h.sample_offset != out->samples.size()) out->contiguous = false;
    for (size_t i = 0; i + 1 < pcm.size(); i += 2) {
      out->samples.push_back(static_cast<int16_t>(pcm[i] | pcm[i + 1] << 8) / 32768.0f);
    }
    out->frames++;
  }
}

// Seconds between the first and last sample louder than the threshold.
double VoicedSpan(const std::vector<float>& s) {
  size_t first = s.size(), last = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (std::abs(s[i]) > 1e-3f) {
      first = std::min(first, i);
      last = i;
    }
  }
  return first < last ? (last - first) / 48000.0 : 0;
}

// The terminal frame for a channel request: kDone (returns its audio_s) or kError (returns -code).
double WaitEnd(RawClient& c, uint32_t id) {
  for (;;) {
    auto f = c.Read(std::chrono::seconds(30));
    if (!f) return -1000;
    if (f->header.request_id != id) continue;
    if (f->header.type == FrameType::kDone) return protocol::ParseDone(f->payload)->audio_s;
    if (f->header.type == FrameType::kError) return -static_cast<double>(protocol::ParseErrorBody(f->payload)->code);
    EXPECT_NE(f->header.type, FrameType::kAudio) << "a channel request's audio goes to listeners only";
  }
}

class ChannelTest : public ::testing::Test {
 protected:
  void SetUp() override { daemon_ = std::make_unique<DaemonProcess>(); }
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(ChannelTest, IdleListenerReceivesContinuousSilenceInRealTime) {
  RawClient listener(daemon_->socket_path());
  listener.Handshake();
  Listen(listener, 1, "stream");
  Listened got;
  const auto start = Clock::now();
  ReadFor(listener, 1, std::chrono::milliseconds(1000), &got);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_TRUE(got.contiguous);
  EXPECT_NEAR(got.frames * 0.02, elapsed, 0.15);  // paced at real time, not faster
  EXPECT_EQ(VoicedSpan(got.samples), 0.0);
}

TEST_F(ChannelTest, SpokenTextReachesListenersAndTheSpeakerGetsDone) {
  RawClient listener(daemon_->socket_path());
  listener.Handshake();
  Listen(listener, 1, "stream");
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  const auto start = Clock::now();
  bot.Synthesize(5, OnChannel("Hello chat, welcome to the stream.", "stream"));
  ASSERT_EQ(bot.Read()->header.type, FrameType::kAccepted);
  std::thread reader;
  Listened got;
  reader = std::thread([&] { ReadFor(listener, 1, std::chrono::milliseconds(4500), &got); });
  const double audio_s = WaitEnd(bot, 5);
  const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  reader.join();
  ASSERT_GT(audio_s, 0.5);
  // Played out in real time: never faster, later only by the first chunk's compute.
  EXPECT_GE(wall_s, audio_s - 0.3);
  EXPECT_LE(wall_s, audio_s + kPlayoutLateS);
  EXPECT_TRUE(got.contiguous);
  EXPECT_NEAR(VoicedSpan(got.samples), audio_s, 0.3);
}

TEST_F(ChannelTest, QueuedUtterancesPlayInOrderEvenIfTheSpeakerLeaves) {
  RawClient listener(daemon_->socket_path());
  listener.Handshake();
  Listen(listener, 1, "stream");
  {
    RawClient gone(daemon_->socket_path());
    gone.Handshake();
    gone.Synthesize(1, OnChannel("Fire and forget.", "stream"));
    ASSERT_EQ(gone.Read()->header.type, FrameType::kAccepted);
  }
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  bot.Synthesize(2, OnChannel("Second in line.", "stream"));
  Listened got;
  std::thread reader([&] { ReadFor(listener, 1, std::chrono::milliseconds(3000), &got); });
  EXPECT_GT(WaitEnd(bot, 2), 0);
  reader.join();
  // Both were heard: more than the second alone.
  protocol::ChannelControl status{"stream", protocol::ChannelControl::Action::kStatus};
  bot.Send(FrameType::kChannelControl, 9, protocol::Serialize(status));
  auto f = bot.Read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, FrameType::kChannelStatus);
  EXPECT_EQ(protocol::ParseChannelStatus(f->payload)->listeners, 1u);
  EXPECT_GT(VoicedSpan(got.samples), 1.2);
}

TEST_F(ChannelTest, SkipClearAndInterrupt) {
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  const std::string long_text = "This announcement is long enough that it is still playing when we act on it. "
                                "It goes on and on for a good while longer.";
  bot.Synthesize(1, OnChannel(long_text, "stream"));
  bot.Synthesize(2, OnChannel("Second.", "stream"));
  bot.Synthesize(3, OnChannel("Third.", "stream"));
  bot.Synthesize(4, OnChannel("Fourth.", "stream"));
  for (int i = 0; i < 4; ++i) ASSERT_EQ(bot.Read()->header.type, FrameType::kAccepted);

  protocol::ChannelControl status{"stream", protocol::ChannelControl::Action::kStatus};
  bot.Send(FrameType::kChannelControl, 10, protocol::Serialize(status));
  auto st = protocol::ParseChannelStatus(bot.Read()->payload).value();
  EXPECT_TRUE(st.playing);
  EXPECT_EQ(st.queue.size(), 3u);

  protocol::ChannelControl skip{"stream", protocol::ChannelControl::Action::kSkip};
  bot.Send(FrameType::kChannelControl, 11, protocol::Serialize(skip));
  EXPECT_EQ(WaitEnd(bot, 1), -static_cast<double>(ErrorCode::kCancelled));  // the long one, skipped
  // An interrupting utterance cuts "Second." and plays at once.
  bot.Synthesize(5, OnChannel("Breaking news.", "stream", /*interrupt=*/true));
  EXPECT_EQ(WaitEnd(bot, 2), -static_cast<double>(ErrorCode::kCancelled));
  EXPECT_GT(WaitEnd(bot, 5), 0);
  protocol::ChannelControl clear{"stream", protocol::ChannelControl::Action::kClear};
  bot.Send(FrameType::kChannelControl, 12, protocol::Serialize(clear));
  EXPECT_EQ(WaitEnd(bot, 3), -static_cast<double>(ErrorCode::kCancelled));
  EXPECT_EQ(WaitEnd(bot, 4), -static_cast<double>(ErrorCode::kCancelled));
  EXPECT_TRUE(daemon_->WaitForLog("skipped"));
  EXPECT_TRUE(daemon_->WaitForLog("interrupted"));
}

TEST_F(ChannelTest, CancellingAListenEndsIt) {
  RawClient listener(daemon_->socket_path());
  listener.Handshake();
  Listen(listener, 3, "stream");
  listener.Send(FrameType::kCancel, 3, {});
  for (;;) {
    auto f = listener.Read();
    ASSERT_TRUE(f);
    if (f->header.type == FrameType::kError) {
      EXPECT_EQ(f->header.request_id, 3u);
      EXPECT_EQ(protocol::ParseErrorBody(f->payload)->code, ErrorCode::kCancelled);
      break;
    }
  }
}

TEST_F(ChannelTest, StreamedTextIntoAChannel) {
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  auto r = OnChannel("", "stream");
  r.final = false;
  bot.Synthesize(1, r);
  ASSERT_EQ(bot.Read()->header.type, FrameType::kAccepted);
  bot.SendText(1, "Text from a language model, ", false);
  bot.SendText(1, "arriving in pieces.", true);
  EXPECT_GT(WaitEnd(bot, 1), 0.5);
}

TEST_F(ChannelTest, BadChannelNamesAreRefused) {
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  bot.Synthesize(1, OnChannel("Hi.", "no spaces allowed"));
  EXPECT_EQ(WaitEnd(bot, 1), -static_cast<double>(ErrorCode::kBadRequest));
  protocol::ListenRequest l;
  l.channel = "../etc";
  bot.Send(FrameType::kListen, 2, protocol::Serialize(l));
  EXPECT_EQ(WaitEnd(bot, 2), -static_cast<double>(ErrorCode::kBadRequest));
}

}  // namespace
}  // namespace ttsd::testing
