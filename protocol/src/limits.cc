#include "ttsd/protocol/limits.h"

#include <charconv>

namespace ttsd::protocol {

std::string EmotionAxisList() {
  std::string out;
  for (std::string_view name : kEmotionAxisNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string LimitText(double value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : std::string();
}

}  // namespace ttsd::protocol
