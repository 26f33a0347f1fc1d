// The 12-byte frame header and the streaming FrameDecoder (protocol/README.md, "Framing"), first
// on byte buffers, then over a real AF_UNIX socket pair with hand-built hostile frames.
#include "ttsd/protocol/frame.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <ostream>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ttsd/protocol/messages.h"
#include "ttsd/protocol/voice-messages.h"

namespace ttsd {
// Failure messages print "bad_request (5)" rather than raw bytes.
[[maybe_unused]] static void PrintTo(ErrorCode code, std::ostream* os) {
  *os << ErrorCodeName(code) << " (" << static_cast<int>(code) << ")";
}
}  // namespace ttsd

namespace ttsd::protocol {
namespace {

using Bytes = std::vector<uint8_t>;
using HeaderBytes = std::array<uint8_t, kHeaderBytes>;

constexpr FrameType kAllTypes[] = {
    FrameType::kHello,   FrameType::kSynthesize, FrameType::kText,  FrameType::kCancel,
    FrameType::kListVoices, FrameType::kPing,    FrameType::kWelcome, FrameType::kAccepted,
    FrameType::kAudio,   FrameType::kVoices,     FrameType::kPong,  FrameType::kError,
    FrameType::kListen,  FrameType::kChannelControl, FrameType::kDone, FrameType::kChannelStatus,
    FrameType::kReference, FrameType::kVoiceAdd, FrameType::kVoiceRemove, FrameType::kVoiceSaved,
    FrameType::kVoiceRemoved, FrameType::kMarks, FrameType::kChannelEvent,
};

// A header written byte by byte, as a client in another language would, with no library help.
HeaderBytes RawHeader(uint32_t payload_bytes, uint8_t type, uint8_t flags, uint32_t request_id, uint8_t reserved0 = 0,
                      uint8_t reserved1 = 0) {
  return {static_cast<uint8_t>(payload_bytes), static_cast<uint8_t>(payload_bytes >> 8),
          static_cast<uint8_t>(payload_bytes >> 16), static_cast<uint8_t>(payload_bytes >> 24),
          type, flags, reserved0, reserved1,
          static_cast<uint8_t>(request_id), static_cast<uint8_t>(request_id >> 8),
          static_cast<uint8_t>(request_id >> 16), static_cast<uint8_t>(request_id >> 24)};
}

Result<FrameHeader> Parse(const HeaderBytes& h, uint32_t cap = kMaxClientPayloadBytes) {
  return ParseHeader(std::span<const uint8_t, kHeaderBytes>(h), cap);
}

Bytes Cat(std::initializer_list<std::span<const uint8_t>> parts) {
  Bytes out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Str(std::string_view s) { return Bytes(s.begin(), s.end()); }

void ExpectSameFrame(const Frame& a, const Frame& b) {
  EXPECT_EQ(a.header.payload_bytes, b.header.payload_bytes);
  EXPECT_EQ(a.header.type, b.header.type);
  EXPECT_EQ(a.header.flags, b.header.flags);
  EXPECT_EQ(a.header.request_id, b.header.request_id);
  EXPECT_EQ(a.payload, b.payload);
}

// Drains every complete frame; returns the error if framing broke.
std::optional<Error> DrainInto(FrameDecoder& d, std::vector<Frame>* out) {
  for (;;) {
    auto next = d.Next();
    if (!next) return next.error();
    if (!*next) return std::nullopt;
    out->push_back(std::move(**next));
  }
}

// A deterministic stream of many frames of every type, with payloads of assorted sizes.
struct Stream {
  Bytes bytes;
  std::vector<Frame> frames;
};

Stream ManyFrames(int count, uint32_t seed) {
  std::mt19937 rng(seed);
  Stream s;
  for (int i = 0; i < count; ++i) {
    Frame f;
    f.header.type = kAllTypes[rng() % std::size(kAllTypes)];
    f.header.flags = static_cast<uint8_t>(rng());
    f.header.request_id = rng();
    size_t size = 0;
    switch (rng() % 4) {
      case 0: size = 0; break;
      case 1: size = rng() % 16; break;
      case 2: size = rng() % 600; break;
      default: size = rng() % 9000; break;
    }
    f.payload.resize(size);
    for (auto& b : f.payload) b = static_cast<uint8_t>(rng());
    f.header.payload_bytes = static_cast<uint32_t>(size);
    Bytes enc = EncodeFrame(f.header.type, f.header.flags, f.header.request_id, f.payload);
    s.bytes.insert(s.bytes.end(), enc.begin(), enc.end());
    s.frames.push_back(std::move(f));
  }
  return s;
}

// ---- constants and frame types -------------------------------------------------------------

TEST(FrameConstants, ArePinned) {
  EXPECT_EQ(kHeaderBytes, 12u);
  EXPECT_EQ(kMaxClientPayloadBytes, 1048576u);
  EXPECT_EQ(kMaxServerPayloadBytes, 4194304u);
  EXPECT_EQ(kFlagFinal, 0x01);
  EXPECT_EQ(kFlagLast, 0x01);
  EXPECT_EQ(kFlagEndOfFile, 0x01);
  EXPECT_EQ(kFlagEmotion, 0x02);
}

TEST(FrameType, NumbersArePinnedBecauseTheyAreOnTheWire) {
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kHello), 0x01);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kSynthesize), 0x02);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kText), 0x03);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kCancel), 0x04);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kListVoices), 0x05);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kPing), 0x06);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kWelcome), 0x81);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kAccepted), 0x82);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kAudio), 0x83);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kVoices), 0x85);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kPong), 0x86);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kError), 0x8F);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kListen), 0x07);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kChannelControl), 0x08);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kDone), 0x84);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kChannelStatus), 0x87);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kReference), 0x09);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kVoiceAdd), 0x0A);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kVoiceRemove), 0x0B);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kVoiceSaved), 0x88);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kVoiceRemoved), 0x89);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kMarks), 0x8A);
  EXPECT_EQ(static_cast<uint8_t>(FrameType::kChannelEvent), 0x8B);
}

