#include "ttsd/protocol/frame.h"

#include <cstring>
#include <string>

namespace ttsd::protocol {
namespace {

uint32_t ReadU32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

void WriteU32(uint8_t* p, uint32_t v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

}  // namespace

bool IsKnownFrameType(uint8_t type) {
  switch (static_cast<FrameType>(type)) {
    case FrameType::kHello:
    case FrameType::kSynthesize:
    case FrameType::kText:
    case FrameType::kCancel:
    case FrameType::kListVoices:
    case FrameType::kPing:
    case FrameType::kListen:
    case FrameType::kChannelControl:
    case FrameType::kReference:
    case FrameType::kVoiceAdd:
    case FrameType::kVoiceRemove:
    case FrameType::kWelcome:
    case FrameType::kAccepted:
    case FrameType::kAudio:
    case FrameType::kVoices:
    case FrameType::kPong:
    case FrameType::kDone:
    case FrameType::kChannelStatus:
    case FrameType::kVoiceSaved:
    case FrameType::kVoiceRemoved:
    case FrameType::kMarks:
    case FrameType::kChannelEvent:
    case FrameType::kError:
      return true;
  }
  return false;
}

uint32_t FrameTypeVersion(FrameType type) {
  switch (type) {
    case FrameType::kReference:
    case FrameType::kVoiceAdd:
    case FrameType::kVoiceRemove:
    case FrameType::kVoiceSaved:
    case FrameType::kVoiceRemoved:
      return 2;
    case FrameType::kMarks:
    case FrameType::kChannelEvent:
      return 3;
    default:
      return 1;
  }
}

bool IsClientFrameType(FrameType type) { return (static_cast<uint8_t>(type) & 0x80) == 0; }

Result<FrameHeader> ParseHeader(std::span<const uint8_t, kHeaderBytes> bytes, uint32_t max_payload_bytes) {
  FrameHeader h;
  h.payload_bytes = ReadU32(bytes.data());
  if (!IsKnownFrameType(bytes[4])) {
    return MakeError(ErrorCode::kUnknownFrameType, "frame type " + std::to_string(bytes[4]));
  }
  h.type = static_cast<FrameType>(bytes[4]);
  h.flags = bytes[5];
  if (bytes[6] != 0 || bytes[7] != 0) {
    return MakeError(ErrorCode::kMalformedFrame, "reserved header bytes are not zero");
  }
  h.request_id = ReadU32(bytes.data() + 8);
  if (h.payload_bytes > max_payload_bytes) {
    return MakeError(ErrorCode::kFrameTooLarge, "payload of " + std::to_string(h.payload_bytes) +
                                                    " bytes exceeds the cap of " +
                                                    std::to_string(max_payload_bytes));
  }
  return h;
}

void EncodeHeader(const FrameHeader& header, std::span<uint8_t, kHeaderBytes> out) {
  WriteU32(out.data(), header.payload_bytes);
  out[4] = static_cast<uint8_t>(header.type);
  out[5] = header.flags;
  out[6] = 0;
  out[7] = 0;
  WriteU32(out.data() + 8, header.request_id);
}

std::vector<uint8_t> EncodeFrame(FrameType type, uint8_t flags, uint32_t request_id,
                                 std::span<const uint8_t> payload) {
  std::vector<uint8_t> out(kHeaderBytes + payload.size());
  FrameHeader h{static_cast<uint32_t>(payload.size()), type, flags, request_id};
  EncodeHeader(h, std::span<uint8_t, kHeaderBytes>(out.data(), kHeaderBytes));
  if (!payload.empty()) std::memcpy(out.data() + kHeaderBytes, payload.data(), payload.size());
  return out;
}

void FrameDecoder::Feed(std::span<const uint8_t> data) {
  if (error_) return;
  // Compact consumed bytes before growing, so the buffer stays bounded by one frame plus one read.
  if (read_pos_ > 0 && read_pos_ == buffer_.size()) {
    buffer_.clear();
    read_pos_ = 0;
  } else if (read_pos_ > 4096 && read_pos_ * 2 > buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_pos_));
    read_pos_ = 0;
  }
  buffer_.insert(buffer_.end(), data.begin(), data.end());
}

Result<std::optional<Frame>> FrameDecoder::Next() {
  if (error_) return std::unexpected(*error_);
  if (buffered_bytes() < kHeaderBytes) return std::optional<Frame>();
  auto header = ParseHeader(std::span<const uint8_t, kHeaderBytes>(buffer_.data() + read_pos_, kHeaderBytes),
                            max_payload_bytes_);
  if (!header) {
    error_ = header.error();
    return std::unexpected(*error_);
  }
  if (buffered_bytes() < kHeaderBytes + header->payload_bytes) return std::optional<Frame>();
  Frame frame;
  frame.header = *header;
  const uint8_t* p = buffer_.data() + read_pos_ + kHeaderBytes;
  frame.payload.assign(p, p + header->payload_bytes);
  read_pos_ += kHeaderBytes + header->payload_bytes;
  return std::optional<Frame>(std::move(frame));
}

}  // namespace ttsd::protocol
