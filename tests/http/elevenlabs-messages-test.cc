// ElevenLabs' WebSocket API as values (daemon/http/include/ttsd/daemon/elevenlabs-messages.h): the
// query, the client's messages, the server's messages and the API key rules. Over a real socket:
// elevenlabs-ws-test.cc.
#include "ttsd/daemon/elevenlabs-messages.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ttsd::daemon {
namespace {

using json = nlohmann::json;

TEST(ElevenLabsQuery, DefaultsAreElevenLabs) {
  auto o = ParseElevenLabsQuery("/v1/text-to-speech/x/stream-input");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->output_format, "mp3_44100_128");
  EXPECT_EQ(o->audio.format, SpeechFormat::kMp3);
  EXPECT_EQ(o->audio.sample_rate, 44100u);
  EXPECT_EQ(o->audio.bitrate_bps, 128000u);
  EXPECT_EQ(o->inactivity_timeout_s, 20u);
  EXPECT_FALSE(o->auto_mode);
  EXPECT_FALSE(o->ssml);
  EXPECT_FALSE(o->seed);
}

TEST(ElevenLabsQuery, EveryListedFormatMapsToABody) {
  for (std::string_view name : ElevenLabsOutputFormats()) {
    auto o = ParseElevenLabsQuery("/x?output_format=" + std::string(name));
    ASSERT_TRUE(o) << name;
    EXPECT_GE(o->audio.sample_rate, 8000u) << name;
    EXPECT_LE(o->audio.sample_rate, 48000u) << name;
    // Each makes a body at its rate (the encoders accept the rate and bit rate).
    auto body = SpeechBody::Create(o->audio, 16000);
    ASSERT_TRUE(body) << name << ": " << body.error().ToString();
    EXPECT_EQ((*body)->rate(), o->audio.sample_rate) << name;
  }
  auto pcm = ParseElevenLabsQuery("/x?output_format=pcm_22050");
  EXPECT_EQ(pcm->audio.format, SpeechFormat::kPcm);
  EXPECT_EQ(pcm->audio.sample_rate, 22050u);
  EXPECT_EQ(ParseElevenLabsQuery("/x?output_format=ulaw_8000")->audio.format, SpeechFormat::kUlaw);
  EXPECT_EQ(ParseElevenLabsQuery("/x?output_format=alaw_8000")->audio.format, SpeechFormat::kAlaw);
  EXPECT_EQ(ParseElevenLabsQuery("/x?output_format=opus_48000_64")->audio.bitrate_bps, 64000u);
}

TEST(ElevenLabsQuery, WhatClientsSendAndWhatIsRefused) {
  // Pipecat's URL, and old Pipecat's and LiveKit's "True".
  auto p = ParseElevenLabsQuery(
      "/v1/text-to-speech/v/multi-stream-input?model_id=eleven_flash_v2_5&output_format=pcm_24000&auto_mode=True"
      "&enable_ssml_parsing=false&enable_logging=true&apply_text_normalization=auto&language_code=en");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->auto_mode);
  EXPECT_EQ(p->audio.sample_rate, 24000u);
  auto l = ParseElevenLabsQuery("/v?inactivity_timeout=180&sync_alignment=true&seed=42&authorization=Bearer%20k%2B1");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->inactivity_timeout_s, 180u);
  EXPECT_EQ(l->seed, 42u);
  EXPECT_EQ(l->api_key, "k+1");
  struct Bad {
    const char* query;
    const char* error;
  };
  for (const Bad& b : {Bad{"output_format=flac_44100", "invalid_output_format"},
                       Bad{"output_format=pcm_11025", "invalid_output_format"},
                       Bad{"output_format=", "invalid_output_format"},
                       Bad{"inactivity_timeout=0", "invalid_request"}, Bad{"inactivity_timeout=181", "invalid_request"},
                       Bad{"inactivity_timeout=1.5", "invalid_request"}, Bad{"auto_mode=yes", "invalid_request"},
                       Bad{"seed=4294967296", "invalid_request"}, Bad{"seed=-1", "invalid_request"}}) {
    auto o = ParseElevenLabsQuery(std::string("/x?") + b.query);
    ASSERT_FALSE(o) << b.query;
    EXPECT_EQ(o.error().error, b.error) << b.query;
    EXPECT_EQ(o.error().close_code, kClosePolicy);
  }
}

