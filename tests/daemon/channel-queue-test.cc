// Moderating an output channel's queue over the real socket: items' metadata, remove by id (queued
// and playing, never the wrong one), pause and resume (listeners fed with silence meanwhile), the caps,
// the items' events in order, the channel's volume at the listener, and old clients unaffected.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "support/daemon-process.h"

namespace ttsd::testing {
namespace {

using protocol::ChannelControl;
using protocol::FrameType;
using Clock = std::chrono::steady_clock;

const std::string kLong =
    "This announcement is long enough that it is still playing when we act on it. "
    "It goes on and on for a good while longer, and then some more.";

protocol::SynthesizeRequest Item(const std::string& text, const std::string& author = "",
                                 const std::string& source = "") {
  protocol::SynthesizeRequest r;
  r.text = text;
  r.channel = "stream";
  r.author = author;
  r.source = source;
  return r;
}

// Queues an item; returns its accepted frame.
protocol::Accepted Queue(RawClient& c, uint32_t id, const protocol::SynthesizeRequest& r) {
  EXPECT_TRUE(c.Synthesize(id, r));
  for (;;) {
    auto f = c.Read();
    if (!f) {
      ADD_FAILURE() << "no answer to request " << id;
      return {};
    }
    if (f->header.request_id != id) continue;
    if (f->header.type == FrameType::kError) {
      ADD_FAILURE() << "request " << id << ": " << protocol::ParseErrorBody(f->payload)->message;
      return {};
    }
    EXPECT_EQ(f->header.type, FrameType::kAccepted);
    return protocol::ParseAccepted(f->payload).value();
  }
}

// A channel_control's answer: its status, or the error.
Result<protocol::ChannelStatus> Control(RawClient& c, uint32_t id, ChannelControl control) {
  c.Send(FrameType::kChannelControl, id, protocol::Serialize(control));
  for (;;) {
    auto f = c.Read();
    if (!f) return MakeError(ErrorCode::kIo, "no answer");
    if (f->header.request_id != id) continue;
    if (f->header.type == FrameType::kError) {
      auto body = protocol::ParseErrorBody(f->payload).value();
      return MakeError(body.code, body.message);
    }
    return protocol::ParseChannelStatus(f->payload);
  }
}

ChannelControl Action(ChannelControl::Action action, uint64_t item = 0, double gain = 1) {
  ChannelControl c;
  c.channel = "stream";
  c.action = action;
  c.item = item;
  c.gain = gain;
  return c;
}

// The terminal frame of a channel request: audio_s of kDone, or the error.
Result<double> WaitEnd(RawClient& c, uint32_t id) {
  for (;;) {
    auto f = c.Read(std::chrono::seconds(30));
    if (!f) return MakeError(ErrorCode::kTimeout, "no end for request " + std::to_string(id));
    if (f->header.request_id != id) continue;
    if (f->header.type == FrameType::kDone) return protocol::ParseDone(f->payload)->audio_s;
    if (f->header.type == FrameType::kError) {
      auto body = protocol::ParseErrorBody(f->payload).value();
      return MakeError(body.code, body.message);
    }
  }
}

// A listener recording every 20 ms frame with the time it arrived, on its own thread.
class Recorder {
 public:
  explicit Recorder(const std::string& socket) : client_(socket) {
    client_.Handshake();
    protocol::ListenRequest l;
    l.channel = "stream";
    client_.Send(FrameType::kListen, 1, protocol::Serialize(l));
    auto f = client_.Read();
    EXPECT_TRUE(f && f->header.type == FrameType::kAccepted);
    thread_ = std::thread([this] {
      while (!stop_) {
        auto f = client_.Read(std::chrono::milliseconds(500));
        if (!f || f->header.type != FrameType::kAudio) continue;
        std::span<const uint8_t> pcm;
        protocol::ParseAudioHeader(f->payload, &pcm).value();
        Frame frame{Clock::now(), {}};
        for (size_t i = 0; i + 1 < pcm.size(); i += 2) {
          frame.samples.push_back(static_cast<int16_t>(pcm[i] | pcm[i + 1] << 8) / 32768.0f);
        }
        std::lock_guard lock(mutex_);
        frames_.push_back(std::move(frame));
      }
    });
  }
  ~Recorder() {
    stop_ = true;
    thread_.join();
  }
  struct Window {
    int frames = 0;
    double energy = 0;  // sum of squares
    float peak = 0;
  };
  // The frames that arrived in [from, to).
  Window Between(Clock::time_point from, Clock::time_point to) {
    std::lock_guard lock(mutex_);
    Window w;
    for (const auto& f : frames_) {
      if (f.at < from || f.at >= to) continue;
      w.frames++;
      for (float s : f.samples) {
        w.energy += static_cast<double>(s) * s;
        w.peak = std::max(w.peak, std::abs(s));
      }
    }
    return w;
  }

