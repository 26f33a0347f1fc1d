#include "ttsd/frontend/inline-tags.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace ttsd::frontend {
namespace {

struct TagName {
  std::string_view prefix;  // "[pause:"
  TagKind kind;
};
constexpr std::array<TagName, 5> kTags = {{{"[pause:", TagKind::kPause},
                                           {"[rate:", TagKind::kRate},
                                           {"[volume:", TagKind::kVolume},
                                           {"[pitch:", TagKind::kPitch},
                                           {"[voice:", TagKind::kVoice}}};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// A decimal number with an optional sign, all of s.
std::optional<double> Number(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool IsNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

std::unexpected<Error> Refuse(std::string_view tag, std::string_view takes) {
  return MakeError(ErrorCode::kBadRequest, "bad tag '" + std::string(tag) + "': " + std::string(takes));
}

}  // namespace

size_t InlineTagEnd(std::string_view s, size_t i) {
  const std::string_view rest = s.substr(i);
  for (const TagName& t : kTags) {
    if (rest.size() < t.prefix.size()) {
      if (t.prefix.starts_with(rest)) return kTagOpen;
      continue;
    }
    if (!rest.starts_with(t.prefix)) continue;
    const size_t close = rest.substr(0, kMaxTagBytes).find(']');
    if (close != std::string_view::npos) {
      const std::string_view inside = rest.substr(0, close);
      if (inside.find_first_of("[\n", 1) != std::string_view::npos) return kNoTag;  // "[pause: [x]" is text
      return i + close + 1;
    }
    return rest.size() < kMaxTagBytes ? kTagOpen : kNoTag;
  }
  return kNoTag;
}

Result<std::optional<InlineTag>> ParseInlineTag(std::string_view text) {
  if (InlineTagEnd(text, 0) != text.size()) return std::nullopt;
  const TagName* name = nullptr;
  for (const TagName& t : kTags) {
    if (text.starts_with(t.prefix)) name = &t;
  }
  const std::string_view value = Trim(text.substr(name->prefix.size(), text.size() - name->prefix.size() - 1));
  InlineTag tag{name->kind, 0, ""};
  switch (name->kind) {
    case TagKind::kPause: {
      double scale = 0;
      std::string_view digits = value;
      if (value.ends_with("ms")) {
        scale = 1, digits.remove_suffix(2);
      } else if (value.ends_with('s')) {
        scale = 1000, digits.remove_suffix(1);
      }
      const auto n = scale > 0 ? Number(Trim(digits)) : std::nullopt;
      if (!n || *n < 0 || *n * scale > kMaxPauseMs) return Refuse(text, "a pause takes 0-10000ms or 0-10s");
      tag.value = *n * scale;
      break;
    }
    case TagKind::kRate: {
      const auto n = Number(value);
      if (!n || *n < kMinRate || *n > kMaxRate) return Refuse(text, "a rate takes 0.25-4 (1 is normal)");
      tag.value = *n;
      break;
    }
    case TagKind::kVolume: {
      const auto n = Number(value);
      if (!n || *n < 0 || *n > kMaxVolume) return Refuse(text, "a volume takes 0-4 (1 is unchanged)");
      tag.value = *n;
      break;
    }
    case TagKind::kPitch: {
      std::string_view digits = value;
      if (digits.ends_with("st")) digits.remove_suffix(2);
      const auto n = Number(Trim(digits));
      if (!n || std::abs(*n) > kMaxPitch) return Refuse(text, "a pitch takes -12 to +12 semitones (0 is unchanged)");
      tag.value = *n;
      break;
    }
    case TagKind::kVoice:
      if (value.size() > 64 || !std::ranges::all_of(value, IsNameByte)) {
        return Refuse(text, "a voice takes a speaker's name (letters, digits, _ - .), or nothing for the request's own");
      }
      tag.voice = std::string(value);
      break;
  }
  return tag;
}

}  // namespace ttsd::frontend
