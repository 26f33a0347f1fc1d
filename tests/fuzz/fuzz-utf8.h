// The fuzzers' input made into text: every byte that does not start a whole, valid UTF-8 character becomes
// U+FFFD, so a text fuzzer (fuzz-frontend, fuzz-mandarin) spends its time past the UTF-8 check.
#pragma once

#include <string>
#include <string_view>

#include "ttsd/protocol/messages.h"

namespace ttsd::fuzz {

inline std::string ValidUtf8(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size();) {
    size_t len = 1;
    const auto c = static_cast<unsigned char>(in[i]);
    if (c >= 0xF0) len = 4;
    else if (c >= 0xE0) len = 3;
    else if (c >= 0xC0) len = 2;
    const std::string_view piece = in.substr(i, len);
    if (piece.size() == len && protocol::IsValidUtf8(piece)) {
      out += piece;
      i += len;
    } else {
      out += "\uFFFD";
      ++i;
    }
  }
  return out;
}

}  // namespace ttsd::fuzz