 private:
  struct Frame {
    Clock::time_point at;
    std::vector<float> samples;
  };
  RawClient client_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;  // guards frames_
  std::vector<Frame> frames_;
};

// A watcher of the channel's events (no audio); kinds as a listen asks for them.
void Watch(RawClient& c, uint32_t id, bool events, bool items) {
  protocol::ListenRequest l;
  l.channel = "stream";
  l.audio = false;
  l.events = events;
  l.items = items;
  c.Send(FrameType::kListen, id, protocol::Serialize(l));
  auto f = c.Read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, FrameType::kAccepted);
}

// The watcher's events until `until` is seen (or 30 s pass).
std::vector<protocol::ChannelEvent> EventsUntil(RawClient& c,
                                                const std::function<bool(const protocol::ChannelEvent&)>& until) {
  std::vector<protocol::ChannelEvent> out;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    auto f = c.Read(std::chrono::seconds(5));
    if (!f) break;
    if (f->header.type != FrameType::kChannelEvent) continue;
    auto e = protocol::ParseChannelEvent(f->payload);
    EXPECT_TRUE(e) << std::string(f->payload.begin(), f->payload.end());
    if (!e) break;
    out.push_back(*e);
    if (until(*e)) break;
  }
  return out;
}

class ChannelQueue : public ::testing::Test {
 protected:
  void SetUp() override { daemon_ = std::make_unique<DaemonProcess>(); }
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(ChannelQueue, ItemsCarryTheirMetadata) {
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  // 100 bytes of text with two-byte characters across byte 80: cut before the character.
  std::string text = "Grüße aus dem Chat! ";
  while (text.size() < 100) text += "é";
  const auto first = Queue(bot, 1, Item(text, "alice", "twitch"));
  EXPECT_NE(first.item, 0u);
  EXPECT_EQ(first.listeners, 0u);  // nobody listens: worth a warning
  const auto second = Queue(bot, 2, Item("Second in line.", "bob", "http"));
  EXPECT_GT(second.item, first.item);

  auto st = Control(bot, 3, Action(ChannelControl::Action::kStatus)).value();
  ASSERT_TRUE(st.playing);
  EXPECT_EQ(st.current.id, first.item);
  EXPECT_EQ(st.current.author, "alice");
  EXPECT_EQ(st.current.source, "twitch");
  EXPECT_EQ(st.current.voice, "fixture-ar");
  EXPECT_FALSE(st.current.speaker.empty());
  EXPECT_TRUE(st.current.text_cut);
  EXPECT_LE(st.current.text.size(), protocol::kChannelItemTextBytes);
  EXPECT_GE(st.current.text.size(), protocol::kChannelItemTextBytes - 1);
  EXPECT_TRUE(protocol::IsValidUtf8(st.current.text));
  ASSERT_EQ(st.queue.size(), 1u);
  EXPECT_EQ(st.queue[0].id, second.item);
  EXPECT_EQ(st.queue[0].author, "bob");
  EXPECT_EQ(st.queue[0].text, "Second in line.");
  EXPECT_FALSE(st.queue[0].text_cut);
  EXPECT_GT(st.queue[0].length_s, 0.3);
  EXPECT_FALSE(st.paused);
  EXPECT_EQ(st.gain, 1.0);
  EXPECT_EQ(st.max_queue, 64u);
  EXPECT_EQ(st.max_queued_s, 300.0);
  EXPECT_GT(st.queued_s, st.queue[0].length_s);

  // Labels too long, or with control characters, are refused.
  bot.Synthesize(4, Item("Hi.", std::string(protocol::kMaxAuthorBytes + 1, 'a')));
  EXPECT_EQ(WaitEnd(bot, 4).error().code, ErrorCode::kBadRequest);
  bot.Synthesize(5, Item("Hi.", "", "tw\nitch"));
  EXPECT_EQ(WaitEnd(bot, 5).error().code, ErrorCode::kBadRequest);
}

TEST_F(ChannelQueue, RemoveByIdQueuedOrPlayingAndNeverAnother) {
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  RawClient mod(daemon_->socket_path());
  mod.Handshake();
  const uint64_t a = Queue(bot, 1, Item(kLong)).item;
  const uint64_t b = Queue(bot, 2, Item("Second.")).item;
  const uint64_t c = Queue(bot, 3, Item("Third.")).item;

  auto st = Control(mod, 10, Action(ChannelControl::Action::kRemove, b)).value();  // queued
  ASSERT_EQ(st.queue.size(), 1u);
  EXPECT_EQ(st.queue[0].id, c);
  auto removed = WaitEnd(bot, 2);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::kCancelled);
  EXPECT_NE(removed.error().message.find("removed"), std::string::npos) << removed.error().message;

