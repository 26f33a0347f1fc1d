#include "reference-tts.h"

#include <sndfile.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "support/run-command.h"

namespace ttsd::bench {
namespace {

// Frames and rate of a sound file; {0, 0} when unreadable.
std::pair<int64_t, int> SoundFileLength(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return {0, 0};
  sf_close(f);
  return {info.frames, info.samplerate};
}

}  // namespace

ReferenceCommand FliteCommand() { return {"flite", {"flite", "-t", "{text}", "-o", "{wav}"}}; }
ReferenceCommand FestivalCommand() { return {"festival", {"text2wave", "-o", "{wav}", "{txt}"}}; }

nlohmann::json ReferenceTiming::ToJson() const {
  return {{"command", argv}, {"wall_ms", wall_ms.ToJson()}, {"rtf", rtf.ToJson()}, {"sample_rate", sample_rate}};
}

Result<ReferenceTiming> TimeReference(const ReferenceCommand& command, const std::vector<std::string>& texts,
                                      int repeats) {
  char tmpl[] = "/tmp/ttsd-bench-ref-XXXXXX";
  if (!mkdtemp(tmpl)) return MakeError(ErrorCode::kIo, "mkdtemp failed");
  const std::string dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  const std::string wav = dir + "/out.wav", txt = dir + "/in.txt";

  ReferenceTiming t;
  t.name = command.name;
  t.argv = command.argv;
  std::vector<double> wall_ms, rtf;
  for (int pass = -1; pass < repeats; ++pass) {  // pass -1: untimed, loads the program's files into the cache
    for (const auto& text : texts) {
      std::ofstream(txt) << text << "\n";
      std::filesystem::remove(wav);
      std::vector<std::string> argv;
      for (const auto& a : command.argv) argv.push_back(a == "{text}" ? text : a == "{wav}" ? wav : a == "{txt}" ? txt : a);
      auto r = testing::RunCommand(argv);
      if (!r) return std::unexpected(r.error());
      if (r->exit_code != 0) {
        return MakeError(ErrorCode::kIo, command.name + " exited with " + std::to_string(r->exit_code) + ": " + r->out);
      }
      const auto [frames, rate] = SoundFileLength(wav);
      if (frames <= 0 || rate <= 0) return MakeError(ErrorCode::kBadAudio, command.name + " wrote no audio");
      if (pass < 0) continue;
      t.sample_rate = rate;
      wall_ms.push_back(r->wall_s * 1000);
      rtf.push_back(r->wall_s / (static_cast<double>(frames) / rate));
    }
  }
  t.wall_ms = Summarize(wall_ms);
  t.rtf = Summarize(rtf);
  return t;
}

}  // namespace ttsd::bench
