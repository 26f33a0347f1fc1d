// Fuzzes Chinese for GPT-SoVITS voices (engine/src/gpt-sovits-zh.h): any text cut by script
// (SplitScripts), each Chinese run read into upstream's symbols (ReadZhRun), and those characters
// as BERT tokens. Checks, beyond the sanitizers: the runs put together are the text; a run reads or
// is refused with kUnsupportedText; its characters and word2ph pair up and word2ph sums to its
// symbols; every symbol is a mark or an initial/final (no empty one); the tokens are the characters
// between [CLS] and [SEP]. Input: the text, made valid UTF-8 first, as in fuzz-frontend.
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>

#include "../../engine/src/gpt-sovits-zh.h"
#include "fuzz-check.h"
#include "fuzz-utf8.h"

namespace {

using namespace ttsd;
using namespace ttsd::engine;

const BertVocab& Vocab() {  // a small vocabulary: [UNK] 0, [CLS] 1, [SEP] 2, two characters, marks
  static const BertVocab vocab = [] {
    const std::string path = "/tmp/fuzz-gpt-sovits-zh-vocab.txt";
    FILE* f = std::fopen(path.c_str(), "w");
    FUZZ_CHECK(f != nullptr, "cannot write the vocabulary");
    std::fputs("[UNK]\n[CLS]\n[SEP]\n\xE6\x88\x91\n\xE4\xBD\xA0\n,\n.\n", f);
    std::fclose(f);
    auto v = BertVocab::Read(path);
    FUZZ_CHECK(v.has_value(), "BertVocab::Read failed");
    return *v;
  }();
  return vocab;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = ttsd::fuzz::ValidUtf8(std::string_view(reinterpret_cast<const char*>(data), size));
  std::string joined;
  for (const ScriptRun& run : SplitScripts(text)) {
    FUZZ_CHECK(!run.text.empty(), "an empty run");
    joined += run.text;
    if (!run.zh) continue;
    FUZZ_CHECK(HasCjk(run.text), "a Chinese run without a Chinese character");
    auto zh = ReadZhRun(run.text);
    if (!zh) {
      FUZZ_CHECK(zh.error().code == ErrorCode::kUnsupportedText, "ReadZhRun failed with an unexpected code");
      continue;
    }
    FUZZ_CHECK(zh->chars.size() == zh->word2ph.size(), "characters and word2ph differ in length");
    FUZZ_CHECK(std::accumulate(zh->word2ph.begin(), zh->word2ph.end(), size_t{0}) == zh->symbols.size(),
               "word2ph does not sum to the symbols");
    for (const std::string& s : zh->symbols) FUZZ_CHECK(!s.empty(), "an empty symbol");
    const auto tokens = Vocab().Encode(zh->chars);
    FUZZ_CHECK(tokens.size() == zh->chars.size() + 2 && tokens.front() == 1 && tokens.back() == 2,
               "tokens are not the characters between [CLS] and [SEP]");
  }
  FUZZ_CHECK(joined == text, "the runs are not the text");
  return 0;
}
