// Fuzzes the IRC line parser of ttsc's chat source (client/chat/include/ttsd/chat/irc-message.h) and the
// Twitch events read from it: bytes from a chat server. Checks, beyond the sanitizers: an accepted line
// keeps the limits (tags, parameters), has a command of letters or three digits, and gives an event.
// Input: one line (any bytes, CR LF included or not).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz-check.h"
#include "ttsd/chat/irc-message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ttsd::chat;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto m = ParseIrcLine(line);
  if (!m) {
    FUZZ_CHECK(!IrcErrorName(m.error().code).empty() && !m.error().message.empty(), "an error without a name");
    return 0;
  }
  FUZZ_CHECK(line.size() <= kMaxIrcLineBytes + 1, "a line above the cap was accepted");
  FUZZ_CHECK(m->tags.size() <= kMaxIrcTags, "more tags than the cap");
  FUZZ_CHECK(m->params.size() <= kMaxIrcParams, "more parameters than the cap");
  FUZZ_CHECK(!m->command.empty(), "an accepted line without a command");
  TwitchEvent e = ToTwitchEvent(*m);
  if (e.kind == TwitchEvent::Kind::kMessage) FUZZ_CHECK(!m->params.empty(), "a message without parameters");
  (void)UnescapeTagValue(line);
  return 0;
}
