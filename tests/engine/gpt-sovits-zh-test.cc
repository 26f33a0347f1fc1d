// Chinese in upstream GPT-SoVITS symbols (engine/src/gpt-sovits-zh.h): every syllable ttsd's pinyin
// accepts maps to symbols of upstream's v2 table (the fixture's symbols.json, built from upstream's
// symbols2.py), the mapping's rules one by one, marks, erhua and word2ph of Mandarin runs, the
// frontend's 329-sentence test set read without a missing symbol, cutting by script, and the BERT
// vocabulary's tokens.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "../../engine/src/gpt-sovits-zh.h"
#include "../../frontend/src/pinyin.h"

namespace ttsd::engine {
namespace {

const std::string kFixture = std::string(TTSD_SOURCE_DIR) + "/models/fixtures/gpt-sovits/fixture-gpt-sovits";
using Symbols = std::vector<std::string>;

std::set<std::string> UpstreamSymbols() {
  std::ifstream in(kFixture + "/symbols.json");
  const auto j = nlohmann::json::parse(in);
  return j.get<std::set<std::string>>();
}

// Every spelling ParsePinyin accepts as it is (initials, y, w or none, times every final spelling,
// the syllabic interjections, erhua forms), with tones 1-5.
std::vector<std::string> Inventory() {
  const std::vector<std::string> initials = {"",  "b", "p", "m", "f", "d", "t", "n", "l",  "g",  "k",  "h", "j",
                                             "q", "x", "r", "z", "c", "s", "y", "w", "zh", "ch", "sh"};
  const std::vector<std::string> rests = {
      "a",   "o",   "e",    "er",  "ai",  "ei",   "ao",   "ou",  "an",  "en",  "ang", "eng", "ong", "i",
      "ia",  "io",  "ie",   "iao", "iu",  "ian",  "in",   "iang", "ing", "iong", "u",  "ua",  "uo",  "uai",
      "ui",  "uan", "un",   "uang", "ueng", "v",  "ve",   "van", "vn",  "ue",  "uong"};
  std::vector<std::string> out;
  for (const auto& i : initials) {
    for (const auto& r : rests) {
      // ParsePinyin takes any initial with any final ("ber1" as erhua of "be", "bio1"); er, io, ueng
      // and uong are syllables only alone or as yo, weng, wong.
      if (r == "er" && !i.empty()) continue;
      if ((r == "io" || r == "ueng" || r == "uong") && !i.empty() && i != "y" && i != "w") continue;
      for (char tone = '1'; tone <= '5'; ++tone) {
        for (const std::string& s : {i + r + tone, i + r + "r" + tone}) {
          if (frontend::ParsePinyin(s) == s) out.push_back(s);
        }
      }
    }
  }
  for (const char* s : {"m2", "n2", "ng2", "hm5", "hng5", "n3", "ng4"}) {
    if (frontend::ParsePinyin(s) == s) out.emplace_back(s);
  }
  return out;
}

TEST(GptSovitsZh, EverySyllableOfTtsdsInventoryMapsToUpstreamSymbols) {
  const auto symbols = UpstreamSymbols();
  ASSERT_EQ(symbols.size(), 732u);
  const auto inventory = Inventory();
  EXPECT_GT(inventory.size(), 2000u);  // about 410 syllables x 5 tones, and erhua
  for (const std::string& s : inventory) {
    const Symbols got = ZhSyllableSymbols(s);
    if (s.starts_with("ir")) {  // ParsePinyin takes the bare final of zhi/zi; no syllable alone
      EXPECT_TRUE(got.empty()) << s;
      continue;
    }
    ASSERT_TRUE(got.size() == 2 || got.size() == 4) << s;
    for (const std::string& g : got) EXPECT_TRUE(symbols.contains(g)) << s << " -> " << g;
    EXPECT_EQ(got[1].back(), s.back()) << s;  // the final carries the tone
  }
}

TEST(GptSovitsZh, SyllablesAreUpstreamsInitialsAndTonedFinals) {
  const std::vector<std::pair<std::string, Symbols>> cases = {
      {"zhong1", {"zh", "ong1"}}, {"hang2", {"h", "ang2"}},  {"ma5", {"m", "a5"}},     {"ai4", {"AA", "ai4"}},
      {"e4", {"EE", "e4"}},       {"er2", {"EE", "er2"}},    {"ou1", {"OO", "ou1"}},   {"yan2", {"y", "En2"}},
      {"ye3", {"y", "E3"}},       {"yi1", {"y", "i1"}},      {"ying2", {"y", "ing2"}}, {"you3", {"y", "ou3"}},
      {"yu2", {"y", "v2"}},       {"yuan2", {"y", "van2"}},  {"yue4", {"y", "ve4"}},   {"yun2", {"y", "vn2"}},
      {"wu3", {"w", "u3"}},       {"wei4", {"w", "ei4"}},    {"ju4", {"j", "v4"}},     {"quan2", {"q", "van2"}},
      {"xue2", {"x", "ve2"}},     {"xun4", {"x", "vn4"}},    {"lv4", {"l", "v4"}},     {"nve4", {"n", "ve4"}},
      {"lue4", {"l", "ve4"}},     {"zi4", {"z", "i04"}},     {"ci2", {"c", "i02"}},    {"si1", {"s", "i01"}},
      {"zhi1", {"zh", "ir1"}},    {"shi4", {"sh", "ir4"}},   {"ri4", {"r", "ir4"}},    {"jiu3", {"j", "iu3"}},
      {"dui4", {"d", "ui4"}},     {"lun2", {"l", "un2"}},    {"bo2", {"b", "o2"}},     {"dianr3", {"d", "ian3", "EE", "er3"}},
      {"n2", {"EE", "en2"}},      {"m2", {"m", "u2"}},       {"hng5", {"h", "eng5"}},  {"i1", {"y", "i1"}},
      {"uo3", {"w", "o3"}},       {"ian4", {"y", "En4"}},    {"v3", {"y", "v3"}},         {"un2", {"w", "en2"}},      {"iu4", {"y", "ou4"}},
  };
  for (const auto& [syllable, want] : cases) EXPECT_EQ(ZhSyllableSymbols(syllable), want) << syllable;
  for (const char* bad : {"", "a", "zh1", "ma6", "MA1", "x1", "ii"}) EXPECT_TRUE(ZhSyllableSymbols(bad).empty()) << bad;
}

TEST(GptSovitsZh, RunsGiveSymbolsCharactersAndWord2ph) {
  auto run = ReadZhRun("我在银行工作。");
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->symbols, (Symbols{"w", "o3", "z", "ai4", "y", "in2", "h", "ang2", "g", "ong1", "z", "uo4", "."}));
  EXPECT_EQ(run->chars, (Symbols{"我", "在", "银", "行", "工", "作", "."}));
  EXPECT_EQ(run->word2ph, (std::vector<int32_t>{2, 2, 2, 2, 2, 2, 1}));

