// The channels' moderation fields on the wire: synthesize's author and source, accepted's item and
// listeners, listen's items, channel_control's actions, the item events and the status fields.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ttsd/protocol/messages.h"

namespace ttsd::protocol {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }
nlohmann::json AsJson(const std::vector<uint8_t>& b) { return nlohmann::json::parse(b.begin(), b.end()); }

TEST(ChannelMessages, SynthesizeCarriesAuthorAndSource) {
  SynthesizeRequest r;
  r.text = "hi";
  r.channel = "stream";
  r.author = "Zoë";
  r.source = "twitch";
  auto back = ParseSynthesize(Serialize(r)).value();
  EXPECT_EQ(back.author, "Zoë");
  EXPECT_EQ(back.source, "twitch");
  EXPECT_FALSE(AsJson(Serialize(SynthesizeRequest{})).contains("author"));  // absent when empty

  const std::string a64(kMaxAuthorBytes, 'a'), s32(kMaxSourceBytes, 's');
  EXPECT_TRUE(ParseSynthesize(Bytes(R"({"channel":"c","author":")" + a64 + R"(","source":")" + s32 + R"("})")));
  for (const std::string& bad :
       {R"({"channel":"c","author":")" + a64 + R"(a"})", R"({"channel":"c","source":")" + s32 + R"(s"})",
        std::string(R"({"channel":"c","author":"a\nb"})"), std::string(R"({"channel":"c","source":"a\u007fb"})"),
        std::string(R"({"channel":"c","author":7})")}) {
    auto r2 = ParseSynthesize(Bytes(bad));
    ASSERT_FALSE(r2) << bad;
    EXPECT_EQ(r2.error().code, ErrorCode::kBadRequest) << bad;
  }
  auto not_utf8 = ParseSynthesize(Bytes("{\"channel\":\"c\",\"author\":\"\xff\"}"));
  EXPECT_FALSE(not_utf8);
}

TEST(ChannelMessages, AcceptedTellsTheItemAndItsListeners) {
  Accepted a;
  a.voice = "v";
  a.channel = "stream";
  a.item = 42;
  a.listeners = 0;
  auto j = AsJson(Serialize(a));
  EXPECT_EQ(j["item"], 42);
  EXPECT_EQ(j["listeners"], 0);  // 0 is told: it is the warning
  auto back = ParseAccepted(Serialize(a)).value();
  EXPECT_EQ(back.item, 42u);
  EXPECT_EQ(back.listeners, 0u);
  EXPECT_FALSE(AsJson(Serialize(Accepted{})).contains("item"));  // not a channel request
}

