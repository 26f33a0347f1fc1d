// The control page in a real browser: headless chromium loads it from ttsd (with a bearer token in its
// URL), a test types, picks a voice and clicks Speak, and a native-protocol listener on the channel hears
// the speech; the page's live queue view follows the channel, and Clear empties it; a recording chosen
// in the page becomes a saved voice.
// Skips (GTEST_SKIP, with the reason) only when chromium is not installed or exits at start.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "support/audio-files.h"
#include "support/daemon-process.h"
#include "support/headless-chromium.h"
#include "support/http-client.h"

namespace ttsd::testing {
namespace {

using protocol::FrameType;

// Reads a listen stream on another thread and keeps the loudest sample heard.
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
      while (!stop_) {
        auto f = client_.Read(std::chrono::seconds(2));
        if (!f) return;
        if (f->header.type != FrameType::kAudio) continue;
        std::span<const uint8_t> pcm;
        if (!protocol::ParseAudioHeader(f->payload, &pcm)) continue;
        float peak = 0;
        for (float s : S16ToFloat(std::string_view(reinterpret_cast<const char*>(pcm.data()), pcm.size()))) {
          peak = std::max(peak, std::abs(s));
        }
        if (peak > peak_) peak_ = peak;
      }
    });
  }
  ~Listener() {
    stop_ = true;
    thread_.join();
  }
  float peak() const { return peak_; }

 private:
  RawClient client_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<float> peak_{0};
};

