// The control page as an OBS dock (issue 21), in headless chromium against the real ttsd: when ttsd
// stops, the page says "ttsd not reachable — retrying", clears the stale status and queue and disables
// what needs ttsd, and when a ttsd comes back on the same port it recovers by itself (no reload);
// at a 300 px dock the emotion sliders are at least 150 px wide with their names above them; moving
// Intensity with every emotion at 0 says that it does nothing; emotion settings survive a reload; a
// mistyped channel is never remembered as the default; Preview fetches a sample of the chosen speaker.
// Skips (GTEST_SKIP, with the reason) only when chromium is not installed or exits at start.
#include <atomic>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "support/daemon-process.h"
#include "support/headless-chromium.h"
#include "support/http-client.h"

namespace ttsd::testing {
namespace {

using protocol::FrameType;
using json = nlohmann::json;

// A listener on a channel that reads (and drops) what it is sent until its daemon goes away.
class Listener {
 public:
  Listener(const std::string& socket, const std::string& channel) : client_(socket) {
    client_.Handshake();
    protocol::ListenRequest l;
    l.channel = channel;
    client_.Send(FrameType::kListen, 1, protocol::Serialize(l));
    auto f = client_.Read();
    EXPECT_TRUE(f && f->header.type == FrameType::kAccepted);
    thread_ = std::thread([this] {
      while (!stop_ && client_.Read(std::chrono::seconds(1))) {
      }
    });
  }
  ~Listener() {
    stop_ = true;
    thread_.join();
  }

 private:
  RawClient client_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

std::string State() { return "document.getElementById('channel-state').textContent"; }

TEST(PageDock, SaysTtsdIsUnreachableAndRecoversWhenItIsBack) {
  HeadlessChromium chromium;
  std::string why;
  if (!chromium.Start(&why)) GTEST_SKIP() << why;

  auto daemon = std::make_unique<DaemonProcess>(std::vector<std::string>{"--http", "127.0.0.1:0"});
  const int port = HttpPort(*daemon);
  ASSERT_GT(port, 0);
  auto listener = std::make_unique<Listener>(daemon->socket_path(), "dock");
  ASSERT_TRUE(chromium.Open("http://127.0.0.1:" + std::to_string(port) + "/?channel=dock"));
  ASSERT_TRUE(chromium.WaitFor("document.body.dataset.ready === 'true'")) << chromium.Log();
  ASSERT_TRUE(chromium.WaitFor(State() + ".includes('1 listening')")) << chromium.Eval(State()).dump();
  chromium.Eval("window.sameDocument = 42");  // gone if the page reloads

  listener.reset();
  daemon->Stop();
  daemon.reset();
  ASSERT_TRUE(chromium.WaitFor(State() + ".includes('ttsd not reachable')")) << chromium.Eval(State()).dump();
  EXPECT_EQ(chromium.Eval(State() + ".includes('listening')"), false);  // no stale status
  EXPECT_EQ(chromium.Eval("document.querySelectorAll('#queue li').length"), 0);
  for (const char* id : {"speak", "skip", "clear", "pause", "volume", "preview", "live"}) {
    EXPECT_EQ(chromium.Eval(std::string("document.getElementById('") + id + "').disabled"), true) << id;
  }
  EXPECT_EQ(chromium.Eval("document.body.dataset.reachable"), "false");

  // A new ttsd on the same port: the page finds it again by itself, in the same document.
  daemon = std::make_unique<DaemonProcess>(std::vector<std::string>{"--http", "127.0.0.1:" + std::to_string(port)});
  ASSERT_EQ(HttpPort(*daemon), port) << daemon->Log();
  listener = std::make_unique<Listener>(daemon->socket_path(), "dock");
  ASSERT_TRUE(chromium.WaitFor(State() + ".includes('1 listening')", std::chrono::seconds(30)))
      << chromium.Eval(State()).dump();
  EXPECT_EQ(chromium.Eval("window.sameDocument"), 42) << "the page reloaded";
  EXPECT_EQ(chromium.Eval("document.body.dataset.reachable"), "true");
  for (const char* id : {"speak", "skip", "clear", "pause", "volume", "preview", "live"}) {
    EXPECT_EQ(chromium.Eval(std::string("document.getElementById('") + id + "').disabled"), false) << id;
  }
  // And it works: speech queued from the page reaches the channel.
  chromium.Eval("document.getElementById('text').value = 'Back again.'");
  ASSERT_TRUE(chromium.Click("#speak"));
  EXPECT_TRUE(chromium.WaitFor("document.getElementById('message').textContent.includes('Queued on dock')"))
      << chromium.Eval("document.getElementById('message').textContent").dump();
}

TEST(PageDock, FitsADockAndRemembersWhatItShould) {
  HeadlessChromium chromium;
  std::string why;
  if (!chromium.Start(&why)) GTEST_SKIP() << why;
  DaemonProcess daemon({"--http", "127.0.0.1:0"});
  const int port = HttpPort(daemon);
  ASSERT_GT(port, 0);
  Listener listener(daemon.socket_path(), "real");

  // The page in a 300 px dock; opened again (a new tab, the same profile and so the same localStorage)
  // it is what OBS shows after a restart.
  auto reload = [&] {
    return chromium.Open("http://127.0.0.1:" + std::to_string(port) + "/") && chromium.SetViewport(300, 900) &&
           chromium.WaitFor("document.body && document.body.dataset.ready === 'true'");
  };
  ASSERT_TRUE(reload()) << chromium.Log();

  // Dock width: every slider at least 150 px, its name above it, nothing wider than the dock.
  chromium.Eval("document.getElementById('emotion-box').open = true");
  const json layout = chromium.Eval(R"((() => {
    const rows = [...document.querySelectorAll('#emotion-box .slider, #volume-box')].map((l) => {
      const name = l.querySelector('.name').getBoundingClientRect();
      const input = l.querySelector('input').getBoundingClientRect();
      return {name: l.querySelector('.name').textContent, width: input.width, above: name.bottom <= input.top + 1};
    });
    return {rows, page: document.documentElement.scrollWidth};
  })())");
  ASSERT_TRUE(layout.is_object());
  EXPECT_EQ(layout["rows"].size(), 10u) << layout.dump();  // 8 emotions, Intensity, Volume
  for (const json& row : layout["rows"]) {
    EXPECT_GE(row["width"].get<double>(), 150) << row.dump();
    EXPECT_EQ(row["above"], true) << row.dump();
  }
  EXPECT_LE(layout["page"].get<int>(), 300) << "the page scrolls sideways in a 300 px dock";

