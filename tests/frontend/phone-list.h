// Test helper: "hh ah0 l ow1" -> {"hh", "ah0", "l", "ow1"}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ttsd::frontend {

using Phones = std::vector<std::string>;

inline Phones Split(std::string_view phones) {
  Phones out;
  for (size_t start = 0; start < phones.size();) {
    size_t end = phones.find(' ', start);
    if (end == std::string_view::npos) end = phones.size();
    out.emplace_back(phones.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace ttsd::frontend
