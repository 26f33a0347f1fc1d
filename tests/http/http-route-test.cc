// RouteRequest (daemon/http/include/ttsd/daemon/http-route.h): which handler a request line and its
// headers reach, and every refusal in the order it is checked. The same requests over a real socket
// are in http-api-test.cc; this pins the decisions themselves.
#include "ttsd/daemon/http-route.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "ttsd/daemon/http-config.h"

namespace ttsd::daemon {
namespace {

HttpRequestHead Head(std::string_view method, std::string_view target, std::string_view host = "127.0.0.1:5002") {
  return {method, target, host, "", "", ""};
}

// The status and code of a refusal; 0 and "" when the request is routed.
std::pair<int, std::string> Refusal(const HttpRequestHead& head, std::string_view token = "", bool shutting_down = false) {
  auto route = RouteRequest(head, token, shutting_down);
  if (route) return {0, ""};
  return {route.error().status, route.error().code};
}

TEST(RouteRequest, EndpointsAndTheirHandlers) {
  struct Case {
    const char* method;
    const char* target;
    HttpHandler handler;
    const char* channel;
    const char* action;
  };
  for (const Case& c : {Case{"GET", "/", HttpHandler::kAsset, "", ""}, Case{"GET", "/app.js?v=2", HttpHandler::kAsset, "", ""},
                        Case{"GET", "/v1/voices", HttpHandler::kVoices, "", ""},
                        Case{"GET", "/health", HttpHandler::kHealth, "", ""},
                        Case{"GET", "/v1/models", HttpHandler::kModels, "", ""},
                        Case{"GET", "/v1/audio/voices", HttpHandler::kAudioVoices, "", ""},
                        Case{"GET", "/v1/audio/models", HttpHandler::kAudioModels, "", ""},
                        Case{"GET", "/v1/channels/stream", HttpHandler::kChannel, "stream", "status"},
                        Case{"POST", "/v1/channels/s_1.x/skip", HttpHandler::kChannel, "s_1.x", "skip"},
                        Case{"POST", "/v1/channels/stream/clear", HttpHandler::kChannel, "stream", "clear"},
                        Case{"GET", "/v1/channels/stream/events", HttpHandler::kEvents, "stream", ""},
                        Case{"GET", "/captions?channel=stream&size=48", HttpHandler::kAsset, "", ""},
                        Case{"GET", "/captions.js", HttpHandler::kAsset, "", ""}}) {
    auto route = RouteRequest(Head(c.method, c.target), "", false);
    ASSERT_TRUE(route) << c.target << ": " << route.error().message;
    EXPECT_EQ(route->handler, c.handler) << c.target;
    EXPECT_EQ(route->channel, c.channel) << c.target;
    EXPECT_EQ(route->action, c.action) << c.target;
  }
  EXPECT_EQ(RouteRequest(Head("GET", "/"), "", false)->asset, "/index.html");
  EXPECT_EQ(RouteRequest(Head("GET", "/style.css"), "", false)->asset, "/style.css");
  EXPECT_EQ(RouteRequest(Head("GET", "/captions?channel=x"), "", false)->asset, "/captions.html");
  // The captions page, like the control page, loads without the token (it sends the one in its URL).
  EXPECT_TRUE(RouteRequest(Head("GET", "/captions"), "s3cret", false));
  EXPECT_EQ(Refusal(Head("POST", "/captions")).first, 405);
}

TEST(RouteRequest, SpeechIsJsonOnly) {
  for (auto [target, handler] : {std::pair{"/v1/audio/speech", HttpHandler::kSpeech},
                                 std::pair{"/dev/captioned_speech", HttpHandler::kCaptionedSpeech}}) {
    HttpRequestHead head = Head("POST", target);
    for (const char* type : {"application/json", "Application/JSON; charset=utf-8", " application/json "}) {
      head.content_type = type;
      auto route = RouteRequest(head, "", false);
      ASSERT_TRUE(route) << type;
      EXPECT_EQ(route->handler, handler);
    }
    for (const char* type : {"", "text/plain", "application/x-www-form-urlencoded", "application/jsonx"}) {
      head.content_type = type;
      EXPECT_EQ(Refusal(head), (std::pair<int, std::string>{415, "unsupported_media_type"})) << type;
    }
    head.content_type = "application/json";
    EXPECT_EQ(Refusal(head, "s3cret"), (std::pair<int, std::string>{401, "invalid_api_key"})) << target;
    EXPECT_EQ(Refusal(Head("GET", target)).first, 405) << target;
  }
}

// Uploads: multipart/form-data only, with their own body cap; DELETE names a valid saved voice.
TEST(RouteRequest, VoiceUploadsAndRemovals) {
  HttpRequestHead head = Head("POST", "/v1/voices");
  head.content_type = "multipart/form-data; boundary=x";
  auto route = RouteRequest(head, "", false);
  ASSERT_TRUE(route);
  EXPECT_EQ(route->handler, HttpHandler::kVoiceAdd);
  for (const char* type : {"", "application/json", "application/x-www-form-urlencoded", "text/plain"}) {
    head.content_type = type;
    EXPECT_EQ(Refusal(head), (std::pair<int, std::string>{415, "unsupported_media_type"})) << type;
  }
  route = RouteRequest(Head("DELETE", "/v1/voices/anna.v2"), "", false);
  ASSERT_TRUE(route);
  EXPECT_EQ(route->handler, HttpHandler::kVoiceRemove);
  EXPECT_EQ(route->name, "anna.v2");
  EXPECT_EQ(Refusal(Head("DELETE", "/v1/voices/.hidden")), (std::pair<int, std::string>{400, "invalid_name"}));
  EXPECT_EQ(Refusal(Head("DELETE", "/v1/voices/a%2Fb")), (std::pair<int, std::string>{400, "invalid_name"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/voices/anna")), (std::pair<int, std::string>{405, "method_not_allowed"}));
  EXPECT_EQ(Refusal(Head("PUT", "/v1/voices")), (std::pair<int, std::string>{405, "method_not_allowed"}));
  EXPECT_EQ(BodyLimit("POST", "/v1/voices"), HttpConfig::kMaxUploadBytes);
  EXPECT_EQ(BodyLimit("POST", "/v1/voices?x=1"), HttpConfig::kMaxUploadBytes);
  EXPECT_EQ(BodyLimit("POST", "/v1/audio/speech"), HttpConfig::kMaxBodyBytes);
  EXPECT_EQ(BodyLimit("GET", "/v1/voices"), HttpConfig::kMaxBodyBytes);
}

TEST(RouteRequest, RefusalsInTheOrderTheyAreChecked) {
  using R = std::pair<int, std::string>;
  EXPECT_EQ(Refusal(Head("POST", "/")), (R{405, "method_not_allowed"}));  // before the host is looked at
  EXPECT_EQ(Refusal(Head("POST", "/", "evil.example")), (R{405, "method_not_allowed"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/voices", "evil.example")), (R{403, "forbidden_host"}));
  EXPECT_EQ(Refusal(Head("GET", "/", "evil.example:5002")), (R{403, "forbidden_host"}));
  HttpRequestHead foreign = Head("GET", "/v1/voices");
  foreign.origin = "http://evil.example";
  EXPECT_EQ(Refusal(foreign), (R{403, "forbidden_origin"}));
  foreign.origin = "HTTP://127.0.0.1:5002";  // our own page
  EXPECT_EQ(Refusal(foreign), (R{0, ""}));
  for (const char* host : {"localhost", "LocalHost:80", "127.0.0.1", "127.1.2.3:9", "[::1]:5002", "[::1]"}) {
    EXPECT_EQ(Refusal(Head("GET", "/health", host)), (R{0, ""})) << host;
  }
  EXPECT_EQ(Refusal(Head("GET", "/health"), "", /*shutting_down=*/true), (R{503, "shutting_down"}));
  // A probe that names the pod's address or carries no token learns only that ttsd is up.
  EXPECT_EQ(Refusal(Head("GET", "/health", "evil.example")), (R{0, ""}));
  EXPECT_EQ(RouteRequest(Head("GET", "/health", "10.1.2.3:5002"), "", false)->handler, HttpHandler::kLiveness);
  EXPECT_EQ(RouteRequest(Head("GET", "/health"), "", false)->handler, HttpHandler::kHealth);
  EXPECT_EQ(Refusal(Head("GET", "/health", "10.1.2.3:5002"), "", /*shutting_down=*/true), (R{503, "shutting_down"}));
  EXPECT_EQ(Refusal(Head("POST", "/health", "10.1.2.3:5002")), (R{403, "forbidden_host"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/channels/bad%20name")), (R{400, "invalid_channel"}));
  EXPECT_EQ(Refusal(Head("POST", "/v1/channels/bad%20name/skip")), (R{400, "invalid_channel"}));
  EXPECT_EQ(Refusal(Head("POST", "/v1/channels/stream")), (R{405, "method_not_allowed"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/channels/stream/skip")), (R{405, "method_not_allowed"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/audio/speech")), (R{405, "method_not_allowed"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/channels/stream/other")), (R{404, "not_found"}));
  EXPECT_EQ(Refusal(Head("GET", "/v2/voices")), (R{404, "not_found"}));
}

TEST(RouteRequest, TheTokenGuardsEverythingButThePage) {
  using R = std::pair<int, std::string>;
  HttpRequestHead head = Head("GET", "/v1/voices", "tts.lan:5002");  // any host once a token is set
  EXPECT_EQ(Refusal(head, "s3cret"), (R{401, "invalid_api_key"}));
  head.authorization = "Bearer nope!!";
  EXPECT_EQ(Refusal(head, "s3cret"), (R{401, "invalid_api_key"}));
  head.authorization = "Bearer s3cret";
  EXPECT_EQ(Refusal(head, "s3cret"), (R{0, ""}));
  head.authorization = "bearer s3cret";
  EXPECT_EQ(Refusal(head, "s3cret"), (R{0, ""}));
  head.authorization = "Bearer ";
  EXPECT_EQ(Refusal(head, ""), (R{403, "forbidden_host"}));  // no token: loopback only
  EXPECT_EQ(Refusal(Head("GET", "/index.html", "tts.lan"), "s3cret"), (R{0, ""}));
}

// ElevenLabs' WebSocket API: its voice from the path (percent-decoded), which endpoint, and Origin and
// Host checked here; its key is the handler's (a header, the query or the first message).
TEST(RouteRequest, ElevenLabsWebSocketPaths) {
  using R = std::pair<int, std::string>;
  auto single = RouteRequest(Head("GET", "/v1/text-to-speech/fixture-ar/stream-input?output_format=pcm_16000"), "", false);
  ASSERT_TRUE(single);
  EXPECT_EQ(single->handler, HttpHandler::kElevenLabs);
  EXPECT_EQ(single->name, "fixture-ar");
  EXPECT_FALSE(single->multi);
  auto multi = RouteRequest(Head("GET", "/v1/text-to-speech/fixture-ar%3Abeta/multi-stream-input"), "", false);
  ASSERT_TRUE(multi);
  EXPECT_EQ(multi->name, "fixture-ar:beta");
  EXPECT_TRUE(multi->multi);
  // The token is not asked for here: it may come in the first message.
  EXPECT_EQ(Refusal(Head("GET", "/v1/text-to-speech/v/stream-input", "tts.lan:5002"), "s3cret"), (R{0, ""}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/text-to-speech/v/stream-input", "evil.example")), (R{403, "forbidden_host"}));
  HttpRequestHead foreign = Head("GET", "/v1/text-to-speech/v/multi-stream-input");
  foreign.origin = "http://evil.example";
  EXPECT_EQ(Refusal(foreign, "s3cret"), (R{403, "forbidden_origin"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/text-to-speech/a%2Fb/stream-input")), (R{400, "invalid_voice"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/text-to-speech//stream-input")), (R{400, "invalid_voice"}));
  EXPECT_EQ(Refusal(Head("POST", "/v1/text-to-speech/v/stream-input")), (R{405, "method_not_allowed"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/text-to-speech/v/stream-input"), "", true), (R{503, "shutting_down"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/text-to-speech/v/other")), (R{404, "not_found"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/text-to-speech/v/other", "tts.lan"), "s3cret"), (R{401, "invalid_api_key"}));
}

// ttsd's protocol over WebSocket: Origin and Host here, the token left to the handler (a browser
// sends it in hello).
TEST(RouteRequest, NativeWebSocketPath) {
  using R = std::pair<int, std::string>;
  auto ws = RouteRequest(Head("GET", "/v1/ws"), "", false);
  ASSERT_TRUE(ws);
  EXPECT_EQ(ws->handler, HttpHandler::kNativeWs);
  EXPECT_EQ(Refusal(Head("GET", "/v1/ws", "tts.lan:5002"), "s3cret"), (R{0, ""}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/ws", "evil.example")), (R{403, "forbidden_host"}));
  HttpRequestHead foreign = Head("GET", "/v1/ws?x=1");
  foreign.origin = "http://evil.example";
  EXPECT_EQ(Refusal(foreign, "s3cret"), (R{403, "forbidden_origin"}));
  EXPECT_EQ(Refusal(Head("POST", "/v1/ws")), (R{405, "method_not_allowed"}));
  EXPECT_EQ(Refusal(Head("GET", "/v1/ws"), "", true), (R{503, "shutting_down"}));
}

// Found by fuzzing (tests/fuzz/corpus/http/regress-404-target-not-utf8): a target that is not UTF-8
// ended in "no such endpoint: <target>", and HttpError::Json threw on it inside the I/O thread's
// completion handler, which took the daemon down. Now the error body replaces the bad bytes.
TEST(RouteRequest, ATargetThatIsNotUtf8GetsAJson404) {
  auto route = RouteRequest(Head("GET", "/v1/\xff\xfe?\xc3"), "", false);
  ASSERT_FALSE(route);
  EXPECT_EQ(route.error().status, 404);
  std::string body;
  ASSERT_NO_THROW(body = route.error().Json());
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(json.is_object()) << body;
  EXPECT_EQ(json["error"]["code"], "not_found");
  EXPECT_EQ(json["error"]["message"], "no such endpoint: /v1/\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(EqualsNoCase, AsciiOnly) {
  EXPECT_TRUE(EqualsNoCase("100-Continue", "100-continue"));
  EXPECT_FALSE(EqualsNoCase("100-continue", "100-continu"));
  EXPECT_FALSE(EqualsNoCase("\xc3\xa9", "\xc3\x89"));  // é and É: bytes, not letters
}

// Moderating a channel: pause, resume, volume (JSON), and an item by id (DELETE).
TEST(RouteRequest, ChannelModeration) {
  using R = std::pair<int, std::string>;
  for (const char* action : {"pause", "resume"}) {
    auto route = RouteRequest(Head("POST", std::string("/v1/channels/stream/") + action), "", false);
    ASSERT_TRUE(route) << action;
    EXPECT_EQ(route->handler, HttpHandler::kChannel);
    EXPECT_EQ(route->action, action);
  }
  HttpRequestHead volume = Head("POST", "/v1/channels/stream/volume");
  EXPECT_EQ(Refusal(volume), (R{415, "unsupported_media_type"}));
  volume.content_type = "application/json";
  EXPECT_EQ(RouteRequest(volume, "", false)->action, "volume");
  auto remove = RouteRequest(Head("DELETE", "/v1/channels/stream/items/42"), "", false);
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->action, "remove");
  EXPECT_EQ(remove->item, 42u);
  EXPECT_EQ(Refusal(Head("POST", "/v1/channels/stream/items/42")), (R{405, "method_not_allowed"}));
  for (const char* bad : {"/v1/channels/stream/items/", "/v1/channels/stream/items/0", "/v1/channels/stream/items/x1",
                          "/v1/channels/stream/items/-1", "/v1/channels/stream/items/99999999999999999999"}) {
    EXPECT_EQ(Refusal(Head("DELETE", bad)), (R{400, "invalid_item"})) << bad;
  }
  EXPECT_EQ(Refusal(Head("GET", "/v1/channels/stream/pause")), (R{405, "method_not_allowed"}));
}

}  // namespace
}  // namespace ttsd::daemon
