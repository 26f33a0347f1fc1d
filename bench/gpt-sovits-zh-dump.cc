// What a GPT-SoVITS voice makes of Chinese text, for models/gpt-sovits/zh_check.py to compare with
// upstream's own frontend: one JSON line per input line ("sentence" or "sentence<TAB>pinyin ...").
//   gpt-sovits-zh-dump --voice models/fixtures/gpt-sovits/fixture-gpt-sovits [--vocab vocab.txt] < lines
// Per line: "runs" (each script run; Chinese ones with upstream's symbols, the characters BERT reads,
// word2ph and the token ids of --vocab, default the voice's), "symbols" and "bert_row_sums" of the
// whole sentence as the voice's token model gets them (GptSovitsModel::SentenceInput), and, given
// pinyin, "expected": the symbols of those syllables (ZhSyllableSymbols).
#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <sstream>

#include "../engine/src/gpt-sovits-zh.h"
#include "../engine/src/gpt-sovits.h"

using namespace ttsd;
using nlohmann::json;

int main(int argc, char** argv) {
  CLI::App app{"Dumps a GPT-SoVITS voice's reading of Chinese text as JSON lines"};
  std::string voice_dir, vocab_path;
  app.add_option("--voice", voice_dir, "a GPT-SoVITS package with bert_file")->required();
  app.add_option("--vocab", vocab_path, "vocab.txt for the token ids of \"runs\" (default: the voice's)");
  CLI11_PARSE(app, argc, argv);

  auto manifest = engine::VoiceManifest::Read(voice_dir);
  if (!manifest) {
    std::cerr << manifest.error().message << "\n";
    return 1;
  }
  if (vocab_path.empty()) vocab_path = voice_dir + "/" + manifest->gpt_sovits.bert_vocab_file;
  auto vocab = engine::BertVocab::Read(vocab_path);
  auto frontend = frontend::TextFrontend::Create("en-us");
  if (!vocab || !frontend) {
    std::cerr << (vocab ? frontend.error().message : vocab.error().message) << "\n";
    return 1;
  }
  at::set_num_threads(1);
  auto model = engine::GptSovitsModel::Load(voice_dir, *manifest, torch::kCPU, **frontend);
  if (!model) {
    std::cerr << model.error().message << "\n";
    return 1;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    const size_t tab = line.find('\t');
    const std::string text = line.substr(0, tab);
    json out{{"text", text}};
    json runs = json::array();
    for (const engine::ScriptRun& r : engine::SplitScripts(text)) {
      json run{{"zh", r.zh}, {"text", r.text}};
      if (r.zh) {
        auto zh = engine::ReadZhRun(r.text);
        if (!zh) {
          run["error"] = zh.error().message;
        } else {
          run["symbols"] = zh->symbols;
          run["chars"] = zh->chars;
          run["word2ph"] = zh->word2ph;
          run["tokens"] = vocab->Encode(zh->chars);
        }
      }
      runs.push_back(std::move(run));
    }
    out["runs"] = std::move(runs);
    auto segment = (*frontend)->Phonemize(text);
    auto input = segment ? (*model)->SentenceInput(*segment, text) : std::unexpected(segment.error());
    if (!input) {
      out["error"] = input.error().message;
    } else {
      std::vector<std::string> symbols;
      for (int64_t id : input->ids) symbols.push_back(manifest->phonemes.at(static_cast<size_t>(id)));
      out["symbols"] = symbols;
      torch::Tensor sums = input->bert.to(torch::kDouble).sum(1).contiguous();
      out["bert_row_sums"] = std::vector<double>(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel());
    }
    if (tab != std::string::npos) {
      std::istringstream pinyin(line.substr(tab + 1, line.find('\t', tab + 1) - tab - 1));
      std::vector<std::string> expected;
      for (std::string s; pinyin >> s;) {
        auto symbols = engine::ZhSyllableSymbols(s);
        if (symbols.empty()) symbols.push_back("?" + s);
        expected.insert(expected.end(), symbols.begin(), symbols.end());
      }
      out["expected"] = expected;
    }
    std::cout << out.dump() << "\n";
  }
  return 0;
}