TEST(HttpBrowser, SpeakButtonQueuesSpeechThatAListenerHears) {
  HeadlessChromium chromium;
  std::string why;
  if (!chromium.Start(&why)) GTEST_SKIP() << why;

  DaemonProcess daemon({"--http", "127.0.0.1:0", "--http-token", "page-token"});
  const int port = HttpPort(daemon);
  ASSERT_GT(port, 0);
  Listener listener(daemon.socket_path(), "browser");

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/?token=page-token&channel=browser";
  ASSERT_TRUE(chromium.Open(url)) << chromium.Log();
  ASSERT_TRUE(chromium.WaitFor("document.body && document.body.dataset.ready === 'true'"))
      << "the page did not load its voices; " << chromium.product() << " log:\n" << chromium.Log();
  // The voices came from /v1/voices with the token; the live view has connected to the channel.
  EXPECT_EQ(chromium.Eval("document.querySelectorAll('#voice option').length"), 3);
  ASSERT_TRUE(chromium.WaitFor("document.getElementById('channel-state').textContent.includes('1 listening')"))
      << chromium.Eval("document.getElementById('channel-state').textContent").dump();

  chromium.Eval("document.getElementById('voice').value = 'fixture-stream';"
                "document.getElementById('voice').dispatchEvent(new Event('change'))");
  ASSERT_TRUE(chromium.Click("#text"));
  ASSERT_TRUE(chromium.Type("Hello from the browser dock. This sentence goes on for a little while."));
  ASSERT_TRUE(chromium.Click("#speak"));

  EXPECT_TRUE(chromium.WaitFor("document.getElementById('message').textContent.startsWith('Queued')"))
      << chromium.Eval("document.getElementById('message').textContent").dump();
  // The queue view shows what plays, from the event stream.
  EXPECT_TRUE(chromium.WaitFor("document.querySelector('#queue li.current') !== null"));
  for (int i = 0; i < 100 && listener.peak() < 0.01f; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GT(listener.peak(), 0.01f) << "the listener on the channel heard only silence";
  EXPECT_TRUE(daemon.WaitForLog("connection")) << daemon.Log();

  // Clear asks once more (it drops everything), then empties the channel; the view follows.
  ASSERT_TRUE(chromium.Click("#clear"));
  EXPECT_EQ(chromium.Eval("document.getElementById('clear').textContent"), "Clear all?");
  ASSERT_TRUE(chromium.Click("#clear"));
  EXPECT_TRUE(chromium.WaitFor("document.querySelectorAll('#queue li').length === 0"));
}

// The page's "new voice from a recording" form: a file chosen in the browser goes up as multipart
// (FormData), the daemon saves the voice, and the page offers it.
TEST(HttpBrowser, ANewVoiceFromARecordingIsSavedAndOffered) {
  HeadlessChromium chromium;
  std::string why;
  if (!chromium.Start(&why)) GTEST_SKIP() << why;
  TempDir dir;
  DaemonProcess daemon({"--http", "127.0.0.1:0", "--http-token", "page-token", "--voice-store", dir.path() + "/store"});
  const int port = HttpPort(daemon);
  ASSERT_GT(port, 0);
  ASSERT_TRUE(chromium.Open("http://127.0.0.1:" + std::to_string(port) + "/?token=page-token"));
  ASSERT_TRUE(chromium.WaitFor("document.body && document.body.dataset.ready === 'true'")) << chromium.Log();

  ASSERT_TRUE(chromium.Click("#new-voice summary"));  // the form opens
  ASSERT_TRUE(chromium.WaitFor("document.getElementById('new-voice').open"));
  // What a user picks in the file dialog, handed to the input the way the dialog does (a FileList).
  const std::string wav = dir.path() + "/me.wav";
  WriteFile(wav, AudioFileBytes(SpeechLike(4.0, 22050, 120), 22050, 1));
  FILE* p = popen(("base64 -w0 " + wav).c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string b64;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) b64.append(buf, n);
  ASSERT_EQ(pclose(p), 0);
  chromium.Eval("document.getElementById('nv-name').value = 'me';"
                "document.getElementById('nv-base').value = 'fixture-style';"
                "const bytes = Uint8Array.from(atob('" + b64 + "'), (c) => c.charCodeAt(0));"
                "const dt = new DataTransfer(); dt.items.add(new File([bytes], 'me.wav', {type: 'audio/wav'}));"
                "document.getElementById('nv-files').files = dt.files; true");
  ASSERT_TRUE(chromium.Click("#nv-save"));
  ASSERT_TRUE(chromium.WaitFor("document.getElementById('message').textContent.startsWith('Saved voice me')"))
      << chromium.Eval("document.getElementById('message').textContent").dump();
  EXPECT_EQ(chromium.Eval("document.getElementById('voice').value"), "me");
  auto listed = HttpRequest(port, "GET", "/v1/voices", "", {"Authorization: Bearer page-token"});
  EXPECT_NE(listed.body.find("\"name\":\"me\""), std::string::npos) << listed.body;

  // A second save under the same name is refused, and the page says why.
  ASSERT_TRUE(chromium.Click("#nv-save"));
  EXPECT_TRUE(chromium.WaitFor("document.getElementById('message').className === 'error'"))
      << chromium.Eval("document.getElementById('message').textContent").dump();
}

TEST(HttpBrowser, APageWithoutTheTokenIsRefused) {
  HeadlessChromium chromium;
  std::string why;
  if (!chromium.Start(&why)) GTEST_SKIP() << why;
  DaemonProcess daemon({"--http", "127.0.0.1:0", "--http-token", "page-token"});
  const int port = HttpPort(daemon);
  ASSERT_TRUE(chromium.Open("http://127.0.0.1:" + std::to_string(port) + "/"));
  // Null-safe: under load the page may still be loading when the first check runs.
  EXPECT_TRUE(chromium.WaitFor("(document.getElementById('message')?.textContent ?? '').includes('Bearer')"))
      << chromium.Eval("document.getElementById('message')?.textContent ?? null").dump();
}

// Moderating the queue from the page: each item with its author and a remove button, text cut with an
// ellipsis, Pause/Resume, the volume slider, Interrupt that unticks itself after use, a warning when
// nobody listens, and a mistyped channel that never becomes the default.
TEST(HttpBrowser, TheQueueIsModeratedFromThePage) {
  HeadlessChromium chromium;
  std::string why;
  if (!chromium.Start(&why)) GTEST_SKIP() << why;
  DaemonProcess daemon({"--http", "127.0.0.1:0"});
  const int port = HttpPort(daemon);
  ASSERT_GT(port, 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto speak = [&](const std::string& text, const std::string& author) {
    nlohmann::json body = {{"input", text}, {"channel", "dock"}, {"author", author}};
    return nlohmann::json::parse(HttpRequest(port, "POST", "/v1/audio/speech", body.dump()).body);
  };

  // Nobody listens to "dokc" (a typo): the page warns, and does not remember it.
  ASSERT_TRUE(chromium.Open(base + "/?channel=dokc"));
  ASSERT_TRUE(chromium.WaitFor("document.body && document.body.dataset.ready === 'true'")) << chromium.Log();
  ASSERT_TRUE(chromium.Click("#text"));
  ASSERT_TRUE(chromium.Type("Is anybody there?"));
  chromium.Eval("document.getElementById('interrupt').checked = true");
  ASSERT_TRUE(chromium.Click("#speak"));
  EXPECT_TRUE(chromium.WaitFor("document.getElementById('message').className === 'warn'"))
      << chromium.Eval("document.getElementById('message').textContent").dump();
  EXPECT_NE(chromium.Eval("document.getElementById('message').textContent").get<std::string>().find("no listeners"),
            std::string::npos);
  EXPECT_EQ(chromium.Eval("document.getElementById('interrupt').checked"), false);  // used once, unticked
  EXPECT_EQ(chromium.Eval("localStorage.getItem('ttsd.channel')"), nullptr);

  // The real channel, with a listener: remembered, and its items moderated.
  Listener listener(daemon.socket_path(), "dock");
  ASSERT_TRUE(chromium.Open(base + "/?channel=dock"));
  ASSERT_TRUE(chromium.WaitFor("document.getElementById('channel-state').textContent.includes('1 listening')"));
  EXPECT_EQ(chromium.Eval("localStorage.getItem('ttsd.channel')"), "dock");
  const std::string long_text =
      "This first message is long enough to keep playing while the moderator works on the queue.";
  speak(long_text, "alice");
  const uint64_t second = speak("Second message, to be removed.", "bob")["item"].get<uint64_t>();
  speak("Third.", "carol");
  ASSERT_TRUE(chromium.WaitFor("document.querySelectorAll('#queue li').length === 3"));
  EXPECT_NE(chromium.Eval("document.querySelector('#queue li.current').textContent").get<std::string>().find("…"),
            std::string::npos);  // 80 bytes of a longer text
  const auto who = chromium.Eval("document.querySelector('#queue li:nth-child(2) .meta').textContent");
  EXPECT_NE(who.get<std::string>().find("bob"), std::string::npos);
  // Paused, the view holds still (nothing plays on), and the second item is removed by its button.
  ASSERT_TRUE(chromium.Click("#pause"));
  EXPECT_TRUE(chromium.WaitFor("document.getElementById('pause').textContent === 'Resume'"));
  auto status = nlohmann::json::parse(HttpRequest(port, "GET", "/v1/channels/dock").body);
  EXPECT_TRUE(status["paused"].get<bool>());
  const std::string item = "#queue li[data-item=\"" + std::to_string(second) + "\"]";
  ASSERT_TRUE(chromium.Click(item + " .remove"));
  EXPECT_TRUE(chromium.WaitFor("document.querySelectorAll('#queue li').length === 2"));
  EXPECT_EQ(chromium.Eval("document.querySelector('" + item + "') === null"), true);
  ASSERT_TRUE(chromium.Click("#pause"));
  EXPECT_TRUE(chromium.WaitFor("document.getElementById('pause').textContent === 'Pause'"));

  chromium.Eval(
      "const v = document.getElementById('volume'); v.value = 0.5; v.dispatchEvent(new Event('change')); true");
  for (int i = 0; i < 50; ++i) {
    status = nlohmann::json::parse(HttpRequest(port, "GET", "/v1/channels/dock").body);
    if (status["gain"] == 0.5) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status["gain"], 0.5);
}

}  // namespace
}  // namespace ttsd::testing
