// Inline control tags in text: [pause:500ms], [rate:1.2], [volume:0.5], [pitch:+2], [voice:awb].
// The sentence splitter never cuts one and hands each out on its own; the engine acts on it. The
// SSML reader (ssml.h) writes the same tags, so markup and plain text take one path.
//   auto tag = ParseInlineTag("[pause:1.5s]");  // Result<std::optional<InlineTag>>: {kPause, 1500}
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ttsd/protocol/error.h"

namespace ttsd::frontend {

enum class TagKind {
  kPause,   // value: milliseconds of silence, 0..kMaxPauseMs
  kRate,    // value: speaking rate from here on, kMinRate..kMaxRate (1 = the request's)
  kVolume,  // value: linear gain from here on, 0..kMaxVolume (1 = unchanged)
  kPitch,   // value: semitones from here on, -kMaxPitch..kMaxPitch (0 = unchanged)
  kVoice,   // voice: the speaker from here on ("" = the request's own)
};

inline constexpr double kMaxPauseMs = 10000;
inline constexpr double kMinRate = 0.25, kMaxRate = 4.0;
inline constexpr double kMaxVolume = 4.0;
inline constexpr double kMaxPitch = 12.0;
inline constexpr size_t kMaxTagBytes = 80;  // "[voice:" + a 64-byte name + "]" and room

struct InlineTag {
  TagKind kind = TagKind::kPause;
  double value = 0;
  std::string voice;
  bool operator==(const InlineTag&) const = default;
};

// `text` whole as a tag. nullopt when it is no tag (plain text such as "[note: x]"); kBadRequest
// when it names a tag but its value is wrong ("[pause:soon]"), saying which values it takes.
Result<std::optional<InlineTag>> ParseInlineTag(std::string_view text);

// Where a tag starting at s[i] (a '[') ends: just past its ']'. kTagOpen when s ends before it
// could be decided, kNoTag when s[i] starts no tag of a known name.
inline constexpr size_t kTagOpen = static_cast<size_t>(-1);
inline constexpr size_t kNoTag = static_cast<size_t>(-2);
size_t InlineTagEnd(std::string_view s, size_t i);

}  // namespace ttsd::frontend