TEST(FrameType, VersionTwoAddedTheSavedVoiceFrames) {
  for (FrameType t : {FrameType::kReference, FrameType::kVoiceAdd, FrameType::kVoiceRemove, FrameType::kVoiceSaved,
                      FrameType::kVoiceRemoved}) {
    EXPECT_EQ(FrameTypeVersion(t), 2u) << int(t);
  }
  for (FrameType t : {FrameType::kHello, FrameType::kSynthesize, FrameType::kText, FrameType::kListen,
                      FrameType::kChannelControl, FrameType::kDone, FrameType::kChannelStatus, FrameType::kError}) {
    EXPECT_EQ(FrameTypeVersion(t), 1u) << int(t);
  }
  EXPECT_EQ(FrameTypeVersion(FrameType::kMarks), 3u);
  EXPECT_EQ(FrameTypeVersion(FrameType::kChannelEvent), 3u);
}

TEST(FrameType, ExactlyTheDefinedTypesAreKnown) {
  int known = 0;
  for (int t = 0; t < 256; ++t) {
    bool expected = false;
    for (FrameType k : kAllTypes) expected |= static_cast<int>(k) == t;
    EXPECT_EQ(IsKnownFrameType(static_cast<uint8_t>(t)), expected) << "type " << t;
    known += IsKnownFrameType(static_cast<uint8_t>(t));
  }
  EXPECT_EQ(known, 23);
}

TEST(FrameType, HighBitMarksServerFrames) {
  for (FrameType t : {FrameType::kHello, FrameType::kSynthesize, FrameType::kText, FrameType::kCancel,
                      FrameType::kListVoices, FrameType::kPing, FrameType::kReference, FrameType::kVoiceAdd,
                      FrameType::kVoiceRemove}) {
    EXPECT_TRUE(IsClientFrameType(t)) << int(t);
  }
  for (FrameType t : {FrameType::kWelcome, FrameType::kAccepted, FrameType::kAudio, FrameType::kVoices,
                      FrameType::kPong, FrameType::kError, FrameType::kVoiceSaved, FrameType::kVoiceRemoved}) {
    EXPECT_FALSE(IsClientFrameType(t)) << int(t);
  }
}

// ---- header encode / parse -----------------------------------------------------------------

TEST(EncodeHeader, WritesLittleEndianFieldsAtFixedOffsets) {
  HeaderBytes out;
  out.fill(0xEE);  // every byte must be overwritten
  EncodeHeader({0x04030201, FrameType::kAudio, 0xA5, 0xDDCCBBAA}, out);
  const HeaderBytes expected = {0x01, 0x02, 0x03, 0x04, 0x83, 0xA5, 0x00, 0x00, 0xAA, 0xBB, 0xCC, 0xDD};
  EXPECT_EQ(out, expected);
}

TEST(ParseHeader, ReadsEveryField) {
  auto h = Parse(RawHeader(0x000A0B0C, 0x02, 0x81, 0x11223344));
  ASSERT_TRUE(h) << h.error().ToString();
  EXPECT_EQ(h->payload_bytes, 0x000A0B0Cu);
  EXPECT_EQ(h->type, FrameType::kSynthesize);
  EXPECT_EQ(h->flags, 0x81);
  EXPECT_EQ(h->request_id, 0x11223344u);
}

TEST(ParseHeader, RequestIdUsesAllFourBytes) {
  for (uint32_t id : {0u, 1u, 0xFFu, 0x100u, 0x10000u, 0x1000000u, 0x80000000u, 0xFFFFFFFFu}) {
    auto h = Parse(RawHeader(0, 0x06, 0, id));
    ASSERT_TRUE(h);
    EXPECT_EQ(h->request_id, id);
  }
}

TEST(ParseHeader, AcceptsEveryFlagsValue) {
  // Flags are per type; undefined bits are passed through for the receiver to ignore.
  for (int flags = 0; flags < 256; ++flags) {
    auto h = Parse(RawHeader(0, 0x03, static_cast<uint8_t>(flags), 7));
    ASSERT_TRUE(h) << flags;
    EXPECT_EQ(h->flags, flags);
  }
}

