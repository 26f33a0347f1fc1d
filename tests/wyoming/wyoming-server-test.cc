// The real ttsd binary's Wyoming server over TCP, spoken to by a client written from the protocol's
// README: describe/info, synthesize, streaming synthesis, the two data forms, hostile input, limits.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <thread>

#include "support/wyoming-client.h"

namespace ttsd::testing {
namespace {

using nlohmann::json;

const char* kText = "Hello there. How are you today? I am fine, thank you.";
const char* kLongText =
    "The quick brown fox jumps over the lazy dog while the river keeps running under the old stone bridge. "
    "Every morning the baker opens his shop, and the smell of bread drifts down the narrow street. "
    "Children hurry past on their way to school, counting the minutes until the bell rings. ";

json Voice(const std::string& name, const std::string& speaker = "") {
  json v = {{"name", name}};
  if (!speaker.empty()) v["speaker"] = speaker;
  return v;
}

class WyomingServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new DaemonProcess({"--wyoming", "tcp://127.0.0.1:0", "--max-text-bytes", "20000"});
    port_ = WyomingPort(*daemon_);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  // After every test a new connection is still served in full.
  void TearDown() override {
    WyomingClient c(port_);
    ASSERT_TRUE(c.connected());
    c.Send("synthesize", {{"text", "Still here."}});
    auto audio = Collect(c.ReadUntil("audio-stop"));
    EXPECT_TRUE(audio.stopped && !audio.error) << daemon_->Log();
  }
  // The answer to one plain synthesize on a new connection.
  static WyAudio Speak(const json& data) {
    WyomingClient c(port_);
    c.Send("synthesize", data);
    return Collect(c.ReadUntil("audio-stop"));
  }

  static DaemonProcess* daemon_;
  static uint16_t port_;
};
DaemonProcess* WyomingServerTest::daemon_ = nullptr;
uint16_t WyomingServerTest::port_ = 0;

TEST_F(WyomingServerTest, ListensOnLoopbackPortItLogged) {
  EXPECT_GT(port_, 0);
  EXPECT_EQ(daemon_->Log().find("no authentication"), std::string::npos);  // loopback: no warning
}

TEST_F(WyomingServerTest, DescribeListsVoicesSpeakersAndStreaming) {
  WyomingClient c(port_);
  ASSERT_TRUE(c.Send("describe"));
  auto info = c.Read();
  ASSERT_TRUE(info);
  ASSERT_EQ(info->type, "info");
  EXPECT_EQ(info->header.value("version", ""), "1.7.0");
  ASSERT_TRUE(info->data["tts"].is_array());
  ASSERT_EQ(info->data["tts"].size(), 1u);
  const json& program = info->data["tts"][0];
  EXPECT_EQ(program["name"], "ttsd");
  EXPECT_EQ(program["installed"], true);
  EXPECT_EQ(program["supports_synthesize_streaming"], true);
  EXPECT_TRUE(program["attribution"].contains("name") && program["attribution"].contains("url"));
  EXPECT_TRUE(program["description"].is_string());
  EXPECT_TRUE(program["version"].is_string());
  std::map<std::string, json> voices;
  for (const auto& v : program["voices"]) voices[v["name"]] = v;
  ASSERT_TRUE(voices.contains("fixture-ar") && voices.contains("fixture-stream") && voices.contains("fixture-style"));
  const json& ar = voices["fixture-ar"];
  EXPECT_EQ(ar["languages"], json::array({"en-us"}));
  EXPECT_EQ(ar["speakers"], json::parse(R"([{"name":"alpha"},{"name":"beta"}])"));
  EXPECT_EQ(ar["installed"], true);
  EXPECT_TRUE(ar["attribution"]["name"].is_string() && ar["attribution"]["url"].is_string());
  EXPECT_EQ(ar["description"].get<std::string>().rfind("fixture-ar", 0), 0u);  // Home Assistant lists it so
  EXPECT_TRUE(ar.contains("version"));
  for (const char* other : {"asr", "handle", "intent", "wake", "mic", "snd"}) EXPECT_TRUE(info->data[other].is_array());
}

TEST_F(WyomingServerTest, SynthesizeStreamsS16ChunksBetweenStartAndStop) {
  WyomingClient c(port_);
  c.Send("synthesize", {{"text", kText}});
  auto events = c.ReadUntil("audio-stop");
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.front().type, "audio-start");
  EXPECT_EQ(events.back().type, "audio-stop");
  const auto audio = Collect(events);
  EXPECT_EQ(audio.rate, 16000);
  EXPECT_EQ(audio.width, 2);
  EXPECT_EQ(audio.channels, 1);
  EXPECT_GE(audio.chunks, 2);
  for (size_t i = 1; i + 1 < events.size(); ++i) {
    const auto& e = events[i];
    ASSERT_EQ(e.type, "audio-chunk");
    EXPECT_EQ(e.header.value("payload_length", size_t{0}), e.payload.size());
    EXPECT_GT(e.payload.size(), 0u);
    EXPECT_EQ(e.payload.size() % 2, 0u);
    EXPECT_EQ(e.data["rate"], 16000);
    EXPECT_EQ(e.data["width"], 2);
    EXPECT_EQ(e.data["channels"], 1);
  }
  // Sent as generated: the first chunk is the engine's small first chunk (4 frames of 200 samples).
  EXPECT_EQ(events[1].payload.size(), 4u * 200 * 2);
  EXPECT_LT(events[1].payload.size(), events[2].payload.size());
  // Eleven words: more than half a second, less than a minute.
  EXPECT_GT(audio.samples, 8000u);
  EXPECT_LT(audio.samples, 60u * 16000);
}