  // Erhua: 儿 keeps its own two symbols and its character; marks as upstream, a run of them is one.
  run = ReadZhRun("等一会儿，好吗？！……");
  ASSERT_TRUE(run) << run.error().message;
  const Symbols s = run->symbols;
  ASSERT_GE(s.size(), 4u);
  EXPECT_EQ(Symbols(s.end() - 3, s.end()), (Symbols{"m", "a5", "?"}));
  const auto comma = std::find(s.begin(), s.end(), ",");
  ASSERT_NE(comma, s.end());
  EXPECT_EQ(*(comma - 2), "EE") << "会儿 read with erhua";
  EXPECT_EQ(*(comma - 1), "er" + std::string(1, (comma - 3)->back())) << "儿 takes the tone before it";
  EXPECT_EQ(run->chars.size(), run->word2ph.size());
  EXPECT_EQ(std::accumulate(run->word2ph.begin(), run->word2ph.end(), size_t{0}), s.size());
  EXPECT_EQ(run->chars.back(), "?");

  // Numbers are read; quotes, brackets and spaces are dropped; 嗯 is read as 恩.
  run = ReadZhRun("“嗯”，有3个《苹果》");
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->chars.front(), "恩");
  EXPECT_EQ(run->chars, (Symbols{"恩", ",", "有", "三", "个", "苹", "果"}));
  EXPECT_EQ(run->symbols.front(), "EE");
}

TEST(GptSovitsZh, TheFrontendTestSetReadsInUpstreamSymbols) {
  const auto symbols = UpstreamSymbols();
  std::ifstream in(std::string(TTSD_SOURCE_DIR) + "/tests/frontend/data/mandarin-pinyin.tsv");
  std::string line;
  int sentences = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::string text = line.substr(0, line.find('\t'));
    auto run = ReadZhRun(text);
    ASSERT_TRUE(run) << text << ": " << run.error().message;
    for (const std::string& s : run->symbols) EXPECT_TRUE(symbols.contains(s)) << text << ": " << s;
    EXPECT_EQ(run->chars.size(), run->word2ph.size()) << text;
    EXPECT_EQ(std::accumulate(run->word2ph.begin(), run->word2ph.end(), size_t{0}), run->symbols.size()) << text;
    ++sentences;
  }
  EXPECT_GE(sentences, 300);
}

TEST(GptSovitsZh, TextIsCutByScript) {
  auto runs = SplitScripts("我喜欢用 Python 写代码, really!");
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_TRUE(runs[0].zh);
  EXPECT_EQ(runs[0].text, "我喜欢用 ");
  EXPECT_FALSE(runs[1].zh);
  EXPECT_EQ(runs[1].text, "Python ");
  EXPECT_TRUE(runs[2].zh);
  EXPECT_EQ(runs[2].text, "写代码, ");
  EXPECT_FALSE(runs[3].zh);
  EXPECT_EQ(runs[3].text, "really!");
  runs = SplitScripts("“Hi”，你好");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].text, "“Hi”，");
  EXPECT_FALSE(runs[0].zh);
  runs = SplitScripts("我们走了5km, 用了GPS。");  // a unit after a number is read as Chinese
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].text, "我们走了5km, 用了");
  EXPECT_EQ(runs[1].text, "GPS。");  // marks stay with the run they follow
  EXPECT_TRUE(HasCjk("a中"));
  EXPECT_FALSE(HasCjk("abc，。"));
  EXPECT_TRUE(SplitScripts("").empty());
}

TEST(GptSovitsZh, BertVocabGivesOneTokenPerCharacterBetweenClsAndSep) {
  auto v = BertVocab::Read(kFixture + "/vocab.txt");
  ASSERT_TRUE(v) << v.error().message;
  // The fixture's vocab.txt is laid out as the real one: [UNK] 100, [CLS] 101, [SEP] 102.
  const auto ids = v->Encode({"我", ",", "鼹", "."});
  ASSERT_EQ(ids.size(), 6u);
  EXPECT_EQ(ids.front(), 101);
  EXPECT_EQ(ids.back(), 102);
  EXPECT_GT(ids[1], 103);
  EXPECT_EQ(ids[3], 100) << "a character the vocabulary lacks is [UNK]";
  EXPECT_NE(ids[1], ids[2]);
  EXPECT_FALSE(BertVocab::Read(kFixture + "/voice.json"));  // no [CLS]
  EXPECT_FALSE(BertVocab::Read(kFixture + "/no-such-vocab.txt"));
}

}  // namespace
}  // namespace ttsd::engine
