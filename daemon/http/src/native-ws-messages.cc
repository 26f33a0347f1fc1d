// The native protocol's frames as WebSocket messages (native-ws-messages.h).
#include "ttsd/daemon/native-ws-messages.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "ttsd/version.h"

namespace ttsd::daemon {
namespace {

using json = nlohmann::json;
using protocol::FrameType;

constexpr std::array kNames = {
    std::pair{FrameType::kHello, "hello"},
    std::pair{FrameType::kSynthesize, "synthesize"},
    std::pair{FrameType::kText, "text"},
    std::pair{FrameType::kCancel, "cancel"},
    std::pair{FrameType::kListVoices, "list_voices"},
    std::pair{FrameType::kPing, "ping"},
    std::pair{FrameType::kListen, "listen"},
    std::pair{FrameType::kChannelControl, "channel_control"},
    std::pair{FrameType::kReference, "reference"},
    std::pair{FrameType::kVoiceAdd, "voice_add"},
    std::pair{FrameType::kVoiceRemove, "voice_remove"},
    std::pair{FrameType::kWelcome, "welcome"},
    std::pair{FrameType::kAccepted, "accepted"},
    std::pair{FrameType::kAudio, "audio"},
    std::pair{FrameType::kDone, "done"},
    std::pair{FrameType::kVoices, "voices"},
    std::pair{FrameType::kPong, "pong"},
    std::pair{FrameType::kChannelStatus, "channel_status"},
    std::pair{FrameType::kVoiceSaved, "voice_saved"},
    std::pair{FrameType::kVoiceRemoved, "voice_removed"},
    std::pair{FrameType::kMarks, "marks"},
    std::pair{FrameType::kChannelEvent, "channel_event"},
    std::pair{FrameType::kError, "error"},
};

std::unexpected<NativeWsError> Refuse(uint32_t id, ErrorCode code, std::string message) {
  return std::unexpected(NativeWsError{id, Error{code, std::move(message)}});
}

// Strict base64 (RFC 4648 with padding): OpenSSL's decoder skips whitespace, which is not base64.
std::optional<std::vector<uint8_t>> FromBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  const size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  for (size_t i = 0; i < text.size() - pad; ++i) {
    const char c = text[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return std::nullopt;
  }
  if (text.empty()) return std::vector<uint8_t>{};
  std::vector<uint8_t> out(3 * (text.size() / 4));
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);  // EVP_DecodeBlock counts the padding's zero bytes in
  return out;
}

std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// A field of a message: absent or null is the default; another type is bad_request.
template <typename T>
std::expected<T, NativeWsError> Field(const json& m, const char* key, T fallback, uint32_t id) {
  auto it = m.find(key);
  if (it == m.end() || it->is_null()) return fallback;
  if constexpr (std::is_same_v<T, bool>) {
    if (it->is_boolean()) return it->get<bool>();
  } else {
    if (it->is_string()) return it->get<std::string>();
  }
  return Refuse(id, ErrorCode::kBadRequest, std::string("'") + key + "' has the wrong type");
}

std::expected<NativeWsIn, NativeWsError> Hello(const json& m) {
  NativeWsIn in;
  auto hello = protocol::ParseHello(Bytes(m.dump()));
  if (!hello) return Refuse(0, hello.error().code, "hello: " + hello.error().message);
  auto token = Field<std::string>(m, "token", "", 0);
  if (!token) return std::unexpected(token.error());
  in.hello = std::move(*hello);
  if (m.contains("token") && !m["token"].is_null()) in.token = std::move(*token);
  return in;
}

}  // namespace

std::string_view FrameTypeName(FrameType type) {
  for (const auto& [t, name] : kNames) {
    if (t == type) return name;
  }
  return "";
}

