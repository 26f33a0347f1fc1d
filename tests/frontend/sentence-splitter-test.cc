#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "ttsd/frontend/inline-tags.h"
#include "ttsd/frontend/text-frontend.h"

namespace ttsd::frontend {
namespace {

// Every sentence ready now.
std::vector<std::string> Drain(SentenceSplitter& splitter) {
  std::vector<std::string> out;
  for (std::string s = splitter.Next(); !s.empty(); s = splitter.Next()) out.push_back(s);
  return out;
}

// The whole text at once, then closed.
std::vector<std::string> SplitAll(std::string_view text, size_t max_words = 40) {
  SentenceSplitter splitter(max_words);
  splitter.Append(text);
  splitter.Close();
  return Drain(splitter);
}

// One character at a time, taking sentences after each, then closed.
std::vector<std::string> SplitByChar(std::string_view text, size_t max_words = 40) {
  SentenceSplitter splitter(max_words);
  std::vector<std::string> out;
  for (char c : text) {
    splitter.Append(std::string_view(&c, 1));
    for (auto& s : Drain(splitter)) out.push_back(s);
  }
  splitter.Close();
  for (auto& s : Drain(splitter)) out.push_back(s);
  return out;
}

std::string Words(int from, int to) {
  std::string text;
  for (int i = from; i <= to; ++i) text += (text.empty() ? "" : " ") + std::string("w") + std::to_string(i);
  return text;
}

TEST(SentenceSplitter, AbbreviationDoesNotEndSentence) {
  SentenceSplitter splitter;
  splitter.Append("Dr. Smith went home. He slept.");
  EXPECT_EQ(splitter.Next(), "Dr. Smith went home.");
  EXPECT_EQ(splitter.Next(), "");  // the last period may still be followed by more text
  EXPECT_FALSE(splitter.Done());
  splitter.Close();
  EXPECT_EQ(splitter.Next(), "He slept.");
  EXPECT_EQ(splitter.Next(), "");
  EXPECT_TRUE(splitter.Done());
}

TEST(SentenceSplitter, DecimalPointDoesNotEndSentence) {
  EXPECT_EQ(SplitAll("It costs 3.5 dollars. Fine."),
            (std::vector<std::string>{"It costs 3.5 dollars.", "Fine."}));
  SentenceSplitter splitter;
  splitter.Append("It costs 3.");
  EXPECT_EQ(splitter.Next(), "");  // "3." might become "3.5"
  splitter.Append("5 dollars. ");
  EXPECT_EQ(splitter.Next(), "It costs 3.5 dollars.");
}

TEST(SentenceSplitter, QuestionsExclamationsAndQuotes) {
  EXPECT_EQ(SplitAll("Really? Yes! He said \"Stop.\" Then (quietly.) left"),
            (std::vector<std::string>{"Really?", "Yes!", "He said \"Stop.\"", "Then (quietly.)", "left"}));
}

TEST(SentenceSplitter, AbbreviationRules) {
  EXPECT_EQ(SplitAll("We met at 5 p.m. Then we left. It was e.g. fine. The U.S. army came."),
            (std::vector<std::string>{"We met at 5 p.m.", "Then we left.", "It was e.g. fine.",
                                      "The U.S. army came."}));
  EXPECT_EQ(SplitAll("See example.com. it works."),
            (std::vector<std::string>{"See example.com.", "it works."}));
  EXPECT_EQ(SplitAll("Take No. 5 now. No. I refuse."),
            (std::vector<std::string>{"Take No. 5 now.", "No.", "I refuse."}));
  EXPECT_EQ(SplitAll("John F. Kennedy spoke. Pens etc. are here. Pens etc. The end."),
            (std::vector<std::string>{"John F. Kennedy spoke.", "Pens etc. are here.", "Pens etc.", "The end."}));
}

TEST(SentenceSplitter, ListNumbersAndEllipses) {
  EXPECT_EQ(SplitAll("1. Buy milk.\n2. Eat it. I have 3. Well... I think so... maybe."),
            (std::vector<std::string>{"1. Buy milk.", "2. Eat it.", "I have 3.", "Well...",
                                      "I think so... maybe."}));
}

TEST(SentenceSplitter, ParagraphBreakEndsSentence) {
  EXPECT_EQ(SplitAll("A title\n\nThe body\nwraps here\n  and ends"),
            (std::vector<std::string>{"A title", "The body\nwraps here", "and ends"}));
  SentenceSplitter splitter;
  splitter.Append("A title\n");
  EXPECT_EQ(splitter.Next(), "");  // a lone newline may be a wrapped line
  splitter.Append("\n");
  EXPECT_EQ(splitter.Next(), "A title");
}

TEST(SentenceSplitter, LongUnpunctuatedTextIsCutBeforeClose) {
  SentenceSplitter splitter(40);
  splitter.Append(Words(1, 60) + " ");
  EXPECT_EQ(splitter.Next(), Words(1, 40));
  EXPECT_EQ(splitter.Next(), "");
  splitter.Close();
  EXPECT_EQ(splitter.Next(), Words(41, 60));
  EXPECT_TRUE(splitter.Done());
}

TEST(SentenceSplitter, LongTextIsCutAfterLastClause) {
  const std::string text = Words(1, 30) + ", " + Words(31, 35) + "; " + Words(36, 50);
  SentenceSplitter splitter(40);
  splitter.Append(text);
  EXPECT_EQ(splitter.Next(), Words(1, 30) + ", " + Words(31, 35) + ";");
  EXPECT_EQ(splitter.Next(), "");
}

TEST(SentenceSplitter, SentenceEndWithinLimitWins) {
  EXPECT_EQ(SplitAll(Words(1, 10) + ". " + Words(11, 60), 40),
            (std::vector<std::string>{Words(1, 10) + ".", Words(11, 50), Words(51, 60)}));
}

TEST(SentenceSplitter, BlobWithoutSpacesIsCut) {
  SentenceSplitter splitter;
  splitter.Append(std::string(5000, 'x'));
  const std::string first = splitter.Next();
  EXPECT_FALSE(first.empty());
  EXPECT_LE(first.size(), 2000u);
  splitter.Close();
  size_t total = first.size();
  for (std::string s = splitter.Next(); !s.empty(); s = splitter.Next()) total += s.size();
  EXPECT_EQ(total, 5000u);
}

TEST(SentenceSplitter, CharacterAtATimeMatchesWholeText) {
  const std::string text =
      "Dr. Smith paid $3.50 at 7 p.m. Then he left! Did he? \"Yes.\" The U.S. team won 2-1 on Jan. 5. "
      "Prices rose 5.5%... Really. Mr. Jones, Jr. said no. 1. First item.\n2. Second item.\n\nNew paragraph "
      "without end " +
      Words(1, 50) + ", and " + Words(51, 95) + " \u201CQuoted.\u201D Caf\u00E9 au lait. Done";
  for (size_t max_words : {5u, 12u, 40u}) {
    const auto whole = SplitAll(text, max_words);
    EXPECT_EQ(SplitByChar(text, max_words), whole) << "max_words " << max_words;
    std::string joined;
    for (const auto& s : whole) {
      EXPECT_FALSE(s.empty());
      EXPECT_NE(s.front(), ' ');
      EXPECT_NE(s.back(), ' ');
      joined += s;
    }
    std::string compact = text;
    std::erase_if(compact, [](char c) { return c == ' ' || c == '\n'; });
    std::erase_if(joined, [](char c) { return c == ' ' || c == '\n'; });
    EXPECT_EQ(joined, compact);  // nothing lost or repeated
  }
}

TEST(SentenceSplitter, InlinePhonesAreNeverCut) {
  EXPECT_EQ(SplitAll("Say [[\u02C8h\u025B. lo\u028A]]. Next one.\n\n[[a\n\n b]] end"),
            (std::vector<std::string>{"Say [[\u02C8h\u025B. lo\u028A]].", "Next one.", "[[a\n\n b]] end"}));
  SentenceSplitter splitter;
  splitter.Append("Done. Say [[h \u0259. l");
  EXPECT_EQ(splitter.Next(), "Done.");
  EXPECT_EQ(splitter.Next(), "");  // waits for the "]]"
  splitter.Append(" o\u028A]]. Next");
  EXPECT_EQ(splitter.Next(), "Say [[h \u0259. l o\u028A]].");
  // Counted as one word, and a cut for length goes before it, never inside.
  EXPECT_EQ(SplitAll("a b [[x y z w v]] c d", 3), (std::vector<std::string>{"a b [[x y z w v]]", "c d"}));
  EXPECT_EQ(SplitAll("a b c [[x y z w v]] d", 3), (std::vector<std::string>{"a b c", "[[x y z w v]] d"}));
  // An unclosed [[ is plain text once the text ends or the limit passes.
  EXPECT_EQ(SplitAll("It [[ is. Fine."), (std::vector<std::string>{"It [[ is.", "Fine."}));
}

TEST(SentenceSplitter, ChinesePunctuation) {
  EXPECT_EQ(SplitAll("\u4F60\u597D\u3002\u6211\u5F88\u597D\uFF01\u4F60\u5462\uFF1F"),
            (std::vector<std::string>{"\u4F60\u597D\u3002", "\u6211\u5F88\u597D\uFF01", "\u4F60\u5462\uFF1F"}));
  // 他说：「好。」然后走了。 The closing mark stays with its sentence.
  EXPECT_EQ(SplitAll("\u4ED6\u8BF4\uFF1A\u300C\u597D\u3002\u300D\u7136\u540E\u8D70\u4E86\u3002"),
            (std::vector<std::string>{"\u4ED6\u8BF4\uFF1A\u300C\u597D\u3002\u300D", "\u7136\u540E\u8D70\u4E86\u3002"}));
  // ASCII punctuation in Chinese text: no space follows.
  EXPECT_EQ(SplitAll("\u597D!\u4F60\u5462? Yes."),
            (std::vector<std::string>{"\u597D!", "\u4F60\u5462?", "Yes."}));
  SentenceSplitter splitter;
  splitter.Append("\u4F60\u597D\u3002");
  EXPECT_EQ(splitter.Next(), "");  // a closing mark may follow
  splitter.Append("\u6211");
  EXPECT_EQ(splitter.Next(), "\u4F60\u597D\u3002");
}

TEST(SentenceSplitter, ChineseCharactersAreWords) {
  // 一二三，四五六七: over 5 words, cut after the Chinese comma.
  EXPECT_EQ(SplitAll("\u4E00\u4E8C\u4E09\uFF0C\u56DB\u4E94\u516D\u4E03", 5),
            (std::vector<std::string>{"\u4E00\u4E8C\u4E09\uFF0C", "\u56DB\u4E94\u516D\u4E03"}));
  // 然后走了……我们一起去吧: cut after the ellipsis, not inside 我们.
  EXPECT_EQ(SplitAll("\u7136\u540E\u8D70\u4E86\u2026\u2026\u6211\u4EEC\u4E00\u8D77\u53BB\u5427", 6),
            (std::vector<std::string>{"\u7136\u540E\u8D70\u4E86\u2026\u2026",
                                      "\u6211\u4EEC\u4E00\u8D77\u53BB\u5427"}));
  // An override stays with its character: cuts fall before a character, never after it.
  EXPECT_EQ(SplitAll("\u91CD(ch\u00F3ng)\u8981\u91CD(ch\u00F3ng)\u8981", 3),
            (std::vector<std::string>{"\u91CD(ch\u00F3ng)\u8981\u91CD(ch\u00F3ng)", "\u8981"}));
  // A long run of characters with no end is cut between characters.
  std::string blob;
  for (int i = 0; i < 1000; ++i) blob += "\u4E2D";
  const auto pieces = SplitAll(blob, 100000);
  ASSERT_GE(pieces.size(), 2u);
  size_t total = 0;
  for (const auto& p : pieces) {
    EXPECT_LE(p.size(), 2000u);
    EXPECT_EQ(p.size() % 3, 0u);
    total += p.size();
  }
  EXPECT_EQ(total, blob.size());
}

TEST(SentenceSplitter, MarkupStreamedByteByByteMatchesWholeText) {
  const std::string text =
      "This is \u91CD(ch\u00F3ng)\u8981. Say [[h \u0259. l o\u028A]] and [[HH AH0 L OW1]]! \u957F\uFF08zh\u01CEng\uFF09"
      "\u5927\u4E86\u3002\u884C(hang2)\uFF0C\u4E0D\u884C\uFF1F\u300C\u597D\u3002\u300D" +
      Words(1, 30) + " [[a b c d e f g h]] " + Words(31, 45) + " \u4F60\u597D!\u518D\u89C1. It [[ is open. " +
      std::string(40, 'x') + " [[unclosed";
  for (size_t max_words : {3u, 7u, 40u}) {
    const auto whole = SplitAll(text, max_words);
    EXPECT_EQ(SplitByChar(text, max_words), whole) << "max_words " << max_words;
    std::string joined;
    for (const auto& s : whole) joined += s;
    std::string compact = text;
    std::erase_if(compact, [](char c) { return c == ' ' || c == '\n'; });
    std::erase_if(joined, [](char c) { return c == ' ' || c == '\n'; });
    EXPECT_EQ(joined, compact);
    for (const auto& s : whole) {  // every [[ that closes somewhere closes in its own sentence
      const size_t open = s.find("[[");
      if (open != std::string::npos && text.find("]]", text.find(s) + open) != std::string::npos &&
          s.find("unclosed") == std::string::npos && s.find("open.") == std::string::npos) {
        EXPECT_NE(s.find("]]", open), std::string::npos) << s;
      }
    }
  }
}

// Found by fuzzing (tests/fuzz/corpus/frontend/regress-*): a "[" that ends the text so far may be
// the start of [[...]], so the splitter waits there rather than read it as a plain character.
TEST(SentenceSplitter, BracketAtTheEndMayOpenMarkup) {
  for (const std::string text : {"[[.]] x", "Say [[h \u0259. l o\u028A]] now. Next.", "a [ b. [[c.]]"}) {
    EXPECT_EQ(SplitByChar(text), SplitAll(text)) << text;
  }
  SentenceSplitter splitter;
  splitter.Append("Say [");
  EXPECT_EQ(splitter.Next(), "");
  splitter.Append("[hh ax0. l ow1]] now. Next");
  EXPECT_EQ(splitter.Next(), "Say [[hh ax0. l ow1]] now.");
}

// Found by fuzzing: a long run without a sentence end, streamed a byte at a time, took time
// quadratic in its length (each Next() rescanned the buffer). Next() now resumes where it stopped;
// the cuts are those of the whole text.
TEST(SentenceSplitter, LongRunsStreamedByteByByteMatchWholeText) {
  for (const std::string& text : {std::string(4500, 'x') + " end.", Words(1, 39) + " " + std::string(3000, 'y'),
                                 std::string(1999, 'z') + "\u4F60\u597D" + std::string(100, 'z')}) {
    const auto whole = SplitAll(text);
    EXPECT_GE(whole.size(), 2u);
    EXPECT_EQ(SplitByChar(text), whole);
  }
}

TEST(SentenceSplitter, DoneSemantics) {
  SentenceSplitter splitter;
  EXPECT_FALSE(splitter.Done());
  EXPECT_FALSE(splitter.closed());
  splitter.Append("  ");
  splitter.Close();
  EXPECT_TRUE(splitter.closed());
  EXPECT_EQ(splitter.Next(), "");
  EXPECT_TRUE(splitter.Done());

  SentenceSplitter pending;
  pending.Append("Half a sentence");
  EXPECT_EQ(pending.Next(), "");
  pending.Close();
  EXPECT_FALSE(pending.Done());  // closed, but the rest has not been taken
  EXPECT_EQ(pending.Next(), "Half a sentence");
  EXPECT_TRUE(pending.Done());
}

}  // namespace
}  // namespace ttsd::frontend

