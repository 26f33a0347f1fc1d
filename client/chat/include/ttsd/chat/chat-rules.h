// The rules by which chat is read aloud: who may speak, what is done to the text, cooldowns, voices per
// viewer. Rules come from a TOML file (ParseRules, chat-rules-toml.cc; the format: client/README.md and
// examples/chat-rules.toml); Decide applies them to one chat message.
//   auto rules = LoadRules("chat-rules.toml");  // Result<Rules>; the error says file:line
//   Decision d = Decide(*rules, event, seconds_since_last);  // d.kind == kSpeak: say d.text with d.voice
// Thread-safety: pure functions over values; call from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/chat/irc-message.h"
#include "ttsd/protocol/error.h"

namespace ttsd::chat {

inline constexpr size_t kMaxRulesFileBytes = 1 << 20;
inline constexpr uint32_t kMaxPendingLimit = 64;  // a channel's own queue cap (protocol/README.md)

struct VoiceChoice {
  std::string voice;    // empty: ttsd's default voice
  std::string speaker;  // empty: the voice's default speaker
  bool operator==(const VoiceChoice&) const = default;
};

struct Rules {
  // [who]: a message is read when its sender has one of the roles in allow ("everyone", "subscribers",
  // "vips", "moderators", "broadcaster"), or it cheers at least min_bits bits (0: cheers get no pass of
  // their own), or it redeems one of rewards (channel-point reward ids).
  std::set<std::string> allow = {"everyone"};
  uint32_t min_bits = 0;
  std::set<std::string> rewards;
  // Non-empty: role-allowed messages must start with it (it is not read); cheers and redeems need not.
  std::string command;
  std::set<std::string> ignore_users;  // logins, lower case (bots)

  // [text]
  enum class LinkAction { kKeep, kDrop, kReplace, kSkip };
  LinkAction links = LinkAction::kReplace;
  std::string link_replacement = "a link";
  bool skip_emote_only = true;
  bool skip_commands = true;  // messages starting with "!" (after the command prefix is taken off)
  uint32_t max_repeat = 3;    // a character repeated more often is cut to this many (0: off)
  std::vector<std::string> blocklist;  // words, lower case
  enum class BlockAction { kSkip, kBleep };
  BlockAction block_action = BlockAction::kBleep;
  std::string bleep = "bleep";
  uint32_t max_chars = 200;  // characters (code points) read, the prefix not counted; 0: no limit
  std::string prefix = "{name} says: ";  // {name}: the display name; empty: none

  // [limits]
  double cooldown_s = 0;      // per user, between read messages
  uint32_t max_pending = 20;  // this reader's items waiting or playing on the channel, 1..kMaxPendingLimit

  // [moderation]: moderators' and the broadcaster's !skip, !clear, !ttspause, !ttsresume.
  bool moderator_commands = true;

  // [voices]
  VoiceChoice default_voice;
  std::vector<VoiceChoice> pool;              // a stable pick by user id for viewers not in users
  std::map<std::string, VoiceChoice> users;   // login (lower case) -> voice
};

// Reads and checks a rules file. Errors: kBadRequest with "PATH:LINE: message" (TOML syntax, an unknown
// key, a value of the wrong type or out of range), kIo (cannot be read, or larger than kMaxRulesFileBytes).
Result<Rules> LoadRules(const std::string& path);
// The same over text in memory; path only names it in messages.
Result<Rules> ParseRules(std::string_view text, const std::string& path);

enum class ModAction { kNone, kSkip, kClear, kPause, kResume };
std::string_view ModActionName(ModAction a);  // "skip", "clear", "pause", "resume"

struct Decision {
  enum class Kind { kSpeak, kIgnore, kModerate };
  Kind kind = Kind::kIgnore;
  std::string reason;  // kIgnore: why ("not allowed", "cooldown", "blocked word", ...)
  std::string text;    // kSpeak: what to say, prefix included
  VoiceChoice voice;   // kSpeak
  ModAction action = ModAction::kNone;  // kModerate
};

// What to do with one PRIVMSG event. seconds_since_last: since this user's last read message (nullopt:
// none yet).
Decision Decide(const Rules& rules, const TwitchEvent& message, std::optional<double> seconds_since_last);

// The text steps Decide uses, each on UTF-8 text.
bool IsLink(std::string_view word);
std::string CollapseRepeats(std::string_view text, uint32_t max_repeat);
std::string TruncateChars(std::string_view text, uint32_t max_chars);  // at a space in its second half, "..."
// The voice for a viewer: users[login], else pool[hash(user id or login) % size], else default_voice.
VoiceChoice PickVoice(const Rules& rules, std::string_view login, std::string_view user_id);

}  // namespace ttsd::chat