std::expected<NativeWsIn, NativeWsError> ParseNativeWsMessage(std::string_view text) {
  const json m = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!m.is_object()) return Refuse(0, ErrorCode::kMalformedFrame, "a message is one JSON object");
  auto type_it = m.find("type");
  if (type_it == m.end() || !type_it->is_string()) {
    return Refuse(0, ErrorCode::kMalformedFrame, "a message needs 'type', a frame type's name");
  }
  const std::string& name = type_it->get_ref<const std::string&>();
  const auto known = std::find_if(kNames.begin(), kNames.end(), [&](const auto& n) { return name == n.second; });
  if (known == kNames.end() || !protocol::IsClientFrameType(known->first)) {
    return Refuse(0, ErrorCode::kUnknownFrameType, "no client frame is called '" + name.substr(0, 64) + "'");
  }
  const FrameType type = known->first;
  if (type == FrameType::kHello) return Hello(m);

  auto id_it = m.find("id");
  // Id 0 is the connection's own: a frame with it would end the whole connection.
  if (id_it == m.end() || !id_it->is_number_unsigned() || id_it->get<uint64_t>() == 0 ||
      id_it->get<uint64_t>() > UINT32_MAX) {
    return Refuse(0, ErrorCode::kBadRequest, name + ": 'id' is a request id, 1 to 4294967295");
  }
  NativeWsIn in;
  in.id = static_cast<uint32_t>(id_it->get<uint64_t>());
  in.type = type;
  uint8_t flags = 0;
  std::vector<uint8_t> payload;
  switch (type) {
    case FrameType::kSynthesize:
    case FrameType::kListen:
    case FrameType::kChannelControl:
    case FrameType::kVoiceAdd:
    case FrameType::kVoiceRemove: {
      auto body = m.find("body");
      if (body != m.end() && !body->is_null() && !body->is_object()) {
        return Refuse(in.id, ErrorCode::kBadRequest, name + ": 'body' is the frame's JSON object");
      }
      payload = Bytes(body == m.end() || body->is_null() ? "{}" : body->dump());
      break;
    }
    case FrameType::kText: {
      auto text_field = Field<std::string>(m, "text", "", in.id);
      auto final = Field<bool>(m, "final", false, in.id);
      auto flush = Field<bool>(m, "flush", false, in.id);
      if (!text_field) return std::unexpected(text_field.error());
      if (!final) return std::unexpected(final.error());
      if (!flush) return std::unexpected(flush.error());
      payload = Bytes(*text_field);
      flags = (*final ? protocol::kFlagFinal : 0) | (*flush ? protocol::kFlagFlush : 0);
      break;
    }
    case FrameType::kReference: {
      auto data = Field<std::string>(m, "data", "", in.id);
      auto final = Field<bool>(m, "final", false, in.id);
      auto emotion = Field<bool>(m, "emotion", false, in.id);
      if (!data) return std::unexpected(data.error());
      if (!final) return std::unexpected(final.error());
      if (!emotion) return std::unexpected(emotion.error());
      auto bytes = FromBase64(*data);
      if (!bytes) return Refuse(in.id, ErrorCode::kMalformedFrame, "reference: 'data' is not base64");
      payload = std::move(*bytes);
      flags = (*final ? protocol::kFlagFinal : 0) | (*emotion ? protocol::kFlagEmotion : 0);
      break;
    }
    default: break;  // cancel, list_voices, ping: empty
  }
  if (payload.size() > protocol::kMaxClientPayloadBytes) {
    return Refuse(in.id, ErrorCode::kFrameTooLarge, name + ": a payload holds at most 1 MiB");
  }
  in.frame = protocol::EncodeFrame(type, flags, in.id, payload);
  return in;
}

std::optional<NativeWsOut> NativeWsMessage(const protocol::Frame& frame) {
  const FrameType type = frame.header.type;
  if (type == FrameType::kWelcome) return std::nullopt;
  if (type == FrameType::kAudio) {
    const std::vector<uint8_t> bytes = protocol::EncodeFrame(type, frame.header.flags, frame.header.request_id, frame.payload);
    return NativeWsOut{std::string(bytes.begin(), bytes.end()), true};
  }
  json m = {{"type", FrameTypeName(type)}, {"id", frame.header.request_id}};
  if (type != FrameType::kPong) {
    // The daemon's JSON, unchanged; a payload that is not (never from this daemon) goes as a string.
    json body = json::parse(frame.payload.begin(), frame.payload.end(), nullptr, false);
    m["body"] = body.is_discarded() ? json(std::string(frame.payload.begin(), frame.payload.end())) : std::move(body);
  }
  return NativeWsOut{m.dump(-1, ' ', false, json::error_handler_t::replace), false};
}

std::string NativeWsWelcome(uint32_t version, uint32_t max_payload_bytes) {
  return json{{"type", "welcome"},
              {"id", 0},
              {"body", {{"version", version}, {"server", "ttsd " TTSD_VERSION}, {"max_payload_bytes", max_payload_bytes}}}}
      .dump();
}

std::string NativeWsErrorMessage(const NativeWsError& error) {
  const json body = {{"code", static_cast<uint32_t>(error.error.code)},
                     {"name", ErrorCodeName(error.error.code)},
                     {"message", error.error.message}};
  return json{{"type", "error"}, {"id", error.id}, {"body", body}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace ttsd::daemon
