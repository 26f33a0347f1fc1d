// Word timestamps over HTTP, the pure parts: return_timestamps on OpenAI's body, Kokoro-FastAPI's
// captioned speech body (daemon/http: http-speech.h), and the events and objects that carry the words
// (http-timestamps.h). The real daemon's answers are in captioned-speech-test.cc.
#include "ttsd/daemon/http-timestamps.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ttsd/daemon/http-speech.h"

namespace ttsd::daemon {
namespace {

using json = nlohmann::json;
using Kind = protocol::MarkInfo::Kind;

std::string RefusedParam(const std::expected<SpeechRequest, HttpError>& r) {
  EXPECT_FALSE(r.has_value());
  if (r) return "";
  EXPECT_EQ(r.error().status, 400);
  return r.error().param;
}

TEST(SpeechTimestamps, OpenAiBodyAsksForWordMarksOnlyWithSse) {
  auto r = ParseSpeechRequest(R"({"input":"Hi there","stream_format":"sse","return_timestamps":true})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->timestamps);
  EXPECT_FALSE(r->captioned);
  EXPECT_EQ(json::parse(r->synthesize)["marks"], "words");
  r = ParseSpeechRequest(R"({"input":"Hi","stream_format":"sse","return_timestamps":false})");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->timestamps);
  EXPECT_FALSE(json::parse(r->synthesize).contains("marks"));
  EXPECT_FALSE(ParseSpeechRequest(R"({"input":"Hi"})")->timestamps);  // off unless asked
  // Raw audio has nowhere to put them; a channel's words are its events.
  EXPECT_EQ(RefusedParam(ParseSpeechRequest(R"({"input":"Hi","return_timestamps":true})")), "return_timestamps");
  EXPECT_EQ(RefusedParam(ParseSpeechRequest(
                R"({"input":"Hi","stream_format":"sse","return_timestamps":true,"channel":"stream"})")),
            "return_timestamps");
  EXPECT_EQ(RefusedParam(ParseSpeechRequest(R"({"input":"Hi","stream_format":"sse","return_timestamps":1})")),
            "return_timestamps");
}

TEST(SpeechTimestamps, CaptionedBodyTakesKokorosFields) {
  // Kokoro's defaults: streamed, with timestamps, mp3.
  auto r = ParseCaptionedSpeechRequest(R"({"model":"kokoro","input":"Hello.","voice":"fixture-ar"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->captioned);
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->timestamps);
  EXPECT_FALSE(r->sse);
  EXPECT_EQ(r->format, SpeechFormat::kMp3);
  json native = json::parse(r->synthesize);
  EXPECT_EQ(native["marks"], "words");
  EXPECT_EQ(native["voice"], "fixture-ar");

  r = ParseCaptionedSpeechRequest(R"({"input":"Hello.","stream":false,"return_timestamps":false,"response_format":"wav",
    "speed":1.5,"volume_multiplier":0.5,"lang_code":"a","normalization_options":{"normalize":false},
    "return_download_link":false})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->stream);
  EXPECT_FALSE(r->timestamps);
  EXPECT_EQ(r->format, SpeechFormat::kWav);
  EXPECT_DOUBLE_EQ(r->volume, 0.5);
  native = json::parse(r->synthesize);
  EXPECT_FALSE(native.contains("marks"));
  EXPECT_EQ(native["speed"], 1.5);

  EXPECT_EQ(RefusedParam(ParseCaptionedSpeechRequest(R"({"input":"x","stream":"yes"})")), "stream");
  EXPECT_EQ(RefusedParam(ParseCaptionedSpeechRequest(R"({"input":"x","volume_multiplier":9})")), "volume_multiplier");
  EXPECT_EQ(RefusedParam(ParseCaptionedSpeechRequest(R"({"input":"x","volume_multiplier":1,"volume":1})")),
            "volume_multiplier");
  for (const char* field : {"stream_format", "channel", "interrupt"}) {
    EXPECT_EQ(RefusedParam(ParseCaptionedSpeechRequest(json{{"input", "x"}, {field, "sse"}}.dump())), field);
  }
  EXPECT_EQ(RefusedParam(ParseCaptionedSpeechRequest(R"({"voice":"x"})")), "input");
  EXPECT_FALSE(ParseCaptionedSpeechRequest("[1]"));
}

protocol::Marks SomeMarks() {
  protocol::Marks m;
  m.marks = {{Kind::kSentence, "Hello there.", 0, 12, 1600, 16000},
             {Kind::kWord, "Hello", 0, 5, 1600, 8000},
             {Kind::kPhone, "hh", 0, 5, 1600, 2000},
             {Kind::kWord, "there", 6, 11, 8000, 16000}};
  return m;
}

TEST(SpeechTimestamps, WordsOnlyInSecondsOfTheAudio) {
  const auto words = WordTimestamps(SomeMarks(), 16000);
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].word, "Hello");
  EXPECT_DOUBLE_EQ(words[0].start_s, 0.1);
  EXPECT_DOUBLE_EQ(words[0].end_s, 0.5);
  EXPECT_EQ(words[1].text_begin, 6u);
  EXPECT_EQ(words[1].text_end, 11u);
  EXPECT_DOUBLE_EQ(words[1].end_s, 1.0);
  EXPECT_DOUBLE_EQ(WordTimestamps(SomeMarks(), 24000)[0].start_s, 0.067);  // to the millisecond
  EXPECT_TRUE(WordTimestamps(SomeMarks(), 0).empty());
}

TEST(SpeechTimestamps, SseWordEventAndCaptionedObject) {
  const auto words = WordTimestamps(SomeMarks(), 16000);
  const std::string event = SseWordEvent(words[1]);
  ASSERT_TRUE(event.starts_with("data: ") && event.ends_with("\n\n")) << event;
  json e = json::parse(event.substr(6));
  EXPECT_EQ(e, (json{{"type", "speech.word"},
                     {"word", "there"},
                     {"start_time", 0.5},
                     {"end_time", 1.0},
                     {"text_begin", 6},
                     {"text_end", 11}}));

  const std::vector<uint8_t> audio{'a', 'b', 'c', 'd'};
  json c = json::parse(CaptionedJson(audio, "audio/wav", words));
  EXPECT_EQ(c["audio"], "YWJjZA==");
  EXPECT_EQ(c["audio_format"], "audio/wav");
  ASSERT_EQ(c["timestamps"].size(), 2u);
  EXPECT_EQ(c["timestamps"][0], (json{{"word", "Hello"}, {"start_time", 0.1}, {"end_time", 0.5}}));
  c = json::parse(CaptionedJson({}, "audio/mpeg", {}));
  EXPECT_EQ(c["audio"], "");
  EXPECT_TRUE(c["timestamps"].is_array() && c["timestamps"].empty());
  // A mark that is not UTF-8 is replaced, never thrown.
  WordTimestamp bad{"\xff\xfe", 0, 1, 0, 2};
  EXPECT_TRUE(json::accept(SseWordEvent(bad).substr(6)));
  EXPECT_TRUE(json::accept(CaptionedJson({}, "audio/wav", {bad})));
}

}  // namespace
}  // namespace ttsd::daemon
