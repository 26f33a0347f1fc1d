#include "ttsd/daemon/wyoming-event.h"

#include <algorithm>
#include <cstring>

namespace ttsd::daemon {
namespace {

using nlohmann::json;

// A length field: absent or null is 0; anything but a non-negative integer is an error.
Result<size_t> LengthField(const json& header, const char* key, size_t cap) {
  auto it = header.find(key);
  if (it == header.end() || it->is_null()) return size_t{0};
  if (!it->is_number_unsigned()) {  // JSON parsers store non-negative integers as unsigned
    return MakeError(ErrorCode::kMalformedFrame, std::string("'") + key + "' is not a non-negative integer");
  }
  const auto n = it->get<uint64_t>();
  if (n > cap) {
    return MakeError(ErrorCode::kFrameTooLarge,
                     std::string("'") + key + "' is " + std::to_string(n) + " bytes (limit " + std::to_string(cap) + ")");
  }
  return static_cast<size_t>(n);
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

void WyomingDecoder::Feed(std::span<const uint8_t> bytes) {
  if (start_ > 0) {  // drop what was consumed
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<WyomingEvent>> WyomingDecoder::Fail(ErrorCode code, std::string message) {
  failed_ = true;
  return MakeError(code, std::move(message));
}

Result<std::optional<WyomingEvent>> WyomingDecoder::Next() {
  if (failed_) return MakeError(ErrorCode::kMalformedFrame, "the event stream is broken");
  for (;;) {
    const size_t available = buffer_.size() - start_;
    if (!partial_) {
      const uint8_t* begin = buffer_.data() + start_;
      const size_t skip = std::min(scanned_, available);  // bytes known to hold no newline
      const auto* newline = static_cast<const uint8_t*>(std::memchr(begin + skip, '\n', available - skip));
      if (!newline) {
        scanned_ = available;
        if (available > kMaxWyomingLineBytes) {
          return Fail(ErrorCode::kFrameTooLarge,
                      "header line longer than " + std::to_string(kMaxWyomingLineBytes) + " bytes");
        }
        return std::nullopt;
      }
      const size_t line_bytes = static_cast<size_t>(newline - begin);
      if (line_bytes > kMaxWyomingLineBytes) {
        return Fail(ErrorCode::kFrameTooLarge,
                    "header line longer than " + std::to_string(kMaxWyomingLineBytes) + " bytes");
      }
      std::string_view line(reinterpret_cast<const char*>(begin), line_bytes);
      start_ += line_bytes + 1;
      scanned_ = 0;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank line
      json header = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (header.is_discarded() || !header.is_object()) {
        return Fail(ErrorCode::kMalformedFrame, "header line is not a JSON object");
      }
      auto type = header.find("type");
      if (type == header.end() || !type->is_string() || type->get_ref<const std::string&>().empty()) {
        return Fail(ErrorCode::kMalformedFrame, "header has no 'type' string");
      }
      WyomingEvent event;
      event.type = type->get<std::string>();
      if (auto data = header.find("data"); data != header.end() && !data->is_null()) {
        if (!data->is_object()) return Fail(ErrorCode::kMalformedFrame, "'data' is not a JSON object");
        event.data = std::move(*data);
      }
      auto data_bytes = LengthField(header, "data_length", kMaxWyomingDataBytes);
      if (!data_bytes) return Fail(data_bytes.error().code, data_bytes.error().message);
      auto payload_bytes = LengthField(header, "payload_length", kMaxWyomingPayloadBytes);
      if (!payload_bytes) return Fail(payload_bytes.error().code, payload_bytes.error().message);
      data_bytes_ = *data_bytes;
      payload_bytes_ = *payload_bytes;
      partial_ = std::move(event);
      continue;
    }
    // The header is read: wait for its data block and payload, then hand the event out.
    if (available < data_bytes_ + payload_bytes_) return std::nullopt;
    const uint8_t* p = buffer_.data() + start_;
    if (data_bytes_ > 0) {
      json data = json::parse(p, p + data_bytes_, nullptr, /*allow_exceptions=*/false);
      if (data.is_discarded() || !data.is_object()) {
        return Fail(ErrorCode::kMalformedFrame, "data block is not a JSON object");
      }
      partial_->data.update(data);  // merged over the header's data, key by key
    }
    partial_->payload.assign(p + data_bytes_, p + data_bytes_ + payload_bytes_);
    start_ += data_bytes_ + payload_bytes_;
    WyomingEvent event = std::move(*partial_);
    partial_.reset();
    return event;
  }
}

std::vector<uint8_t> EncodeWyomingEvent(std::string_view type, const nlohmann::json& data,
                                        std::span<const uint8_t> payload) {
  const bool has_data = data.is_object() && !data.empty();
  const std::string data_text = has_data ? Dump(data) : std::string();
  std::string line = "{\"type\":" + Dump(json(std::string(type))) + ",\"version\":\"" + std::string(kWyomingVersion) + "\"";
  if (has_data) line += ",\"data_length\":" + std::to_string(data_text.size());
  if (!payload.empty()) line += ",\"payload_length\":" + std::to_string(payload.size());
  line += "}\n";
  std::vector<uint8_t> out;
  out.reserve(line.size() + data_text.size() + payload.size());
  out.insert(out.end(), line.begin(), line.end());
  out.insert(out.end(), data_text.begin(), data_text.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

}  // namespace ttsd::daemon