// Home Assistant's text reaches the engine as any other: SSML and pause tags work, bad markup is an error.
TEST_F(WyomingServerTest, SsmlAndPauseTagsWork) {
  const auto plain = Speak({{"text", "Hello there."}});
  const auto paused = Speak({{"text", "Hello [pause:1s] there."}});
  const auto ssml = Speak({{"text", "<speak>Hello <break time=\"1s\"/> there.</speak>"}});
  ASSERT_TRUE(plain.stopped && paused.stopped && ssml.stopped) << daemon_->Log();
  // The pause replaces the words' own short break, so a little under a second more.
  EXPECT_NEAR(static_cast<double>(paused.samples - plain.samples) / 16000, 1.0, 0.15);
  EXPECT_EQ(ssml.samples, paused.samples);
  WyomingClient c(port_);
  c.Send("synthesize", {{"text", "<speak>Hi <blink/></speak>"}});
  auto events = c.ReadUntil("error");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "error");
  EXPECT_NE(events.back().data.dump().find("blink"), std::string::npos) << events.back().data.dump();
}

TEST_F(WyomingServerTest, StreamingTextGoesIntoOneStreamAndEndsWithSynthesizeStopped) {
  const auto whole = Speak({{"text", kText}, {"voice", Voice("fixture-stream")}});
  ASSERT_TRUE(whole.stopped);

  WyomingClient c(port_);
  c.Send("synthesize-start", {{"voice", Voice("fixture-stream")}});
  c.Send("synthesize-chunk", {{"text", "Hello there. How"}});
  // Audio for the finished sentence comes while the stream is still open for text.
  auto first = c.ReadUntil("audio-chunk");
  ASSERT_EQ(Collect(first).chunks, 1) << daemon_->Log();
  for (const char* piece : {" are you", " today? I am", " fine, thank you."}) c.Send("synthesize-chunk", {{"text", piece}});
  c.Send("synthesize", {{"text", kText}, {"voice", Voice("fixture-stream")}});  // for old servers: ignored
  c.Send("synthesize-stop");
  auto rest = c.ReadUntil("synthesize-stopped");
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back().type, "synthesize-stopped");
  EXPECT_EQ(rest[rest.size() - 2].type, "audio-stop");
  first.insert(first.end(), rest.begin(), rest.end());
  const auto streamed = Collect(first);
  EXPECT_EQ(streamed.types.front(), "audio-start");
  EXPECT_EQ(std::count(streamed.types.begin(), streamed.types.end(), "audio-start"), 1);
  EXPECT_FALSE(streamed.error);
  // The same text in pieces is the same speech, spoken once.
  EXPECT_EQ(streamed.samples, whole.samples);
  // The connection takes the next request.
  c.Send("synthesize", {{"text", "Again."}});
  EXPECT_TRUE(Collect(c.ReadUntil("audio-stop")).stopped);
}

