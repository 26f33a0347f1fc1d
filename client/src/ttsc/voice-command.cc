#include "ttsc/voice-command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "ttsd/client/style-options.h"
#include "ttsd/protocol/voice-messages.h"

namespace ttsd::ttsc {
namespace {

std::chrono::milliseconds Timeout(const GlobalOptions& global, std::chrono::milliseconds at_least) {
  if (global.timeout_s <= 0) return std::chrono::hours(24);
  return std::max(global.timeout(), at_least);
}

int RunAdd(const VoiceCommand& v, const GlobalOptions& global) {
  if (v.files.size() > protocol::kMaxReferences) {
    return Usage("voice add: at most " + std::to_string(protocol::kMaxReferences) + " reference files");
  }
  if (!protocol::IsValidSavedVoiceName(v.name)) {
    return Usage("voice add: '" + v.name +
                 "' cannot be a voice name: 1-" + std::to_string(protocol::kMaxSavedVoiceNameBytes) +
                 " characters of A-Z a-z 0-9 _ . - , not starting with '.'");
  }
  if (auto s = protocol::CheckReferenceText(v.ref_text, static_cast<uint32_t>(v.files.size())); !s) {
    return Usage("voice add: --ref-text: " + s.error().message);
  }
  std::vector<std::vector<uint8_t>> files;
  for (const auto& path : v.files) {
    auto bytes = client::ReadReferenceFile(path);
    if (!bytes) return Usage("voice add: " + bytes.error().message);
    files.push_back(std::move(*bytes));
  }
  auto conn = Connect(global);
  if (!conn) return Report(conn.error(), kExitNoConnection);
  // Cloning runs the speaker encoder and waits for the disk: allow it a while.
  auto saved = (*conn)->AddVoice({v.name, v.base, 0, v.replace, v.ref_text}, files, Timeout(global, std::chrono::minutes(2)));
  if (!saved) return Report(saved.error(), kExitFailed);
  std::printf("saved voice %s (from %s, %u recordings, %.1f s); speak with: ttsc say --voice %s \"...\"\n",
              saved->name.c_str(), saved->voice.c_str(), saved->references, saved->seconds, saved->name.c_str());
  return kExitOk;
}

int RunList(const VoiceCommand& v, const GlobalOptions& global) {
  auto conn = Connect(global);
  if (!conn) return Report(conn.error(), kExitNoConnection);
  auto list = (*conn)->ListVoices(Timeout(global, {}));
  if (!list) return Report(list.error(), kExitFailed);
  if (v.json) {
    nlohmann::json saved = nlohmann::json::array();
    for (const auto& s : list->saved) {
      saved.push_back({{"name", s.name}, {"voice", s.voice}, {"references", s.references}, {"seconds", s.seconds},
                       {"created", s.created}});
    }
    std::cout << saved.dump(2) << '\n';
    return kExitOk;
  }
  if (list->saved.empty()) {
    std::cout << "no saved voices ('ttsc voice add NAME recording.wav ...' makes one)\n";
    return kExitOk;
  }
  for (const auto& s : list->saved) {
    std::printf("%-24s from %-16s %u recordings, %5.1f s, %s\n", s.name.c_str(), s.voice.c_str(), s.references,
                s.seconds, s.created.c_str());
  }
  return kExitOk;
}

int RunRemove(const VoiceCommand& v, const GlobalOptions& global) {
  auto conn = Connect(global);
  if (!conn) return Report(conn.error(), kExitNoConnection);
  if (auto removed = (*conn)->RemoveVoice(v.name, Timeout(global, {})); !removed) {
    return Report(removed.error(), kExitFailed);
  }
  std::printf("removed voice %s\n", v.name.c_str());
  return kExitOk;
}

}  // namespace

void AddVoiceCommand(CLI::App* app, VoiceCommand* voice) {
  voice->cmd = app->add_subcommand("voice", "Saved voices: speakers cloned from recordings and kept by ttsd.");
  voice->cmd->require_subcommand(1);
  voice->add = voice->cmd->add_subcommand(
      "add", "Clone a speaker from recordings (3 s or more in all, 1-15 s each) and save it as NAME.");
  voice->add->add_option("name", voice->name, "the new voice's name")->required();
  voice->add->add_option("files", voice->files, "reference recordings (WAV, FLAC, Ogg...), up to 8")->required();
  voice->add->add_option("--voice", voice->base, "the voice that speaks with it (default: ttsd's default voice)");
  voice->add->add_option("--ref-text", voice->ref_text,
                         "what the first recording says: GPT-SoVITS voices need it (3-10 s; the other files "
                         "only add timbre); others refuse it");
  voice->add->add_flag("--replace", voice->replace, "overwrite a saved voice of that name");
  voice->ls = voice->cmd->add_subcommand("ls", "List the saved voices.");
  voice->ls->add_flag("--json", voice->json, "print them as JSON");
  voice->rm = voice->cmd->add_subcommand("rm", "Delete a saved voice.");
  voice->rm->add_option("name", voice->name, "the saved voice")->required();
}

int RunVoiceCommand(const VoiceCommand& voice, const GlobalOptions& global) {
  if (*voice.add) return RunAdd(voice, global);
  if (*voice.ls) return RunList(voice, global);
  if (*voice.rm) return RunRemove(voice, global);
  return Usage("voice: add, ls or rm");
}

}  // namespace ttsd::ttsc