TEST(ParseHeader, EveryKnownTypeRoundTrips) {
  for (FrameType t : kAllTypes) {
    for (uint32_t id : {0u, 1u, 42u, 0xFFFFFFFFu}) {
      for (uint8_t flags : {uint8_t{0}, kFlagFinal, uint8_t{0xFF}}) {
        FrameHeader in{1234, t, flags, id};
        HeaderBytes bytes;
        EncodeHeader(in, bytes);
        auto out = Parse(bytes);
        ASSERT_TRUE(out) << out.error().ToString();
        EXPECT_EQ(out->payload_bytes, in.payload_bytes);
        EXPECT_EQ(out->type, in.type);
        EXPECT_EQ(out->flags, in.flags);
        EXPECT_EQ(out->request_id, in.request_id);
      }
    }
  }
}

TEST(ParseHeader, NonZeroReservedBytesAreMalformed) {
  for (int bit = 0; bit < 8; ++bit) {
    const uint8_t v = static_cast<uint8_t>(1u << bit);
    auto a = Parse(RawHeader(0, 0x06, 0, 1, v, 0));
    auto b = Parse(RawHeader(0, 0x06, 0, 1, 0, v));
    ASSERT_FALSE(a);
    ASSERT_FALSE(b);
    EXPECT_EQ(a.error().code, ErrorCode::kMalformedFrame);
    EXPECT_EQ(b.error().code, ErrorCode::kMalformedFrame);
  }
}

TEST(ParseHeader, UnknownTypesAreRejected) {
  for (int t = 0; t < 256; ++t) {
    if (IsKnownFrameType(static_cast<uint8_t>(t))) continue;
    auto h = Parse(RawHeader(0, static_cast<uint8_t>(t), 0, 1));
    ASSERT_FALSE(h) << t;
    EXPECT_EQ(h.error().code, ErrorCode::kUnknownFrameType) << t;
  }
}

TEST(ParseHeader, PayloadCapIsInclusive) {
  auto at = Parse(RawHeader(kMaxClientPayloadBytes, 0x02, 0, 1));
  ASSERT_TRUE(at);
  EXPECT_EQ(at->payload_bytes, kMaxClientPayloadBytes);

  auto over = Parse(RawHeader(kMaxClientPayloadBytes + 1, 0x02, 0, 1));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kFrameTooLarge);

  auto huge = Parse(RawHeader(0xFFFFFFFF, 0x02, 0, 1));
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, ErrorCode::kFrameTooLarge);

  // The client-side cap is larger.
  EXPECT_TRUE(Parse(RawHeader(kMaxServerPayloadBytes, 0x83, 0, 1), kMaxServerPayloadBytes));
  EXPECT_FALSE(Parse(RawHeader(kMaxServerPayloadBytes + 1, 0x83, 0, 1), kMaxServerPayloadBytes));
}

TEST(ParseHeader, CapOfZeroAllowsOnlyEmptyPayloads) {
  EXPECT_TRUE(Parse(RawHeader(0, 0x06, 0, 1), 0));
  auto one = Parse(RawHeader(1, 0x06, 0, 1), 0);
  ASSERT_FALSE(one);
  EXPECT_EQ(one.error().code, ErrorCode::kFrameTooLarge);
}

// ---- EncodeFrame ---------------------------------------------------------------------------

