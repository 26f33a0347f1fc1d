// Fuzzes the Wyoming event decoder (daemon/wyoming/include/ttsd/daemon/wyoming-event.h) the way a Wyoming
// session feeds it: a client's bytes in reads of any size. Checks, beyond the sanitizers: the same
// events and the same error whatever the read size, an error is final, and every event re-encoded
// with EncodeWyomingEvent decodes to itself.
// Input: byte 0 picks the read size (1..256); the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fuzz-check.h"
#include "ttsd/daemon/wyoming-event.h"

namespace {

using namespace ttsd;
using namespace ttsd::daemon;

struct Decoded {
  std::vector<WyomingEvent> events;
  std::optional<ErrorCode> error;
};

Decoded DecodeAll(std::span<const uint8_t> stream, size_t read_bytes) {
  WyomingDecoder decoder;
  Decoded out;
  for (size_t pos = 0; pos < stream.size() && !out.error; pos += read_bytes) {
    decoder.Feed(stream.subspan(pos, std::min(read_bytes, stream.size() - pos)));
    for (;;) {
      auto next = decoder.Next();
      if (!next) {
        out.error = next.error().code;
        break;
      }
      if (!*next) break;
      out.events.push_back(std::move(**next));
    }
  }
  if (out.error) {
    decoder.Feed(stream);
    FUZZ_CHECK(!decoder.Next(), "an error was not final");
  }
  return out;
}

bool Same(const WyomingEvent& a, const WyomingEvent& b) {
  return a.type == b.type && a.data == b.data && a.payload == b.payload;
}

bool SameEvents(const std::vector<WyomingEvent>& a, const std::vector<WyomingEvent>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!Same(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t read_bytes = data[0] + 1;
  const std::span<const uint8_t> stream(data + 1, size - 1);

  const Decoded whole = DecodeAll(stream, stream.size() ? stream.size() : 1);
  const Decoded pieces = DecodeAll(stream, read_bytes);
  FUZZ_CHECK(SameEvents(whole.events, pieces.events), "reads of another size gave other events");
  FUZZ_CHECK(whole.error == pieces.error, "reads of another size gave another error");

  for (const WyomingEvent& event : whole.events) {
    FUZZ_CHECK(event.data.is_object(), "data is not an object");
    const std::vector<uint8_t> bytes = EncodeWyomingEvent(event.type, event.data, event.payload);
    WyomingDecoder decoder;
    decoder.Feed(bytes);
    auto again = decoder.Next();
    FUZZ_CHECK(again && *again && Same(**again, event), "a re-encoded event decodes to another");
    auto end = decoder.Next();
    FUZZ_CHECK(end && !*end, "a re-encoded event left bytes behind");
  }
  return 0;
}
