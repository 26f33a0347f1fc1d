// `ttsc phonemes`: the real ttsc binary prints what the text frontend decides, word by word, with no
// daemon running (it runs the frontend itself).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/daemon-process.h"
#include "support/run-command.h"

namespace ttsd::testing {
namespace {

CommandResult Ttsc(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {TtscBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunCommand(argv);
  EXPECT_TRUE(r.has_value());
  return r ? *r : CommandResult{};
}

TEST(TtscPhonemes, PrintsPinyinForChineseAndPhonesForEnglish) {
  ASSERT_TRUE(std::filesystem::exists(TtscBinary())) << TtscBinary() << " is not built";
  const CommandResult r = Ttsc({"phonemes", "我在银行工作, Hello! 今天是2024年。你好"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("  银行"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("yin2 hang2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hh ax0 l ow1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("二零二四 (2024)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ni2 hao3"), std::string::npos) << r.out;  // after third-tone sandhi
  // In text order: 我 before 银行 before Hello.
  EXPECT_LT(r.out.find("wo3"), r.out.find("yin2 hang2"));
  EXPECT_LT(r.out.find("yin2 hang2"), r.out.find("hh ax0 l ow1"));
}

TEST(TtscPhonemes, TheLexiconWinsAndBadTextFails) {
  ASSERT_TRUE(std::filesystem::exists(TtscBinary())) << TtscBinary() << " is not built";
  const std::string lexicon = ::testing::TempDir() + "/ttsc-phonemes-lexicon.txt";
  std::ofstream(lexicon) << "银行 yin2 xing2\n";
  CommandResult r = Ttsc({"phonemes", "--lexicon", lexicon, "在银行"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("yin2 xing2"), std::string::npos) << r.out;
  r = Ttsc({"phonemes", "\xE6\x88\x91\xF0\xAA\x9B\x9F"});  // 我 and U+2A6DF, which has no reading
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("has no known Mandarin reading"), std::string::npos) << r.out;
  r = Ttsc({"phonemes"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
}

}  // namespace
}  // namespace ttsd::testing