TEST(ChannelMessages, ListenAsksForItems) {
  ListenRequest l;
  l.channel = "stream";
  l.audio = false;
  l.items = true;
  auto back = ParseListen(Serialize(l)).value();
  EXPECT_TRUE(back.items);
  EXPECT_FALSE(back.events);
  auto none = ParseListen(Bytes(R"({"channel":"stream","audio":false})"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kBadRequest);
}

TEST(ChannelMessages, EveryActionRoundTrips) {
  using A = ChannelControl::Action;
  for (A action : {A::kStatus, A::kSkip, A::kClear, A::kRemove, A::kPause, A::kResume, A::kVolume}) {
    ChannelControl c{"stream", action, action == A::kRemove || action == A::kSkip ? 7u : 0u,
                     action == A::kVolume ? 0.5 : 1.0};
    auto back = ParseChannelControl(Serialize(c)).value();
    EXPECT_EQ(back.action, action);
    EXPECT_EQ(back.item, c.item);
    EXPECT_EQ(back.gain, c.gain);
  }
  EXPECT_EQ(AsJson(Serialize(ChannelControl{"s", A::kRemove, 9, 1})),
            nlohmann::json::parse(R"({"channel":"s","action":"remove","item":9})"));
  for (const char* bad : {R"({"channel":"s","action":"remove"})", R"({"channel":"s","action":"remove","item":0})",
                          R"({"channel":"s","action":"volume"})", R"({"channel":"s","action":"volume","gain":2.5})",
                          R"({"channel":"s","action":"volume","gain":-0.1})", R"({"channel":"s","action":"mute"})",
                          R"({"channel":"s","action":"remove","item":"7"})"}) {
    auto r = ParseChannelControl(Bytes(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << bad;
  }
}

TEST(ChannelMessages, ItemEventsRoundTripWithTheirFields) {
  using Kind = ChannelEvent::Kind;
  for (Kind kind : {Kind::kQueued, Kind::kStarted, Kind::kFinished, Kind::kRemoved, Kind::kRefused, Kind::kPaused,
                    Kind::kResumed}) {
    EXPECT_TRUE(IsItemEvent(kind));
    ChannelEvent e;
    e.kind = kind;
    e.utterance = 7;
    if (kind != Kind::kPaused && kind != Kind::kResumed) {
      e.text = "hi chat";
      e.author = "alice";
      e.source = "twitch";
      e.voice = "ttsd-en";
      e.speaker = "hts-deep";
    }
    if (kind == Kind::kRemoved || kind == Kind::kRefused) e.reason = kind == Kind::kRemoved ? "removed" : "max_queue";
    if (kind == Kind::kFinished || kind == Kind::kRemoved) e.played_s = 1.25;
    auto back = ParseChannelEvent(Serialize(e));
    ASSERT_TRUE(back) << ChannelEventName(kind);
    EXPECT_EQ(*back, e) << ChannelEventName(kind);
  }
  for (Kind kind : {Kind::kStart, Kind::kSentence, Kind::kWord, Kind::kEnd}) EXPECT_FALSE(IsItemEvent(kind));
  ChannelEvent q{Kind::kQueued, 7, "hi chat", 0, 0, 0, 0, "", 0, "alice", "twitch", "ttsd-en", "hts-deep"};
  EXPECT_EQ(AsJson(Serialize(q)), nlohmann::json::parse(R"({"author":"alice","id":7,"source":"twitch",
      "speaker":"hts-deep","text":"hi chat","type":"queued","voice":"ttsd-en"})"));
}

TEST(ChannelMessages, StatusCarriesItemsPauseVolumeAndCaps) {
  ChannelStatus st;
  st.channel = "stream";
  st.playing = true;
  st.current = {7, "Hello", 1.5, false, "alice", "twitch", "ttsd-en", "hts-deep", 3.2};
  st.queue.push_back({8, "Second", 0, true, "bob", "http", "ttsd-en", "p225", 2.0});
  st.paused = true;
  st.gain = 0.5;
  st.queued_s = 3.7;
  st.max_queue = 64;
  st.max_queued_s = 300;
  auto back = ParseChannelStatus(Serialize(st)).value();
  EXPECT_EQ(back.current.author, "alice");
  EXPECT_EQ(back.current.length_s, 3.2);
  ASSERT_EQ(back.queue.size(), 1u);
  EXPECT_TRUE(back.queue[0].text_cut);
  EXPECT_EQ(back.queue[0].speaker, "p225");
  EXPECT_TRUE(back.paused);
  EXPECT_EQ(back.gain, 0.5);
  EXPECT_EQ(back.queued_s, 3.7);
  EXPECT_EQ(back.max_queue, 64u);
  EXPECT_EQ(back.max_queued_s, 300.0);
  // An older server's status: the new fields keep their defaults.
  auto old =
      ParseChannelStatus(Bytes(R"({"channel":"s","listeners":1,"playing":false,"current":null,"queue":[]})")).value();
  EXPECT_FALSE(old.paused);
  EXPECT_EQ(old.gain, 1.0);
  EXPECT_EQ(old.max_queue, 0u);
}

}  // namespace
}  // namespace ttsd::protocol
