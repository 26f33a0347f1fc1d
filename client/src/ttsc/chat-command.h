// `ttsc chat twitch CHANNEL --channel OUT --rules FILE [--server HOST:PORT] [--no-tls]`: reads a Twitch
// channel's chat and queues it, by the rules file, on ttsd's output channel OUT (ttsd::chat does the work).
//   ChatCommand chat; AddChatCommand(&app, &chat); ... if (*chat.cmd) return RunChatCommand(chat, global);
// Thread-safety: main thread only (it runs the io_context that everything else runs on).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "ttsc/cli.h"

namespace ttsd::ttsc {

struct ChatCommand {
  CLI::App* cmd = nullptr;     // "chat"
  CLI::App* twitch = nullptr;  // "chat twitch"
  std::string twitch_channel;  // the Twitch channel to read
  std::string channel;         // --channel: ttsd's output channel
  std::string rules;           // --rules: the rules file (optional: defaults)
  std::string server;          // --server HOST:PORT, or irc://HOST:PORT (plain) / ircs://HOST:PORT
  bool no_tls = false;
  std::string nick;            // --nick (default: an anonymous justinfanNNNNN)
  double reconnect_min_s = 1;  // --reconnect-min: the first wait after a dropped connection
};

void AddChatCommand(CLI::App* app, ChatCommand* chat);
// Runs until SIGINT/SIGTERM (exit 0); kExitUsage for bad options or a bad rules file at start.
int RunChatCommand(const ChatCommand& chat, const GlobalOptions& global);

}  // namespace ttsd::ttsc