TEST(EncodeFrame, IsHeaderThenPayload) {
  const Bytes payload = Str("hello");
  Bytes f = EncodeFrame(FrameType::kText, kFlagFinal, 9, payload);
  const Bytes expected = {5, 0, 0, 0, 0x03, 0x01, 0, 0, 9, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(f, expected);
}

TEST(EncodeFrame, EmptyPayloadIsJustTheHeader) {
  Bytes f = EncodeFrame(FrameType::kCancel, 0, 0x01020304, {});
  const Bytes expected = {0, 0, 0, 0, 0x04, 0, 0, 0, 4, 3, 2, 1};
  EXPECT_EQ(f, expected);
}

// ---- FrameDecoder --------------------------------------------------------------------------

TEST(FrameDecoder, EmptyDecoderWantsMore) {
  FrameDecoder d(kMaxClientPayloadBytes);
  auto n = d.Next();
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->has_value());
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

TEST(FrameDecoder, DecodesOneFrame) {
  FrameDecoder d(kMaxClientPayloadBytes);
  d.Feed(EncodeFrame(FrameType::kSynthesize, 0, 5, Str("{\"text\":\"hi\"}")));
  auto n = d.Next();
  ASSERT_TRUE(n);
  ASSERT_TRUE(n->has_value());
  EXPECT_EQ((*n)->header.type, FrameType::kSynthesize);
  EXPECT_EQ((*n)->header.request_id, 5u);
  EXPECT_EQ((*n)->header.payload_bytes, 13u);
  EXPECT_EQ((*n)->payload, Str("{\"text\":\"hi\"}"));
  EXPECT_EQ(d.buffered_bytes(), 0u);
  auto again = d.Next();
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
}

TEST(FrameDecoder, TruncatedHeaderWaitsForMore) {
  const Bytes frame = EncodeFrame(FrameType::kPing, 0, 77, {});
  for (size_t cut = 0; cut < kHeaderBytes; ++cut) {
    FrameDecoder d(kMaxClientPayloadBytes);
    d.Feed(std::span(frame).first(cut));
    auto n = d.Next();
    ASSERT_TRUE(n) << cut;
    EXPECT_FALSE(n->has_value()) << cut;
    EXPECT_EQ(d.buffered_bytes(), cut);
    d.Feed(std::span(frame).subspan(cut));
    auto done = d.Next();
    ASSERT_TRUE(done && done->has_value()) << cut;
    EXPECT_EQ((*done)->header.request_id, 77u);
  }
}

TEST(FrameDecoder, TruncatedPayloadWaitsForMore) {
  const Bytes payload(1000, 0x5A);
  const Bytes frame = EncodeFrame(FrameType::kText, 0, 3, payload);
  for (size_t cut : {size_t{12}, size_t{13}, size_t{500}, frame.size() - 1}) {
    FrameDecoder d(kMaxClientPayloadBytes);
    d.Feed(std::span(frame).first(cut));
    for (int i = 0; i < 3; ++i) {  // asking again changes nothing
      auto n = d.Next();
      ASSERT_TRUE(n) << cut;
      EXPECT_FALSE(n->has_value()) << cut;
    }
    EXPECT_EQ(d.buffered_bytes(), cut);
    d.Feed(std::span(frame).subspan(cut));
    auto done = d.Next();
    ASSERT_TRUE(done && done->has_value()) << cut;
    EXPECT_EQ((*done)->payload, payload);
  }
}

TEST(FrameDecoder, ByteAtATimeEqualsAllAtOnce) {
  const Stream s = ManyFrames(400, 1234);
  FrameDecoder whole(kMaxClientPayloadBytes);
  whole.Feed(s.bytes);
  std::vector<Frame> a;
  ASSERT_FALSE(DrainInto(whole, &a));

  FrameDecoder trickle(kMaxClientPayloadBytes);
  std::vector<Frame> b;
  for (uint8_t byte : s.bytes) {
    trickle.Feed(std::span<const uint8_t>(&byte, 1));
    ASSERT_FALSE(DrainInto(trickle, &b));
  }

  ASSERT_EQ(a.size(), s.frames.size());
  ASSERT_EQ(b.size(), s.frames.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameFrame(a[i], s.frames[i]);
    ExpectSameFrame(b[i], s.frames[i]);
  }
  EXPECT_EQ(whole.buffered_bytes(), 0u);
  EXPECT_EQ(trickle.buffered_bytes(), 0u);
}

TEST(FrameDecoder, RandomSplitsEqualAllAtOnce) {
  const Stream s = ManyFrames(300, 99);
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    FrameDecoder d(kMaxClientPayloadBytes);
    std::vector<Frame> got;
    size_t pos = 0;
    while (pos < s.bytes.size()) {
      size_t n = std::min<size_t>(s.bytes.size() - pos, 1 + rng() % 20000);
      d.Feed(std::span(s.bytes).subspan(pos, n));
      pos += n;
      // Sometimes feed twice before draining: the decoder must not care.
      if (rng() % 3 == 0) continue;
      ASSERT_FALSE(DrainInto(d, &got));
    }
    ASSERT_FALSE(DrainInto(d, &got));
    ASSERT_EQ(got.size(), s.frames.size()) << "round " << round;
    for (size_t i = 0; i < got.size(); ++i) ExpectSameFrame(got[i], s.frames[i]);
    EXPECT_EQ(d.buffered_bytes(), 0u);
  }
}

TEST(FrameDecoder, HugeLengthIsRejectedFromTheHeaderAlone) {
  // A header announcing 4 GiB: the decoder must fail as soon as it has the 12 header bytes,
  // without waiting for (or reserving room for) the payload.
  FrameDecoder d(kMaxClientPayloadBytes);
  const HeaderBytes h = RawHeader(0xFFFFFFFF, 0x02, 0, 1);
  d.Feed(h);
  auto n = d.Next();
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, ErrorCode::kFrameTooLarge);
  EXPECT_EQ(d.buffered_bytes(), kHeaderBytes);
}

TEST(FrameDecoder, OverCapByOneIsRejectedAndAtCapIsDelivered) {
  {
    FrameDecoder d(kMaxClientPayloadBytes);
    d.Feed(RawHeader(kMaxClientPayloadBytes + 1, 0x02, 0, 1));
    auto n = d.Next();
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, ErrorCode::kFrameTooLarge);
  }
  {
    FrameDecoder d(kMaxClientPayloadBytes);
    Bytes payload(kMaxClientPayloadBytes, 0x42);
    d.Feed(EncodeFrame(FrameType::kText, kFlagFinal, 2, payload));
    auto n = d.Next();
    ASSERT_TRUE(n);
    ASSERT_TRUE(n->has_value());
    EXPECT_EQ((*n)->payload.size(), kMaxClientPayloadBytes);
  }
}

TEST(FrameDecoder, ErrorIsStickyAndLaterBytesAreDropped) {
  FrameDecoder d(kMaxClientPayloadBytes);
  d.Feed(RawHeader(0, 0x06, 0, 1, /*reserved0=*/1));
  auto first = d.Next();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kMalformedFrame);
  const size_t buffered = d.buffered_bytes();

  // A perfectly good frame afterwards does not resynchronise the stream.
  d.Feed(EncodeFrame(FrameType::kPing, 0, 2, {}));
  EXPECT_EQ(d.buffered_bytes(), buffered);
  for (int i = 0; i < 5; ++i) {
    auto again = d.Next();
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, first.error().code);
    EXPECT_EQ(again.error().message, first.error().message);
  }
}

