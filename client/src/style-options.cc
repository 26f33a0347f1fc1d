#include "ttsd/client/style-options.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

namespace ttsd::client {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// A whole string as a finite number, or nullopt.
std::optional<double> Number(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

Result<protocol::EmotionWeights> ParseEmotionSpec(std::string_view spec) {
  protocol::EmotionWeights w{};
  if (Trim(spec).empty()) return MakeError(ErrorCode::kBadRequest, "--emotion needs AXIS=VALUE, e.g. angry=0.8,sad=0.2");
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    std::string_view piece = Trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const size_t eq = piece.find('=');
    if (eq == std::string_view::npos) {
      return MakeError(ErrorCode::kBadRequest, "'" + std::string(piece) + "' is not AXIS=VALUE (e.g. angry=0.8)");
    }
    const std::string_view axis = Trim(piece.substr(0, eq));
    size_t i = 0;
    while (i < protocol::kEmotionAxes && protocol::kEmotionAxisNames[i] != axis) ++i;
    if (i == protocol::kEmotionAxes) {
      return MakeError(ErrorCode::kBadRequest, "unknown emotion '" + std::string(axis) + "'; the axes are " +
                                                   protocol::EmotionAxisList());
    }
    auto value = Number(Trim(piece.substr(eq + 1)));
    if (!value || *value < 0 || *value > protocol::kMaxEmotionWeight) {
      return MakeError(ErrorCode::kBadRequest, "emotion '" + std::string(axis) + "' needs a value from 0 to " +
                                                   protocol::LimitText(protocol::kMaxEmotionWeight) + ", not '" +
                                                   std::string(Trim(piece.substr(eq + 1))) + "'");
    }
    w[i] = *value;
  }
  return w;
}

Result<double> ParseDurationSpec(std::string_view spec) {
  std::string_view s = Trim(spec);
  double scale = 1;
  if (s.ends_with("ms")) {
    s.remove_suffix(2);
    scale = 0.001;
  } else if (s.ends_with('s')) {
    s.remove_suffix(1);
  }
  auto value = Number(s);
  if (!value) {
    return MakeError(ErrorCode::kBadRequest, "duration '" + std::string(spec) + "' is not a number of seconds (8, 8s, 1500ms)");
  }
  const double seconds = *value * scale;
  if (seconds <= 0 || seconds > protocol::kMaxDurationS) {
    return MakeError(ErrorCode::kBadRequest, "duration '" + std::string(spec) + "' must be more than 0 and at most " +
                                                   protocol::LimitText(protocol::kMaxDurationS) + " s");
  }
  return seconds;
}

Result<std::vector<uint8_t>> ReadReferenceFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return MakeError(ErrorCode::kBadRequest, path + " is a directory, not an audio file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read " + path + ": " + std::strerror(errno));
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxReferenceFileBytes) {
    return MakeError(ErrorCode::kBadRequest, path + " is " + std::to_string(size >> 20) + " MiB; a reference is a few seconds of speech");
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) return MakeError(ErrorCode::kBadRequest, path + " is empty");
  return bytes;
}

}  // namespace ttsd::client
