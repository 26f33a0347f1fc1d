// Frames of the ttsd wire protocol (protocol/README.md): a fixed 12-byte header and a payload.
//   std::vector<uint8_t> bytes = EncodeFrame(FrameType::kCancel, 0, request_id, {});
//   FrameDecoder d(kMaxClientPayloadBytes); d.Feed(data); while (auto f = d.Next()) ...
// Thread-safety: FrameDecoder is used by one thread at a time; free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::protocol {

inline constexpr size_t kHeaderBytes = 12;
// Caps on payload length, checked before any allocation.
inline constexpr uint32_t kMaxClientPayloadBytes = 1u << 20;  // what a server accepts
inline constexpr uint32_t kMaxServerPayloadBytes = 4u << 20;  // what a client accepts

enum class FrameType : uint8_t {
  // client -> server
  kHello = 0x01,
  kSynthesize = 0x02,
  kText = 0x03,
  kCancel = 0x04,
  kListVoices = 0x05,
  kPing = 0x06,
  kListen = 0x07,          // subscribe to an output channel's continuous audio
  kChannelControl = 0x08,  // skip / clear / status of an output channel
  kReference = 0x09,       // a piece of a reference audio file (version 2)
  kVoiceAdd = 0x0A,        // save a voice cloned from reference files (version 2)
  kVoiceRemove = 0x0B,     // delete a saved voice (version 2)
  // server -> client
  kWelcome = 0x81,
  kAccepted = 0x82,
  kAudio = 0x83,
  kVoices = 0x85,
  kPong = 0x86,
  kDone = 0x84,           // terminal frame of a request spoken on a channel
  kChannelStatus = 0x87,  // answer to kChannelControl
  kVoiceSaved = 0x88,     // terminal frame of a kVoiceAdd
  kVoiceRemoved = 0x89,   // answer to kVoiceRemove
  kMarks = 0x8A,          // where words are heard, before the audio that reaches them (version 3)
  kChannelEvent = 0x8B,   // a channel's utterance or word as it is played, to a listen with events (version 3)
  kError = 0x8F,
};

// Flag bits in the header's flags byte.
inline constexpr uint8_t kFlagFinal = 0x01;  // kText: no more text follows
inline constexpr uint8_t kFlagFlush = 0x02;  // kText: speak what has come so far now (version 3)
inline constexpr uint8_t kFlagLast = 0x01;   // kAudio: the request's last chunk
inline constexpr uint8_t kFlagEndOfFile = 0x01;  // kReference: the last piece of one file
inline constexpr uint8_t kFlagEmotion = 0x02;    // kReference: a piece of the emotion reference

// The lowest protocol version in which a frame type exists (1 for the original types).
uint32_t FrameTypeVersion(FrameType type);

bool IsKnownFrameType(uint8_t type);
bool IsClientFrameType(FrameType type);

struct FrameHeader {
  uint32_t payload_bytes = 0;
  FrameType type = FrameType::kPing;
  uint8_t flags = 0;
  uint32_t request_id = 0;
};

struct Frame {
  FrameHeader header;
  std::vector<uint8_t> payload;
};

// Parses and validates the 12 header bytes. Errors: kMalformedFrame (reserved bytes set),
// kUnknownFrameType, kFrameTooLarge (payload_bytes > max_payload_bytes).
Result<FrameHeader> ParseHeader(std::span<const uint8_t, kHeaderBytes> bytes, uint32_t max_payload_bytes);

void EncodeHeader(const FrameHeader& header, std::span<uint8_t, kHeaderBytes> out);

// Header + payload in one buffer; payload is copied.
std::vector<uint8_t> EncodeFrame(FrameType type, uint8_t flags, uint32_t request_id,
                                 std::span<const uint8_t> payload);

// Turns a byte stream, fed in pieces of any size, into frames. After an error the stream is
// unusable (framing is lost) and every further Next() returns the same error.
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_payload_bytes) : max_payload_bytes_(max_payload_bytes) {}

  void Feed(std::span<const uint8_t> data);  // data is copied

  // A complete frame, std::nullopt when more bytes are needed, or the error that broke framing.
  Result<std::optional<Frame>> Next();

  size_t buffered_bytes() const { return buffer_.size() - read_pos_; }

 private:
  uint32_t max_payload_bytes_;
  std::vector<uint8_t> buffer_;
  size_t read_pos_ = 0;
  std::optional<Error> error_;
};

}  // namespace ttsd::protocol