TEST(FrameDecoder, FramesBeforeABadOneAreDelivered) {
  Bytes stream = Cat({EncodeFrame(FrameType::kHello, 0, 0, Str("{}")), EncodeFrame(FrameType::kPing, 0, 1, {}),
                      RawHeader(0, 0x0C, 0, 2), EncodeFrame(FrameType::kPing, 0, 3, {})});
  FrameDecoder d(kMaxClientPayloadBytes);
  d.Feed(stream);
  std::vector<Frame> got;
  auto err = DrainInto(d, &got);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, ErrorCode::kUnknownFrameType);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].header.type, FrameType::kHello);
  EXPECT_EQ(got[1].header.type, FrameType::kPing);
}

TEST(FrameDecoder, EachHostileHeaderGivesItsCode) {
  struct Case {
    const char* what;
    HeaderBytes header;
    ErrorCode code;
  };
  const Case cases[] = {
      {"type 0", RawHeader(0, 0x00, 0, 1), ErrorCode::kUnknownFrameType},
      {"type 0x0C", RawHeader(0, 0x0C, 0, 1), ErrorCode::kUnknownFrameType},
      {"type 0x8C (gap)", RawHeader(0, 0x8C, 0, 1), ErrorCode::kUnknownFrameType},
      {"type 0xFF", RawHeader(0, 0xFF, 0, 1), ErrorCode::kUnknownFrameType},
      {"reserved byte 6", RawHeader(0, 0x06, 0, 1, 0x80, 0), ErrorCode::kMalformedFrame},
      {"reserved byte 7", RawHeader(0, 0x06, 0, 1, 0, 0x01), ErrorCode::kMalformedFrame},
      {"2 MiB", RawHeader(2u << 20, 0x02, 0, 1), ErrorCode::kFrameTooLarge},
      {"4 GiB - 1", RawHeader(0xFFFFFFFF, 0x03, 0, 1), ErrorCode::kFrameTooLarge},
  };
  for (const Case& c : cases) {
    FrameDecoder d(kMaxClientPayloadBytes);
    d.Feed(c.header);
    auto n = d.Next();
    ASSERT_FALSE(n) << c.what;
    EXPECT_EQ(n.error().code, c.code) << c.what;
    EXPECT_FALSE(n.error().message.empty()) << c.what;
  }
}

TEST(FrameDecoder, RandomGarbageNeverCrashesAndBuffersAtMostOneFrame) {
  std::mt19937 rng(2024);
  for (int round = 0; round < 2000; ++round) {
    Bytes junk(rng() % 200);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    // Make valid-looking headers likely so that the payload path is exercised too.
    if (junk.size() >= kHeaderBytes && rng() % 2) {
      junk[4] = static_cast<uint8_t>(kAllTypes[rng() % std::size(kAllTypes)]);
      junk[6] = junk[7] = 0;
      junk[2] = junk[3] = 0;
    }
    FrameDecoder d(1024);
    std::vector<Frame> got;
    size_t pos = 0;
    std::optional<Error> err;
    while (pos < junk.size() && !err) {
      size_t n = std::min<size_t>(junk.size() - pos, 1 + rng() % 13);
      d.Feed(std::span(junk).subspan(pos, n));
      pos += n;
      err = DrainInto(d, &got);
    }
    size_t consumed = 0;
    for (const Frame& f : got) {
      EXPECT_LE(f.payload.size(), 1024u);
      EXPECT_EQ(f.payload.size(), f.header.payload_bytes);
      consumed += kHeaderBytes + f.payload.size();
    }
    if (!err) {
      EXPECT_EQ(consumed + d.buffered_bytes(), junk.size());
    }
  }
}

// ---- the worked examples of protocol/README.md, byte for byte ------------------------------

TEST(ReadmeExamples, HelloFrame) {
  const Bytes wire = {0x31, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  const std::string json = R"({"min_version":1,"max_version":1,"client":"demo"})";
  EXPECT_EQ(EncodeFrame(FrameType::kHello, 0, 0, Str(json)), Cat({wire, Str(json)}));
  FrameDecoder d(kMaxClientPayloadBytes);
  d.Feed(Cat({wire, Str(json)}));
  auto f = d.Next();
  ASSERT_TRUE(f && f->has_value());
  auto hello = ParseHello((*f)->payload);
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->client, "demo");
}

