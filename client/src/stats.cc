#include "ttsd/client/stats.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace ttsd::client {
namespace {

// Milliseconds and seconds to three decimals: enough for a human, stable for a diff.
double Round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

std::optional<double> RequestStats::real_time_factor() const {
  if (audio_s <= 0) return std::nullopt;
  return wall_s / audio_s;
}

std::string RequestStats::ToJsonLine() const {
  nlohmann::ordered_json j;
  j["request_id"] = request_id;
  j["voice"] = voice;
  j["speaker"] = speaker;
  j["sample_rate"] = sample_rate_hz;
  j["channels"] = channels;
  j["ttfa_ms"] = ttfa_ms ? nlohmann::ordered_json(Round3(*ttfa_ms)) : nlohmann::ordered_json(nullptr);
  j["audio_s"] = Round3(audio_s);
  j["wall_s"] = Round3(wall_s);
  auto rtf = real_time_factor();
  j["rtf"] = rtf ? nlohmann::ordered_json(Round3(*rtf)) : nlohmann::ordered_json(nullptr);
  j["chunks"] = chunks;
  j["samples"] = samples;
  j["status"] = status;
  if (underruns) j["underruns"] = *underruns;
  if (played_s) j["played_s"] = Round3(*played_s);
  if (device_underflows) j["device_underflows"] = *device_underflows;
  if (prefill_ms) j["prefill_ms"] = Round3(*prefill_ms);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace ttsd::client
