#include "ttsd/daemon/http-route.h"

#include <algorithm>
#include <cctype>

#include "ttsd/daemon/http-config.h"
#include "ttsd/protocol/messages.h"
#include "ttsd/protocol/voice-messages.h"

namespace ttsd::daemon {
namespace {

std::unexpected<HttpError> Refuse(int status, std::string code, std::string message, std::string param = "") {
  return std::unexpected(HttpError{status, "invalid_request_error", std::move(code), std::move(message), std::move(param)});
}

// Compares without stopping at the first difference, so that timing tells nothing about the token's
// contents (its length is no secret worth hiding).
bool SameSecret(std::string_view given, std::string_view token) {
  if (given.size() != token.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  return diff == 0;
}

// The host part of a Host header: "127.0.0.1:5002" -> "127.0.0.1", "[::1]:5002" -> "::1".
std::string_view HostName(std::string_view host) {
  if (!host.empty() && host.front() == '[') return host.substr(1, host.find(']') - 1);
  return host.substr(0, host.find(':'));
}

bool IsLoopbackName(std::string_view name) {
  return EqualsNoCase(name, "localhost") || name == "::1" || name.starts_with("127.");
}

// A page elsewhere may send requests here but must not act; without a token only this machine may
// call, by a loopback name (DNS rebinding gets a foreign Host).
std::expected<void, HttpError> CheckAccess(const HttpRequestHead& head, std::string_view token, bool needs_token) {
  if (!head.origin.empty() && !EqualsNoCase(head.origin, "http://" + std::string(head.host))) {
    return Refuse(403, "forbidden_origin", "requests from other web pages are not allowed");
  }
  if (token.empty()) {
    if (!IsLoopbackName(HostName(head.host))) {
      return Refuse(403, "forbidden_host",
                    "without http-token ttsd answers only requests addressed to 127.0.0.1 or localhost");
    }
    return {};
  }
  if (!needs_token) return {};
  const std::string_view auth = head.authorization;
  const std::string_view scheme = "Bearer ";
  if (auth.size() > scheme.size() && EqualsNoCase(auth.substr(0, scheme.size()), scheme) &&
      SameSecret(auth.substr(scheme.size()), token)) {
    return {};
  }
  return Refuse(401, "invalid_api_key",
                auth.empty() ? "this ttsd needs 'Authorization: Bearer <http-token>'" : "wrong bearer token");
}

// A voice in a WebSocket path: a package or saved voice, "name:speaker", or "default".
bool IsVoiceId(std::string_view voice) {
  return !voice.empty() && voice.size() <= 128 && std::all_of(voice.begin(), voice.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == ':';
         });
}

std::string PercentDecoded(std::string_view s) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool IsType(std::string_view content_type, std::string_view want) {
  std::string type(content_type.substr(0, content_type.find(';')));
  std::erase(type, ' ');
  return EqualsNoCase(type, want);
}

}  // namespace

size_t BodyLimit(std::string_view method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return method == "POST" && path == "/v1/voices" ? HttpConfig::kMaxUploadBytes : HttpConfig::kMaxBodyBytes;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::expected<HttpRoute, HttpError> RouteRequest(const HttpRequestHead& head, std::string_view token,
                                                 bool shutting_down) {
  const std::string path(head.target.substr(0, head.target.find('?')));
  const bool get = head.method == "GET", post = head.method == "POST";
  using Routed = std::expected<HttpRoute, HttpError>;
  auto not_allowed = [&](const char* allow) -> Routed {
    return Refuse(405, "method_not_allowed",
                  std::string(head.method) + " is not allowed on " + path + " (allowed: " + allow + ")");
  };
  auto route = [](HttpHandler handler, std::string channel = "", std::string action = "") -> Routed {
    return HttpRoute{handler, "", std::move(channel), std::move(action), "", false};
  };

  // The pages: the control page, and the live captions page for OBS (its channel is a query parameter).
  if (path == "/" || path == "/index.html" || path == "/app.js" || path == "/style.css" || path == "/captions" ||
      path == "/captions.html" || path == "/captions.js" || path == "/captions.css") {
    if (!get) return not_allowed("GET");
    if (auto ok = CheckAccess(head, token, /*needs_token=*/false); !ok) return std::unexpected(ok.error());
    const std::string asset = path == "/" ? "/index.html" : path == "/captions" ? "/captions.html" : path;
    return HttpRoute{HttpHandler::kAsset, asset, "", "", "", false};
  }
  // ElevenLabs' WebSocket API: its key may also come as xi-api-key or in the first message, so the
  // handler checks it (CheckElevenLabsKey); Origin and Host are checked here like everywhere.
  const std::string_view tts = "/v1/text-to-speech/";
  if (path.starts_with(tts)) {
    const std::string rest = path.substr(tts.size());
    const size_t slash = rest.find('/');
    const std::string endpoint = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (endpoint == "stream-input" || endpoint == "multi-stream-input") {
      if (auto ok = CheckAccess(head, token, /*needs_token=*/false); !ok) return std::unexpected(ok.error());
      if (shutting_down) return std::unexpected(ToHttpError({ErrorCode::kShuttingDown, "the daemon is shutting down"}));
      const std::string voice = PercentDecoded(rest.substr(0, slash));
      if (!IsVoiceId(voice)) {
        return Refuse(400, "invalid_voice", "a voice in the path is 1-128 characters of A-Z a-z 0-9 _ . - :", "voice");
      }
      if (!get) return not_allowed("GET");
      HttpRoute r{HttpHandler::kElevenLabs, "", "", endpoint, voice, false};
      r.multi = endpoint == "multi-stream-input";
      return r;
    }
  }
  if (path == "/v1/ws") {  // ttsd's own protocol: the token comes in the header or in hello
    if (auto ok = CheckAccess(head, token, /*needs_token=*/false); !ok) return std::unexpected(ok.error());
    if (shutting_down) return std::unexpected(ToHttpError({ErrorCode::kShuttingDown, "the daemon is shutting down"}));
    return get ? route(HttpHandler::kNativeWs) : not_allowed("GET");
  }
  if (auto ok = CheckAccess(head, token, /*needs_token=*/true); !ok) {
    // A probe (Kubernetes' httpGet, a load balancer's check) carries no token and names the pod's
    // address: it learns that ttsd is up and nothing more. The voices and uptime need the token.
    if (path != "/health" || !get) return std::unexpected(ok.error());
    if (shutting_down) return std::unexpected(ToHttpError({ErrorCode::kShuttingDown, "the daemon is shutting down"}));
    return route(HttpHandler::kLiveness);
  }
  if (shutting_down) return std::unexpected(ToHttpError({ErrorCode::kShuttingDown, "the daemon is shutting down"}));
  if (path == "/v1/audio/speech" || path == "/dev/captioned_speech") {  // the second: Kokoro-FastAPI's path
    if (!post) return not_allowed("POST");
    // JSON only: a form post from another web page (which needs no permission) is refused.
    if (!IsType(head.content_type, "application/json")) {
      return Refuse(415, "unsupported_media_type",
                    "send the request body as JSON with 'Content-Type: application/json'");
    }
    return route(path == "/v1/audio/speech" ? HttpHandler::kSpeech : HttpHandler::kCaptionedSpeech);
  }
  if (path == "/v1/voices") {
    if (get) return route(HttpHandler::kVoices);
    if (!post) return not_allowed("GET, POST");
    // An upload. A web page elsewhere could post such a form without asking, but its browser names
    // the page in Origin, which CheckAccess has refused above.
    if (!IsType(head.content_type, "multipart/form-data")) {
      return Refuse(415, "unsupported_media_type",
                    "upload a voice as multipart/form-data: name, file (one or more), and reference_text or voice");
    }
    return route(HttpHandler::kVoiceAdd);
  }
  if (path.starts_with("/v1/voices/")) {
    const std::string name = path.substr(std::string_view("/v1/voices/").size());
    if (!protocol::IsValidSavedVoiceName(name)) {
      return Refuse(400, "invalid_name", "saved voice names are 1-64 characters of A-Z a-z 0-9 _ . - not starting with '.'",
                    "name");
    }
    if (head.method != "DELETE") return not_allowed("DELETE");
    return HttpRoute{HttpHandler::kVoiceRemove, "", "", "", name, false};
  }
  if (path == "/health") return get ? route(HttpHandler::kHealth) : not_allowed("GET");
  if (path == "/metrics") return get ? route(HttpHandler::kMetrics) : not_allowed("GET");  // Prometheus' scrape
  if (path == "/v1/models") return get ? route(HttpHandler::kModels) : not_allowed("GET");
  if (path == "/v1/audio/voices") return get ? route(HttpHandler::kAudioVoices) : not_allowed("GET");
  if (path == "/v1/audio/models") return get ? route(HttpHandler::kAudioModels) : not_allowed("GET");
  const std::string_view prefix = "/v1/channels/";
  if (path.starts_with(prefix)) {
    const std::string rest = path.substr(prefix.size());
    const size_t slash = rest.find('/');
    const std::string channel = rest.substr(0, slash);
    const std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (!protocol::IsValidChannelName(channel)) {
      return Refuse(400, "invalid_channel", "channel names are 1-64 characters of a-z A-Z 0-9 - _ .", "channel");
    }
    if (action.empty()) return get ? route(HttpHandler::kChannel, channel, "status") : not_allowed("GET");
    if (action == "skip" || action == "clear" || action == "pause" || action == "resume") {
      return post ? route(HttpHandler::kChannel, channel, action) : not_allowed("POST");
    }
    if (action == "volume") {
      if (!post) return not_allowed("POST");
      if (!IsType(head.content_type, "application/json")) {
        return Refuse(415, "unsupported_media_type", "send the volume as JSON: {\"gain\": 0.5}");
      }
      return route(HttpHandler::kChannel, channel, action);
    }
    // DELETE /v1/channels/NAME/items/ID: one item, queued or playing.
    if (action.starts_with("items/")) {
      const std::string id = action.substr(std::string_view("items/").size());
      uint64_t item = 0;
      const bool number = !id.empty() && id.size() <= 19 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
                            return std::isdigit(c);
                          });
      if (number) item = std::stoull(id);
      if (item == 0) {
        return Refuse(400, "invalid_item", "an item is its id from the channel's status: a number from 1", "item");
      }
      if (head.method != "DELETE") return not_allowed("DELETE");
      HttpRoute r{HttpHandler::kChannel, "", channel, "remove", "", false};
      r.item = item;
      return r;
    }
    if (action == "events") return get ? route(HttpHandler::kEvents, channel) : not_allowed("GET");
  }
  return Refuse(404, "not_found", "no such endpoint: " + path);
}

}  // namespace ttsd::daemon
