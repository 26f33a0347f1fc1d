// Word timestamps over HTTP against the real ttsd: Kokoro-FastAPI's POST /dev/captioned_speech, whole
// and streamed (one JSON object per line), and OpenAI-style server-sent events with speech.word events
// (return_timestamps). The words are the written words, their times increase and lie inside the
// audio, the streamed form and the events give the same words as the whole form, and a word's event
// comes no later than the audio delta that begins it.
#include <sndfile.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/daemon-process.h"
#include "support/http-client.h"

namespace ttsd::testing {
namespace {

using json = nlohmann::json;

const std::string kText = "Hello there, Dr. Smith. It costs $5.50 today!";
const std::vector<std::string> kWritten = {"Hello", "there", "Dr.", "Smith", "It", "costs", "$5.50", "today"};

std::string Unbase64(const std::string& s) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int n = 0;
  for (char c : s) {
    if (c == '=') break;
    const size_t v = kAlphabet.find(c);
    if (v == std::string::npos) {
      ADD_FAILURE() << "not base64: " << c;
      return out;
    }
    bits = bits << 6 | static_cast<uint32_t>(v);
    if ((n += 6) >= 8) {
      n -= 8;
      out.push_back(static_cast<char>((bits >> n) & 0xff));
    }
  }
  return out;
}

// Seconds of a WAV file's audio, read by libsndfile.
double WavSeconds(const std::string& bytes, const std::string& dir) {
  const std::string path = dir + "/captioned.wav";
  { std::ofstream(path, std::ios::binary) << bytes; }
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) {
    ADD_FAILURE() << "not a WAV file: " << sf_strerror(nullptr);
    return 0;
  }
  sf_count_t frames = 0;
  std::vector<float> buf(4096);
  for (sf_count_t n; (n = sf_readf_float(f, buf.data(), static_cast<sf_count_t>(buf.size()))) > 0;) frames += n;
  sf_close(f);
  return static_cast<double>(frames) / info.samplerate;
}

// The timestamps are the written words with times that increase and lie inside the audio.
void ExpectWords(const json& timestamps, double audio_s) {
  ASSERT_TRUE(timestamps.is_array());
  std::vector<std::string> words;
  double last = 0;
  for (const json& t : timestamps) {
    words.push_back(t["word"].get<std::string>());
    const double start = t["start_time"].get<double>(), end = t["end_time"].get<double>();
    EXPECT_GE(start, last) << t.dump();
    EXPECT_LT(start, end) << t.dump();
    EXPECT_LE(end, audio_s + 0.001) << t.dump();
    last = end;
  }
  EXPECT_EQ(words, kWritten);
}

class CaptionedSpeech : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<DaemonProcess>(std::vector<std::string>{"--http", "127.0.0.1:0"});
    port_ = HttpPort(*daemon_);
    ASSERT_GT(port_, 0);
  }
  HttpResponse Post(const std::string& path, const json& body, std::vector<std::string> extra = {}) {
    return HttpRequest(port_, "POST", path, body.dump(), std::move(extra));
  }
  // The whole form, as Kokoro answers "stream": false.
  json Whole(const std::string& format = "wav") {
    auto r = Post("/dev/captioned_speech", {{"model", "kokoro"},
                                            {"input", kText},
                                            {"voice", "fixture-stream"},
                                            {"response_format", format},
                                            {"stream", false}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_FALSE(r.chunked);
    return json::parse(r.body, nullptr, false);
  }
  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = -1;
};

TEST_F(CaptionedSpeech, WholeResponseCarriesTheAudioAndTheWrittenWords) {
  const json j = Whole();
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["audio_format"], "audio/wav");
  const std::string audio = Unbase64(j["audio"].get<std::string>());
  ASSERT_EQ(audio.substr(0, 4), "RIFF");
  const double seconds = WavSeconds(audio, daemon_->dir());
  EXPECT_GT(seconds, 2.0);
  ExpectWords(j["timestamps"], seconds);
  // mp3 (Kokoro's default format) carries the same words.
  const json mp3 = Whole("mp3");
  EXPECT_EQ(mp3["audio_format"], "audio/mpeg");
  EXPECT_EQ(mp3["timestamps"], j["timestamps"]);
}

