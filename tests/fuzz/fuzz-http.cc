// Fuzzes the HTTP API's request handling up to the daemon, as HttpConnection does it
// (daemon/http/src/http-connection.cc): Beast's request parser with our header and body caps, requests
// pipelined on one connection, RouteRequest (daemon/http/include/ttsd/daemon/http-route.h) on the
// request line and headers (and a WebSocket upgrade's query, ParseElevenLabsQuery; fuzz-elevenlabs
// goes deeper), ParseSpeechRequest and ParseCaptionedSpeechRequest (http-speech.h) on a
// speech or captioned speech body and its retry bodies, ParseMultipart (http-multipart.h) on an
// upload's, and the error body every refusal is answered with. Checks, beyond the sanitizers: an error
// has a 4xx or 5xx status and a JSON body; a speech request becomes a native synthesize body that is a
// JSON object (the daemon's synthesize parser judges its values), asking for word marks exactly when
// timestamps go somewhere (events or captioned JSON).
// Input: byte 0 picks the token (none or "s3cret") and whether the daemon is shutting down; the
// rest is what a client sends on one connection.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "fuzz-check.h"
#include "ttsd/daemon/elevenlabs-messages.h"
#include "ttsd/daemon/http-config.h"
#include "ttsd/daemon/http-multipart.h"
#include "ttsd/daemon/http-route.h"
#include "ttsd/daemon/http-speech.h"
#include "ttsd/protocol/messages.h"
#include "ttsd/protocol/voice-messages.h"

namespace {

namespace http = boost::beast::http;
using namespace ttsd::daemon;

std::string_view Sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

// What ReplyError sends.
void CheckError(const HttpError& error) {
  FUZZ_CHECK(error.status >= 400 && error.status <= 599, "an error status outside 4xx-5xx");
  const std::string body = error.Json();
  FUZZ_CHECK(nlohmann::json::accept(body), "an error body that is not JSON");
}

void Handle(const http::request<http::string_body>& req, std::string_view token, bool shutting_down) {
  auto header = [&](http::field f) { return Sv(req[f]); };
  const HttpRequestHead head{Sv(req.method_string()), Sv(req.target()), header(http::field::host),
                             header(http::field::origin), header(http::field::authorization),
                             header(http::field::content_type)};
  (void)EqualsNoCase(header(http::field::expect), "100-continue");
  auto route = RouteRequest(head, token, shutting_down);
  if (!route) return CheckError(route.error());
  if (route->handler == HttpHandler::kChannel || route->handler == HttpHandler::kEvents) {
    FUZZ_CHECK(ttsd::protocol::IsValidChannelName(route->channel), "routed to an invalid channel name");
  }
  if (route->handler == HttpHandler::kElevenLabs) {  // a WebSocket upgrade: its voice and query
    FUZZ_CHECK(!route->name.empty() && route->name.size() <= 128 && route->name.find('/') == std::string::npos,
               "routed to an invalid voice");
    auto options = ParseElevenLabsQuery(head.target);
    FUZZ_CHECK(options || options.error().close_code == kClosePolicy, "a query refused otherwise than with 1008");
    return;
  }
  if (route->handler == HttpHandler::kVoiceRemove) {
    FUZZ_CHECK(ttsd::protocol::IsValidSavedVoiceName(route->name), "routed to an invalid saved voice name");
  }
  if (route->handler == HttpHandler::kVoiceAdd) {  // an upload: its form (fuzz-multipart goes deeper)
    const auto type = req[http::field::content_type];
    auto form = ttsd::daemon::ParseMultipart(std::string_view(type.data(), type.size()), req.body());
    FUZZ_CHECK(form || form.error().code == ttsd::ErrorCode::kBadRequest, "an upload's form failed otherwise");
    return;
  }
  if (route->handler != HttpHandler::kSpeech && route->handler != HttpHandler::kCaptionedSpeech) return;
  const bool captioned = route->handler == HttpHandler::kCaptionedSpeech;
  auto speech = captioned ? ParseCaptionedSpeechRequest(req.body()) : ParseSpeechRequest(req.body());
  if (!speech) return CheckError(speech.error());
  const auto native = nlohmann::json::parse(speech->synthesize, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(native.is_object(), "the native synthesize body is not a JSON object");
  FUZZ_CHECK(speech->captioned == captioned, "a body parsed for the wrong endpoint");
  // Word marks are asked for exactly when timestamps are, and only where they can go.
  FUZZ_CHECK(native.contains("marks") == speech->timestamps, "marks asked for without timestamps, or not asked");
  FUZZ_CHECK(!speech->timestamps || speech->sse || captioned, "timestamps on a raw audio response");
  FUZZ_CHECK(!captioned || (!speech->sse && speech->channel.empty()), "a captioned request with sse or a channel");
  // The bodies it would send after a refusal are JSON objects too.
  for (auto code : {ttsd::ErrorCode::kUnknownVoice, ttsd::ErrorCode::kNotSupported}) {
    if (auto again = speech->Retry({code, ""})) {
      FUZZ_CHECK(nlohmann::json::parse(*again, nullptr, false).is_object(), "a retry body is not a JSON object");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view token = (data[0] & 1) ? "s3cret" : "";
  const bool shutting_down = (data[0] & 2) != 0;
  std::span<const uint8_t> rest(data + 1, size - 1);

  // Requests one after another, each with a fresh parser over what is left (as the connection does).
  for (int requests = 0; requests < 16 && !rest.empty(); ++requests) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(HttpConfig::kMaxHeaderBytes);
    parser.body_limit(HttpConfig::kMaxUploadBytes);  // until the header says which limit applies
    boost::beast::error_code ec;
    auto feed = [&] {
      while (!(parser.eager() ? parser.is_done() : parser.is_header_done()) && !rest.empty()) {
        const size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
        rest = rest.subspan(used);
        if (ec || used == 0) break;
      }
    };
    feed();  // the header alone (not eager), as the connection reads it
    if (parser.is_header_done()) {
      const auto& head = parser.get();
      const size_t limit =
          BodyLimit(std::string_view(head.method_string().data(), head.method_string().size()),
                    std::string_view(head.target().data(), head.target().size()));
      if (parser.content_length() && *parser.content_length() > limit) {
        CheckError({413, "invalid_request_error", "body_too_large", "the request body is too large", ""});
        return 0;
      }
      parser.body_limit(limit);
      parser.eager(true);
      feed();
    }
    if (!parser.is_done()) {
      // Bad bytes are answered 400, 413 or 431 (an HttpError) and the connection closes; too few
      // wait for more. Either way this connection ends here.
      if (ec && ec != http::error::need_more) {
        CheckError({400, "invalid_request_error", "malformed_request", "malformed HTTP request: " + ec.message(), ""});
      }
      return 0;
    }
    Handle(parser.get(), token, shutting_down);
    if (!parser.get().keep_alive()) return 0;
  }
  return 0;
}
