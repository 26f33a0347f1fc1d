// `ttsc voice add NAME FILE... [--voice BASE] [--replace]`, `ttsc voice ls [--json]`,
// `ttsc voice rm NAME`: speakers cloned from recordings and saved by ttsd.
//   VoiceCommand voice; AddVoiceCommand(&app, &voice); ... if (*voice.cmd) return RunVoiceCommand(voice, global);
// Thread-safety: main thread only.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ttsc/cli.h"

namespace ttsd::ttsc {

struct VoiceCommand {
  CLI::App* cmd = nullptr;  // "voice"; its subcommands below
  CLI::App* add = nullptr;
  CLI::App* ls = nullptr;
  CLI::App* rm = nullptr;
  std::string name;
  std::vector<std::string> files;
  std::string base;  // --voice
  std::string ref_text;  // --ref-text: what the first file says (GPT-SoVITS voices)
  bool replace = false;
  bool json = false;
};

void AddVoiceCommand(CLI::App* app, VoiceCommand* voice);
// Runs the chosen subcommand; returns ttsc's exit code.
int RunVoiceCommand(const VoiceCommand& voice, const GlobalOptions& global);

}  // namespace ttsd::ttsc