TEST(ElevenLabsMessage, TheMessagesClientsSend) {
  // BOS as the SDK sends it (voice_settings null), Pipecat's context init, LiveKit's flush.
  auto bos = ParseElevenLabsMessage(R"({"text": " ", "voice_settings": null, "try_trigger_generation": true,
      "generation_config": {"chunk_length_schedule": [50]}, "xi_api_key": "k"})");
  ASSERT_TRUE(bos);
  EXPECT_EQ(bos->text, " ");
  EXPECT_TRUE(bos->try_trigger_generation);
  EXPECT_EQ(bos->api_key, "k");
  EXPECT_FALSE(bos->speed);
  auto init = ParseElevenLabsMessage(R"({"text": " ", "context_id": "c1", "voice_settings": {"stability": 0.5,
      "similarity_boost": 0.75, "speed": 1.1}})");
  ASSERT_TRUE(init);
  EXPECT_EQ(init->context_id, "c1");
  EXPECT_EQ(init->speed, 1.1);
  auto flush = ParseElevenLabsMessage(R"({"context_id": "c1", "flush": true})");
  ASSERT_TRUE(flush);
  EXPECT_FALSE(flush->text);
  EXPECT_TRUE(flush->flush);
  auto close = ParseElevenLabsMessage(R"({"context_id": "c1", "close_context": true, "text": null})");
  ASSERT_TRUE(close);
  EXPECT_TRUE(close->close_context);
  EXPECT_TRUE(ParseElevenLabsMessage(R"({"close_socket": true})")->close_socket);
  EXPECT_EQ(ParseElevenLabsMessage(R"({"text": "", "xi-api-key": "a"})")->api_key, "a");
  EXPECT_EQ(ParseElevenLabsMessage(R"({"authorization": "Bearer b"})")->api_key, "b");
  EXPECT_TRUE(ParseElevenLabsMessage(R"({"unknown": [1, {"x": 2}], "text": "a"})"));
}

TEST(ElevenLabsMessage, BadOnesAreInvalidInputMessage) {
  for (const char* bad : {"", "not json", "[1]", "\"text\"", "null", R"({"text": 5})", R"({"context_id": 1})",
                          R"({"flush": "true"})", R"({"close_context": 1})", R"({"voice_settings": []})",
                          R"({"voice_settings": {"speed": 9}})", R"({"voice_settings": {"speed": "fast"}})",
                          R"({"generation_config": 3})", R"({"xi_api_key": false})", R"({"text": "a"} x)"}) {
    auto m = ParseElevenLabsMessage(bad);
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().error, "invalid_input_message") << bad;
    EXPECT_EQ(m.error().close_code, kClosePolicy);
    EXPECT_TRUE(m.error().message.starts_with("Could not parse input message")) << m.error().message;
  }
  EXPECT_FALSE(ParseElevenLabsMessage(json{{"context_id", std::string(257, 'c')}}.dump()));
  EXPECT_TRUE(ParseElevenLabsMessage(json{{"context_id", std::string(256, 'c')}}.dump()));
}

TEST(ElevenLabsMessage, SerializedReadsBackTheSame) {
  ElevenLabsMessage m;
  m.text = "Hé \"quoted\" ";
  m.context_id = "ctx";
  m.flush = m.close_context = m.close_socket = m.try_trigger_generation = true;
  m.speed = 0.75;
  m.api_key = "key";
  auto again = ParseElevenLabsMessage(SerializeElevenLabsMessage(m));
  ASSERT_TRUE(again);
  EXPECT_EQ(SerializeElevenLabsMessage(*again), SerializeElevenLabsMessage(m));
  EXPECT_EQ(again->text, m.text);
  EXPECT_EQ(again->speed, m.speed);
}

