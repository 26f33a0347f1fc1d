#include "letter-names.h"

#include <array>

namespace ttsd::frontend {
namespace {

// clang-format off
constexpr std::array<std::string_view, 26> kLetterNames = {
    "ey1",    "b iy1",   "s iy1",  "d iy1",  "iy1",   "eh1 f",   "jh iy1",
    "ey1 ch", "ay1",     "jh ey1", "k ey1",  "eh1 l", "eh1 m",   "eh1 n",
    "ow1",    "p iy1",   "k y uw1", "aa1 r", "eh1 s", "t iy1",   "y uw1",
    "v iy1",  "d ah1 b ax0 l y uw0", "eh1 k s", "w ay1", "z iy1"};
// clang-format on

}  // namespace

std::string_view LetterNamePhones(char lower) {
  if (lower < 'a' || lower > 'z') return {};
  return kLetterNames[static_cast<size_t>(lower - 'a')];
}

}  // namespace ttsd::frontend