TEST(ReadmeExamples, SynthesizeFrame) {
  const Bytes wire = {0x26, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  const std::string json = R"({"text":"Hello.","voice":"fixture-ar"})";
  EXPECT_EQ(EncodeFrame(FrameType::kSynthesize, 0, 1, Str(json)), Cat({wire, Str(json)}));
  auto req = ParseSynthesize(Str(json));
  ASSERT_TRUE(req);
  EXPECT_EQ(req->voice, "fixture-ar");
  EXPECT_TRUE(req->final);
}

TEST(ReadmeExamples, AudioFrame) {
  const Bytes wire = {0x18, 0x00, 0x00, 0x00, 0x83, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                      0x80, 0x3e, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0xf0, 0xff, 0x00, 0x01};
  const Bytes pcm = {0x00, 0x00, 0x10, 0x00, 0xf0, 0xff, 0x00, 0x01};
  EXPECT_EQ(EncodeFrame(FrameType::kAudio, 0, 1, SerializeAudio({16000, SampleFormat::kS16Le, 1, 0}, pcm)), wire);
}

TEST(ReadmeExamples, ExchangeHeadersAndBodies) {
  // Server frames as the reference implementation writes them (keys in sorted order).
  EXPECT_EQ(EncodeFrame(FrameType::kWelcome, 0, 0, Serialize(Welcome{1, "ttsd 0.1.0", kMaxClientPayloadBytes})),
            Cat({RawHeader(0x3f, 0x81, 0, 0),
                 Str(R"({"max_payload_bytes":1048576,"server":"ttsd 0.1.0","version":1})")}));
  EXPECT_EQ(Serialize(Accepted{"fixture-ar", "alpha", 16000, SampleFormat::kS16Le, 1, ""}),
            Str(R"({"channels":1,"sample_format":"s16le","sample_rate":16000,"speaker":"alpha","voice":"fixture-ar"})"));
  EXPECT_EQ(Serialize(Accepted{"fixture-ar", "alpha", 16000, SampleFormat::kS16Le, 1, ""}).size(), 0x61u);
  EXPECT_EQ(Serialize(ErrorBody{ErrorCode::kCancelled, "request cancelled"}),
            Str(R"({"code":13,"message":"request cancelled","name":"cancelled"})"));
  EXPECT_EQ(Serialize(ErrorBody{ErrorCode::kCancelled, "request cancelled"}).size(), 0x3cu);
  EXPECT_EQ(Str(R"({"text":"Hello, ","final":false,"sample_format":"f32le"})").size(), 0x38u);
  EXPECT_EQ(kAudioHeaderBytes + 800 * 4, 0x0c90u);
  auto refused = NegotiateVersion(Hello{4, 5, ""});
  ASSERT_FALSE(refused);
  EXPECT_EQ(Serialize(ErrorBody{refused.error().code, refused.error().message}).size(), 0x63u);
}

TEST(ReadmeExamples, MarksFrame) {
  const Bytes wire = {0x5e, 0x00, 0x00, 0x00, 0x8a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  const std::string json = R"({"marks":[{"end":7000,"kind":"word","start":2800,"text":"Hello","text_begin":0,"text_end":5}]})";
  Marks marks{{{MarkInfo::Kind::kWord, "Hello", 0, 5, 2800, 7000}}};
  EXPECT_EQ(EncodeFrame(FrameType::kMarks, 0, 1, Serialize(marks)), Cat({wire, Str(json)}));
  EXPECT_EQ(ParseMarks(Str(json)).value().marks, marks.marks);
}

TEST(ReadmeExamples, VoiceAddAndReferenceFrames) {
  const Bytes wire = {0x1e, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00};
  const std::string json = R"({"name":"anna","references":2})";
  EXPECT_EQ(EncodeFrame(FrameType::kVoiceAdd, 0, 5, Serialize(VoiceAdd{"anna", "", 2, false})), Cat({wire, Str(json)}));
  auto add = ParseVoiceAdd(Str(json));
  ASSERT_TRUE(add);
  EXPECT_EQ(add->references, 2u);

  HeaderBytes first, second, emotion;
  EncodeHeader({1048576, FrameType::kReference, 0, 5}, first);
  EncodeHeader({451424, FrameType::kReference, kFlagEndOfFile, 5}, second);
  EncodeHeader({0, FrameType::kReference, kFlagEndOfFile | kFlagEmotion, 7}, emotion);
  EXPECT_EQ(first, RawHeader(0x00100000, 0x09, 0x00, 5));
  EXPECT_EQ(second, RawHeader(0x0006e360, 0x09, 0x01, 5));
  EXPECT_EQ(emotion[5], 0x03);

  const std::string saved = R"({"name":"anna","references":2,"seconds":7.5,"voice":"fixture-style"})";
  EXPECT_EQ(Serialize(VoiceSaved{"anna", "fixture-style", 2, 7.5}), Str(saved));
  EXPECT_EQ(saved.size(), 0x44u);
  SynthesizeRequest styled;
  styled.voice = "anna";
  styled.text = "Hello.";
  styled.duration_s = 2;
  styled.emotion = EmotionWeights{0, 0.8, 0.2};
  auto parsed = ParseSynthesize(Str(R"({"duration":2,"emotion":{"angry":0.8,"sad":0.2},"text":"Hello.","voice":"anna"})"));
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->emotion, styled.emotion);
  EXPECT_EQ(parsed->duration_s, 2.0);
}

// ---- over a real socket pair -------------------------------------------------------------

class SocketPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0) << std::strerror(errno);
    client_ = fds[0];
    server_ = fds[1];
  }
  void TearDown() override {
    if (client_ >= 0) close(client_);
    if (server_ >= 0) close(server_);
  }

  // MSG_NOSIGNAL: a writer whose reader has gone gets EPIPE, not a process-killing SIGPIPE.
  static bool SendAll(int fd, std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return true;
  }
  static void WriteAll(int fd, std::span<const uint8_t> bytes) { ASSERT_TRUE(SendAll(fd, bytes)) << std::strerror(errno); }

  // Declared after a writer thread, so that it runs first on every exit path: a writer blocked on
  // a full socket then fails instead of hanging the test in the thread's join.
  struct UnblockWriterOnExit {
    int fd;
    ~UnblockWriterOnExit() { shutdown(fd, SHUT_RDWR); }
  };

  void CloseClient() {
    close(client_);
    client_ = -1;
  }

  struct Pumped {
    std::vector<Frame> frames;
    std::optional<Error> error;
    bool eof = false;
    bool timed_out = false;
  };

  // Reads the server end in pieces of read_size bytes, as the daemon's session does, until
  // framing breaks, the peer closes, `enough` says so, or nothing arrives for timeout_ms.
  Pumped Pump(FrameDecoder& d, size_t read_size, int timeout_ms,
              const std::function<bool(const Pumped&)>& enough = nullptr) {
    Pumped p;
    std::vector<uint8_t> buf(read_size);
    for (;;) {
      pollfd pfd{server_, POLLIN, 0};
      int r = poll(&pfd, 1, timeout_ms);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        p.timed_out = true;
        return p;
      }
      ssize_t n = read(server_, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        p.eof = true;
        return p;
      }
      d.Feed(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)));
      p.error = DrainInto(d, &p.frames);
      if (p.error) return p;
      if (enough && enough(p)) return p;
    }
  }

  int client_ = -1;
  int server_ = -1;
};

