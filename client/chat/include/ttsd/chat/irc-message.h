// One IRC line (RFC 1459 with IRCv3 message tags) parsed into tags, prefix, command and parameters, and
// the Twitch chat events ttsc's chat source acts on.
//   auto m = ParseIrcLine("@id=a;badges=vip/1 :bob!bob@bob.tmi.twitch.tv PRIVMSG #chan :hi");  // IrcResult
//   TwitchEvent e = ToTwitchEvent(*m);  // e.kind == kMessage, e.text == "hi", e.vip
// Thread-safety: pure functions; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ttsd::chat {

// Limits on what a line may hold. Twitch's own: 8191 bytes of tags, 512 for the rest.
inline constexpr size_t kMaxIrcLineBytes = 8191 + 512;
inline constexpr size_t kMaxIrcTags = 64;
inline constexpr size_t kMaxIrcParams = 15;

enum class IrcError {
  kEmpty,          // nothing but spaces
  kTooLong,        // above kMaxIrcLineBytes
  kBadCharacter,   // NUL, CR or LF inside the line
  kBadTags,        // "@" with no tags, or tags and nothing after them
  kTooManyTags,    // above kMaxIrcTags
  kBadPrefix,      // ":" with no prefix, or a prefix and nothing after it
  kBadCommand,     // no command, or one that is neither letters nor three digits
  kTooManyParams,  // above kMaxIrcParams
};
std::string_view IrcErrorName(IrcError e);  // "too_long", ...

struct IrcParseError {
  IrcError code = IrcError::kEmpty;
  std::string message;
};

struct IrcMessage {
  std::vector<std::pair<std::string, std::string>> tags;  // in line order, values unescaped
  std::string prefix;                                     // "nick!user@host", or empty
  std::string command;                                    // upper case as sent ("PRIVMSG", "001")
  std::vector<std::string> params;                        // the trailing one last, without its ":"

  // The value of a tag ("" when absent or empty).
  std::string_view Tag(std::string_view key) const;
  bool HasTag(std::string_view key) const;
  std::string_view Nick() const;  // the prefix up to "!"
};

using IrcResult = std::expected<IrcMessage, IrcParseError>;

// Parses one line without its CR LF (a trailing CR is tolerated). Never throws.
IrcResult ParseIrcLine(std::string_view line);

// IRCv3 tag value unescaping: \: -> ;  \s -> space  \\ -> \  \r \n; a lone trailing "\" is dropped,
// an unknown escape "\x" gives "x".
std::string UnescapeTagValue(std::string_view value);

// What the chat reader needs from a Twitch line.
struct TwitchEvent {
  enum class Kind {
    kOther,      // anything else (ROOMSTATE, USERSTATE, NOTICE, numerics...)
    kMessage,    // PRIVMSG: a viewer's chat message
    kClearMsg,   // CLEARMSG: a moderator deleted one message (target_msg_id)
    kClearChat,  // CLEARCHAT: a user was timed out or banned (target_user), or the whole chat cleared
    kPing,       // PING: answer PONG with text
    kReconnect,  // RECONNECT: Twitch asks us to reconnect
    kJoined,     // 366 (end of NAMES): the JOIN took
  };
  Kind kind = Kind::kOther;
  std::string channel;       // without "#"
  std::string login;         // the sender's login (PRIVMSG), the target's (CLEARMSG, CLEARCHAT)
  std::string display_name;  // display-name, or the login when the tag is empty
  std::string user_id;       // user-id (PRIVMSG), target-user-id (CLEARCHAT)
  std::string msg_id;        // id (PRIVMSG), target-msg-id (CLEARMSG)
  std::string text;          // the message; PING's token
  std::string custom_reward_id;
  uint32_t bits = 0;
  bool broadcaster = false, moderator = false, subscriber = false, vip = false;
  bool emote_only = false;   // emote-only=1
  bool action = false;       // "/me" (CTCP ACTION), text without the CTCP wrapping
};

TwitchEvent ToTwitchEvent(const IrcMessage& m);

}  // namespace ttsd::chat
