// The control page's "Speak here as I type" in a real browser: headless chromium loads the page from ttsd,
// turns the mode on (one WebSocket to /v1/ws carrying ttsd's own protocol) and types; the page speaks the
// text while it is typed, and the audio it receives is the audio ttsd's Unix socket gives for the same text
// streamed in the same pieces. Stop cancels and silences; a page without the token cannot speak here.
// Skips (GTEST_SKIP, with the reason) only when chromium is not installed or exits at start.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon-process.h"
#include "support/headless-chromium.h"
#include "support/http-client.h"

namespace ttsd::testing {
namespace {

using json = nlohmann::json;
using protocol::FrameType;

// Three sentences; the Stop test types it many times over.
const std::string kParagraph =
    "The quick brown fox jumps over the lazy dog while the river keeps running under the old stone bridge. "
    "Every morning the baker opens his shop, and the smell of bread drifts down the narrow street. "
    "Children hurry past on their way to school, counting the minutes until the bell rings. ";
// Enough that ttsd is still generating when the page's Stop arrives (it generates far faster than real
// time): about 20 minutes of speech.
constexpr int kRepeats = 60;

// One piece of streamed text: its text frame's flags, and whether it waits for the request's first audio.
struct Piece {
  std::string text;
  uint8_t flags = 0;
  bool after_audio = false;
};

// The samples ttsd's Unix socket gives for text streamed in these pieces, in a request opened as the page
// opens its own (streaming, word marks, s16le).
size_t NativeSamples(const std::string& socket, const std::string& voice, const std::vector<Piece>& pieces) {
  RawClient c(socket);
  c.Handshake();
  protocol::SynthesizeRequest r;
  r.voice = voice;
  r.final = false;
  r.marks = protocol::MarkLevel::kWords;
  EXPECT_TRUE(c.Synthesize(1, r));
  size_t samples = 0;
  bool audio = false;
  auto read = [&] {  // one frame; false once the request has ended
    auto f = c.Read();
    if (!f) {
      ADD_FAILURE() << "the native request did not end";
      return false;
    }
    if (f->header.type == FrameType::kError) {
      ADD_FAILURE() << "the native request failed: " << protocol::ParseErrorBody(f->payload).value().message;
      return false;
    }
    if (f->header.type != FrameType::kAudio) return true;
    std::span<const uint8_t> pcm;
    EXPECT_TRUE(protocol::ParseAudioHeader(f->payload, &pcm));
    samples += pcm.size() / 2;
    audio = audio || !pcm.empty();
    return (f->header.flags & protocol::kFlagLast) == 0;
  };
  for (const Piece& p : pieces) {
    while (p.after_audio && !audio) {
      if (!read()) return samples;
    }
    EXPECT_TRUE(c.Send(FrameType::kText, 1, {reinterpret_cast<const uint8_t*>(p.text.data()), p.text.size()}, p.flags));
  }
  while (read()) {}
  return samples;
}

// Chromium, and a ttsd with the HTTP API behind a token.
class NativeWsBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!chromium_.Start(&why)) GTEST_SKIP() << why;
    daemon_ = std::make_unique<DaemonProcess>(
        std::vector<std::string>{"--http", "127.0.0.1:0", "--http-token", "page-token"});
    port_ = HttpPort(*daemon_);
    ASSERT_GT(port_, 0);
  }

  // Opens the control page with this query string.
  bool Open(const std::string& query) {
    return chromium_.Open("http://127.0.0.1:" + std::to_string(port_) + "/" + (query.empty() ? "" : "?" + query));
  }

  // Opens the page with the token, waits for its voices, picks fixture-stream and turns "Speak here" on.
  void OpenSpeakingHere() {
    ASSERT_TRUE(Open("token=page-token"));
    ASSERT_TRUE(chromium_.WaitFor("document.body && document.body.dataset.ready === 'true'")) << chromium_.Log();
    chromium_.Eval(
        "document.getElementById('voice').value = 'fixture-stream';"
        "document.getElementById('voice').dispatchEvent(new Event('change'))");
    ASSERT_TRUE(chromium_.Click("#live"));
    ASSERT_TRUE(chromium_.WaitFor("window.ttsdLive.open")) << State();
    ASSERT_TRUE(chromium_.Click("#text"));
  }

  json Live(const std::string& field) { return chromium_.Eval("window.ttsdLive." + field); }

  // What the page knows, for failure messages.
  std::string State() {
    return chromium_.Eval("JSON.stringify(window.ttsdLive ?? null)").dump() +
           "\nmessage: " + chromium_.Eval("document.getElementById('message')?.textContent ?? null").dump() +
           "\nchromium log:\n" + chromium_.Log();
  }

  HeadlessChromium chromium_;
  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = 0;
};

