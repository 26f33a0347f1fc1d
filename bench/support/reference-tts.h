// Benchmark support: Debian's classic synthesizers as reference points — the whole-file time of flite and
// festival (text2wave) on the same sentences, each run as its own process, as a user would run it.
//   auto r = TimeReference(FliteCommand(), texts, 3);  // Result<ReferenceTiming>
// Thread-safety: reentrant; each call uses its own temporary directory.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats.h"
#include "ttsd/protocol/error.h"

namespace ttsd::bench {

// A command line in which {text} stands for the sentence, {txt} for a file holding it and {wav} for the output.
struct ReferenceCommand {
  std::string name;
  std::vector<std::string> argv;
};
ReferenceCommand FliteCommand();     // flite -t {text} -o {wav}  (its default voice)
ReferenceCommand FestivalCommand();  // text2wave -o {wav} {txt}  (festival's default voice)

struct ReferenceTiming {
  std::string name;
  std::vector<std::string> argv;
  Summary wall_ms;  // process start to exit, the whole file written
  Summary rtf;      // wall over the file's audio duration
  int sample_rate = 0;

  nlohmann::json ToJson() const;
};

// Runs the command once untimed, then `repeats` passes over texts. Errors: kIo when the program is missing
// or fails (its output in the message), kBadAudio when its file holds no audio.
Result<ReferenceTiming> TimeReference(const ReferenceCommand& command, const std::vector<std::string>& texts,
                                      int repeats);

}  // namespace ttsd::bench