  st = Control(mod, 11, Action(ChannelControl::Action::kRemove, a)).value();  // playing
  EXPECT_EQ(st.current.id, c);
  EXPECT_EQ(WaitEnd(bot, 1).error().code, ErrorCode::kCancelled);

  // Gone already: a typed error, and what plays now is untouched.
  auto again = Control(mod, 12, Action(ChannelControl::Action::kRemove, a));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kUnknownItem);
  EXPECT_TRUE(WaitEnd(bot, 3).has_value());  // c played to its end

  // An item that has just played out: removing it never removes the one after it.
  const uint64_t d = Queue(bot, 4, Item("Short.")).item;
  const uint64_t e = Queue(bot, 5, Item(kLong)).item;
  ASSERT_TRUE(WaitEnd(bot, 4).has_value());
  auto late = Control(mod, 13, Action(ChannelControl::Action::kRemove, d));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kUnknownItem);
  auto skip_wrong = Control(mod, 14, Action(ChannelControl::Action::kSkip, d));  // skip of d: not playing
  ASSERT_FALSE(skip_wrong);
  EXPECT_EQ(skip_wrong.error().code, ErrorCode::kUnknownItem);
  st = Control(mod, 15, Action(ChannelControl::Action::kStatus)).value();
  ASSERT_TRUE(st.playing);
  EXPECT_EQ(st.current.id, e);
  // Remove needs an item; an unknown one on another channel is unknown here too.
  auto none = Control(mod, 16, Action(ChannelControl::Action::kRemove, 0));
  EXPECT_EQ(none.error().code, ErrorCode::kBadRequest);
}

// A chat reader takes back a deleted message by cancelling its own request: the item goes, with a
// "removed" event whose reason is "cancelled", and the rest of the queue stays.
TEST_F(ChannelQueue, CancellingItsOwnRequestRemovesTheItem) {
  RawClient watcher(daemon_->socket_path());
  watcher.Handshake();
  Watch(watcher, 1, /*events=*/false, /*items=*/true);
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  const uint64_t a = Queue(bot, 1, Item(kLong, "alice", "twitch")).item;
  const uint64_t b = Queue(bot, 2, Item("Deleted by a moderator.", "troll", "twitch")).item;
  const uint64_t c = Queue(bot, 3, Item("Stays.", "carol", "twitch")).item;
  bot.Send(FrameType::kCancel, 2, {});
  EXPECT_EQ(WaitEnd(bot, 2).error().code, ErrorCode::kCancelled);
  auto st = Control(bot, 10, Action(ChannelControl::Action::kStatus)).value();
  EXPECT_EQ(st.current.id, a);
  ASSERT_EQ(st.queue.size(), 1u);
  EXPECT_EQ(st.queue[0].id, c);
  auto events = EventsUntil(
      watcher, [&](const protocol::ChannelEvent& e) { return e.kind == protocol::ChannelEvent::Kind::kRemoved; });
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().utterance, b);
  EXPECT_EQ(events.back().reason, "cancelled");
  EXPECT_EQ(events.back().author, "troll");
}

