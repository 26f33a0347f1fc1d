#include "engine-timing.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "support/run-command.h"
#include "ttsd/frontend/text-frontend.h"
#include "ttsd/engine/voice.h"

namespace ttsd::bench {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

nlohmann::json EngineTiming::ToJson() const {
  nlohmann::json phones_json = nlohmann::json::array();
  for (const auto& [text, p] : phones) phones_json.push_back({{"text", text}, {"phones", p}});
  return {{"normalize_ms", normalize_ms.ToJson()},   {"phonemize_ms", phonemize_ms.ToJson()},
          {"start_ms", start_ms.ToJson()},           {"first_next_ms", first_next_ms.ToJson()},
          {"first_audio_ms", first_audio_ms.ToJson()}, {"later_next_ms", later_next_ms.ToJson()},
          {"later_chunk_audio_ms", later_chunk_audio_ms}, {"request_ms", request_ms.ToJson()},
          {"rtf", rtf.ToJson()},                     {"texts", phones_json}};
}

Result<EngineTiming> TimeEngine(const std::string& voice_dir, const engine::EngineConfig& config,
                                const std::vector<std::string>& texts, int repeats, bool paced) {
  auto voice = engine::Voice::Load(voice_dir, config);
  if (!voice) return std::unexpected(voice.error());
  const auto& m = (*voice)->manifest();
  auto frontend = frontend::TextFrontend::Create(m.languages.empty() ? "en-us" : m.languages.front());
  if (!frontend) return std::unexpected(frontend.error());

  std::vector<double> normalize, phonemize, start, first_next, first_audio, later_next, request, rtf;
  EngineTiming t;
  auto play_end = Clock::now();
  for (int pass = -1; pass < repeats; ++pass) {  // pass -1: untimed
    for (const auto& text : texts) {
      std::this_thread::sleep_until(play_end);
      auto t0 = Clock::now();
      auto normalized = (*frontend)->Normalize(text);
      const double normalize_ms = MsSince(t0);
      t0 = Clock::now();
      auto segment = (*frontend)->Phonemize(text);
      const double phonemize_ms = MsSince(t0);
      if (!normalized) return std::unexpected(normalized.error());
      if (!segment) return std::unexpected(segment.error());

      const auto begin = Clock::now();
      auto stream = (*voice)->Start({.text = text});
      const double start_ms = MsSince(begin);
      if (!stream) return std::unexpected(stream.error());
      engine::Chunk chunk;
      std::vector<double> nexts;
      uint64_t samples = 0;
      size_t later_samples = 0;
      do {
        const auto n0 = Clock::now();
        auto r = (*stream)->Next(&chunk);
        nexts.push_back(MsSince(n0));
        if (!r) return std::unexpected(r.error());
        samples += chunk.samples.size();
        if (nexts.size() == 2) later_samples = chunk.samples.size();
      } while (!chunk.is_last);
      const double request_ms = MsSince(begin);
      const double audio_s = static_cast<double>(samples) / m.sample_rate;
      if (paced) play_end = begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(audio_s));
      if (pass < 0) continue;
      normalize.push_back(normalize_ms);
      phonemize.push_back(phonemize_ms);
      start.push_back(start_ms);
      first_next.push_back(nexts.front());
      first_audio.push_back(start_ms + nexts.front());
      // Later chunks: all but the first and the flush that ends the request.
      for (size_t i = 1; i + 1 < nexts.size(); ++i) later_next.push_back(nexts[i]);
      request.push_back(request_ms);
      rtf.push_back(request_ms / 1000 / audio_s);
      if (later_samples) t.later_chunk_audio_ms = 1000.0 * static_cast<double>(later_samples) / m.sample_rate;
      if (pass == 0) t.phones.emplace_back(text, segment->phones);
    }
  }
  t.normalize_ms = Summarize(normalize);
  t.phonemize_ms = Summarize(phonemize);
  t.start_ms = Summarize(start);
  t.first_next_ms = Summarize(first_next);
  t.first_audio_ms = Summarize(first_audio);
  t.later_next_ms = Summarize(later_next);
  t.request_ms = Summarize(request);
  t.rtf = Summarize(rtf);
  return t;
}

Result<engine::EngineConfig> EngineConfigOfDaemon(const std::vector<std::string>& command) {
  std::vector<std::string> argv = command;
  argv.push_back("--print-config");
  auto r = testing::RunCommand(argv);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) return MakeError(ErrorCode::kIo, command.front() + " --print-config failed: " + r->out);
  std::map<std::string, std::string> kv;
  std::istringstream in(r->out);
  for (std::string field; in >> field;) {
    if (auto eq = field.find('='); eq != std::string::npos) kv[field.substr(0, eq)] = field.substr(eq + 1);
  }
  if (!kv.contains("threads") || !kv.contains("first_chunk_frames") || !kv.contains("chunk_frames")) {
    return MakeError(ErrorCode::kIo, "no engine settings in " + command.front() + " --print-config: " + r->out);
  }
  engine::EngineConfig c;
  c.device = kv.contains("device") ? kv["device"] : c.device;
  c.dtype = kv.contains("dtype") ? kv["dtype"] : c.dtype;
  c.jit_fusion = kv["jit_fusion"] == "on";
  c.threads = std::stoi(kv["threads"]);
  c.first_chunk_frames = std::stoi(kv["first_chunk_frames"]);
  c.chunk_frames = std::stoi(kv["chunk_frames"]);
  return c;
}

std::string VoicePackageDir(const std::string& voices, const std::string& name) {
  namespace fs = std::filesystem;
  if (fs::exists(fs::path(voices) / "voice.json")) return voices;
  return (fs::path(voices) / name).string();
}

}  // namespace ttsd::bench
