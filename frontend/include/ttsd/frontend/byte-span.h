// Bytes [begin, end) of a text: where a word, a folded character or converted markup came from.
#pragma once

#include <cstdint>

namespace ttsd::frontend {

struct ByteSpan {
  uint32_t begin = 0, end = 0;
  bool operator==(const ByteSpan&) const = default;
};

}  // namespace ttsd::frontend
