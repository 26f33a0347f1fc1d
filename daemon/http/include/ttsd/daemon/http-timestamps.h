// Word timestamps of a speech response, from the daemon's marks frames: OpenAI-style server-sent
// events (speech.word) and Kokoro-FastAPI's captioned speech objects ({"audio", "audio_format",
// "timestamps": [{"word", "start_time", "end_time"}]}).
//   auto words = WordTimestamps(*protocol::ParseMarks(frame.payload), accepted.sample_rate);
//   for (const auto& w : words) out += SseWordEvent(w);
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

struct WordTimestamp {
  std::string word;                       // the mark's text: the word as read
  double start_s = 0, end_s = 0;          // in the response's audio, rounded to the millisecond
  uint64_t text_begin = 0, text_end = 0;  // bytes of the input
};

// The word marks among marks (sentences and phones are left out), their samples at rate_hz in
// seconds. rate_hz 0 gives none.
std::vector<WordTimestamp> WordTimestamps(const protocol::Marks& marks, uint32_t rate_hz);

// One server-sent event: data: {"type": "speech.word", "word", "start_time", "end_time",
// "text_begin", "text_end"}, then a blank line.
std::string SseWordEvent(const WordTimestamp& word);

// One captioned speech object (no newline): audio as base64, audio_format its media type, and
// timestamps [{"word", "start_time", "end_time"}].
std::string CaptionedJson(std::span<const uint8_t> audio, std::string_view audio_format,
                          const std::vector<WordTimestamp>& words);

}  // namespace ttsd::daemon
