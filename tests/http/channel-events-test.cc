// A channel's played words on its event stream (GET /v1/channels/NAME/events), against the real ttsd:
// a real listener drains the channel in real time and a real event stream is read beside it. Each word
// event must come in order, no earlier than the listener was sent the word's first sample and not much
// later; skip, clear and interrupt leave no words of the audio that is never played.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "support/daemon-process.h"
#include "support/http-client.h"
#include "support/sse-reader.h"
#include "support/timed-listener.h"

namespace ttsd::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// The channel sends a frame every 20 ms and tells a word at the first tick after the frame holding
// its first sample: 0-20 ms after that sample is heard on the channel's clock. Early: the reader
// threads' clocks agree to well under this; late: a frame, the timer's and the two sockets' delays
// on a loaded 2-core machine.
constexpr double kEarlyS = 0.005;
constexpr double kLateS = 0.15;
constexpr float kOnset = 0.02f;  // louder than this: speech has begun

const std::string kText = "Hello there, Dr. Smith. It costs five dollars, and it is worth every cent.";

// The words of the events of the utterance whose start event's text begins with `text`.
struct Utterance {
  uint64_t id = 0;
  std::vector<SseEvent> events;  // from its start to its end
  std::vector<SseEvent> words() const {
    std::vector<SseEvent> out;
    for (const auto& e : events) {
      if (e.name == "word") out.push_back(e);
    }
    return out;
  }
  const SseEvent* end() const {
    return !events.empty() && events.back().name == "utterance_end" ? &events.back() : nullptr;
  }
};

// The play-by-play; the item events beside them (queued, started, finished, removed, ...) are not what
// this file pins.
bool IsPlay(const SseEvent& e) {
  return e.name == "utterance_start" || e.name == "sentence" || e.name == "word" || e.name == "utterance_end";
}

Utterance Find(const std::vector<SseEvent>& all, const std::string& text) {
  Utterance u;
  for (const auto& e : all) {
    if (e.name == "utterance_start" && e.data["text"].get<std::string>().starts_with(text.substr(0, 40))) {
      u.id = e.data["id"].get<uint64_t>();
    }
    if (IsPlay(e) && u.id != 0 && e.data.is_object() && e.data.contains("id") && e.data["id"] == u.id) {
      u.events.push_back(e);
    }
  }
  return u;
}

bool Ended(const std::vector<SseEvent>& all, const std::string& text) { return Find(all, text).end() != nullptr; }

class ChannelEvents : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<DaemonProcess>(std::vector<std::string>{"--http", "127.0.0.1:0"});
    port_ = HttpPort(*daemon_);
    ASSERT_GT(port_, 0);
  }
  int Queue(const std::string& channel, const std::string& text, bool interrupt = false) {
    json body = {{"input", text}, {"voice", "fixture-stream"}, {"channel", channel}};
    if (interrupt) body["interrupt"] = true;
    return HttpRequest(port_, "POST", "/v1/audio/speech", body.dump()).status;
  }
  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = -1;
};

TEST_F(ChannelEvents, WordsArriveInOrderAsTheirAudioIsPlayed) {
  const SpokenAlone reference = SpeakAlone(daemon_->socket_path(), "fixture-stream", kText, kOnset);
  ASSERT_GE(reference.onset_s, 0);

  TimedListener ear(daemon_->socket_path(), "words");
  SseReader events(port_, "/v1/channels/words/events");
  ASSERT_TRUE(events.WaitFor([](const auto& all) { return !all.empty(); })) << "no status event";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the listener's clock settles
  const size_t before = ear.samples();
  ASSERT_EQ(Queue("words", kText), 202);
  ASSERT_TRUE(events.WaitFor([](const auto& all) { return Ended(all, kText); })) << "the utterance did not end";
  const json status = json::parse(HttpRequest(port_, "GET", "/v1/channels/words").body);
  ASSERT_EQ(status["underruns"], 0) << "synthesis fell behind the channel: its audio has gaps, timing is moot";

  const Utterance u = Find(events.Events(), kText);
  ASSERT_EQ(u.events.front().name, "utterance_start");
  EXPECT_EQ(u.end()->data["reason"], "played");
  // Every word of the text, in order, as the marks of the same text alone say: text, span and times.
  const auto& marks = reference.words;
  const auto words = u.words();
  ASSERT_EQ(words.size(), marks.size());
  ASSERT_EQ(words.size(), 14u);
  for (size_t i = 0; i < words.size(); ++i) {
    const json& w = words[i].data;
    const auto begin = w["text_begin"].get<size_t>(), end = w["text_end"].get<size_t>();
    EXPECT_EQ(w["text"], kText.substr(begin, end - begin));
    EXPECT_EQ(begin, marks[i].text_begin);
    EXPECT_NEAR(w["start_s"].get<double>(), static_cast<double>(marks[i].start) / reference.rate, 0.0006);
    EXPECT_NEAR(w["end_s"].get<double>(), static_cast<double>(marks[i].end) / reference.rate, 0.0006);
    if (i > 0) {
      EXPECT_GE(w["start_s"].get<double>(), words[i - 1].data["start_s"].get<double>());
    }
  }
  // Sentences come before their first word.
  for (size_t i = 0; i + 1 < u.events.size(); ++i) {
    if (u.events[i].name == "sentence") {
      EXPECT_EQ(u.events[i + 1].name, "word");
    }
  }

  // When: the utterance's sample 0 sits where the listener heard the onset, less the reference's.
  const auto onset = ear.OnsetAfter(before, kOnset);
  ASSERT_TRUE(onset) << "the listener heard nothing";
  const double u0 = static_cast<double>(*onset) - reference.onset_s * 48000;
  auto lateness = [&](const SseEvent& e, double seconds) {
    return std::chrono::duration<double>(e.at - ear.HeardAt(u0 + seconds * 48000)).count();
  };
  std::vector<double> late;
  for (const auto& w : words) {
    const double l = lateness(w, w.data["start_s"].get<double>());
    EXPECT_GE(l, -kEarlyS) << w.data.dump() << " came before its audio was played";
    EXPECT_LE(l, kLateS) << w.data.dump();
    late.push_back(l);
  }
  EXPECT_GE(lateness(u.events.front(), 0), -kEarlyS);
  EXPECT_LE(lateness(u.events.front(), 0), kLateS);
  EXPECT_GE(lateness(*u.end(), u.end()->data["played_s"].get<double>()), -kEarlyS);
  std::sort(late.begin(), late.end());
  std::printf(
      "[ WORDS ] %zu word events, after their first sample was played by: min %.1f ms, median %.1f ms, "
      "max %.1f ms\n",
      late.size(), late.front() * 1000, late[late.size() / 2] * 1000, late.back() * 1000);
}