TEST_F(WyomingServerTest, StreamWithoutTextEndsSilently) {
  WyomingClient c(port_);
  c.Send("synthesize-start");
  c.Send("synthesize-stop");
  const auto audio = Collect(c.ReadUntil("synthesize-stopped"));
  EXPECT_TRUE(audio.synthesize_stopped);
  EXPECT_FALSE(audio.error);
  EXPECT_EQ(audio.samples, 0u);
}

TEST_F(WyomingServerTest, InlineDataAndSeparateDataBlockAreTheSame) {
  const json data = {{"text", kText}, {"voice", Voice("fixture-ar", "beta")}};
  WyomingClient c(port_);
  c.Send("synthesize", data, /*inline_data=*/false);
  const auto separate = Collect(c.ReadUntil("audio-stop"));
  c.Send("synthesize", data, /*inline_data=*/true);
  const auto inline_form = Collect(c.ReadUntil("audio-stop"));
  // Both at once: the data block is merged over the header's data.
  json header = {{"type", "synthesize"}, {"data", {{"text", "overridden"}, {"voice", Voice("fixture-ar", "beta")}}}};
  const std::string block = json({{"text", kText}}).dump();
  header["data_length"] = block.size();
  c.SendBytes(header.dump() + "\n" + block);
  const auto merged = Collect(c.ReadUntil("audio-stop"));
  ASSERT_TRUE(separate.stopped && inline_form.stopped && merged.stopped);
  EXPECT_EQ(separate.samples, inline_form.samples);
  EXPECT_EQ(separate.samples, merged.samples);
}

TEST_F(WyomingServerTest, EventsSentDuringARequestWaitForIt) {
  WyomingClient c(port_);
  c.SendBytes(WyomingClient::Encode("synthesize", {{"text", kLongText}}) + WyomingClient::Encode("describe") +
              WyomingClient::Encode("synthesize", {{"text", "Second."}}));
  auto events = c.ReadUntil("info");
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[events.size() - 2].type, "audio-stop");
  EXPECT_EQ(events.back().type, "info");
  EXPECT_TRUE(Collect(c.ReadUntil("audio-stop")).stopped);
}

TEST_F(WyomingServerTest, UnknownEventsDuringARequestAreDroppedNotQueued) {
  WyomingClient c(port_);
  std::string bytes = WyomingClient::Encode("synthesize", {{"text", kLongText}});
  const std::string audio = WyomingClient::Encode("audio-chunk", {{"rate", 16000}, {"width", 2}, {"channels", 1}},
                                                  false, std::string(640, '\0'));
  for (int i = 0; i < 3 * 16; ++i) bytes += audio;  // past the cap on events that wait
  c.SendBytes(bytes + WyomingClient::Encode("describe"));
  auto events = c.ReadUntil("info");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "info");
  EXPECT_TRUE(Collect(events).stopped);
  // Requests that wait are capped.
  std::string many = WyomingClient::Encode("synthesize", {{"text", kLongText}});
  for (int i = 0; i < 17; ++i) many += WyomingClient::Encode("describe");
  c.SendBytes(many);
  const auto capped = Collect(c.ReadUntil("error"));
  ASSERT_TRUE(capped.error);
  EXPECT_EQ(capped.error->data["code"], "busy");
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(WyomingServerTest, PingAndUnknownEventsKeepTheConnection) {
  WyomingClient c(port_);
  c.Send("ping", {{"text", "abc"}});
  auto pong = c.Read();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->type, "pong");
  EXPECT_EQ(pong->data["text"], "abc");
  c.Send("transcribe", {{"language", "en"}});
  c.SendBytes(WyomingClient::Encode("audio-chunk", {{"rate", 16000}, {"width", 2}, {"channels", 1}}, false,
                                    std::string(320, '\0')));
  c.Send("something-new");
  c.Send("describe");
  auto info = c.Read();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, "info");
}

