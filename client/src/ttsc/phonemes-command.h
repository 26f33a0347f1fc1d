// `ttsc phonemes TEXT` (or --stdin): what the text frontend decides, word by word, printed here.
// It runs ttsd's frontend locally (ttsd::frontend, no daemon, no libtorch): Chinese words with
// their pinyin after sandhi, other words with their CMU phones. The user lexicon is read from
// --lexicon (the file ttsd would load), if given.
//   PhonemesCommand p; AddPhonemesCommand(&app, &p); ... if (*p.cmd) return RunPhonemesCommand(p);
// Thread-safety: main thread only.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace ttsd::ttsc {

struct PhonemesCommand {
  CLI::App* cmd = nullptr;
  std::string text;
  bool from_stdin = false;
  std::string lexicon;  // --lexicon FILE
};

void AddPhonemesCommand(CLI::App* app, PhonemesCommand* p);
// Prints one line per sentence, then one per word: "  银行  yin2 hang2" or "  hello  hh ax0 l ow1".
// Returns ttsc's exit code (1 if a sentence cannot be read, with the frontend's message).
int RunPhonemesCommand(const PhonemesCommand& p);

}  // namespace ttsd::ttsc