// SSML and pause tags reach the engine through the HTTP front end as through any other.
TEST_F(CaptionedSpeech, SsmlAndPauseTagsWorkAndBadMarkupIsA400NamingWhere) {
  const std::string ssml = "<speak>Hello <break time=\"600ms\"/> <sub alias=\"World Wide Web\">WWW</sub></speak>";
  auto r = Post("/dev/captioned_speech", {{"input", ssml}, {"voice", "fixture-stream"}, {"stream", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  json words = json::parse(r.body)["timestamps"];
  ASSERT_EQ(words.size(), 4u) << words.dump();
  EXPECT_EQ(words[1]["word"], "World");
  EXPECT_NEAR(words[1]["start_time"].get<double>() - words[0]["end_time"].get<double>(), 0.6, 0.0011);
  r = Post("/dev/captioned_speech", {{"input", "One [pause:1s] two."}, {"voice", "fixture-stream"}, {"stream", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  words = json::parse(r.body)["timestamps"];
  ASSERT_EQ(words.size(), 2u) << words.dump();
  EXPECT_NEAR(words[1]["start_time"].get<double>() - words[0]["end_time"].get<double>(), 1.0, 0.0011);
  r = Post("/v1/audio/speech", {{"input", "<speak>\n  Hi <blink>x</blink></speak>"}, {"voice", "fixture-stream"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("line 2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("blink"), std::string::npos) << r.body;
}

TEST_F(CaptionedSpeech, StreamedFormGivesTheSameAudioAndWords) {
  const json whole = Whole();
  // Kokoro's default: "stream" true, one JSON object per line as the audio is made.
  auto r = Post("/dev/captioned_speech", {{"input", kText}, {"voice", "fixture-stream"}, {"response_format", "wav"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_TRUE(r.chunked && r.complete);
  std::string audio;
  json words = json::array();
  int lines = 0;
  for (size_t pos = 0, end; (end = r.body.find('\n', pos)) != std::string::npos; pos = end + 1, ++lines) {
    const json line = json::parse(r.body.substr(pos, end - pos), nullptr, false);
    ASSERT_TRUE(line.is_object()) << r.body.substr(pos, end - pos);
    EXPECT_EQ(line["audio_format"], "audio/wav");
    audio += Unbase64(line["audio"].get<std::string>());
    for (const json& w : line["timestamps"]) words.push_back(w);
  }
  EXPECT_TRUE(r.body.ends_with("\n"));
  EXPECT_GE(lines, 5);  // streamed, not one piece
  EXPECT_EQ(words, whole["timestamps"]);
  EXPECT_EQ(audio, Unbase64(whole["audio"].get<std::string>()));  // native voices do not sample
  // Without timestamps: the same audio, empty lists.
  r = Post("/dev/captioned_speech", {{"input", kText}, {"voice", "fixture-stream"}, {"return_timestamps", false}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("\"word\""), std::string::npos);
  EXPECT_NE(r.body.find("\"timestamps\":[]"), std::string::npos);
}

// OpenAI's events with the words between them: each word before the delta whose audio begins it.
TEST_F(CaptionedSpeech, SseWordEventsComeNoLaterThanTheirAudio) {
  const json whole = Whole();
  auto r = Post("/v1/audio/speech", {{"input", kText},
                                     {"voice", "fixture-stream"},
                                     {"response_format", "pcm"},
                                     {"stream_format", "sse"},
                                     {"return_timestamps", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  const double rate = std::stod(r.header("x-sample-rate"));
  json words = json::array();
  size_t samples = 0;
  bool done = false;
  for (size_t pos = 0, end; (end = r.body.find("\n\n", pos)) != std::string::npos; pos = end + 2) {
    const std::string event = r.body.substr(pos, end - pos);
    ASSERT_TRUE(event.starts_with("data: ")) << event;
    const json e = json::parse(event.substr(6));
    if (e["type"] == "speech.audio.delta") {
      samples += Unbase64(e["audio"].get<std::string>()).size() / 2;
    } else if (e["type"] == "speech.word") {
      // start_time is rounded to the millisecond.
      EXPECT_LE(static_cast<double>(samples), (e["start_time"].get<double>() + 0.0005) * rate)
          << e.dump() << ": its audio went out first";
      const auto begin = e["text_begin"].get<size_t>(), length = e["text_end"].get<size_t>() - begin;
      EXPECT_EQ(e["word"], kText.substr(begin, length));
      words.push_back({{"word", e["word"]}, {"start_time", e["start_time"]}, {"end_time", e["end_time"]}});
    } else {
      EXPECT_EQ(e["type"], "speech.audio.done");
      done = true;
    }
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(words, whole["timestamps"]);
  // Not asked: no word events.
  r = Post("/v1/audio/speech", {{"input", kText}, {"voice", "fixture-stream"}, {"stream_format", "sse"}});
  EXPECT_EQ(r.body.find("speech.word"), std::string::npos);
}

TEST_F(CaptionedSpeech, RefusalsAndTheToken) {
  auto r = Post("/v1/audio/speech", {{"input", kText}, {"return_timestamps", true}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"param\":\"return_timestamps\""), std::string::npos) << r.body;
  r = Post("/dev/captioned_speech", {{"input", kText}, {"channel", "stream"}});
  EXPECT_EQ(r.status, 400);
  r = Post("/dev/captioned_speech", {{"input", kText}, {"voice", "no-such-voice"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("unknown_voice"), std::string::npos) << r.body;
  // The same rules as /v1/audio/speech: the token, and no other origin.
  daemon_ = std::make_unique<DaemonProcess>(std::vector<std::string>{"--http", "127.0.0.1:0", "--http-token", "t0k"});
  port_ = HttpPort(*daemon_);
  EXPECT_EQ(Post("/dev/captioned_speech", {{"input", "Hi."}}).status, 401);
  EXPECT_EQ(
      Post("/dev/captioned_speech", {{"input", "Hi."}}, {"Authorization: Bearer t0k", "Origin: http://evil.example"})
          .status,
      403);
  EXPECT_EQ(Post("/dev/captioned_speech", {{"input", "Hi."}, {"stream", false}}, {"Authorization: Bearer t0k"}).status,
            200);
}

}  // namespace
}  // namespace ttsd::testing