TEST_F(WyomingServerTest, LanguageAndSpeakerPickTheVoice) {
  EXPECT_TRUE(Speak({{"text", "Hi."}, {"voice", {{"language", "en_US"}}}}).stopped);
  EXPECT_TRUE(Speak({{"text", "Hi."}, {"voice", {{"language", "en"}}}}).stopped);
  auto french = Speak({{"text", "Salut."}, {"voice", {{"language", "fr"}}}});
  ASSERT_TRUE(french.error);
  EXPECT_EQ(french.error->data["code"], "unknown_voice");
  auto speaker = Speak({{"text", "Hi."}, {"voice", Voice("fixture-ar", "zeta")}});
  ASSERT_TRUE(speaker.error);
  EXPECT_EQ(speaker.error->data["code"], "unknown_speaker");
}

TEST_F(WyomingServerTest, RequestErrorsAnswerErrorThenClose) {
  struct Case {
    json data;
    const char* code;
  };
  for (const auto& [data, code] : std::vector<Case>{{{{"text", "Hi."}, {"voice", Voice("nope")}}, "unknown_voice"},
                                                    {{{"text", ""}}, "empty_text"},
                                                    {{{"text", 42}}, "bad_request"},
                                                    {json::object(), "bad_request"},
                                                    {{{"text", "Hi."}, {"voice", "fixture-ar"}}, "bad_request"},
                                                    {{{"text", "<speak/>"}, {"text_format", "ssml"}}, "not_supported"}}) {
    WyomingClient c(port_);
    c.Send("synthesize", data);
    auto e = c.Read();
    ASSERT_TRUE(e) << data.dump();
    EXPECT_EQ(e->type, "error") << data.dump();
    EXPECT_EQ(e->data["code"], code) << data.dump();
    EXPECT_FALSE(e->data["text"].get<std::string>().empty());
    EXPECT_TRUE(c.WaitClosed()) << data.dump();
  }
  // Stream events out of order.
  for (const char* type : {"synthesize-chunk", "synthesize-stop"}) {
    WyomingClient c(port_);
    c.Send(type, {{"text", "x"}});
    auto e = c.Read();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, "error");
    EXPECT_TRUE(c.WaitClosed());
  }
}