TEST_F(SocketPairTest, HugeLengthIsRejectedWithoutWaitingForThePayload) {
  // The hostile peer sends a good hello, then a header announcing 4 GiB, and then nothing: it
  // keeps the connection open. The reader must report the error now, not wait for the bytes.
  WriteAll(client_, EncodeFrame(FrameType::kHello, 0, 0, Serialize(Hello{1, 1, "evil"})));
  WriteAll(client_, RawHeader(0xFFFFFFFF, 0x02, 0, 1));
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 16 * 1024, /*timeout_ms=*/5000);
  EXPECT_FALSE(p.timed_out);
  EXPECT_FALSE(p.eof);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->code, ErrorCode::kFrameTooLarge);
  ASSERT_EQ(p.frames.size(), 1u);
  EXPECT_EQ(p.frames[0].header.type, FrameType::kHello);
  EXPECT_LE(d.buffered_bytes(), kHeaderBytes);
}

TEST_F(SocketPairTest, OverCapWithPayloadFollowingStillStopsAtTheHeader) {
  // Here the peer does send the oversized payload; the reader stops at the header and never
  // buffers more than it has read at that point.
  std::jthread writer([this] {
    // Fails with EPIPE once the reader shuts down, as the daemon's close would make it.
    SendAll(client_, EncodeFrame(FrameType::kText, 0, 1, Bytes(kMaxClientPayloadBytes + 1, 'a')));
  });
  UnblockWriterOnExit unblock{server_};
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 4096, 5000);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->code, ErrorCode::kFrameTooLarge);
  EXPECT_LE(d.buffered_bytes(), 4096u);
}

TEST_F(SocketPairTest, ReservedBytesBreakTheConnection) {
  WriteAll(client_, EncodeFrame(FrameType::kPing, 0, 1, {}));
  WriteAll(client_, RawHeader(0, 0x06, 0, 2, 0x00, 0xFF));
  WriteAll(client_, EncodeFrame(FrameType::kPing, 0, 3, {}));
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 5, 5000);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->code, ErrorCode::kMalformedFrame);
  ASSERT_EQ(p.frames.size(), 1u);
  EXPECT_EQ(p.frames[0].header.request_id, 1u);
}

TEST_F(SocketPairTest, UnknownTypeBreaksTheConnection) {
  WriteAll(client_, RawHeader(3, 0x42, 0, 9));
  WriteAll(client_, Str("abc"));
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 64, 5000);
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->code, ErrorCode::kUnknownFrameType);
  EXPECT_TRUE(p.frames.empty());
}

TEST_F(SocketPairTest, FramesTrickledOneByteAtATimeArriveIntact) {
  const Stream s = ManyFrames(60, 5);
  std::jthread writer([this, &s] {
    for (uint8_t b : s.bytes) {
      if (send(client_, &b, 1, MSG_NOSIGNAL) != 1) return;
    }
  });
  UnblockWriterOnExit unblock{server_};
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 3, 5000, [&](const Pumped& x) { return x.frames.size() == s.frames.size(); });
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.frames.size(), s.frames.size());
  for (size_t i = 0; i < p.frames.size(); ++i) ExpectSameFrame(p.frames[i], s.frames[i]);
}

TEST_F(SocketPairTest, PipelinedFramesInOneWriteAllArrive) {
  const Stream s = ManyFrames(200, 11);
  std::jthread writer([this, &s] { SendAll(client_, s.bytes); });
  UnblockWriterOnExit unblock{server_};
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 16 * 1024, 5000, [&](const Pumped& x) { return x.frames.size() == s.frames.size(); });
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.frames.size(), s.frames.size());
  for (size_t i = 0; i < p.frames.size(); ++i) ExpectSameFrame(p.frames[i], s.frames[i]);
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

TEST_F(SocketPairTest, LargestAllowedFrameArrivesIntact) {
  Bytes payload(kMaxClientPayloadBytes);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 31 + 7);
  std::jthread writer([this, &payload] { SendAll(client_, EncodeFrame(FrameType::kText, kFlagFinal, 4, payload)); });
  UnblockWriterOnExit unblock{server_};
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 16 * 1024, 5000, [](const Pumped& x) { return !x.frames.empty(); });
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.frames.size(), 1u);
  EXPECT_EQ(p.frames[0].header.flags, kFlagFinal);
  EXPECT_EQ(p.frames[0].payload, payload);
}

