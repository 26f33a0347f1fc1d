// Fuzzes the native protocol's message bodies (protocol/include/ttsd/protocol/messages.h,
// voice-messages.h): every parser reads the input as a frame payload. Checks, beyond the
// sanitizers: what a parser accepts serializes to a body it accepts again, and that body is a
// fixed point (parse, serialize, parse, serialize gives the same bytes); IsValidUtf8 agrees with
// nlohmann_json's own UTF-8 check.
// Input: one payload (a JSON body; any bytes).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz-check.h"
#include "ttsd/protocol/messages.h"
#include "ttsd/protocol/voice-messages.h"

namespace {

using namespace ttsd::protocol;

// Parse -> Serialize -> Parse -> Serialize: the two bodies are equal.
template <typename Parse>
void RoundTrip(Parse parse, std::span<const uint8_t> payload, const char* what) {
  auto first = parse(payload);
  if (!first) return;
  const std::vector<uint8_t> body = Serialize(*first);
  auto second = parse(body);
  if (!second) {
    std::fprintf(stderr, "%s: serialized body refused: %s\n%.*s\n", what, second.error().ToString().c_str(),
                 static_cast<int>(body.size()), reinterpret_cast<const char*>(body.data()));
  }
  FUZZ_CHECK(second, what);
  const std::vector<uint8_t> again = Serialize(*second);
  if (again != body) {
    std::fprintf(stderr, "%s:\n%.*s\n%.*s\n", what, static_cast<int>(body.size()),
                 reinterpret_cast<const char*>(body.data()), static_cast<int>(again.size()),
                 reinterpret_cast<const char*>(again.data()));
  }
  FUZZ_CHECK(again == body, what);
}

bool NlohmannSaysUtf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> payload(data, size);
  RoundTrip(ParseHello, payload, "hello");
  RoundTrip(ParseWelcome, payload, "welcome");
  RoundTrip(ParseSynthesize, payload, "synthesize");
  RoundTrip(ParseAccepted, payload, "accepted");
  RoundTrip(ParseVoiceList, payload, "voices");
  RoundTrip(ParseErrorBody, payload, "error");
  RoundTrip(ParseListen, payload, "listen");
  RoundTrip(ParseChannelControl, payload, "channel_control");
  RoundTrip(ParseDone, payload, "done");
  RoundTrip(ParseChannelStatus, payload, "channel_status");
  RoundTrip(ParseVoiceAdd, payload, "voice_add");
  RoundTrip(ParseVoiceSaved, payload, "voice_saved");
  RoundTrip(ParseVoiceRemove, payload, "voice_remove");
  RoundTrip(ParseVoiceRemoved, payload, "voice_removed");
  RoundTrip(ParseMarks, payload, "marks");
  RoundTrip(ParseChannelEvent, payload, "channel_event");

  if (auto hello = ParseHello(payload)) (void)NegotiateVersion(*hello);
  const std::string text(payload.begin(), payload.end());
  FUZZ_CHECK(IsValidUtf8(text) == NlohmannSaysUtf8(text), "IsValidUtf8 disagrees with nlohmann_json");
  FUZZ_CHECK(ParseText(payload).has_value() == IsValidUtf8(text), "ParseText disagrees with IsValidUtf8");
  return 0;
}