TEST_F(ChannelEvents, SkipClearAndInterruptLeaveNoStaleWords) {
  SseReader events(port_, "/v1/channels/cut/events");
  ASSERT_TRUE(events.WaitFor([](const auto& all) { return !all.empty(); }));
  const std::string a = "Alpha is long enough to be cut short. It keeps going for a while, and then some more words.";
  const std::string b = "Bravo plays after the skip.";
  ASSERT_EQ(Queue("cut", a), 202);
  ASSERT_EQ(Queue("cut", b), 202);
  ASSERT_TRUE(events.WaitFor([&](const auto& all) { return Find(all, a).words().size() >= 2; }));
  ASSERT_EQ(HttpRequest(port_, "POST", "/v1/channels/cut/skip", "").status, 200);
  ASSERT_TRUE(events.WaitFor([&](const auto& all) { return Ended(all, b); }));

  const Utterance ua = Find(events.Events(), a), ub = Find(events.Events(), b);
  ASSERT_NE(ua.end(), nullptr);
  EXPECT_EQ(ua.end()->data["reason"], "skipped");
  EXPECT_LT(ua.words().size(), 19u) << "all of its words were told, though it was skipped";
  EXPECT_LT(ua.end()->data["played_s"].get<double>(), 4.0);
  for (const auto& w : ua.words()) EXPECT_LE(w.data["start_s"].get<double>(), ua.end()->data["played_s"].get<double>());
  EXPECT_EQ(ub.end()->data["reason"], "played");
  EXPECT_EQ(ub.words().size(), 5u);
  // Nothing of the skipped one after its end (but its item's "removed").
  const auto all = events.Events();
  const auto a_end = std::find_if(
      all.begin(), all.end(), [&](const SseEvent& e) { return e.name == "utterance_end" && e.data["id"] == ua.id; });
  EXPECT_TRUE(std::none_of(a_end + 1, all.end(), [&](const SseEvent& e) {
    return IsPlay(e) && e.data.is_object() && e.data.contains("id") && e.data["id"] == ua.id;
  }));

  // Interrupt cuts what plays; clear drops the playing one and the queue: the queued one never starts.
  const std::string c = "Charlie talks and talks, and is interrupted before the end of all these words.";
  const std::string d = "Delta interrupts.";
  const std::string e = "Echo is cleared while it plays, long before it could finish all of its words.";
  const std::string f = "Foxtrot waits, and is cleared before it starts.";
  ASSERT_EQ(Queue("cut", c), 202);
  ASSERT_TRUE(events.WaitFor([&](const auto& all) { return Find(all, c).words().size() >= 2; }));
  ASSERT_EQ(Queue("cut", d, /*interrupt=*/true), 202);
  ASSERT_TRUE(events.WaitFor([&](const auto& all) { return Ended(all, d); }));
  EXPECT_EQ(Find(events.Events(), c).end()->data["reason"], "interrupted");
  EXPECT_EQ(Find(events.Events(), d).words().size(), 2u);
  ASSERT_EQ(Queue("cut", e), 202);
  ASSERT_EQ(Queue("cut", f), 202);
  ASSERT_TRUE(events.WaitFor([&](const auto& all) { return Find(all, e).words().size() >= 2; }));
  ASSERT_EQ(HttpRequest(port_, "POST", "/v1/channels/cut/clear", "").status, 200);
  ASSERT_TRUE(events.WaitFor([&](const auto& all) { return Ended(all, e); }));
  EXPECT_EQ(Find(events.Events(), e).end()->data["reason"], "cleared");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Find(events.Events(), f).id, 0u) << "a cleared utterance started";
}

}  // namespace
}  // namespace ttsd::testing