TEST_F(NativeWsBrowser, TypedTextIsSpokenInThePageAsItIsTyped) {
  ASSERT_NO_FATAL_FAILURE(OpenSpeakingHere());
  ASSERT_TRUE(chromium_.Type("Hello from the page, "));
  // Audio before the rest of the sentence is typed. ttsd speaks streamed text a sentence at a time
  // (protocol/README.md, "Streaming text"); the page sends a clause that ends in a comma with FLUSH, so
  // the clause is spoken now.
  ASSERT_TRUE(chromium_.WaitFor("window.ttsdLive.samples > 0")) << State();
  const int id = Live("id").get<int>();
  EXPECT_EQ(Live("requests"), 1);
  const double first_audio_ms = Live("firstAudioAt - window.ttsdLive.textSentAt").get<double>();
  ASSERT_TRUE(chromium_.Type("this sentence goes on for a while."));
  ASSERT_TRUE(chromium_.Press("Enter"));
  ASSERT_TRUE(chromium_.WaitFor("window.ttsdLive.ended.includes(" + std::to_string(id) + ")")) << State();

  EXPECT_EQ(chromium_.Eval("document.getElementById('text').value"), "") << "Enter starts a new utterance";
  EXPECT_EQ(Live("requests"), 1);
  EXPECT_EQ(Live("errors.length"), 0) << State();
  EXPECT_GT(Live("words").get<int>(), 0) << "no word marks";
  // The audio went to Web Audio, queued back to back in a running context.
  EXPECT_EQ(Live("audio.state"), "running");
  EXPECT_GT(Live("playEnd").get<double>(), 1.0);

  // The same text, in the same pieces, each sent when the page sent it (the rest only after the first
  // audio), over the Unix socket. The server cuts it into the same sentences, "Hello from the page," and
  // the rest, and the fixture voice is deterministic: the same samples, exactly, not just within 1%.
  const size_t page = Live("samplesById[" + std::to_string(id) + "]").get<size_t>();
  const size_t native = NativeSamples(daemon_->socket_path(), "fixture-stream",
                                      {{"Hello from the page, ", protocol::kFlagFlush, false},
                                       {"this sentence goes on for a while.", 0, true},
                                       {"", protocol::kFlagFinal, false}});
  EXPECT_EQ(page, native);
  std::printf("[ SPEAK HERE ] first audio %.0f ms after the first text; %zu samples in the page, %zu native\n",
              first_audio_ms, page, native);
}

TEST_F(NativeWsBrowser, StopCancelsAndANewUtteranceStarts) {
  // Every sentence is spoken alone: the whole text is the paragraph's length times its repeats.
  const size_t whole =
      kRepeats * NativeSamples(daemon_->socket_path(), "fixture-stream", {{kParagraph, protocol::kFlagFinal, false}});
  ASSERT_NO_FATAL_FAILURE(OpenSpeakingHere());
  std::string text;
  for (int i = 0; i < kRepeats; ++i) text += kParagraph;
  ASSERT_TRUE(chromium_.Type(text));
  ASSERT_TRUE(chromium_.Press("Enter"));
  const int id = Live("id").get<int>();
  ASSERT_TRUE(chromium_.WaitFor("window.ttsdLive.firstAudioAt !== null")) << State();
  ASSERT_TRUE(chromium_.Click("#stop"));

  const std::string ended = "window.ttsdLive.errors.some((e) => e.id === " + std::to_string(id) + ")";
  ASSERT_TRUE(chromium_.WaitFor(ended)) << State();
  const json error = chromium_.Eval("window.ttsdLive.errors.find((e) => e.id === " + std::to_string(id) + ")");
  EXPECT_EQ(error["code"], 13) << error.dump();
  EXPECT_EQ(error["name"], "cancelled");
  EXPECT_EQ(Live("ended.includes(" + std::to_string(id) + ")"), false);
  const size_t got = Live("samplesById[" + std::to_string(id) + "]").get<size_t>();
  EXPECT_LT(got, whole / 4) << "the Stop came late: " << got << " of " << whole << " samples";
  // Nothing of it is queued any more, and the page did not report its own Stop as an error.
  EXPECT_EQ(Live("playEnd <= window.ttsdLive.audio.currentTime"), true);
  EXPECT_NE(chromium_.Eval("document.getElementById('message').className"), "error") << State();
  std::printf("[ SPEAK HERE ] stopped after %zu of %zu samples (%.1f%%)\n", got, whole, 100.0 * got / whole);

  // Typing again opens a new request, which is spoken to its end.
  ASSERT_TRUE(chromium_.Type("A new sentence after the stop."));
  ASSERT_TRUE(chromium_.Press("Enter"));
  ASSERT_TRUE(chromium_.WaitFor("window.ttsdLive.id !== " + std::to_string(id) +
                                " && window.ttsdLive.ended.includes(window.ttsdLive.id)"))
      << State();
  EXPECT_GT(Live("samplesById[window.ttsdLive.id]").get<size_t>(), 0u);
  EXPECT_EQ(Live("requests"), 2);
}

TEST_F(NativeWsBrowser, APageWithoutTheTokenCannotSpeakHere) {
  ASSERT_TRUE(Open(""));
  // Its voices are refused first (that message is the HTTP API's); then "Speak here".
  ASSERT_TRUE(chromium_.WaitFor("(document.getElementById('message')?.textContent ?? '').includes('Bearer')"))
      << State();
  ASSERT_TRUE(chromium_.Click("#live"));
  ASSERT_TRUE(chromium_.WaitFor("window.ttsdLive.closeCode !== null")) << State();
  EXPECT_EQ(Live("closeCode"), 1008) << "policy violation";
  EXPECT_EQ(Live("open"), false);
  const json errors = Live("errors");
  ASSERT_EQ(errors.size(), 1u) << errors.dump();
  EXPECT_EQ(errors[0]["id"], 0);
  EXPECT_EQ(errors[0]["code"], 5);
  const std::string message = chromium_.Eval("document.getElementById('message').textContent").get<std::string>();
  EXPECT_EQ(message.rfind("Speak here: ", 0), 0u) << message;
  EXPECT_GT(message.size(), std::string("Speak here: ").size()) << message;
  EXPECT_EQ(chromium_.Eval("document.getElementById('live').checked"), false) << "the switch stays on";
}

}  // namespace
}  // namespace ttsd::testing
