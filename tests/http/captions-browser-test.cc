// The captions page (GET /captions, daemon/http/web/captions.*) in headless Chromium against a real
// channel that a real listener drains in real time: at moments through an utterance the word the page
// highlights is the word being heard then; its query parameters style it (computed style); speech
// text never becomes markup. Skips only when chromium is not installed or exits at start.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "support/daemon-process.h"
#include "support/headless-chromium.h"
#include "support/http-client.h"
#include "support/sse-reader.h"
#include "support/timed-listener.h"

namespace ttsd::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A word event reaches the page 0-20 ms after its first sample is played (one channel frame; see
// channel-events-test.cc) plus the page's fetch and JavaScript; a reading of the page is placed at
// the middle of its DevTools round trip (readings slower than kMaxRoundTripS are dropped). 150 ms
// covers these with room for a loaded 2-core machine; a caption that far off would still read as
// in time.
constexpr double kToleranceS = 0.15;
constexpr double kMaxRoundTripS = 0.05;
constexpr float kOnset = 0.02f;

const std::string kText =
    "Captions follow the voice word by word. Each word lights up as it is heard, and older lines scroll "
    "away at the top.";

struct Reading {
  Clock::time_point at;
  double round_trip_s = 0;
  int64_t begin = -1;  // data-begin of the highlighted word; -1: none
};

TEST(CaptionsPage, HighlightsTheWordBeingHeardAndTakesItsStyle) {
  HeadlessChromium chromium;
  std::string why;
  if (!chromium.Start(&why)) GTEST_SKIP() << why;
  DaemonProcess daemon({"--http", "127.0.0.1:0", "--http-token", "cap-token"});
  const int port = HttpPort(daemon);
  ASSERT_GT(port, 0);
  const SpokenAlone reference = SpeakAlone(daemon.socket_path(), "fixture-stream", kText, kOnset);
  ASSERT_GE(reference.onset_s, 0);

  TimedListener ear(daemon.socket_path(), "cc");
  SseReader events(port, "/v1/channels/cc/events", {"Authorization: Bearer cap-token"});
  const std::string url = "http://127.0.0.1:" + std::to_string(port) +
                          "/captions?channel=cc&token=cap-token&font=Georgia&size=48&color=00ff00&highlight=%23ff0000"
                          "&background=blue&lines=3&align=left&hold=0";
  ASSERT_TRUE(chromium.Open(url));
  ASSERT_TRUE(chromium.WaitFor("document.body && document.body.dataset.connected === 'true'"))
      << chromium.Eval("document.body?.dataset.error ?? null").dump() << "\n"
      << chromium.Log();

  // The style from the query.
  const json style = chromium.Eval(
      "(() => { const c = getComputedStyle(document.getElementById('captions'));"
      " return {size: c.fontSize, color: c.color, font: c.fontFamily, align: c.textAlign, height: c.height,"
      " background: getComputedStyle(document.body).backgroundColor}; })()");
  EXPECT_EQ(style["size"], "48px") << style.dump();
  EXPECT_EQ(style["color"], "rgb(0, 255, 0)");
  EXPECT_NE(style["font"].get<std::string>().find("Georgia"), std::string::npos);
  EXPECT_EQ(style["align"], "left");
  EXPECT_EQ(style["background"], "rgb(0, 0, 255)");
  EXPECT_NEAR(std::stod(style["height"].get<std::string>()), 3 * 1.3 * 48, 1);  // lines=3

  ASSERT_TRUE(events.WaitFor([](const auto& all) { return !all.empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const size_t before = ear.samples();
  const json body = {{"input", kText}, {"voice", "fixture-stream"}, {"channel", "cc"}};
  ASSERT_EQ(HttpRequest(port, "POST", "/v1/audio/speech", body.dump(), {"Authorization: Bearer cap-token"}).status,
            202);

  // Read the page every ~40 ms until the utterance has ended.
  std::vector<Reading> readings;
  bool colored = false;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (events.Named("utterance_end").empty() && Clock::now() < deadline) {
    const auto t0 = Clock::now();
    const json v = chromium.Eval(
        "(() => { const w = document.querySelector('#text .word.current');"
        " return w ? {begin: Number(w.dataset.begin), color: getComputedStyle(w).color} : null; })()");
    const auto t1 = Clock::now();
    Reading r{t0 + (t1 - t0) / 2, std::chrono::duration<double>(t1 - t0).count(), -1};
    if (v.is_object()) {
      r.begin = v["begin"].get<int64_t>();
      colored = colored || v["color"] == "rgb(255, 0, 0)";
    }
    readings.push_back(r);
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  ASSERT_FALSE(events.Named("utterance_end").empty()) << "the utterance did not end";
  const json status =
      json::parse(HttpRequest(port, "GET", "/v1/channels/cc", "", {"Authorization: Bearer cap-token"}).body);
  ASSERT_EQ(status["underruns"], 0) << "synthesis fell behind the channel: its audio has gaps, timing is moot";
  EXPECT_TRUE(colored) << "the highlighted word is not in the highlight color";

  // What was heard when: the utterance's sample 0 is the listener's onset less the reference's.
  const auto onset = ear.OnsetAfter(before, kOnset);
  ASSERT_TRUE(onset);
  const double u0 = static_cast<double>(*onset) - reference.onset_s * 48000;
  const auto& words = reference.words;
  ASSERT_EQ(events.Named("word").size(), words.size());
  auto word_at = [&](int64_t begin) {
    return std::find_if(words.begin(), words.end(),
                        [&](const auto& w) { return static_cast<int64_t>(w.text_begin) == begin; });
  };
  int checked = 0, highlighted = 0;
  std::vector<double> off_ms;
  for (const Reading& r : readings) {
    if (r.round_trip_s > kMaxRoundTripS) continue;
    const double heard_s = (ear.PositionAt(r.at) - u0) / 48000;  // into the utterance
    ++checked;
    if (r.begin >= 0) {
      ++highlighted;
      auto w = word_at(r.begin);
      ASSERT_NE(w, words.end()) << "highlighted a word that is not one: " << r.begin;
      const double start = static_cast<double>(w->start) / reference.rate,
                   end = static_cast<double>(w->end) / reference.rate;
      EXPECT_GE(heard_s, start - kToleranceS) << "'" << w->text << "' highlighted before it was heard";
      EXPECT_LE(heard_s, end + kToleranceS) << "'" << w->text << "' still highlighted after it was heard";
      off_ms.push_back(1000 * (heard_s < start ? heard_s - start : heard_s > end ? heard_s - end : 0));
    } else {
      for (const auto& w : words) {
        const double start = static_cast<double>(w.start) / reference.rate,
                     end = static_cast<double>(w.end) / reference.rate;
        EXPECT_FALSE(heard_s > start + kToleranceS && heard_s < end - kToleranceS)
            << "nothing highlighted " << heard_s << " s in, in the middle of '" << w.text << "'";
      }
    }
  }
  EXPECT_GE(checked, 30);
  EXPECT_GE(highlighted, 20);
  std::sort(off_ms.begin(), off_ms.end());
  if (!off_ms.empty()) {
    std::printf(
        "[ CAPTIONS ] %d readings, %d with a word lit; heard position outside the lit word by: min %.0f ms, "
        "max %.0f ms\n",
        checked, highlighted, off_ms.front(), off_ms.back());
  }
  // The page shows the words it heard, as text only.
  const json shown = chromium.Eval(
      "({words: document.querySelectorAll('#text .word').length,"
      " other: document.querySelectorAll('#text *:not(.word):not(.sentence)').length})");
  EXPECT_EQ(shown["words"], static_cast<int>(words.size()));
  EXPECT_EQ(shown["other"], 0);
  // The frontend reads no word with markup in it, so a word event that has some is handed to the
  // page's own dispatcher: it stays text.
  const std::string markup = R"(<img src=x onerror="document.title='owned'"><b>bold</b>)";
  chromium.Eval("dispatch('word', JSON.stringify({id: 99, text: " + json(markup).dump() +
                ", text_begin: 0, text_end: 5, start_s: 0, end_s: 0.5})); true");
  EXPECT_EQ(chromium.Eval("[...document.querySelectorAll('#text .word')].pop().textContent"), markup);
  EXPECT_EQ(chromium.Eval("document.querySelectorAll('#text img, #text b').length"), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(chromium.Eval("document.title"), "owned");
}

}  // namespace
}  // namespace ttsd::testing
