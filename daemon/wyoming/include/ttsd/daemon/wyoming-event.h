// Events of the Wyoming protocol (Home Assistant's voice services): a JSON header line ending in
// "\n" with `type`, optional `data`, `data_length`, `payload_length` and `version`, then
// data_length bytes of JSON merged over the header's `data`, then payload_length payload bytes.
//   WyomingDecoder d; d.Feed(bytes); while (auto e = d.Next(); e && *e) Handle(**e);
//   auto bytes = EncodeWyomingEvent("audio-stop", {{"timestamp", 0}});
// Thread-safety: a WyomingDecoder belongs to one thread at a time; free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ttsd/protocol/error.h"

namespace ttsd::daemon {

// The protocol level we speak: streaming synthesis (synthesize-start/chunk/stop) came in 1.7.0.
inline constexpr std::string_view kWyomingVersion = "1.7.0";
// Caps, checked before anything is allocated for the part they limit.
inline constexpr size_t kMaxWyomingLineBytes = 1u << 20;     // the JSON header line
inline constexpr size_t kMaxWyomingDataBytes = 1u << 20;     // the data block
inline constexpr size_t kMaxWyomingPayloadBytes = 1u << 20;  // the payload (a TTS server reads none)

struct WyomingEvent {
  std::string type;
  nlohmann::json data = nlohmann::json::object();  // always an object
  std::vector<uint8_t> payload;
};

class WyomingDecoder {
 public:
  void Feed(std::span<const uint8_t> bytes);
  // The next whole event, nullopt while more bytes are needed. After an error the stream cannot be
  // resynchronised. Errors: kMalformedFrame (not JSON, no string `type`, `data` not an object,
  // lengths not non-negative integers), kFrameTooLarge (a part above its cap).
  Result<std::optional<WyomingEvent>> Next();

 private:
  Result<std::optional<WyomingEvent>> Fail(ErrorCode code, std::string message);

  std::vector<uint8_t> buffer_;
  size_t start_ = 0;    // first unconsumed byte of buffer_
  size_t scanned_ = 0;  // bytes after start_ already searched for the header's newline
  // Set while the header is read and its data block or payload is not yet complete.
  std::optional<WyomingEvent> partial_;
  size_t data_bytes_ = 0, payload_bytes_ = 0;
  bool failed_ = false;
};

// Header line, data block (when data is a non-empty object) and payload in one buffer, the way the
// reference implementation writes them. Never throws: invalid UTF-8 in strings is replaced.
std::vector<uint8_t> EncodeWyomingEvent(std::string_view type, const nlohmann::json& data = nullptr,
                                        std::span<const uint8_t> payload = {});

}  // namespace ttsd::daemon