TEST_F(SocketPairTest, PeerClosingMidFrameLeavesAPartialFrameBuffered) {
  WriteAll(client_, EncodeFrame(FrameType::kPing, 0, 1, {}));
  WriteAll(client_, RawHeader(100, 0x02, 0, 2));
  WriteAll(client_, Bytes(50, '{'));
  CloseClient();
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 7, 5000);
  EXPECT_TRUE(p.eof);
  EXPECT_FALSE(p.error);
  ASSERT_EQ(p.frames.size(), 1u);
  // The truncated frame is never delivered; the reader sees it only as bytes left over at EOF.
  EXPECT_EQ(d.buffered_bytes(), kHeaderBytes + 50);
}

TEST_F(SocketPairTest, PeerClosingMidHeaderLeavesAPartialHeaderBuffered) {
  const HeaderBytes h = RawHeader(0, 0x06, 0, 1);
  WriteAll(client_, std::span<const uint8_t>(h).first(7));
  CloseClient();
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 64, 5000);
  EXPECT_TRUE(p.eof);
  EXPECT_FALSE(p.error);
  EXPECT_TRUE(p.frames.empty());
  EXPECT_EQ(d.buffered_bytes(), 7u);
}

TEST_F(SocketPairTest, ServerFramesUseTheClientSideCap) {
  // A 2 MiB audio frame is fine for a client (4 MiB cap) but over a server's 1 MiB cap.
  AudioHeader ah{22050, SampleFormat::kS16Le, 1, 0};
  Bytes frame = EncodeFrame(FrameType::kAudio, kFlagLast, 8, SerializeAudio(ah, Bytes(2u << 20, 0)));
  std::jthread writer([this, &frame] { SendAll(client_, frame); });
  UnblockWriterOnExit unblock{server_};
  FrameDecoder client_side(kMaxServerPayloadBytes);
  Pumped p = Pump(client_side, 64 * 1024, 5000, [](const Pumped& x) { return !x.frames.empty(); });
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.frames.size(), 1u);
  std::span<const uint8_t> pcm;
  auto parsed = ParseAudioHeader(p.frames[0].payload, &pcm);
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(pcm.size(), 2u << 20);

  FrameDecoder server_side(kMaxClientPayloadBytes);
  server_side.Feed(frame);
  auto n = server_side.Next();
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, ErrorCode::kFrameTooLarge);
}

TEST_F(SocketPairTest, AHandWrittenSessionDecodesAndParses) {
  // What a client written from the README alone would send: every byte built by hand.
  const std::string hello = R"({"min_version":1,"max_version":1,"client":"hand"})";
  const std::string synth = R"({"text":"Hello, ","final":false,"voice":"v","x-future":[1,2]})";
  Bytes wire = Cat({RawHeader(static_cast<uint32_t>(hello.size()), 0x01, 0, 0), Str(hello),
                    RawHeader(static_cast<uint32_t>(synth.size()), 0x02, 0, 7), Str(synth),
                    RawHeader(6, 0x03, 0x01, 7), Str("world."), RawHeader(0, 0x05, 0, 8), RawHeader(0, 0x06, 0, 9),
                    RawHeader(0, 0x04, 0, 7)});
  WriteAll(client_, wire);
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 10, 5000, [](const Pumped& x) { return x.frames.size() == 6; });
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.frames.size(), 6u);

  auto h = ParseHello(p.frames[0].payload);
  ASSERT_TRUE(h) << h.error().ToString();
  EXPECT_EQ(h->client, "hand");
  EXPECT_EQ(NegotiateVersion(*h).value(), 1u);

  EXPECT_EQ(p.frames[1].header.request_id, 7u);
  auto s = ParseSynthesize(p.frames[1].payload);
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->text, "Hello, ");
  EXPECT_FALSE(s->final);
  EXPECT_EQ(s->voice, "v");

  EXPECT_EQ(p.frames[2].header.type, FrameType::kText);
  EXPECT_EQ(p.frames[2].header.flags & kFlagFinal, kFlagFinal);
  EXPECT_EQ(ParseText(p.frames[2].payload).value(), "world.");

  EXPECT_EQ(p.frames[3].header.type, FrameType::kListVoices);
  EXPECT_EQ(p.frames[4].header.type, FrameType::kPing);
  EXPECT_EQ(p.frames[5].header.type, FrameType::kCancel);
  EXPECT_EQ(p.frames[5].header.request_id, 7u);
}

TEST_F(SocketPairTest, InvalidUtf8TextFrameDecodesButFailsToParse) {
  // Framing does not look inside payloads; the text parser does.
  WriteAll(client_, RawHeader(3, 0x03, kFlagFinal, 7));
  const uint8_t bad[] = {'a', 0xC0, 0x80};
  WriteAll(client_, bad);
  FrameDecoder d(kMaxClientPayloadBytes);
  Pumped p = Pump(d, 64, 5000, [](const Pumped& x) { return !x.frames.empty(); });
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.frames.size(), 1u);
  auto t = ParseText(p.frames[0].payload);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::kMalformedFrame);
}

}  // namespace
}  // namespace ttsd::protocol
