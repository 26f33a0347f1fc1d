// Fuzzes ttsd's protocol over WebSocket as the daemon reads it (daemon/http: native-ws-messages.h): the
// input is one client message for ParseNativeWsMessage, and also the payload of every server frame
// type for NativeWsMessage. Checks, beyond the sanitizers: an accepted message is a hello, or exactly
// one client frame (the decoder with the server's cap reads it back whole) of the type it names, with
// a non-zero id; a JSON body arrives as a JSON object; a refusal is malformed_frame, frame_too_large,
// unknown_frame_type or bad_request, and its error message is JSON naming that code; a server frame
// becomes its whole frame (audio, binary) or JSON with its type's name and id.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz-check.h"
#include "ttsd/daemon/native-ws-messages.h"

namespace {

using namespace ttsd;
using namespace ttsd::daemon;
using json = nlohmann::json;
using protocol::FrameType;

void ClientMessage(std::string_view data) {
  auto in = ParseNativeWsMessage(data);
  if (!in) {
    const ErrorCode code = in.error().error.code;
    FUZZ_CHECK(code == ErrorCode::kMalformedFrame || code == ErrorCode::kFrameTooLarge ||
                   code == ErrorCode::kUnknownFrameType || code == ErrorCode::kBadRequest,
               "a refusal with another code");
    const json e = json::parse(NativeWsErrorMessage(in.error()), nullptr, false);
    FUZZ_CHECK(e.is_object() && e["type"] == "error" && e["body"]["code"] == static_cast<uint32_t>(code),
               "an error message of another shape");
    return;
  }
  if (in->hello) {
    FUZZ_CHECK(in->frame.empty(), "a hello with a frame to forward");
    return;
  }
  FUZZ_CHECK(in->id != 0, "a frame for id 0 (the connection's own)");
  protocol::FrameDecoder decoder(protocol::kMaxClientPayloadBytes);
  decoder.Feed(in->frame);
  auto frame = decoder.Next();
  FUZZ_CHECK(frame.has_value() && frame->has_value(), "a frame the daemon's decoder refuses");
  auto more = decoder.Next();
  FUZZ_CHECK(more.has_value() && !more->has_value(), "more than one frame");
  const protocol::Frame& f = **frame;
  FUZZ_CHECK(f.header.type == in->type && f.header.request_id == in->id, "another type or id than named");
  FUZZ_CHECK(protocol::IsClientFrameType(f.header.type), "a server frame type from a client");
  const FrameType t = f.header.type;
  if (t == FrameType::kSynthesize || t == FrameType::kListen || t == FrameType::kChannelControl ||
      t == FrameType::kVoiceAdd || t == FrameType::kVoiceRemove) {
    FUZZ_CHECK(json::parse(f.payload.begin(), f.payload.end(), nullptr, false).is_object(), "a body that is no object");
  }
  if (t == FrameType::kText) {
    FUZZ_CHECK(protocol::IsValidUtf8(std::string_view(reinterpret_cast<const char*>(f.payload.data()), f.payload.size())),
               "text that is not UTF-8");
  }
}

void ServerFrames(std::string_view data) {
  for (FrameType t : {FrameType::kAccepted, FrameType::kAudio, FrameType::kDone, FrameType::kVoices, FrameType::kPong,
                      FrameType::kChannelStatus, FrameType::kVoiceSaved, FrameType::kVoiceRemoved, FrameType::kMarks,
                      FrameType::kChannelEvent, FrameType::kError}) {
    protocol::Frame f;
    f.header.type = t;
    f.header.flags = data.empty() ? 0 : static_cast<uint8_t>(data[0]);
    f.header.request_id = static_cast<uint32_t>(data.size()) * 2654435761u;
    f.payload.assign(data.begin(), data.end());
    auto out = NativeWsMessage(f);
    FUZZ_CHECK(out.has_value(), "a server frame dropped");
    if (t == FrameType::kAudio) {
      FUZZ_CHECK(out->binary, "audio as text");
      const auto whole = protocol::EncodeFrame(t, f.header.flags, f.header.request_id, f.payload);
      FUZZ_CHECK(out->data == std::string(whole.begin(), whole.end()), "audio that is not its whole frame");
      continue;
    }
    FUZZ_CHECK(!out->binary, "a JSON frame as binary");
    const json m = json::parse(out->data, nullptr, false);
    FUZZ_CHECK(m.is_object() && m["type"] == FrameTypeName(t) && m["id"] == f.header.request_id,
               "a message without its type's name and id");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ClientMessage(input);
  ServerFrames(input);
  return 0;
}
