// Error codes travel on the wire as numbers (protocol/README.md, "Error codes"): these tests pin
// every number and name so that a renumbering or a forgotten name fails loudly.
#include "ttsd/protocol/error.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>

namespace ttsd {
namespace {

struct CodeRow {
  ErrorCode code;
  uint16_t number;
  std::string_view name;
};

// The table of protocol/README.md. Append only: a new code gets the next number.
constexpr CodeRow kCodes[] = {
    {ErrorCode::kOk, 0, "ok"},
    {ErrorCode::kUnsupportedVersion, 1, "unsupported_version"},
    {ErrorCode::kMalformedFrame, 2, "malformed_frame"},
    {ErrorCode::kFrameTooLarge, 3, "frame_too_large"},
    {ErrorCode::kUnknownFrameType, 4, "unknown_frame_type"},
    {ErrorCode::kBadRequest, 5, "bad_request"},
    {ErrorCode::kUnknownVoice, 6, "unknown_voice"},
    {ErrorCode::kUnknownSpeaker, 7, "unknown_speaker"},
    {ErrorCode::kEmptyText, 8, "empty_text"},
    {ErrorCode::kTextTooLong, 9, "text_too_long"},
    {ErrorCode::kUnsupportedText, 10, "unsupported_text"},
    {ErrorCode::kDuplicateRequest, 11, "duplicate_request"},
    {ErrorCode::kUnknownRequest, 12, "unknown_request"},
    {ErrorCode::kCancelled, 13, "cancelled"},
    {ErrorCode::kBusy, 14, "busy"},
    {ErrorCode::kShuttingDown, 15, "shutting_down"},
    {ErrorCode::kModelError, 16, "model_error"},
    {ErrorCode::kTimeout, 17, "timeout"},
    {ErrorCode::kIo, 18, "io_error"},
    {ErrorCode::kInternal, 19, "internal_error"},
    {ErrorCode::kBadAudio, 20, "bad_audio"},
    {ErrorCode::kNotSupported, 21, "not_supported"},
    {ErrorCode::kVoiceExists, 22, "voice_exists"},
    {ErrorCode::kUnknownItem, 23, "unknown_item"},
};

TEST(ErrorCode, UnderlyingTypeIsSixteenBits) {
  static_assert(std::is_same_v<std::underlying_type_t<ErrorCode>, uint16_t>);
  EXPECT_EQ(sizeof(ErrorCode), 2u);
}

TEST(ErrorCode, NumbersArePinnedBecauseTheyAreOnTheWire) {
  // Spelled out one by one, not through the table, so that a reordered enum cannot slip through.
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kOk), 0);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kUnsupportedVersion), 1);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kMalformedFrame), 2);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kFrameTooLarge), 3);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kUnknownFrameType), 4);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kBadRequest), 5);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kUnknownVoice), 6);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kUnknownSpeaker), 7);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kEmptyText), 8);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kTextTooLong), 9);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kUnsupportedText), 10);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kDuplicateRequest), 11);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kUnknownRequest), 12);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kCancelled), 13);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kBusy), 14);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kShuttingDown), 15);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kModelError), 16);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kTimeout), 17);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kIo), 18);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kInternal), 19);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kBadAudio), 20);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kNotSupported), 21);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kVoiceExists), 22);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kUnknownItem), 23);
}

TEST(ErrorCodeName, NamesEveryCode) {
  for (const CodeRow& row : kCodes) {
    SCOPED_TRACE(row.number);
    EXPECT_EQ(static_cast<uint16_t>(row.code), row.number);
    EXPECT_EQ(ErrorCodeName(row.code), row.name);
  }
}

TEST(ErrorCodeName, NamesAreUniqueLowercaseIdentifiers) {
  std::set<std::string_view> seen;
  for (const CodeRow& row : kCodes) {
    std::string_view name = ErrorCodeName(row.code);
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    EXPECT_FALSE(name.empty());
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
  }
}

TEST(ErrorCodeName, CodesAreDenseAndTheTableIsComplete) {
  // Every number below the first unnamed one has a name; the first unnamed one is where the next
  // code will go. Adding a code without adding it here (and to the README) fails this test.
  constexpr uint16_t kCount = sizeof(kCodes) / sizeof(kCodes[0]);
  for (uint16_t n = 0; n < kCount; ++n) {
    EXPECT_NE(ErrorCodeName(static_cast<ErrorCode>(n)), "unknown_error") << n;
  }
  EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(kCount)), "unknown_error");
}

TEST(ErrorCodeName, NumbersThisBuildDoesNotKnowAreUnknownError) {
  for (uint16_t n : {uint16_t{24}, uint16_t{25}, uint16_t{100}, uint16_t{0x7fff}, uint16_t{0xffff}}) {
    EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(n)), "unknown_error") << n;
  }
}

TEST(Error, DefaultsToInternalWithNoMessage) {
  Error e;
  EXPECT_EQ(e.code, ErrorCode::kInternal);
  EXPECT_TRUE(e.message.empty());
}

TEST(Error, ToStringIsNameColonMessage) {
  EXPECT_EQ((Error{ErrorCode::kUnknownVoice, "no voice named 'x'"}).ToString(), "unknown_voice: no voice named 'x'");
  EXPECT_EQ((Error{ErrorCode::kCancelled, ""}).ToString(), "cancelled");
  EXPECT_EQ((Error{static_cast<ErrorCode>(999), "from the future"}).ToString(), "unknown_error: from the future");
}

TEST(MakeError, BuildsAnUnexpectedForResultAndStatus) {
  Result<int> r = MakeError(ErrorCode::kBusy, "later");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kBusy);
  EXPECT_EQ(r.error().message, "later");

  Status s = MakeError(ErrorCode::kTimeout, "slow");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kTimeout);

  Status ok;
  EXPECT_TRUE(ok.has_value());
}

}  // namespace
}  // namespace ttsd