  // Intensity with every emotion at 0: a note says it does nothing; an emotion hides it.
  EXPECT_EQ(chromium.Eval("document.getElementById('intensity-note').hidden"), true);
  chromium.Eval("{ const i = document.getElementById('intensity'); i.value = 0.5;"
                "i.dispatchEvent(new Event('input', {bubbles: true})) }");
  EXPECT_EQ(chromium.Eval("document.getElementById('intensity-note').hidden"), false);
  chromium.Eval("{ const h = document.querySelector('input[data-axis=happy]'); h.value = 0.6;"
                "h.dispatchEvent(new Event('input', {bubbles: true})) }");
  EXPECT_EQ(chromium.Eval("document.getElementById('intensity-note').hidden"), true);

  // The emotion settings survive a reload; Neutral resets them for good.
  ASSERT_TRUE(reload());
  EXPECT_EQ(chromium.Eval("Number(document.querySelector('input[data-axis=happy]').value)"), 0.6);
  EXPECT_EQ(chromium.Eval("Number(document.getElementById('intensity').value)"), 0.5);
  EXPECT_EQ(chromium.Eval("document.getElementById('emotion-summary').textContent"), "happy 0.6");
  chromium.Eval("document.getElementById('emotion-box').open = true");
  ASSERT_TRUE(chromium.Click("#emotion-reset"));
  ASSERT_TRUE(reload());
  EXPECT_EQ(chromium.Eval("document.getElementById('emotion-summary').textContent"), "none");

  // A channel with a listener becomes the default; a mistyped one (nobody listens) never does.
  auto pick = [&](const std::string& name) {
    chromium.Eval("{ const c = document.getElementById('channel'); c.value = '" + name +
                  "'; c.dispatchEvent(new Event('change')) }");
  };
  pick("real");
  ASSERT_TRUE(chromium.WaitFor(State() + ".startsWith('real: ') && " + State() + ".includes('1 listening')"))
      << chromium.Eval(State()).dump();
  EXPECT_EQ(chromium.Eval("localStorage.getItem('ttsd.channel')"), "real");
  pick("reall");
  ASSERT_TRUE(chromium.WaitFor(State() + ".startsWith('reall: ') && " + State() + ".includes('0 listening')"))
      << chromium.Eval(State()).dump();
  EXPECT_EQ(chromium.Eval("localStorage.getItem('ttsd.channel')"), "real");
  ASSERT_TRUE(reload());
  EXPECT_EQ(chromium.Eval("document.getElementById('channel').value"), "real");

  // Preview: a short sample of the chosen voice and speaker, fetched and played in the page.
  chromium.Eval("{ const v = document.getElementById('voice'); v.value = 'fixture-ar'; v.dispatchEvent(new Event('change'));"
                "const s = document.getElementById('speaker'); s.value = 'beta'; s.dispatchEvent(new Event('change')) }");
  ASSERT_TRUE(chromium.Click("#preview"));
  ASSERT_TRUE(chromium.WaitFor("window.ttsdPreview.bytes > 1000 || window.ttsdPreview.error"))
      << chromium.Eval("JSON.stringify(window.ttsdPreview)").dump();
  EXPECT_EQ(chromium.Eval("window.ttsdPreview.error"), nullptr);
  EXPECT_EQ(chromium.Eval("window.ttsdPreview.last.speaker"), "beta");
  EXPECT_EQ(chromium.Eval("window.ttsdPreview.last.voice"), "fixture-ar");
  EXPECT_EQ(chromium.Eval("window.ttsdPreview.last.channel"), nullptr);  // heard here, not on stream
}

}  // namespace
}  // namespace ttsd::testing
