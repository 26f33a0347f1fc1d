// SSML into ttsd's inline syntax: each element, nesting, spans, streaming, and the refusals.
#include "ttsd/frontend/ssml.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "../../frontend/src/letter-names.h"

namespace ttsd::frontend {
namespace {

struct Converted {
  std::string text;
  std::vector<SourceSpan> spans;
  std::string error;  // empty on success
};

// The document fed in pieces of `piece` bytes, then closed.
Converted Convert(std::string_view ssml, size_t piece = std::string_view::npos) {
  Converted c;
  SsmlReader reader;
  for (size_t at = 0; at < ssml.size(); at += piece) {
    if (auto s = reader.Append(ssml.substr(at, piece), &c.text, &c.spans); !s) {
      c.error = s.error().message;
      return c;
    }
  }
  if (auto s = reader.Close(&c.text, &c.spans); !s) c.error = s.error().message;
  return c;
}

// The text, or "ERROR: <message>".
std::string Text(std::string_view ssml) {
  Converted c = Convert(ssml);
  if (!c.error.empty()) return "ERROR: " + c.error;
  EXPECT_EQ(c.spans.size(), c.text.size());
  return c.text;
}

std::string Speak(std::string_view inner) { return Text("<speak>" + std::string(inner) + "</speak>"); }

// The bytes of the document that output bytes [begin, begin + count) map to, if all map to one span.
std::string SourceOf(const Converted& c, std::string_view ssml, size_t begin, size_t count) {
  const SourceSpan first = c.spans.at(begin);
  for (size_t i = begin; i < begin + count; ++i) {
    if (!(c.spans.at(i) == first)) return "<spans differ at " + std::to_string(i) + ">";
  }
  return std::string(ssml.substr(first.begin, first.end - first.begin));
}

TEST(LetterNames, AllLetters) {
  EXPECT_EQ(LetterNamePhones('a'), "ey1");
  EXPECT_EQ(LetterNamePhones('h'), "ey1 ch");
  EXPECT_EQ(LetterNamePhones('w'), "d ah1 b ax0 l y uw0");
  EXPECT_EQ(LetterNamePhones('z'), "z iy1");
  EXPECT_EQ(LetterNamePhones('A'), "");
  EXPECT_EQ(LetterNamePhones('1'), "");
  for (char c = 'a'; c <= 'z'; ++c) EXPECT_FALSE(LetterNamePhones(c).empty()) << c;
}

TEST(SsmlReader, PlainTextAndEntities) {
  EXPECT_EQ(Speak("Hello, world."), "Hello, world.");
  EXPECT_EQ(Speak("a &amp; b &lt;c&gt; &quot;d&apos; &#233;&#xE9;"), "a & b <c> \"d' \u00E9\u00E9");
  EXPECT_EQ(Speak("<![CDATA[x < y & z]]>"), "x < y & z");
  EXPECT_EQ(Speak("a<!-- not said -->b"), "ab");
  // Whitespace runs (newlines and indentation included) become one space; none at the start.
  EXPECT_EQ(Text("<speak>\n  Hello\r\n\t  world\n</speak>"), "Hello world ");
  // ttsd's own inline syntax in the text still works.
  EXPECT_EQ(Speak("Say [[hh ax0 l ow1]]."), "Say [[hh ax0 l ow1]].");
}

TEST(SsmlReader, RootForms) {
  EXPECT_EQ(
      Text("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n"
           "<speak version=\"1.1\" xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"en-US\">Hi</speak>\n"),
      "Hi");
  EXPECT_EQ(Text("<ssml:speak xmlns:ssml=\"http://www.w3.org/2001/10/synthesis\"><ssml:p>Hi</ssml:p></ssml:speak>"),
            "Hi\n\n");
  EXPECT_EQ(Text("\xEF\xBB\xBF<speak>bom</speak>"), "bom");
  // The declared encoding is ignored: the document is UTF-8.
  EXPECT_EQ(Text("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><speak>caf\u00E9</speak>"), "caf\u00E9");
  EXPECT_EQ(Text("<speak/>"), "");
}

TEST(SsmlReader, ParagraphsAndSentences) {
  EXPECT_EQ(Speak("<p>One.</p><p>Two.</p>"), "One.\n\nTwo.\n\n");
  EXPECT_EQ(Speak("<p><s>A</s><s>B</s></p>"), "A\n\nB\n\n");
  EXPECT_EQ(Speak("Intro <s>A</s> <s>B</s> end"), "Intro \n\nA\n\nB\n\nend");
  EXPECT_EQ(Speak("<paragraph>old <sentence>names</sentence></paragraph>"), "old \n\nnames\n\n");
}

TEST(SsmlReader, Breaks) {
  EXPECT_EQ(Speak("a<break time=\"500ms\"/>b"), "a [pause:500ms] b");
  EXPECT_EQ(Speak("a <break time=\"1.5s\"/> b"), "a [pause:1500ms] b");
  EXPECT_EQ(Speak("a<break time=\" 0.25s \"></break>b"), "a [pause:250ms] b");
  EXPECT_EQ(Speak("a<break/>b"), "a [pause:400ms] b");
  EXPECT_EQ(Speak("a<break time=\"60s\"/>b"), "a [pause:10000ms] b");                    // cut to kMaxPauseMs
  EXPECT_EQ(Speak("a<break strength=\"strong\" time=\"20ms\"/>b"), "a [pause:20ms] b");  // time wins
  const std::vector<std::pair<std::string, int>> strengths = {{"none", 0},     {"x-weak", 100}, {"weak", 250},
                                                              {"medium", 400}, {"strong", 700}, {"x-strong", 1200}};
  for (const auto& [strength, ms] : strengths) {
    EXPECT_EQ(Speak("<break strength=\"" + strength + "\"/>"), "[pause:" + std::to_string(ms) + "ms] ") << strength;
  }
}

TEST(SsmlReader, ProsodyNestsAndRestores) {
  // "150%" is absolute (a multiple of the default rate, SSML 1.1); "+50%" is relative.
  EXPECT_EQ(Speak("<prosody rate=\"fast\"><prosody rate=\"150%\">x</prosody>y</prosody>"),
            "[rate:1.25][rate:1.5]x[rate:1.25]y[rate:1]");
  EXPECT_EQ(Speak("<prosody rate=\"fast\"><prosody rate=\"+50%\">x</prosody>y</prosody>z"),
            "[rate:1.25][rate:1.875]x[rate:1.25]y[rate:1]z");
  EXPECT_EQ(
      Speak("<prosody rate=\"x-slow\">a</prosody><prosody rate=\"2\">b</prosody><prosody rate=\"-10%\">c</prosody>"),
      "[rate:0.5]a[rate:1][rate:2]b[rate:1][rate:0.9]c[rate:1]");
  EXPECT_EQ(Speak("<prosody rate=\"medium\">same</prosody>"), "same");  // nothing changes, nothing written
  EXPECT_EQ(Speak("<prosody rate=\"10\">a</prosody><prosody rate=\"-90%\">b</prosody>"),
            "[rate:4]a[rate:1][rate:0.25]b[rate:1]");  // clamped to 0.25..4
  EXPECT_EQ(Speak("<prosody volume=\"loud\">a</prosody><prosody volume=\"+6dB\">b</prosody>"
                  "<prosody volume=\"-6dB\">c</prosody><prosody volume=\"50%\">d</prosody>"
                  "<prosody volume=\"silent\"><prosody volume=\"+10%\">e</prosody></prosody>"),
            "[volume:1.5]a[volume:1][volume:1.995]b[volume:1][volume:0.501]c[volume:1][volume:0.5]d[volume:1]"
            "[volume:0]e[volume:1]");
  EXPECT_EQ(Speak("<prosody volume=\"x-loud\"><prosody volume=\"+10%\">a</prosody></prosody>"),
            "[volume:2][volume:2.2]a[volume:2][volume:1]");
  EXPECT_EQ(Speak("<prosody pitch=\"high\">a<prosody pitch=\"-3.5st\">b</prosody></prosody>"),
            "[pitch:+3]a[pitch:-0.5]b[pitch:+3][pitch:0]");
  EXPECT_EQ(Speak("<prosody pitch=\"-10%\">a</prosody><prosody pitch=\"+50Hz\">b</prosody>"
                  "<prosody pitch=\"240Hz\">c</prosody><prosody pitch=\"+20st\">d</prosody>"),
            "[pitch:-1.824]a[pitch:0][pitch:+6.03]b[pitch:0][pitch:+12]c[pitch:0][pitch:+12]d[pitch:0]");
  EXPECT_EQ(Speak("<prosody rate=\"slow\" volume=\"soft\" pitch=\"x-low\">a</prosody>"),
            "[rate:0.75][volume:0.5][pitch:-6]a[rate:1][volume:1][pitch:0]");
  EXPECT_EQ(Speak("<prosody duration=\"2s\">a</prosody>"), "a");  // attributes it does not read are ignored
}

TEST(SsmlReader, Emphasis) {
  EXPECT_EQ(Speak("<emphasis level=\"strong\">a</emphasis>"), "[rate:0.85][volume:1.3]a[rate:1][volume:1]");
  EXPECT_EQ(Speak("<emphasis>a</emphasis>"), "[rate:0.9][volume:1.15]a[rate:1][volume:1]");
  EXPECT_EQ(Speak("<emphasis level=\"reduced\">a</emphasis>"), "[rate:1.1][volume:0.8]a[rate:1][volume:1]");
  EXPECT_EQ(Speak("<emphasis level=\"none\">a</emphasis>"), "a");
  EXPECT_EQ(Speak("<prosody rate=\"2\"><emphasis level=\"strong\">a</emphasis></prosody>"),
            "[rate:2][rate:1.7][volume:1.3]a[rate:2][volume:1][rate:1]");
}

TEST(SsmlReader, SayAs) {
  EXPECT_EQ(Speak("<say-as interpret-as=\"characters\">Ab1-</say-as>"), "[[ey1]] [[b iy1]] one");
  EXPECT_EQ(Speak("<say-as interpret-as=\"spell-out\">w</say-as>"), "[[d ah1 b ax0 l y uw0]]");
  EXPECT_EQ(Speak("<say-as interpret-as=\"cardinal\">1,234</say-as>"), "one thousand two hundred thirty four");
  EXPECT_EQ(Speak("<say-as interpret-as=\"cardinal\"> -3.5 </say-as>"), "minus three point five");
  EXPECT_EQ(Speak("<say-as interpret-as=\"ordinal\">21st</say-as> <say-as interpret-as=\"ordinal\">3</say-as>"),
            "twenty first third");
  EXPECT_EQ(Speak("<say-as interpret-as=\"digits\">007</say-as>"), "zero zero seven");
  EXPECT_EQ(Speak("<say-as interpret-as=\"date\">2024-03-05</say-as>"), "march fifth twenty twenty four");
  EXPECT_EQ(Speak("<say-as interpret-as=\"date\" format=\"dmy\">05/03/2024</say-as>"),
            "march fifth twenty twenty four");
  EXPECT_EQ(Speak("<say-as interpret-as=\"date\" format=\"md\">3.5</say-as>"), "march fifth");
  EXPECT_EQ(Speak("<say-as interpret-as=\"date\" format=\"my\">12/1999</say-as>"), "december nineteen ninety nine");
  EXPECT_EQ(Speak("<say-as interpret-as=\"date\" format=\"y\">1984</say-as>"), "nineteen eighty four");
  EXPECT_EQ(Speak("<say-as interpret-as=\"date\" format=\"d\">2</say-as>"), "second");
  EXPECT_EQ(Speak("<say-as interpret-as=\"time\">10:30</say-as>"), "ten thirty");
  EXPECT_EQ(Speak("<say-as interpret-as=\"time\">10:05 PM</say-as>"), "ten oh five [[p iy1]] [[eh1 m]]");
  EXPECT_EQ(Speak("<say-as interpret-as=\"time\">7am</say-as>"), "seven [[ey1]] [[eh1 m]]");
  EXPECT_EQ(Speak("<say-as interpret-as=\"time\" format=\"hms24\">19:45:30</say-as>"),
            "nineteen forty five and thirty seconds");
  EXPECT_EQ(Speak("<say-as interpret-as=\"time\">9:00</say-as>"), "nine o'clock");
  EXPECT_EQ(Speak("<say-as interpret-as=\"telephone\">+1 (555) 010-0100</say-as>"),
            "plus one, five five five, zero one zero, zero one zero zero");
  // Content that does not fit is said as text, with the spans of its own bytes.
  EXPECT_EQ(Speak("<say-as interpret-as=\"cardinal\">many</say-as>"), "many");
  EXPECT_EQ(Speak("<say-as interpret-as=\"date\">2024-13-01</say-as>"), "2024-13-01");
  EXPECT_EQ(Speak("<say-as interpret-as=\"time\" format=\"hms12\">13:00</say-as>"), "13:00");
  EXPECT_EQ(Speak("<say-as interpret-as=\"telephone\">1-800-FLOWERS</say-as>"), "1-800-FLOWERS");
  EXPECT_EQ(Speak("<say-as interpret-as=\"characters\">?!</say-as>"), "?!");
  EXPECT_EQ(Speak("<say-as interpret-as=\"currency\">$5</say-as>"), "$5");  // unknown: the content as text
}

TEST(SsmlReader, SubPhonemeVoice) {
  EXPECT_EQ(Speak("The <sub alias=\"World Wide Web\">WWW</sub>."), "The World Wide Web.");
  EXPECT_EQ(Speak("<sub alias=\"A &amp; B &#38; C\">x</sub>"), "A & B & C");
  EXPECT_EQ(Speak("<phoneme alphabet=\"x-arpabet\" ph=\"T AH0 M EY1 T OW2\">tomato</phoneme>"),
            "[[t ah0 m ey1 t ow2]]");
  EXPECT_EQ(Speak("<phoneme alphabet=\"ipa\" ph=\"h\u0259\u02C8lo\u028A\">hello</phoneme>"), "[[hh ax0 l ow1]]");
  EXPECT_EQ(Speak("<voice name=\"alpha\">x<voice name=\"beta.2\">y</voice>z</voice>w"),
            "[voice:alpha]x[voice:beta.2]y[voice:alpha]z[voice:]w");
  EXPECT_EQ(Speak("<voice gender=\"female\">same voice</voice>"), "same voice");
}

TEST(SsmlReader, IgnoredAndDroppedElements) {
  EXPECT_EQ(Speak("a<mark name=\"m1\"/>b"), "ab");
  EXPECT_EQ(Speak("<lang xml:lang=\"fr-FR\">bonjour</lang>"), "bonjour");
  EXPECT_EQ(Speak("<audio src=\"bell.wav\">ding<desc>a bell</desc></audio>"), "ding");
  EXPECT_EQ(Text("<speak><meta name=\"x\" content=\"y\"/><lexicon uri=\"l.pls\"/>"
                 "<metadata><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:x>no</rdf:x>"
                 "</rdf:RDF></metadata>said</speak>"),
            "said");
}

TEST(SsmlReader, SpansOfPlainText) {
  const std::string doc = "<speak>a&amp;b  \u00E9</speak>";
  const Converted c = Convert(doc);
  ASSERT_EQ(c.error, "");
  ASSERT_EQ(c.text, "a&b \u00E9");
  ASSERT_EQ(c.spans.size(), 6u);
  EXPECT_EQ(c.spans[0], (SourceSpan{7, 8}));    // a
  EXPECT_EQ(c.spans[1], (SourceSpan{8, 13}));   // &amp;
  EXPECT_EQ(c.spans[2], (SourceSpan{13, 14}));  // b
  EXPECT_EQ(c.spans[3], (SourceSpan{14, 16}));  // the whole whitespace run
  EXPECT_EQ(c.spans[4], (SourceSpan{16, 17}));  // é, byte by byte
  EXPECT_EQ(c.spans[5], (SourceSpan{17, 18}));
}

TEST(SsmlReader, SpansOfGeneratedText) {
  const std::string doc =
      "<speak><prosody rate=\"fast\">x</prosody><say-as interpret-as=\"cardinal\">12</say-as>"
      "<break time=\"1s\"/><say-as interpret-as=\"cardinal\">no</say-as></speak>";
  const Converted c = Convert(doc);
  ASSERT_EQ(c.error, "");
  ASSERT_EQ(c.text, "[rate:1.25]x[rate:1]twelve [pause:1000ms] no");
  EXPECT_EQ(SourceOf(c, doc, 0, 11), "<prosody rate=\"fast\">");  // written at the start: the start tag
  EXPECT_EQ(SourceOf(c, doc, 12, 8), "</prosody>");               // written at the end: the end tag
  EXPECT_EQ(SourceOf(c, doc, 20, 6), "<say-as interpret-as=\"cardinal\">12</say-as>");  // the whole element
  EXPECT_EQ(SourceOf(c, doc, 26, 16), "<break time=\"1s\"/>");
  EXPECT_EQ(SourceOf(c, doc, 42, 1), "n");  // content said as text keeps its own bytes
  EXPECT_EQ(SourceOf(c, doc, 43, 1), "o");
}

TEST(SsmlReader, SameOutputWhateverThePieces) {
  const std::string doc =
      "<?xml version=\"1.0\"?>\r\n<speak xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"en-US\">\r\n"
      "  <p>Caf\u00E9 &amp; cr\u00E8me, <!-- c --> <![CDATA[a<b]]>.</p>\n"
      "  <p><s>Call <say-as interpret-as=\"telephone\">555-0100</say-as> at "
      "<say-as interpret-as=\"time\">7:30pm</say-as>.</s>\n"
      "  <s><prosody rate=\"slow\" pitch=\"+2st\">Slowly <emphasis>now</emphasis></prosody><break/>"
      "<voice name=\"beta\"><sub alias=\"okay\">OK</sub> &#x263A;</voice></s></p>\n"
      "</speak>\n<!-- trailing -->\n";
  const Converted whole = Convert(doc);
  ASSERT_EQ(whole.error, "");
  for (size_t piece : {1, 2, 3, 7, 64}) {
    const Converted c = Convert(doc, piece);
    EXPECT_EQ(c.error, "") << piece;
    EXPECT_EQ(c.text, whole.text) << piece;
    EXPECT_EQ(c.spans, whole.spans) << piece;
  }
}

TEST(SsmlReader, TextComesOutAsItArrives) {
  SsmlReader reader;
  std::string text;
  std::vector<SourceSpan> spans;
  auto append = [&](std::string_view piece) {
    EXPECT_TRUE(reader.Append(piece, &text, &spans));
    EXPECT_EQ(spans.size(), text.size());
    return text;
  };
  EXPECT_EQ(append("<speak><p>Hello there.</p><p>Next one"), "Hello there.\n\nNext one");
  EXPECT_EQ(append(" goes "), "Hello there.\n\nNext one goes");               // a space waits for what follows it
  EXPECT_EQ(append("on &am"), "Hello there.\n\nNext one goes on");            // so does a reference cut short
  EXPECT_EQ(append("p; caf\xC3"), "Hello there.\n\nNext one goes on & caf");  // and a character
  EXPECT_EQ(append("\xA9.</p><say-as interpret-as=\"cardinal\">1"),
            "Hello there.\n\nNext one goes on & caf\u00E9.\n\n");
  EXPECT_EQ(append("2</say-as></speak>"), "Hello there.\n\nNext one goes on & caf\u00E9.\n\ntwelve");
  ASSERT_TRUE(reader.Close(&text, &spans));
  EXPECT_EQ(text, "Hello there.\n\nNext one goes on & caf\u00E9.\n\ntwelve");
}

TEST(SsmlReader, RefusesWithLineAndColumn) {
  EXPECT_EQ(Text("<speak>\n  <p>\n    <foo/></p></speak>"),
            "ERROR: SSML line 3, column 5: element <foo> is not supported");
  EXPECT_EQ(Text("<speak><x:y xmlns:x=\"urn:x\"/></speak>"),
            "ERROR: SSML line 1, column 8: element <x:y> is not supported");
  EXPECT_EQ(Text("<p>x</p>"), "ERROR: SSML line 1, column 1: the root element must be <speak>, not <p>");
  EXPECT_EQ(Text("<speak><speak/></speak>"),
            "ERROR: SSML line 1, column 8: <speak> must be the root element, not inside <speak>");
  EXPECT_EQ(Text("<speak>a <break time=\"abc\"/></speak>"),
            "ERROR: SSML line 1, column 10: <break time=\"abc\">: not a time (write it as 500ms or 1.5s)");
  EXPECT_EQ(Text("<speak><break strength=\"loud\"/></speak>"),
            "ERROR: SSML line 1, column 8: <break strength=\"loud\">: not a strength (none, x-weak, weak, medium, "
            "strong, x-strong)");
  EXPECT_NE(Text("<speak><prosody rate=\"quick\">a</prosody></speak>").find("<prosody rate=\"quick\">: not a rate"),
            std::string::npos);
  EXPECT_NE(Text("<speak><prosody volume=\"2\">a</prosody></speak>").find("<prosody volume=\"2\">: not a volume"),
            std::string::npos);
  EXPECT_NE(Text("<speak><prosody pitch=\"up\">a</prosody></speak>").find("not a pitch"), std::string::npos);
  EXPECT_NE(Text("<speak><emphasis level=\"max\">a</emphasis></speak>").find("not a level"), std::string::npos);
  EXPECT_NE(Text("<speak><voice name=\"a b\">a</voice></speak>").find("<voice name=\"a b\">"), std::string::npos);
  EXPECT_NE(Text("<speak><phoneme ph=\"qqq\">a</phoneme></speak>").find("<phoneme ph=\"qqq\">"), std::string::npos);
  EXPECT_NE(Text("<speak><phoneme alphabet=\"x-sampa\" ph=\"a\">a</phoneme></speak>").find("alphabet"),
            std::string::npos);
  EXPECT_EQ(Text("<speak><sub>x</sub></speak>"), "ERROR: SSML line 1, column 8: <sub> needs an alias attribute");
  EXPECT_EQ(Text("<speak><say-as>x</say-as></speak>"),
            "ERROR: SSML line 1, column 8: <say-as> needs an interpret-as attribute");
  EXPECT_NE(Text("<speak><say-as interpret-as=\"date\" format=\"qq\">x</say-as></speak>").find("not a date format"),
            std::string::npos);
  EXPECT_EQ(Text("<speak><sub alias=\"a\"><break/></sub></speak>"),
            "ERROR: SSML line 1, column 23: element <break> is not allowed inside <sub>");
}

TEST(SsmlReader, RefusesMalformedXml) {
  const std::string mismatch = Text("<speak>\n<p>a</speak>");
  EXPECT_EQ(mismatch.rfind("ERROR: SSML line 2, column ", 0), 0u) << mismatch;
  EXPECT_NE(mismatch.find("malformed XML: Opening and ending tag mismatch"), std::string::npos) << mismatch;
  EXPECT_NE(Text("<speak a=b>x</speak>").find("malformed XML"), std::string::npos);
  EXPECT_EQ(Text("hello <speak/>"),
            "ERROR: SSML line 1, column 1: text outside <speak> (the document must begin with <speak>)");
  const std::string after = Text("<speak>a</speak>\ntail");
  EXPECT_EQ(after.rfind("ERROR: SSML line 2, column ", 0), 0u) << after;
  EXPECT_NE(after.find("nothing but comments may follow </speak>"), std::string::npos) << after;
  EXPECT_NE(Text("<speak/><speak/>").find("nothing but comments may follow </speak>"), std::string::npos);
  EXPECT_EQ(Text("<speak>\n<p>hi"),
            "ERROR: SSML line 2, column 6: <speak> is not closed (the document ends inside <p>)");
  EXPECT_EQ(Text("<speak>hi"), "ERROR: SSML line 1, column 10: <speak> is not closed");
  EXPECT_NE(Text("<speak>hi<p").find("ERROR: SSML line 1, column "), std::string::npos);
  EXPECT_NE(Text("<speak>a\x01b</speak>").find("malformed XML"), std::string::npos);
  EXPECT_NE(Text("<speak>a]]>b</speak>").find("malformed XML"), std::string::npos);
  EXPECT_NE(Text("<speak><p\x11 a=\"1\">x</p></speak>").find("malformed XML"), std::string::npos);
  EXPECT_EQ(Text(""), "ERROR: SSML line 1, column 1: the document has no <speak> element");
  EXPECT_EQ(Text("<speak>\xC3(</speak>"), "ERROR: SSML line 1, column 8: the document is not valid UTF-8");
  EXPECT_EQ(Text("<speak>\xC3"), "ERROR: SSML line 1, column 8: the document ends inside a UTF-8 character");
  EXPECT_EQ(Text(std::string("<speak>a\0b</speak>", 18)), "ERROR: SSML line 1, column 9: a NUL byte is not allowed");
}

TEST(SsmlReader, RefusesDoctypeEntitiesAndInstructions) {
  EXPECT_EQ(Text("<?xml version=\"1.0\"?>\n<!DOCTYPE speak [<!ENTITY a \"lol\">]><speak>&a;</speak>"),
            "ERROR: SSML line 2, column 1: a DOCTYPE is not allowed (no DTDs, no entity declarations)");
  EXPECT_EQ(Text("<!DOCTYPE speak SYSTEM \"http://example.com/x.dtd\"><speak/>")
                .rfind("ERROR: SSML line 1, column 1: a DOCTYPE", 0),
            0u);
  const std::string entity = Text("<speak>a&nbsp;b</speak>");
  EXPECT_EQ(entity.rfind("ERROR: SSML line 1, column ", 0), 0u) << entity;
  EXPECT_NE(entity.find("entity &nbsp; is not defined"), std::string::npos) << entity;
  EXPECT_EQ(Text("<speak>a<?php echo 1; ?></speak>"),
            "ERROR: SSML line 1, column 9: processing instruction <?php?> is not allowed");
}

TEST(SsmlReader, Limits) {
  std::string deep = "<speak>";
  for (size_t i = 1; i < kMaxSsmlDepth; ++i) deep += "<s>";
  EXPECT_EQ(Text(deep + "x").find("nested"), std::string::npos);  // 64 deep: only unclosed
  EXPECT_NE(Text(deep + "<s>x").find("elements are nested more than 64 deep"), std::string::npos);

  SsmlReader reader;
  std::string text;
  std::vector<SourceSpan> spans;
  ASSERT_TRUE(reader.Append("<speak>", &text, &spans));
  auto s = reader.Append(std::string(kMaxSsmlBytes, 'a'), &text, &spans);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kBadRequest);
  EXPECT_NE(s.error().message.find("longer than 1048576 bytes"), std::string::npos);
}

TEST(SsmlReader, ErrorsAreFinalAndAppendNothing) {
  SsmlReader reader;
  std::string text;
  std::vector<SourceSpan> spans;
  ASSERT_TRUE(reader.Append("<speak>fine ", &text, &spans));
  const std::string before = text;
  auto first = reader.Append("more <bogus/>", &text, &spans);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(text, before);
  EXPECT_EQ(spans.size(), text.size());
  auto again = reader.Append("</speak>", &text, &spans);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, first.error().message);
  auto closed = reader.Close(&text, &spans);
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().message, first.error().message);
}

TEST(SsmlReader, CloseOnce) {
  SsmlReader reader;
  std::string text;
  std::vector<SourceSpan> spans;
  ASSERT_TRUE(reader.Append("<speak>x</speak>", &text, &spans));
  ASSERT_TRUE(reader.Close(&text, &spans));
  EXPECT_FALSE(reader.Close(&text, &spans));
  EXPECT_FALSE(reader.Append(" ", &text, &spans));
  EXPECT_EQ(text, "x");
}

}  // namespace
}  // namespace ttsd::frontend
