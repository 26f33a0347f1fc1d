// ttsc's commands on an output channel's queue: `ttsc channel --channel NAME` (status and items),
// `skip [--item ID]`, `clear`, `remove ID`, `pause`, `resume`, `volume GAIN`, each `--channel NAME
// [--json]`, each printing the channel's status after it.
//   ChannelCommand c; AddChannelCommands(&app, &c); ... if (c.chosen()) return RunChannelCommand(c, global);
// Thread-safety: main thread only.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "ttsc/cli.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::ttsc {

struct ChannelCommand {
  CLI::App* status = nullptr;  // "channel"
  CLI::App* skip = nullptr;
  CLI::App* clear = nullptr;
  CLI::App* remove = nullptr;
  CLI::App* pause = nullptr;
  CLI::App* resume = nullptr;
  CLI::App* volume = nullptr;
  std::string channel;
  bool json = false;
  uint64_t item = 0;  // remove: required; skip: only if this item is playing
  double gain = 1;    // volume

  bool chosen() const;
};

void AddChannelCommands(CLI::App* app, ChannelCommand* command);
// Sends the chosen action and prints the status ttsd answers; returns ttsc's exit code (1 with ttsd's
// error, e.g. unknown_item, busy).
int RunChannelCommand(const ChannelCommand& command, const GlobalOptions& global);
// One line per item for people: `#7 "text…" — alice (twitch), 2.4 s`.
std::string DescribeItem(const protocol::ChannelEntry& e);

}  // namespace ttsd::ttsc