TEST_F(ChannelQueue, PauseFeedsListenersSilenceKeepsTheQueueAndResumes) {
  Recorder listener(daemon_->socket_path());
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  const auto first = Queue(bot, 1, Item(kLong));
  EXPECT_EQ(first.listeners, 1u);
  const uint64_t second = Queue(bot, 2, Item("After the pause.")).item;
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // well into the first

  auto paused = Control(bot, 10, Action(ChannelControl::Action::kPause)).value();
  const auto paused_at = Clock::now();
  EXPECT_TRUE(paused.paused);
  ASSERT_TRUE(paused.playing);
  ASSERT_EQ(paused.queue.size(), 1u);
  EXPECT_EQ(paused.queue[0].id, second);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto still = Control(bot, 11, Action(ChannelControl::Action::kStatus)).value();
  EXPECT_TRUE(still.paused);
  EXPECT_EQ(still.current.id, first.item);
  EXPECT_NEAR(still.current.played_s, paused.current.played_s, 0.021);  // not a frame further
  EXPECT_EQ(still.queue.size(), 1u);

  // Meanwhile the listener got silence at real-time pace: 55 frames in 1.1 s (frames already on their way
  // may land in the first 300 ms; a loaded machine delivers them unevenly).
  auto quiet =
      listener.Between(paused_at + std::chrono::milliseconds(300), paused_at + std::chrono::milliseconds(1400));
  EXPECT_GE(quiet.frames, 40);
  EXPECT_LE(quiet.frames, 65);
  EXPECT_EQ(quiet.peak, 0.0f);
  auto before = listener.Between(paused_at - std::chrono::milliseconds(1000), paused_at);
  EXPECT_GT(before.peak, 0.01f);

  const auto resumed_at = Clock::now();
  EXPECT_FALSE(Control(bot, 12, Action(ChannelControl::Action::kResume)).value().paused);
  auto done = WaitEnd(bot, 1);
  ASSERT_TRUE(done.has_value());
  EXPECT_GT(*done, paused.current.played_s + 0.5);  // it went on where it stopped
  EXPECT_TRUE(WaitEnd(bot, 2).has_value());
  auto after = listener.Between(resumed_at, Clock::now());
  EXPECT_GT(after.peak, 0.01f);
}

TEST_F(ChannelQueue, ItemEventsArriveInOrderAndOnlyForThoseWhoAsk) {
  RawClient items(daemon_->socket_path());
  items.Handshake();
  Watch(items, 1, /*events=*/true, /*items=*/true);
  RawClient words(daemon_->socket_path());  // an older client: play-by-play only
  words.Handshake();
  Watch(words, 1, /*events=*/true, /*items=*/false);
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  const uint64_t a = Queue(bot, 1, Item("Hello there.", "alice", "twitch")).item;
  const uint64_t b = Queue(bot, 2, Item("Second one.", "bob", "http")).item;
  const uint64_t c = Queue(bot, 3, Item("Never heard.", "carol", "twitch")).item;
  ASSERT_TRUE(Control(bot, 10, Action(ChannelControl::Action::kRemove, c)));

  auto events = EventsUntil(items, [&](const protocol::ChannelEvent& e) {
    return e.kind == protocol::ChannelEvent::Kind::kFinished && e.utterance == b;
  });
  using Kind = protocol::ChannelEvent::Kind;
  auto of = [&](uint64_t id) {
    std::vector<Kind> kinds;
    for (const auto& e : events) {
      if (e.utterance == id && e.kind != Kind::kWord && e.kind != Kind::kSentence) kinds.push_back(e.kind);
    }
    return kinds;
  };
  EXPECT_EQ(of(a), (std::vector<Kind>{Kind::kQueued, Kind::kStarted, Kind::kStart, Kind::kEnd, Kind::kFinished}));
  EXPECT_EQ(of(b), (std::vector<Kind>{Kind::kQueued, Kind::kStarted, Kind::kStart, Kind::kEnd, Kind::kFinished}));
  EXPECT_EQ(of(c), (std::vector<Kind>{Kind::kQueued, Kind::kRemoved}));
  auto index = [&](uint64_t id, Kind kind) {
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].utterance == id && events[i].kind == kind) return i;
    }
    return events.size();
  };
  EXPECT_LT(index(a, Kind::kFinished), index(b, Kind::kStarted));
  for (const auto& e : events) {
    if (e.utterance == a && e.kind == Kind::kQueued) {
      EXPECT_EQ(e.author, "alice");
      EXPECT_EQ(e.source, "twitch");
      EXPECT_EQ(e.text, "Hello there.");
      EXPECT_EQ(e.voice, "fixture-ar");
    }
    if (e.utterance == c && e.kind == Kind::kRemoved) {
      EXPECT_EQ(e.reason, "removed");
      EXPECT_EQ(e.author, "carol");
    }
    if (e.utterance == a && e.kind == Kind::kFinished) {
      EXPECT_GT(e.played_s, 0.3);
    }
  }
  // The play-by-play watcher got its usual events and no item event.
  auto plain =
      EventsUntil(words, [&](const protocol::ChannelEvent& e) { return e.kind == Kind::kEnd && e.utterance == b; });
  ASSERT_FALSE(plain.empty());
  for (const auto& e : plain) EXPECT_FALSE(protocol::IsItemEvent(e.kind)) << protocol::ChannelEventName(e.kind);
}