namespace ttsd::frontend {
namespace {

TEST(SentenceSplitter, InlineTagsComeAlone) {
  EXPECT_EQ(SplitAll("Wait [pause:500ms] now. Go[rate:1.5] fast [voice:awb]there."),
            (std::vector<std::string>{"Wait", "[pause:500ms]", "now.", "Go", "[rate:1.5]", "fast", "[voice:awb]",
                                      "there."}));
  EXPECT_EQ(SplitByChar("Wait [pause:500ms] now. Go[rate:1.5] fast [voice:awb]there."),
            SplitAll("Wait [pause:500ms] now. Go[rate:1.5] fast [voice:awb]there."));
  // Brackets that are no tag stay text.
  EXPECT_EQ(SplitAll("A [note: this] and [pause:never closed"),
            (std::vector<std::string>{"A [note: this] and [pause:never closed"}));
}

TEST(SentenceSplitter, OffsetsAndPositionsOfSentences) {
  SentenceSplitter splitter;
  const std::string text = "  One.\nTwo [pause:1s]\n  three!";
  splitter.Append(text);
  splitter.Close();
  std::vector<std::tuple<std::string, size_t, size_t, size_t>> got;
  for (std::string s = splitter.Next(); !s.empty(); s = splitter.Next()) {
    EXPECT_EQ(text.substr(splitter.offset(), s.size()), s);
    got.emplace_back(s, splitter.offset(), splitter.line(), splitter.column());
  }
  EXPECT_EQ(got, (std::vector<std::tuple<std::string, size_t, size_t, size_t>>{
                     {"One.", 2, 1, 3}, {"Two", 7, 2, 1}, {"[pause:1s]", 11, 2, 5}, {"three!", 24, 3, 3}}));
}

TEST(InlineTag, ParsesValues) {
  using Tag = std::optional<InlineTag>;
  EXPECT_EQ(ParseInlineTag("[pause:500ms]").value(), (Tag{{TagKind::kPause, 500, ""}}));
  EXPECT_EQ(ParseInlineTag("[pause: 1.5s]").value(), (Tag{{TagKind::kPause, 1500, ""}}));
  EXPECT_EQ(ParseInlineTag("[rate:1.25]").value(), (Tag{{TagKind::kRate, 1.25, ""}}));
  EXPECT_EQ(ParseInlineTag("[volume:0]").value(), (Tag{{TagKind::kVolume, 0, ""}}));
  EXPECT_EQ(ParseInlineTag("[pitch:+2st]").value(), (Tag{{TagKind::kPitch, 2, ""}}));
  EXPECT_EQ(ParseInlineTag("[pitch:-3.5]").value(), (Tag{{TagKind::kPitch, -3.5, ""}}));
  EXPECT_EQ(ParseInlineTag("[voice:awb-low]").value(), (Tag{{TagKind::kVoice, 0, "awb-low"}}));
  EXPECT_EQ(ParseInlineTag("[voice:]").value(), (Tag{{TagKind::kVoice, 0, ""}}));
  EXPECT_EQ(ParseInlineTag("[note:1]").value(), std::nullopt);
  EXPECT_EQ(ParseInlineTag("[pause:1s] and more").value(), std::nullopt);
  for (const char* bad : {"[pause:soon]", "[pause:500]", "[pause:11s]", "[pause:-1ms]", "[rate:0]", "[rate:x]",
                          "[volume:5]", "[pitch:13]", "[voice:a b]"}) {
    auto tag = ParseInlineTag(bad);
    ASSERT_FALSE(tag.has_value()) << bad;
    EXPECT_EQ(tag.error().code, ErrorCode::kBadRequest) << bad;
    EXPECT_NE(tag.error().message.find(bad), std::string::npos) << tag.error().message;
  }
}

}  // namespace
}  // namespace ttsd::frontend

namespace ttsd::frontend {
namespace {

TEST(SentenceSplitter, FlushSpeaksWhatIsPendingWithoutASentenceEnd) {
  SentenceSplitter s;
  s.Append("So the answer is");
  EXPECT_EQ(s.Next(), "");  // no end yet: waits
  s.Flush();
  EXPECT_EQ(s.Next(), "So the answer is");
  EXPECT_EQ(s.Next(), "");
  s.Append(" forty two. And");  // text after the flush waits as usual
  EXPECT_EQ(s.Next(), "forty two.");
  EXPECT_EQ(s.Next(), "");
  s.Append(" then [pause:");
  s.Flush();
  EXPECT_EQ(s.Next(), "And then");  // an open tag is never split: the text before it
  EXPECT_EQ(s.Next(), "");
  s.Append("1s] more");
  EXPECT_EQ(s.Next(), "[pause:1s]");
  EXPECT_EQ(s.Next(), "");
  EXPECT_EQ(s.offset(), 37u);
  s.Close();
  EXPECT_EQ(s.Next(), "more");
  EXPECT_TRUE(s.Done());
}

}  // namespace
}  // namespace ttsd::frontend