TEST(ElevenLabsServerMessages, Shapes) {
  ElevenLabsAlignment a{{"H", "i"}, {0, 40}, {40, 60}};
  const std::vector<uint8_t> audio = {1, 2, 3};
  const json single = json::parse(ElevenLabsAudioJson(audio, &a, nullptr));
  EXPECT_EQ(single["audio"], "AQID");
  EXPECT_TRUE(single["isFinal"].is_null());
  EXPECT_EQ(single["alignment"], json::parse(R"({"chars":["H","i"],"charStartTimesMs":[0,40],"charDurationsMs":[40,60]})"));
  EXPECT_EQ(single["normalizedAlignment"], single["alignment"]);
  EXPECT_FALSE(single.contains("contextId"));
  const std::string id = "c1";
  const json multi = json::parse(ElevenLabsAudioJson(audio, nullptr, &id));
  EXPECT_EQ(multi["contextId"], "c1");
  EXPECT_TRUE(multi["alignment"].is_null());
  EXPECT_EQ(json::parse(ElevenLabsFinalJson(nullptr)),
            json::parse(R"({"audio":null,"isFinal":true,"normalizedAlignment":null,"alignment":null})"));
  EXPECT_EQ(json::parse(ElevenLabsFinalJson(&id)), json::parse(R"({"isFinal":true,"contextId":"c1"})"));
  const json e = json::parse(InactivityError(20).Json(&id));
  EXPECT_EQ(e["error"], "input_timeout_exceeded");
  EXPECT_EQ(e["code"], 1008);
  EXPECT_EQ(e["contextId"], "c1");
  EXPECT_NE(e["message"].get<std::string>().find("timeout of 20 seconds"), std::string::npos);
  // ttsd's typed errors keep their names; a message with bad bytes still makes JSON.
  EXPECT_EQ(ToElevenLabsError({ErrorCode::kTextTooLong, "x"}).error, "text_too_long");
  EXPECT_EQ(ToElevenLabsError({ErrorCode::kShuttingDown, "x"}).close_code, kCloseGoingAway);
  EXPECT_EQ(ToElevenLabsError({ErrorCode::kModelError, "x"}).close_code, kCloseInternal);
  EXPECT_TRUE(json::accept(ElevenLabsError{"e", "bad \xff byte", 1008}.Json()));
}

TEST(ElevenLabsKeyCheck, HeaderQueryOrFirstMessage) {
  EXPECT_EQ(CheckElevenLabsKey("", "", "", ""), ElevenLabsKey::kGiven);  // no token: nothing asked
  EXPECT_EQ(CheckElevenLabsKey("s3cret", "", "", ""), ElevenLabsKey::kInFirstMessage);
  EXPECT_EQ(CheckElevenLabsKey("s3cret", "Bearer s3cret", "", ""), ElevenLabsKey::kGiven);
  EXPECT_EQ(CheckElevenLabsKey("s3cret", "", "s3cret", ""), ElevenLabsKey::kGiven);
  EXPECT_EQ(CheckElevenLabsKey("s3cret", "", "", "s3cret"), ElevenLabsKey::kGiven);
  EXPECT_EQ(CheckElevenLabsKey("s3cret", "Bearer nope", "s3cret", ""), ElevenLabsKey::kGiven);
  auto wrong = CheckElevenLabsKey("s3cret", "", "nope", "");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().status, 401);
  EXPECT_TRUE(ElevenLabsKeyMatches("", std::nullopt));
  EXPECT_TRUE(ElevenLabsKeyMatches("s3cret", std::string("s3cret")));
  EXPECT_FALSE(ElevenLabsKeyMatches("s3cret", std::string("s3cre")));
  EXPECT_FALSE(ElevenLabsKeyMatches("s3cret", std::nullopt));
}

}  // namespace
}  // namespace ttsd::daemon
