// JSON field readers shared by the message parsers: an absent or null field keeps its default, a
// present one of the wrong type is kBadRequest, a payload that is not a JSON object kMalformedFrame.
//   TTSD_TRY(GetString(j, "voice", &m.voice));
// Thread-safety: pure functions. Private to protocol/src.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ttsd/protocol/error.h"
#include "ttsd/protocol/limits.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::protocol::json_fields {

using nlohmann::json;

inline Result<json> ParseObject(std::span<const uint8_t> payload) {
  json j = json::parse(payload.begin(), payload.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(ErrorCode::kMalformedFrame, "payload is not valid JSON");
  if (!j.is_object()) return MakeError(ErrorCode::kMalformedFrame, "payload is not a JSON object");
  return j;
}

inline std::vector<uint8_t> Dump(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return {s.begin(), s.end()};
}

// Reads an optional field of the given JSON type into out; a present field of the wrong type is an error.
inline Status GetString(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) return MakeError(ErrorCode::kBadRequest, std::string("'") + key + "' must be a string");
  *out = it->get<std::string>();
  return {};
}

inline Status GetBool(const json& j, const char* key, bool* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_boolean()) return MakeError(ErrorCode::kBadRequest, std::string("'") + key + "' must be a boolean");
  *out = it->get<bool>();
  return {};
}

inline Status GetU32(const json& j, const char* key, uint32_t* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_number_unsigned() || it->get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
    return MakeError(ErrorCode::kBadRequest, std::string("'") + key + "' must be an unsigned 32-bit integer");
  }
  *out = it->get<uint32_t>();
  return {};
}

inline Status GetU64(const json& j, const char* key, uint64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_number_unsigned()) {
    return MakeError(ErrorCode::kBadRequest, std::string("'") + key + "' must be an unsigned 64-bit integer");
  }
  *out = it->get<uint64_t>();
  return {};
}

inline Status GetDouble(const json& j, const char* key, double* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_number()) return MakeError(ErrorCode::kBadRequest, std::string("'") + key + "' must be a number");
  *out = it->get<double>();
  return {};
}

inline Status GetStringList(const json& j, const char* key, std::vector<std::string>* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_array()) return MakeError(ErrorCode::kBadRequest, std::string("'") + key + "' must be an array");
  for (const auto& v : *it) {
    if (!v.is_string()) return MakeError(ErrorCode::kBadRequest, std::string("'") + key + "' must hold strings");
    out->push_back(v.get<std::string>());
  }
  return {};
}

inline Status GetFormat(const json& j, const char* key, SampleFormat* out) {
  std::string name;
  if (auto s = GetString(j, key, &name); !s) return s;
  if (name.empty()) return {};
  auto f = ParseSampleFormat(name);
  if (!f) return std::unexpected(f.error());
  *out = *f;
  return {};
}

// A short label shown to people (a channel item's author or source): UTF-8, at most max_bytes, no
// control characters. Errors: kBadRequest, kMalformedFrame (not UTF-8).
inline Status GetLabel(const json& j, const char* key, size_t max_bytes, std::string* out) {
  if (auto s = GetString(j, key, out); !s) return s;
  if (out->size() > max_bytes) {
    return MakeError(ErrorCode::kBadRequest,
                     std::string("'") + key + "' is longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (!IsValidUtf8(*out)) return MakeError(ErrorCode::kMalformedFrame, std::string("'") + key + "' is not valid UTF-8");
  for (unsigned char c : *out) {
    if (c < 0x20 || c == 0x7f) {
      return MakeError(ErrorCode::kBadRequest, std::string("'") + key + "' must not hold control characters");
    }
  }
  return {};
}

inline std::unexpected<Error> BadChannelName() {
  return MakeError(ErrorCode::kBadRequest,
                   "'channel' must be 1-" + std::to_string(kMaxChannelNameBytes) + " characters of a-z A-Z 0-9 - _ .");
}

}  // namespace ttsd::protocol::json_fields

// Returns the error of a Status-returning expression from the enclosing function.
#define TTSD_TRY(expr)                              \
  do {                                              \
    if (auto status_ = (expr); !status_) {          \
      return std::unexpected(status_.error());      \
    }                                               \
  } while (0)

