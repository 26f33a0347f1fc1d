// Which endpoint of the HTTP API a request asks for, and whether it may: decided from the request
// line and headers alone, before anything reaches the daemon. Pure, so that tests and the fuzzer
// (tests/fuzz/fuzz-http.cc) call it with whatever Beast's parser lets through.
//   auto route = RouteRequest(head, config.token, shared->shutting_down);
//   if (!route) ReplyError(route.error()); else if (route->handler == HttpHandler::kSpeech) ...
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "ttsd/daemon/http-speech.h"

namespace ttsd::daemon {

// The parts of a request that routing reads; views into the request, which outlives them.
struct HttpRequestHead {
  std::string_view method;         // as sent: "GET"
  std::string_view target;         // "/v1/channels/stream/events?x=1"
  std::string_view host;           // the Host header; empty when absent (so for all that follow)
  std::string_view origin;         // the Origin header
  std::string_view authorization;  // the Authorization header
  std::string_view content_type;   // the Content-Type header
};

enum class HttpHandler {
  kAsset, kSpeech, kCaptionedSpeech, kVoices, kVoiceAdd, kVoiceRemove, kHealth, kModels, kAudioVoices, kAudioModels,
  kChannel, kEvents,
  kElevenLabs,  // ElevenLabs' WebSocket API: an upgrade to (multi-)stream-input
  kNativeWs,    // ttsd's own protocol over WebSocket: an upgrade to /v1/ws
  kMetrics,     // GET /metrics: Prometheus' text format
  kLiveness     // GET /health from a caller the token or Host check refuses: {"status": "ok"} and nothing else
};

struct HttpRoute {
  HttpHandler handler = HttpHandler::kAsset;
  std::string asset;    // kAsset: the file, "/index.html" for "/", "/captions.html" for "/captions"
  std::string channel;  // kChannel, kEvents: a valid channel name
  std::string action;   // kChannel: "status", "skip", "clear", "pause", "resume", "volume" or "remove"
  std::string name;     // kVoiceRemove: a valid saved voice name; kElevenLabs: the voice, percent-decoded
  bool multi = false;   // kElevenLabs: multi-stream-input (else stream-input)
  uint64_t item = 0;    // kChannel "remove": the item's id (DELETE /v1/channels/NAME/items/ID)
};

// token: http-token, empty when none (then only requests addressed to a loopback name may call).
// GET /v1/text-to-speech/{voice}/stream-input and .../multi-stream-input (kElevenLabs) are checked for
// Origin and Host here and for the API key by the handler (CheckElevenLabsKey: a header, the query, or
// the first message); their voice is 1-128 characters of A-Z a-z 0-9 _ . - : (400 invalid_voice).
// Errors, in the order checked: 405 method_not_allowed for the pages (control, captions) asked with another
// method than GET; 403 forbidden_origin (an Origin other than our Host), 403 forbidden_host, 401
// invalid_api_key (a token is set and the request lacks it; the page needs none); 503
// shutting_down; 400 invalid_channel, invalid_item or invalid_name; 405 method_not_allowed; 404 not_found; 415
// unsupported_media_type for speech (or captioned speech) sent as anything but JSON, or an upload as anything but
// multipart/form-data, or a channel's volume as anything but JSON. GET /metrics (kMetrics) is checked like the rest of the API.
std::expected<HttpRoute, HttpError> RouteRequest(const HttpRequestHead& head, std::string_view token,
                                                 bool shutting_down);

// The largest body a request may send: HttpConfig::kMaxUploadBytes for an upload (POST /v1/voices),
// else kMaxBodyBytes. From the request line alone, before the body is read.
size_t BodyLimit(std::string_view method, std::string_view target);

// ASCII letters compared without case, as HTTP compares header values such as "100-continue".
bool EqualsNoCase(std::string_view a, std::string_view b);

}  // namespace ttsd::daemon
