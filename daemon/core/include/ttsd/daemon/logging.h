// Sets up spdlog for ttsd: the default logger "ttsd" and one per module ("engine"), writing to
// stderr, with journald level prefixes ("<6>") and no timestamps when stderr goes to the journal.
//   SetupLogging("info");
// Thread-safety: call once from main before other threads start.
#pragma once

#include <string>

namespace ttsd::daemon {

void SetupLogging(const std::string& level);

}  // namespace ttsd::daemon
