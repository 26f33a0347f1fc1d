#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ttsd/engine/text-frontend.h"

namespace ttsd::engine {
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
}  // namespace ttsd::engine
