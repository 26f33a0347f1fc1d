// Fuzzes ElevenLabs' WebSocket API as ttsd reads it (daemon/http: elevenlabs-messages.h,
// elevenlabs-aligner.h): the input is one client message for ParseElevenLabsMessage, and also a query
// for ParseElevenLabsQuery; a message's text then goes through ElevenLabsAligner with word marks made
// from the input's bytes (any spans, overlapping, out of order, past the text) and audio chunks of
// varying length. Checks, beyond the sanitizers: an accepted message serializes to one that is
// accepted again and serializes the same (a fixed point); every refusal is the typed error
// (invalid_input_message, 1008, ElevenLabs' words, a JSON error body); an accepted query names a
// listed format at 8-48 kHz and a timeout of 1-180 s, a refused one is invalid_output_format or
// invalid_request; the aligner sends every character of the text exactly once and in order, whole
// UTF-8 characters, three arrays of one length, durations never negative, each message's last end its
// audio's end.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz-check.h"
#include "ttsd/daemon/elevenlabs-aligner.h"
#include "ttsd/daemon/elevenlabs-messages.h"

namespace {

using namespace ttsd::daemon;

void CheckError(const ElevenLabsError& e) {
  FUZZ_CHECK(e.close_code == kClosePolicy, "a refusal that does not close with 1008");
  const auto body = nlohmann::json::parse(e.Json(), nullptr, false);
  FUZZ_CHECK(body.is_object() && body["code"] == 1008 && body["error"] == e.error, "an error body of another shape");
}

void Query(std::string_view data) {
  auto q = ParseElevenLabsQuery("/v1/text-to-speech/v/stream-input?" + std::string(data));
  if (!q) {
    CheckError(q.error());
    FUZZ_CHECK(q.error().error == "invalid_output_format" || q.error().error == "invalid_request",
               "a query refused with another error");
    return;
  }
  const auto formats = ElevenLabsOutputFormats();
  FUZZ_CHECK(std::find(formats.begin(), formats.end(), q->output_format) != formats.end(), "an unlisted format");
  FUZZ_CHECK(q->audio.sample_rate >= 8000 && q->audio.sample_rate <= 48000, "a rate outside 8-48 kHz");
  FUZZ_CHECK(q->inactivity_timeout_s >= 1 && q->inactivity_timeout_s <= kElevenLabsMaxInactivityS, "a bad timeout");
}

bool IsLead(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

// The text through the aligner with marks and chunks drawn from `bytes`.
void Align(const std::string& text, std::string_view bytes) {
  ElevenLabsAligner a;
  std::string sent;
  size_t at = 0;
  auto next = [&]() -> uint8_t { return bytes.empty() ? 0 : static_cast<uint8_t>(bytes[at++ % bytes.size()]); };
  auto take = [&](const std::optional<ElevenLabsAlignment>& al, uint64_t span_ms) {
    if (!al) return;
    FUZZ_CHECK(!al->chars.empty(), "an alignment without characters");
    FUZZ_CHECK(al->chars.size() == al->start_ms.size() && al->chars.size() == al->duration_ms.size(),
               "arrays of different lengths");
    for (size_t i = 0; i < al->chars.size(); ++i) {
      const std::string& c = al->chars[i];
      FUZZ_CHECK(!c.empty() && IsLead(c[0]) && std::all_of(c.begin() + 1, c.end(), [](char b) { return !IsLead(b); }),
                 "a character that is not one whole UTF-8 character");
      FUZZ_CHECK(al->duration_ms[i] >= 0 && al->start_ms[i] >= 0, "a negative time");
      sent += c;
    }
    FUZZ_CHECK(static_cast<uint64_t>(al->start_ms.back() + al->duration_ms.back()) <= span_ms + 1,
               "a message's alignment ends after the audio it covers");
  };
  // The text arrives in two pieces; marks and chunks interleave.
  const size_t half = text.size() / 2;
  size_t cut = half;
  while (cut > 0 && cut < text.size() && !IsLead(text[cut])) --cut;
  a.AddText(std::string_view(text).substr(0, cut));
  uint64_t end = 0, covered = 0, sample = 0;
  for (int round = 0; round < 8; ++round) {
    if (round == 3) a.AddText(std::string_view(text).substr(cut));
    ttsd::protocol::Marks marks;
    for (int k = next() % 4; k > 0; --k) {
      ttsd::protocol::MarkInfo m;
      m.kind = next() % 3 == 0 ? ttsd::protocol::MarkInfo::Kind::kSentence : ttsd::protocol::MarkInfo::Kind::kWord;
      m.text_begin = next() % (text.size() + 3);
      m.text_end = m.text_begin + next() % 12;
      m.start = sample + next() * 4;
      m.end = m.start + next() * 4;
      sample = m.start;
      marks.marks.push_back(m);
    }
    a.AddMarks(marks);
    end += 1 + next() * 8;
    auto al = a.Take(end, 1000);  // 1 kHz: a sample is a millisecond
    take(al, end - covered);
    if (al) covered = end;
  }
  end += next();
  take(a.Finish(end, 1000), end - covered);
  FUZZ_CHECK(sent == text, "the characters sent are not the text, once and in order");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Query(input);
  auto m = ParseElevenLabsMessage(input);
  if (!m) {
    CheckError(m.error());
    FUZZ_CHECK(m.error().error == "invalid_input_message", "a message refused with another error");
    FUZZ_CHECK(m.error().message.starts_with("Could not parse input message"), "not ElevenLabs' words");
    return 0;
  }
  const std::string once = SerializeElevenLabsMessage(*m);
  auto again = ParseElevenLabsMessage(once);
  FUZZ_CHECK(again.has_value(), "a serialized message is refused");
  FUZZ_CHECK(SerializeElevenLabsMessage(*again) == once, "serializing is not a fixed point");
  FUZZ_CHECK(again->text == m->text && again->context_id == m->context_id && again->flush == m->flush &&
                 again->close_context == m->close_context && again->close_socket == m->close_socket &&
                 again->speed == m->speed && again->api_key == m->api_key,
             "a field changed on the way back");
  if (m->text && m->text->size() <= 4096) Align(*m->text, input);
  return 0;
}
