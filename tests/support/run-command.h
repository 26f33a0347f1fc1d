// Benchmark support: runs a program to completion (no shell), timing it and keeping what it printed.
//   auto r = RunCommand({"flite", "-t", "Hello.", "-o", "/tmp/f.wav"});  // Result<CommandResult>
//   if (r && r->exit_code == 0) use(r->wall_s);
// Thread-safety: reentrant; each call forks its own child.
#pragma once

#include <string>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when it did not exit normally
  double wall_s = 0;   // fork to exit
  std::string out;     // stdout and stderr together
};

// argv[0] is looked up in PATH. Errors: kIo when it cannot fork or argv is empty. A program that cannot be
// found exits with 127.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv);

}  // namespace ttsd::testing
