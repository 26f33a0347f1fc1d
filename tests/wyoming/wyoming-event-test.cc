// WyomingDecoder and EncodeWyomingEvent: framing, data merging, caps, byte-by-byte feeding.
#include "ttsd/daemon/wyoming-event.h"

#include <gtest/gtest.h>

#include <string>

namespace ttsd::daemon {
namespace {

using nlohmann::json;

std::span<const uint8_t> Bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// Every event in s, fed in pieces of `step` bytes; stops at the first error.
Result<std::vector<WyomingEvent>> DecodeAll(const std::string& s, size_t step) {
  WyomingDecoder d;
  std::vector<WyomingEvent> out;
  for (size_t off = 0; off < s.size(); off += step) {
    d.Feed(Bytes(s.substr(off, step)));
    for (;;) {
      auto e = d.Next();
      if (!e) return std::unexpected(e.error());
      if (!*e) break;
      out.push_back(std::move(**e));
    }
  }
  return out;
}

TEST(WyomingDecoder, ReadsHeaderDataAndPayloadInAnyPieces) {
  const std::string stream =
      "{\"type\":\"describe\"}\n"
      "{\"type\":\"synthesize\",\"data\":{\"text\":\"inline\",\"voice\":{\"name\":\"a\"}},\"data_length\":16}\n"
      "{\"text\":\"block\"}"
      "{\"type\":\"audio-chunk\",\"data_length\":2,\"payload_length\":4,\"version\":\"1.7.0\"}\n{}\x01\x02\x03\x04"
      "\r\n"
      "{\"type\":\"synthesize-stop\",\"data\":null,\"payload_length\":null}\r\n";
  for (size_t step : {size_t{1}, size_t{3}, size_t{7}, stream.size()}) {
    auto events = DecodeAll(stream, step);
    ASSERT_TRUE(events) << events.error().ToString();
    ASSERT_EQ(events->size(), 4u) << step;
    EXPECT_EQ((*events)[0].type, "describe");
    EXPECT_TRUE((*events)[0].data.is_object() && (*events)[0].data.empty());
    EXPECT_EQ((*events)[1].data["text"], "block");  // the block wins over the header's data, key by key
    EXPECT_EQ((*events)[1].data["voice"]["name"], "a");
    EXPECT_EQ((*events)[2].payload, (std::vector<uint8_t>{1, 2, 3, 4}));
    EXPECT_EQ((*events)[3].type, "synthesize-stop");
  }
}

TEST(WyomingDecoder, RefusesMalformedInputAndStaysBroken) {
  for (const std::string bad : {"nope\n", "{\"type\":\"\"}\n", "{\"type\":null}\n", "{\"type\":\"x\",\"data\":[1]}\n",
                                "{\"type\":\"x\",\"data_length\":1.5}\n", "{\"type\":\"x\",\"payload_length\":-2}\n",
                                "{\"type\":\"x\",\"data_length\":2}\n[]"}) {
    WyomingDecoder d;
    d.Feed(Bytes(bad));
    auto e = d.Next();
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().code, ErrorCode::kMalformedFrame) << bad;
    d.Feed(Bytes("{\"type\":\"describe\"}\n"));
    EXPECT_FALSE(d.Next()) << "decoding goes on after an error";
  }
}

TEST(WyomingDecoder, CapsLengthsBeforeReadingThem) {
  WyomingDecoder d;
  d.Feed(Bytes("{\"type\":\"x\",\"data_length\":" + std::to_string(kMaxWyomingDataBytes + 1) + "}\n"));
  auto e = d.Next();
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kFrameTooLarge);

  WyomingDecoder p;
  p.Feed(Bytes("{\"type\":\"x\",\"payload_length\":18446744073709551615}\n"));
  e = p.Next();
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kFrameTooLarge);

  WyomingDecoder line;
  const std::string chunk(64 * 1024, 'a');
  Result<std::optional<WyomingEvent>> r = std::optional<WyomingEvent>();
  for (size_t fed = 0; fed <= kMaxWyomingLineBytes && r && !*r; fed += chunk.size()) {
    line.Feed(Bytes(chunk));
    r = line.Next();
  }
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFrameTooLarge);
}

TEST(WyomingEncoder, WritesWhatTheDecoderReads) {
  const std::vector<uint8_t> pcm = {1, 0, 255, 127};
  const json data = {{"rate", 16000}, {"width", 2}, {"channels", 1}, {"text", "héllo \xff"}};
  auto bytes = EncodeWyomingEvent("audio-chunk", data, pcm);
  const std::string s(bytes.begin(), bytes.end());
  const json header = json::parse(s.substr(0, s.find('\n')));
  EXPECT_EQ(header["type"], "audio-chunk");
  EXPECT_EQ(header["version"], std::string(kWyomingVersion));
  EXPECT_EQ(header["payload_length"], 4);
  EXPECT_FALSE(header.contains("data"));  // data goes in its own block, as the reference writes it
  const auto stop_bytes = EncodeWyomingEvent("audio-stop");
  const std::string stop(stop_bytes.begin(), stop_bytes.end());
  auto events = DecodeAll(s + stop, 5);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].data["rate"], 16000);
  EXPECT_EQ((*events)[0].data["text"], "héllo \xef\xbf\xbd");  // invalid UTF-8 replaced, never thrown
  EXPECT_EQ((*events)[0].payload, pcm);
  EXPECT_EQ((*events)[1].type, "audio-stop");
  EXPECT_EQ(stop.find("data_length"), std::string::npos);
}

}  // namespace
}  // namespace ttsd::daemon
