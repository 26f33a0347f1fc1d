#include "mandarin-readings.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace ttsd::frontend {
namespace {

// kSyllables, kCodePoints (sorted) and kSyllableOf (index into kSyllables per code point).
#include "mandarin-readings.inc"

static_assert(kCodePoints.size() == kSyllableOf.size());

}  // namespace

std::string_view MandarinReading(int32_t cp) {
  const auto it = std::ranges::lower_bound(kCodePoints, static_cast<uint32_t>(cp));
  if (cp < 0 || it == kCodePoints.end() || *it != static_cast<uint32_t>(cp)) return "";
  return kSyllables[kSyllableOf[static_cast<size_t>(it - kCodePoints.begin())]];
}

std::span<const std::string_view> MandarinSyllables() { return kSyllables; }

}  // namespace ttsd::frontend
