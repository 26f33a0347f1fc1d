// Fuzzes the chat rules decoder (client/chat/include/ttsd/chat/chat-rules.h): a TOML rules file (any
// bytes). Checks, beyond the sanitizers: a refusal names the file; accepted rules keep their ranges, and
// Decide on a message under them never speaks an empty text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz-check.h"
#include "ttsd/chat/chat-rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ttsd::chat;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rules = ParseRules(text, "fuzz.toml");
  if (!rules) {
    FUZZ_CHECK(rules.error().message.starts_with("fuzz.toml"), "an error that does not name the file");
    return 0;
  }
  FUZZ_CHECK(rules->max_pending >= 1 && rules->max_pending <= kMaxPendingLimit, "max_pending out of range");
  TwitchEvent e;
  e.kind = TwitchEvent::Kind::kMessage;
  e.login = "viewer";
  e.display_name = "Viewer";
  e.user_id = "1";
  e.subscriber = true;
  e.text = "hello https://example.com loooooool " + std::string(text.substr(0, 300));
  Decision d = Decide(*rules, e, std::nullopt);
  if (d.kind == Decision::Kind::kSpeak) FUZZ_CHECK(!d.text.empty(), "spoke an empty text");
  (void)PickVoice(*rules, "viewer", "1");
  return 0;
}
