// Fuzzes the native protocol's FrameDecoder (protocol/include/ttsd/protocol/frame.h) the way a
// session feeds it: a client's bytes in reads of any size. Checks, beyond the sanitizers: the same
// frames and the same error whatever the read size, each frame re-encodes to the bytes it came
// from, an error is final, and the decoder never holds more than one frame plus one read.
// Input: byte 0 picks the read size (1..128) and the payload cap (the server's, or 64 bytes so
// that kFrameTooLarge is cheap to reach); the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fuzz-check.h"
#include "ttsd/protocol/frame.h"
#include "ttsd/protocol/messages.h"

namespace {

using namespace ttsd;
using namespace ttsd::protocol;

struct Decoded {
  std::vector<Frame> frames;
  std::optional<ErrorCode> error;
};

Decoded DecodeAll(std::span<const uint8_t> stream, size_t read_bytes, uint32_t cap) {
  FrameDecoder decoder(cap);
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
      out.frames.push_back(std::move(**next));
    }
    FUZZ_CHECK(decoder.buffered_bytes() <= kHeaderBytes + cap + read_bytes, "the decoder holds more than a frame");
  }
  if (out.error) {
    decoder.Feed(stream);  // more bytes after an error change nothing
    auto again = decoder.Next();
    FUZZ_CHECK(!again && again.error().code == *out.error, "an error was not final");
  }
  return out;
}

bool SameFrames(const std::vector<Frame>& a, const std::vector<Frame>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const FrameHeader &x = a[i].header, &y = b[i].header;
    if (x.payload_bytes != y.payload_bytes || x.type != y.type || x.flags != y.flags ||
        x.request_id != y.request_id || a[i].payload != b[i].payload) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t read_bytes = data[0] % 128 + 1;
  const uint32_t cap = (data[0] & 0x80) ? 64 : kMaxClientPayloadBytes;
  const std::span<const uint8_t> stream(data + 1, size - 1);

  const Decoded whole = DecodeAll(stream, stream.size() ? stream.size() : 1, cap);
  const Decoded pieces = DecodeAll(stream, read_bytes, cap);
  FUZZ_CHECK(SameFrames(whole.frames, pieces.frames), "reads of another size gave other frames");
  FUZZ_CHECK(whole.error == pieces.error, "reads of another size gave another error");

  // The frames are the stream's first bytes, re-encoded exactly.
  size_t pos = 0;
  for (const Frame& f : whole.frames) {
    FUZZ_CHECK(f.payload.size() == f.header.payload_bytes, "payload length differs from the header's");
    const std::vector<uint8_t> bytes = EncodeFrame(f.header.type, f.header.flags, f.header.request_id, f.payload);
    FUZZ_CHECK(pos + bytes.size() <= stream.size() && std::equal(bytes.begin(), bytes.end(), stream.begin() + pos),
               "a frame does not re-encode to its bytes");
    pos += bytes.size();
    // The binary payloads a peer reads without JSON.
    if (f.header.type == FrameType::kAudio) {
      std::span<const uint8_t> pcm;
      if (auto h = ParseAudioHeader(f.payload, &pcm)) {
        std::vector<uint8_t> expected = f.payload;
        expected[6] = expected[7] = 0;  // reserved: receivers ignore it, senders write 0
        FUZZ_CHECK(SerializeAudio(*h, pcm) == expected, "an audio payload does not re-encode to its bytes");
      }
    }
    if (f.header.type == FrameType::kText) (void)ParseText(f.payload);
  }
  return 0;
}
