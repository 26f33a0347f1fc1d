// The Mandarin frontend against a hand-checked test set (data/mandarin-pinyin.tsv: sentences with
// the pinyin a native speaker says, after sandhi): syllable accuracy overall, on polyphonic
// characters and per category, against the targets of issue 20; and a held-out set the rules were
// not tuned on (data/mandarin-pinyin-heldout.tsv). Prints the tables that frontend/README.md
// publishes and every sentence it gets wrong.
//   build/tests/frontend/mandarin-accuracy-test
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../../frontend/src/text-fold.h"
#include "ttsd/frontend/mandarin.h"

namespace ttsd::frontend {
namespace {

constexpr double kSyllableTarget = 0.97;
constexpr double kPolyphoneTarget = 0.95;
constexpr double kHeldOutTarget = 0.95;  // all syllables of the held-out set

// Characters with more than one common reading: the syllables the polyphone figure counts.
constexpr std::string_view kPolyphones =
    "了的地得着还行长重为中都觉教只好乐发便差数种大干调空当朝藏假降将解难强曲散省相血应转分和量背薄参曾称冲少处传"
    "弹兴似与载正答没给折倒";

struct Case {
  std::string sentence;
  std::vector<std::string> expected;
  std::vector<std::string> categories;
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::vector<Case> LoadCases(const std::string& name) {
  std::ifstream in(std::string(TTSD_SOURCE_DIR) + "/tests/frontend/data/" + name);
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> fields = Split(line, '\t');
    if (fields.size() != 3) {
      ADD_FAILURE() << "bad line: " << line;
      continue;
    }
    cases.push_back({fields[0], Split(fields[1], ' '), Split(fields[2], ',')});
  }
  return cases;
}

bool IsPolyphone(const std::string& ch) { return !ch.empty() && kPolyphones.find(ch) != std::string_view::npos; }

struct Tally {
  size_t right = 0, total = 0;
  double Rate() const { return total == 0 ? 1.0 : static_cast<double>(right) / static_cast<double>(total); }
};

// Aligns the syllables read with the expected ones (edit distance); counts each expected syllable
// right or wrong, and those of polyphonic characters apart.
void Score(const std::vector<std::string>& expected, const std::vector<std::string>& got,
           const std::vector<std::string>& got_chars, Tally* all, Tally* poly) {
  const size_t n = expected.size(), m = got.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (expected[i - 1] == got[j - 1] ? 0 : 1)});
    }
  }
  size_t i = n, j = m;
  while (i > 0) {
    if (j > 0 && d[i][j] == d[i - 1][j - 1] + (expected[i - 1] == got[j - 1] ? 0 : 1)) {
      const bool right = expected[i - 1] == got[j - 1];
      all->total++;
      all->right += right;
      if (IsPolyphone(got_chars[j - 1])) {
        poly->total++;
        poly->right += right;
      }
      --i;
      --j;
    } else if (j > 0 && d[i][j] == d[i][j - 1] + 1) {
      --j;
    } else {
      all->total++;  // a syllable not read
      --i;
    }
  }
}

struct Result {
  size_t sentences = 0;
  Tally all, poly;
};

// Reads every sentence of a test set; prints what it gets wrong and the table.
Result Evaluate(const std::vector<Case>& cases) {
  Tally all, poly;
  std::map<std::string, Tally> by_category;
  std::map<std::string, size_t> sentences;
  size_t wrong_sentences = 0;
  for (const Case& c : cases) {
    auto words = ReadMandarin(c.sentence);
    if (!words) {
      ADD_FAILURE() << c.sentence << ": " << words.error().ToString();
      continue;
    }
    std::vector<std::string> got, got_chars;
    for (const MandarinWord& w : *words) {
      std::vector<std::string> chars;
      for (size_t i = 0; i < w.text.size();) {
        const size_t start = i;
        DecodeUtf8(w.text, &i);
        chars.push_back(w.text.substr(start, i - start));
      }
      for (size_t k = 0; k < w.syllables.size(); ++k) {
        got.push_back(w.syllables[k]);
        got_chars.push_back(chars.size() == w.syllables.size() ? chars[k] : "");
      }
    }
    Tally sentence_all, sentence_poly;
    Score(c.expected, got, got_chars, &sentence_all, &sentence_poly);
    all.right += sentence_all.right;
    all.total += sentence_all.total;
    poly.right += sentence_poly.right;
    poly.total += sentence_poly.total;
    for (const std::string& category : c.categories) {
      by_category[category].right += sentence_all.right;
      by_category[category].total += sentence_all.total;
      sentences[category]++;
    }
    if (got != c.expected) {
      ++wrong_sentences;
      std::string joined;
      for (const std::string& s : got) joined += (joined.empty() ? "" : " ") + s;
      std::printf("  wrong: %s\n    read: %s\n", c.sentence.c_str(), joined.c_str());
    }
  }
  std::printf("\n| Category | Sentences | Syllables | Right |\n|---|---:|---:|---:|\n");
  for (const auto& [category, tally] : by_category) {
    std::printf("| %s | %zu | %zu | %.1f %% |\n", category.c_str(), sentences[category], tally.total,
                100.0 * tally.Rate());
  }
  std::printf("| polyphonic characters | | %zu | %.1f %% |\n", poly.total, 100.0 * poly.Rate());
  std::printf("| **all** | %zu | %zu | %.1f %% |\n", cases.size(), all.total, 100.0 * all.Rate());
  std::printf("%zu of %zu sentences read exactly right\n", cases.size() - wrong_sentences, cases.size());
  return {cases.size(), all, poly};
}

TEST(MandarinAccuracy, MeetsTheTargetsOnTheTestSet) {
  const std::vector<Case> cases = LoadCases("mandarin-pinyin.tsv");
  ASSERT_GE(cases.size(), 300u);
  const Result r = Evaluate(cases);
  EXPECT_GE(r.all.Rate(), kSyllableTarget);
  EXPECT_GE(r.poly.Rate(), kPolyphoneTarget);
}

// Sentences the rules were not tuned on: a guard against rules that only fit the set above.
TEST(MandarinAccuracy, HeldOutSetStaysClose) {
  const std::vector<Case> cases = LoadCases("mandarin-pinyin-heldout.tsv");
  ASSERT_GE(cases.size(), 50u);
  const Result r = Evaluate(cases);
  EXPECT_GE(r.all.Rate(), kHeldOutTarget);
}

}  // namespace
}  // namespace ttsd::frontend
