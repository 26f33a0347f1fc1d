// Utf8Splitter: text cut at every possible byte yields the same characters, never half of one.
#include "ttsd/client/utf8-splitter.h"

#include <gtest/gtest.h>

#include <string>

#include "ttsd/protocol/messages.h"

namespace ttsd::client {
namespace {

const std::string kMixed = "Grüße, 世界! €5 😀 done.";

TEST(Utf8Splitter, PassesWholeTextThrough) {
  Utf8Splitter s;
  EXPECT_EQ(s.Feed(kMixed), kMixed);
  EXPECT_EQ(s.pending_bytes(), 0u);
  EXPECT_EQ(s.Finish(), "");
}

TEST(Utf8Splitter, EveryCutPointGivesValidPiecesAndTheSameText) {
  for (size_t cut = 0; cut <= kMixed.size(); ++cut) {
    Utf8Splitter s;
    std::string a = s.Feed(std::string_view(kMixed).substr(0, cut));
    std::string b = s.Feed(std::string_view(kMixed).substr(cut));
    EXPECT_TRUE(protocol::IsValidUtf8(a)) << "cut " << cut;
    EXPECT_TRUE(protocol::IsValidUtf8(b)) << "cut " << cut;
    EXPECT_EQ(a + b + s.Finish(), kMixed) << "cut " << cut;
  }
}

TEST(Utf8Splitter, ByteAtATime) {
  Utf8Splitter s;
  std::string out;
  for (char c : kMixed) {
    std::string piece = s.Feed(std::string_view(&c, 1));
    EXPECT_TRUE(protocol::IsValidUtf8(piece));
    out += piece;
  }
  EXPECT_EQ(out + s.Finish(), kMixed);
}

TEST(Utf8Splitter, HoldsBackAnIncompleteSequence) {
  Utf8Splitter s;
  EXPECT_EQ(s.Feed("ab\xE2\x82"), "ab");  // first two bytes of €
  EXPECT_EQ(s.pending_bytes(), 2u);
  EXPECT_EQ(s.Feed("\xAC!"), "€!");
}

TEST(Utf8Splitter, InvalidBytesBecomeReplacementCharacters) {
  Utf8Splitter s;
  EXPECT_EQ(s.Feed("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(s.Feed("\x80"), "\xEF\xBF\xBD");               // stray continuation byte
  EXPECT_EQ(s.Feed("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(s.Feed("\xED\xA0\x80x"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");  // surrogate
  EXPECT_EQ(s.Feed("\xC3(x"), "\xEF\xBF\xBD(x");          // lead byte without its continuation
}

TEST(Utf8Splitter, IncompleteSequenceAtEndBecomesOneReplacement) {
  Utf8Splitter s;
  EXPECT_EQ(s.Feed("ok\xF0\x9F\x98"), "ok");
  EXPECT_EQ(s.Finish(), "\xEF\xBF\xBD");
  EXPECT_EQ(s.pending_bytes(), 0u);
  EXPECT_EQ(s.Finish(), "");
}

}  // namespace
}  // namespace ttsd::client
