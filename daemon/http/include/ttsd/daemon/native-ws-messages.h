// ttsd's own protocol over WebSocket (GET /v1/ws; protocol/README.md, "The protocol over WebSocket"):
// a client's JSON message to one native frame, and a native frame to one message (JSON text, or binary
// for audio). Pure, so that the unit tests and the fuzzer (tests/fuzz/fuzz-native-ws.cc) call it with
// anything.
//   auto in = ParseNativeWsMessage(R"({"type":"text","id":1,"text":"Hello ","flush":true})");
//   if (in && !in->hello) link->Send(std::move(in->frame));  // a native text frame with FLUSH
//   auto out = NativeWsMessage(frame);                       // {"type":"accepted","id":1,"body":{...}}
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/protocol/frame.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

inline constexpr size_t kNativeWsMaxMessageBytes = 2u << 20;  // a base64 reference of 1 MiB fits

// A message the mapping cannot turn into a frame: answered with an error message for `id` (0 when
// the message names none); the socket stays open.
struct NativeWsError {
  uint32_t id = 0;
  Error error;
};

// One client message.
struct NativeWsIn {
  std::optional<protocol::Hello> hello;  // a hello (answered by the mapping, not forwarded)
  std::optional<std::string> token;      // the hello's token
  uint32_t id = 0;
  protocol::FrameType type = protocol::FrameType::kPing;
  std::vector<uint8_t> frame;  // otherwise: the whole native frame to forward
};

// Errors: kMalformedFrame (not a JSON object, no type string, data not base64), kUnknownFrameType (a type
// that is no client frame), kBadRequest (id missing, 0 or not a uint32: id 0 is the
// connection's own, which a frame of a request would end; a field of the wrong type; a
// bad hello), kFrameTooLarge (a payload above protocol::kMaxClientPayloadBytes).
std::expected<NativeWsIn, NativeWsError> ParseNativeWsMessage(std::string_view text);

// One daemon frame as a message: binary (an audio frame, whole) or JSON text. nullopt for frames the
// mapping keeps to itself (welcome: the mapping sends its own).
struct NativeWsOut {
  std::string data;
  bool binary = false;
};
std::optional<NativeWsOut> NativeWsMessage(const protocol::Frame& frame);

std::string NativeWsWelcome(uint32_t version, uint32_t max_payload_bytes);
std::string NativeWsErrorMessage(const NativeWsError& error);

// The name of a frame type as the messages spell it ("synthesize", "channel_event"); "" for none.
std::string_view FrameTypeName(protocol::FrameType type);

}  // namespace ttsd::daemon