TEST_F(ChannelQueue, VolumeScalesWhatListenersHear) {
  Recorder listener(daemon_->socket_path());
  RawClient bot(daemon_->socket_path());
  bot.Handshake();
  const std::string text = "Testing the volume of this channel.";
  auto t0 = Clock::now();
  Queue(bot, 1, Item(text));
  ASSERT_TRUE(WaitEnd(bot, 1).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t1 = Clock::now();
  auto st = Control(bot, 10, Action(ChannelControl::Action::kVolume, 0, 0.5)).value();
  EXPECT_EQ(st.gain, 0.5);
  Queue(bot, 2, Item(text));
  ASSERT_TRUE(WaitEnd(bot, 2).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t2 = Clock::now();
  auto loud = listener.Between(t0, t1), soft = listener.Between(t1, t2);
  ASSERT_GT(loud.energy, 0);
  // The same audio at half the amplitude: a quarter of the energy.
  EXPECT_NEAR(std::sqrt(soft.energy / loud.energy), 0.5, 0.03);
  // Out of range: refused, the gain unchanged.
  auto bad = Control(bot, 11, Action(ChannelControl::Action::kVolume, 0, 2.5));
  EXPECT_EQ(bad.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(Control(bot, 12, Action(ChannelControl::Action::kStatus)).value().gain, 0.5);
}

TEST_F(ChannelQueue, OlderClientsAreUnaffected) {
  RawClient old(daemon_->socket_path());
  EXPECT_EQ(old.Handshake(2).version, 2u);
  old.Synthesize(1, Item("From an older client."));
  auto f = old.Read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, FrameType::kAccepted);
  auto st = Control(old, 2, Action(ChannelControl::Action::kStatus)).value();
  EXPECT_TRUE(st.playing);
  EXPECT_TRUE(WaitEnd(old, 1).has_value());
  // Item events are version 3, like the events.
  protocol::ListenRequest l;
  l.channel = "stream";
  l.items = true;
  old.Send(FrameType::kListen, 3, protocol::Serialize(l));
  EXPECT_EQ(WaitEnd(old, 3).error().code, ErrorCode::kBadRequest);
}

TEST(ChannelCaps, QueueLengthAndQueuedTimeAreRefusedClearly) {
  {
    DaemonProcess daemon({"--channel-max-queue", "2"});
    RawClient watcher(daemon.socket_path());
    watcher.Handshake();
    Watch(watcher, 1, /*events=*/false, /*items=*/true);
    RawClient bot(daemon.socket_path());
    bot.Handshake();
    Queue(bot, 1, Item(kLong));  // plays
    Queue(bot, 2, Item("Two."));
    Queue(bot, 3, Item("Three."));
    bot.Synthesize(4, Item("Four.", "dave", "twitch"));
    auto refused = WaitEnd(bot, 4);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kBusy);
    EXPECT_NE(refused.error().message.find("channel-max-queue 2"), std::string::npos) << refused.error().message;
    auto events = EventsUntil(
        watcher, [](const protocol::ChannelEvent& e) { return e.kind == protocol::ChannelEvent::Kind::kRefused; });
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().kind, protocol::ChannelEvent::Kind::kRefused);
    EXPECT_EQ(events.back().reason, "max_queue");
    EXPECT_EQ(events.back().author, "dave");
    EXPECT_EQ(events.back().text, "Four.");
  }
  {
    DaemonProcess daemon({"--channel-max-queued-s", "3"});
    RawClient bot(daemon.socket_path());
    bot.Handshake();
    Queue(bot, 1, Item(kLong));  // about 10 s: over the cap for whatever comes next
    bot.Synthesize(2, Item("Too late."));
    auto refused = WaitEnd(bot, 2);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kBusy);
    EXPECT_NE(refused.error().message.find("channel-max-queued-s"), std::string::npos) << refused.error().message;
    auto st = Control(bot, 3, Action(ChannelControl::Action::kStatus)).value();
    EXPECT_EQ(st.max_queued_s, 3.0);
    EXPECT_GE(st.queued_s, 3.0);
    // An interruption plays at once: the time cap does not hold it back.
    auto urgent = Item("Breaking news.");
    urgent.interrupt = true;
    Queue(bot, 4, urgent);
    EXPECT_TRUE(WaitEnd(bot, 4).has_value());
  }
}

}  // namespace
}  // namespace ttsd::testing