TEST_F(WyomingServerTest, MalformedInputAnswersErrorThenCloses) {
  struct Case {
    std::string bytes;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"this is not json\n", "malformed_frame"},
      {"[1,2,3]\n", "malformed_frame"},
      {"{\"data\":{}}\n", "malformed_frame"},
      {"{\"type\":7}\n", "malformed_frame"},
      {"{\"type\":\"synthesize\",\"data\":\"text\"}\n", "malformed_frame"},
      {"{\"type\":\"synthesize\",\"data_length\":-1}\n", "malformed_frame"},
      {"{\"type\":\"synthesize\",\"data_length\":\"5\"}\n", "malformed_frame"},
      {"{\"type\":\"synthesize\",\"data_length\":5}\n[1,2]", "malformed_frame"},
      {"{\"type\":\"synthesize\",\"data_length\":3}\nabc", "malformed_frame"},
      // Caps refuse the lengths before anything is read or allocated for them.
      {"{\"type\":\"synthesize\",\"data_length\":1073741824}\n", "frame_too_large"},
      {"{\"type\":\"audio-chunk\",\"payload_length\":1099511627776}\n", "frame_too_large"},
  };
  for (const auto& [bytes, code] : cases) {
    WyomingClient c(port_);
    c.SendBytes(bytes);
    auto e = c.Read();
    ASSERT_TRUE(e) << bytes;
    EXPECT_EQ(e->type, "error") << bytes;
    EXPECT_EQ(e->data["code"], code) << bytes;
    EXPECT_TRUE(c.WaitClosed()) << bytes;
  }
  // A header line that never ends.
  WyomingClient c(port_);
  c.SendBytes("{\"type\":\"synthesize\",\"data\":{\"text\":\"" + std::string(1100000, 'a'));
  auto e = c.Read();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->data["code"], "frame_too_large");
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(WyomingServerTest, ClientThatLeavesMidRequestCancelsIt) {
  {  // a plain request: leaves after two chunks
    WyomingClient c(port_);
    c.Send("synthesize", {{"text", std::string(kLongText) + kLongText + kLongText}});
    int chunks = 0;
    while (chunks < 2) {
      auto e = c.Read();
      ASSERT_TRUE(e);
      chunks += e->type == "audio-chunk";
    }
  }
  {  // a stream: leaves while the stream is open for text
    WyomingClient c(port_);
    c.Send("synthesize-start");
    c.Send("synthesize-chunk", {{"text", kLongText}});
    auto e = c.ReadUntil("audio-chunk");
    ASSERT_FALSE(e.empty());
  }
  {  // before reading anything
    WyomingClient c(port_);
    c.Send("synthesize", {{"text", kLongText}});
  }
  EXPECT_TRUE(daemon_->WaitForLog("cancelled: generation stopped")) << daemon_->Log();
}

