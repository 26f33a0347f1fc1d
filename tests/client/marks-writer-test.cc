// Subtitles from marks: cues cut at sentences, two lines and seven seconds; SRT and WebVTT text.
#include "ttsd/client/marks-writer.h"

#include <gtest/gtest.h>

namespace ttsd::client {
namespace {

using protocol::MarkInfo;
using Kind = MarkInfo::Kind;

// A sentence and its words, each word 0.5 s long, from `at` seconds (rate 1000).
std::vector<MarkInfo> Sentence(const std::string& text, uint64_t offset, uint64_t at_ms) {
  std::vector<MarkInfo> words;
  uint64_t t = at_ms;
  for (size_t i = 0; i < text.size();) {
    const size_t j = text.find_first_of(" ,.!", i);
    const size_t end = j == std::string::npos ? text.size() : j;
    if (end > i) {
      words.push_back({Kind::kWord, text.substr(i, end - i), offset + i, offset + end, t, t + 500});
      t += 500;
    }
    i = end + 1;
  }
  std::vector<MarkInfo> out = {{Kind::kSentence, text, offset, offset + text.size(), at_ms, t}};
  out.insert(out.end(), words.begin(), words.end());
  return out;
}

TEST(SubtitleWriter, OneCuePerShortSentenceWithItsPunctuation) {
  auto marks = Sentence("Hello there, friend.", 0, 200);
  auto more = Sentence("Bye!", 21, 2000);
  marks.insert(marks.end(), more.begin(), more.end());
  const auto cues = SubtitleWriter::MakeCues(marks, 1000);
  ASSERT_EQ(cues.size(), 2u);
  EXPECT_EQ(SubtitleWriter::Render(cues, SubtitleWriter::Format::kSrt),
            "1\n00:00:00,200 --> 00:00:01,700\nHello there, friend.\n\n"
            "2\n00:00:02,000 --> 00:00:02,500\nBye!\n\n");
  EXPECT_EQ(SubtitleWriter::Render(cues, SubtitleWriter::Format::kVtt),
            "WEBVTT\n\n00:00:00.200 --> 00:00:01.700\nHello <00:00:00.700>there, <00:00:01.200>friend.\n\n"
            "00:00:02.000 --> 00:00:02.500\nBye!\n\n");
}

TEST(SubtitleWriter, LongSentencesAreCutIntoCuesOfTwoLines) {
  const std::string text =
      "This is a rather long sentence that goes on and on without stopping, far past what one cue can hold on "
      "a screen at once.";
  const auto cues = SubtitleWriter::MakeCues(Sentence(text, 0, 0), 1000);
  ASSERT_GE(cues.size(), 2u);
  for (const Cue& c : cues) {
    std::string all;
    for (const auto& p : c.pieces) all += p;
    EXPECT_LE(all.size(), 2 * SubtitleWriter::kLineChars + 1) << all;
    EXPECT_LE(c.end - c.start, SubtitleWriter::kMaxCueS);
  }
  const std::string srt = SubtitleWriter::Render(cues, SubtitleWriter::Format::kSrt);
  for (size_t line = 0, next; line < srt.size(); line = next + 1) {
    next = srt.find('\n', line);
    EXPECT_LE(next - line, SubtitleWriter::kLineChars + 12) << srt.substr(line, next - line);
  }
}

TEST(SubtitleWriter, SentencesWithoutWordsAndMarkupText) {
  // A token voice marks sentences only: one cue each.
  std::vector<MarkInfo> marks = {{Kind::kSentence, "Only a sentence.", 0, 16, 100, 1600}};
  auto cues = SubtitleWriter::MakeCues(marks, 1000);
  ASSERT_EQ(cues.size(), 1u);
  EXPECT_EQ(cues[0].pieces, std::vector<std::string>{"Only a sentence."});
  // SSML: the sentence's text is not the request's bytes; the words are joined.
  marks = {{Kind::kSentence, "Hi you", 7, 40, 0, 1000},
           {Kind::kWord, "Hi", 7, 9, 0, 500},
           {Kind::kWord, "you", 30, 33, 500, 1000}};
  cues = SubtitleWriter::MakeCues(marks, 1000);
  ASSERT_EQ(cues.size(), 1u);
  EXPECT_EQ(SubtitleWriter::Render(cues, SubtitleWriter::Format::kSrt), "1\n00:00:00,000 --> 00:00:01,000\nHi you\n\n");
}

TEST(SubtitleWriter, RefusesOtherExtensions) {
  auto w = SubtitleWriter::Create("/tmp/subs.txt");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace ttsd::client
