#include "ttsd/daemon/http-timestamps.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "ttsd/daemon/http-speech.h"

namespace ttsd::daemon {
namespace {

using json = nlohmann::json;

double Seconds(uint64_t samples, uint32_t rate_hz) {
  return std::round(static_cast<double>(samples) * 1000.0 / rate_hz) / 1000.0;
}

// Marks come from the engine as UTF-8; should one not be, it is replaced rather than thrown.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::vector<WordTimestamp> WordTimestamps(const protocol::Marks& marks, uint32_t rate_hz) {
  std::vector<WordTimestamp> out;
  if (rate_hz == 0) return out;
  for (const protocol::MarkInfo& m : marks.marks) {
    if (m.kind != protocol::MarkInfo::Kind::kWord) continue;
    out.push_back({m.text, Seconds(m.start, rate_hz), Seconds(m.end, rate_hz), m.text_begin, m.text_end});
  }
  return out;
}

std::string SseWordEvent(const WordTimestamp& w) {
  return "data: " +
         Dump({{"type", "speech.word"},
               {"word", w.word},
               {"start_time", w.start_s},
               {"end_time", w.end_s},
               {"text_begin", w.text_begin},
               {"text_end", w.text_end}}) +
         "\n\n";
}

std::string CaptionedJson(std::span<const uint8_t> audio, std::string_view audio_format,
                          const std::vector<WordTimestamp>& words) {
  json timestamps = json::array();
  for (const WordTimestamp& w : words) {
    timestamps.push_back({{"word", w.word}, {"start_time", w.start_s}, {"end_time", w.end_s}});
  }
  return Dump({{"audio", Base64(audio)}, {"audio_format", audio_format}, {"timestamps", timestamps}});
}

}  // namespace ttsd::daemon