TEST_F(WyomingServerTest, HalfClosedClientGetsItsAudio) {
  WyomingClient c(port_);
  c.Send("synthesize", {{"text", kText}});
  c.ShutdownWrite();
  const auto audio = Collect(c.ReadUntil("audio-stop"));
  EXPECT_TRUE(audio.stopped);
  EXPECT_GT(audio.samples, 8000u);
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(WyomingServerTest, ManyClientsAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      WyomingClient c(port_);
      if (i % 2) {
        c.Send("synthesize", {{"text", kText}});
        ok += Collect(c.ReadUntil("audio-stop")).stopped;
      } else {
        c.Send("synthesize-start", {{"voice", Voice("fixture-stream")}});
        c.Send("synthesize-chunk", {{"text", kText}});
        c.Send("synthesize-stop");
        ok += Collect(c.ReadUntil("synthesize-stopped")).synthesize_stopped;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
}

// Daemons of their own: limits, other listeners, configuration.

TEST(WyomingServer, RequestLimitIsSharedWithNativeClients) {
  DaemonProcess d({"--wyoming", "tcp://127.0.0.1:0", "--max-requests-per-client", "1", "--max-requests-total", "1"});
  const uint16_t port = WyomingPort(d);
  WyomingClient holder(port);  // an open stream holds the daemon's only request
  holder.Send("synthesize-start");
  holder.Send("synthesize-chunk", {{"text", "Waiting"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    WyomingClient c(port);
    c.Send("synthesize", {{"text", "Hi."}});
    auto e = c.Read();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, "error");
    EXPECT_EQ(e->data["code"], "busy");
  }
  {
    RawClient native(d.socket_path());
    native.Handshake();
    protocol::SynthesizeRequest r;
    r.text = "Hi.";
    native.Synthesize(1, r);
    auto result = CollectRequest(native, 1);
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->code, ErrorCode::kBusy);
  }
  holder.Send("synthesize-stop");
  EXPECT_TRUE(Collect(holder.ReadUntil("synthesize-stopped")).synthesize_stopped);
}

TEST(WyomingServer, UnixSocketOption) {
  TempDir dir;
  const std::string path = dir.path() + "/wyoming.sock";
  DaemonProcess d({"--wyoming-socket", path});
  ASSERT_TRUE(d.WaitForLog("wyoming: listening on unix://" + path)) << d.Log();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  WyomingClient c(path);
  ASSERT_TRUE(c.connected());
  c.Send("synthesize", {{"text", "Hello."}});
  EXPECT_TRUE(Collect(c.ReadUntil("audio-stop")).stopped);
  EXPECT_EQ(d.Log().find("wyoming: listening on tcp://"), std::string::npos);  // TCP stays off by default
}

TEST(WyomingServer, ConfigFileKeys) {
  TempDir dir;
  const std::string config = dir.path() + "/ttsd.toml";
  std::ofstream(config) << "wyoming = \"tcp://127.0.0.1:0\"\nwyoming_socket = \"" << dir.path() << "/w.sock\"\n";
  DaemonProcess d({"--config", config});
  EXPECT_GT(WyomingPort(d), 0);
  EXPECT_TRUE(d.WaitForLog("wyoming: listening on unix://" + dir.path() + "/w.sock")) << d.Log();
}

TEST(WyomingServer, BeyondLoopbackWarnsThatThereIsNoAuthentication) {
  DaemonProcess d({"--wyoming", "tcp://0.0.0.0:0"});
  const uint16_t port = WyomingPort(d);
  EXPECT_TRUE(d.WaitForLog("no authentication")) << d.Log();
  WyomingClient c(port);
  c.Send("describe");
  auto info = c.Read();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, "info");
}

TEST(WyomingServer, BadEndpointsAreConfigurationErrors) {
  for (const char* bad : {"tcp://example.com:10200", "tcp://127.0.0.1", "tcp://127.0.0.1:70000", "http://x:1",
                          "unix://relative.sock", "10200"}) {
    DaemonProcess d({"--wyoming", bad}, {}, /*wait_ready=*/false);
    for (int i = 0; i < 200 && !d.Exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(d.Exited()) << bad;
    EXPECT_TRUE(WIFEXITED(d.exit_status()) && WEXITSTATUS(d.exit_status()) == 2) << bad << "\n" << d.Log();
    EXPECT_NE(d.Log().find("wyoming endpoint"), std::string::npos) << d.Log();
  }
}

TEST(WyomingServer, PortInUseFailsStartup) {
  DaemonProcess first({"--wyoming", "tcp://127.0.0.1:0"});
  const uint16_t port = WyomingPort(first);
  DaemonProcess second({"--wyoming", "tcp://127.0.0.1:" + std::to_string(port)}, {}, /*wait_ready=*/false);
  for (int i = 0; i < 600 && !second.Exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(second.Exited());
  EXPECT_TRUE(WIFEXITED(second.exit_status()) && WEXITSTATUS(second.exit_status()) == 1) << second.Log();
  EXPECT_NE(second.Log().find("cannot listen for Wyoming"), std::string::npos) << second.Log();
  // It left no socket file behind.
  struct stat st {};
  EXPECT_NE(stat(second.socket_path().c_str(), &st), 0);
}

TEST(WyomingServer, SigtermLetsAWyomingRequestFinish) {
  DaemonProcess d({"--wyoming", "tcp://127.0.0.1:0", "--drain-timeout", "10"});
  WyomingClient c(WyomingPort(d));
  c.Send("synthesize", {{"text", std::string(kLongText) + kLongText}});
  auto first = c.ReadUntil("audio-chunk");
  ASSERT_FALSE(first.empty());
  kill(d.pid(), SIGTERM);
  const auto rest = Collect(c.ReadUntil("audio-stop"));
  EXPECT_TRUE(rest.stopped) << d.Log();
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(d.Stop(), 0);
}

}  // namespace
}  // namespace ttsd::testing
