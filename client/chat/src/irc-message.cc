#include "ttsd/chat/irc-message.h"

#include <algorithm>
#include <charconv>

namespace ttsd::chat {
namespace {

std::unexpected<IrcParseError> Fail(IrcError code, std::string message) {
  return std::unexpected(IrcParseError{code, std::move(message)});
}

bool IsLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Splits off the next space-delimited word (several spaces count as one).
std::string_view NextWord(std::string_view* rest) {
  size_t start = rest->find_first_not_of(' ');
  if (start == std::string_view::npos) {
    *rest = {};
    return {};
  }
  rest->remove_prefix(start);
  size_t end = rest->find(' ');
  std::string_view word = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end);
  return word;
}

std::string_view ChannelName(std::string_view param) {
  if (!param.empty() && param.front() == '#') param.remove_prefix(1);
  return param;
}

void ReadBadges(std::string_view badges, TwitchEvent* e) {
  while (!badges.empty()) {
    size_t comma = badges.find(',');
    std::string_view badge = badges.substr(0, comma);
    badges.remove_prefix(comma == std::string_view::npos ? badges.size() : comma + 1);
    std::string_view name = badge.substr(0, badge.find('/'));
    if (name == "broadcaster") e->broadcaster = true;
    if (name == "moderator") e->moderator = true;
    if (name == "subscriber" || name == "founder") e->subscriber = true;
    if (name == "vip") e->vip = true;
  }
}

}  // namespace

std::string_view IrcErrorName(IrcError e) {
  switch (e) {
    case IrcError::kEmpty: return "empty";
    case IrcError::kTooLong: return "too_long";
    case IrcError::kBadCharacter: return "bad_character";
    case IrcError::kBadTags: return "bad_tags";
    case IrcError::kTooManyTags: return "too_many_tags";
    case IrcError::kBadPrefix: return "bad_prefix";
    case IrcError::kBadCommand: return "bad_command";
    case IrcError::kTooManyParams: return "too_many_params";
  }
  return "unknown";
}

std::string_view IrcMessage::Tag(std::string_view key) const {
  for (const auto& [k, v] : tags) {
    if (k == key) return v;
  }
  return {};
}

bool IrcMessage::HasTag(std::string_view key) const {
  return std::any_of(tags.begin(), tags.end(), [&](const auto& t) { return t.first == key; });
}

std::string_view IrcMessage::Nick() const {
  std::string_view p = prefix;
  return p.substr(0, p.find('!'));
}

std::string UnescapeTagValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\') {
      out += value[i];
      continue;
    }
    if (++i == value.size()) break;  // a lone trailing backslash is dropped
    switch (value[i]) {
      case ':': out += ';'; break;
      case 's': out += ' '; break;
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      default: out += value[i]; break;  // "\\" and unknown escapes
    }
  }
  return out;
}

IrcResult ParseIrcLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxIrcLineBytes) {
    return Fail(IrcError::kTooLong, "line of " + std::to_string(line.size()) + " bytes (at most " +
                                        std::to_string(kMaxIrcLineBytes) + ")");
  }
  if (line.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos) {
    return Fail(IrcError::kBadCharacter, "NUL, CR or LF inside the line");
  }
  if (line.find_first_not_of(' ') == std::string_view::npos) return Fail(IrcError::kEmpty, "empty line");

  IrcMessage m;
  std::string_view rest = line;
  if (rest.front() == '@') {
    rest.remove_prefix(1);
    std::string_view tags = NextWord(&rest);
    if (tags.empty()) return Fail(IrcError::kBadTags, "\"@\" with no tags");
    while (!tags.empty()) {
      size_t semi = tags.find(';');
      std::string_view tag = tags.substr(0, semi);
      tags.remove_prefix(semi == std::string_view::npos ? tags.size() : semi + 1);
      if (tag.empty()) continue;
      if (m.tags.size() == kMaxIrcTags) {
        return Fail(IrcError::kTooManyTags, "more than " + std::to_string(kMaxIrcTags) + " tags");
      }
      size_t eq = tag.find('=');
      std::string key(tag.substr(0, eq));
      if (key.empty()) return Fail(IrcError::kBadTags, "a tag with no name");
      m.tags.emplace_back(std::move(key),
                          eq == std::string_view::npos ? std::string() : UnescapeTagValue(tag.substr(eq + 1)));
    }
  }
  if (rest.find_first_not_of(' ') == std::string_view::npos) {
    return Fail(line.front() == '@' ? IrcError::kBadTags : IrcError::kBadCommand, "tags and nothing after them");
  }
  rest.remove_prefix(rest.find_first_not_of(' '));
  if (rest.front() == ':') {
    rest.remove_prefix(1);
    std::string_view prefix = NextWord(&rest);
    if (prefix.empty() || rest.find_first_not_of(' ') == std::string_view::npos) {
      return Fail(IrcError::kBadPrefix, "a prefix with no command after it");
    }
    m.prefix = prefix;
  }
  std::string_view command = NextWord(&rest);
  const bool letters = !command.empty() && std::all_of(command.begin(), command.end(), IsLetter);
  const bool numeric = command.size() == 3 && std::all_of(command.begin(), command.end(), IsDigit);
  if (!letters && !numeric) {
    return Fail(IrcError::kBadCommand, "\"" + std::string(command.substr(0, 32)) + "\" is not an IRC command");
  }
  m.command = command;
  for (;;) {
    size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    if (m.params.size() == kMaxIrcParams) {
      return Fail(IrcError::kTooManyParams, "more than " + std::to_string(kMaxIrcParams) + " parameters");
    }
    if (rest.front() == ':') {
      m.params.emplace_back(rest.substr(1));
      break;
    }
    m.params.emplace_back(NextWord(&rest));
  }
  return m;
}

TwitchEvent ToTwitchEvent(const IrcMessage& m) {
  TwitchEvent e;
  const std::string_view first = m.params.empty() ? std::string_view() : std::string_view(m.params.front());
  const std::string_view last = m.params.empty() ? std::string_view() : std::string_view(m.params.back());
  if (m.command == "PING") {
    e.kind = TwitchEvent::Kind::kPing;
    e.text = last;
  } else if (m.command == "RECONNECT") {
    e.kind = TwitchEvent::Kind::kReconnect;
  } else if (m.command == "366" && m.params.size() >= 2) {
    e.kind = TwitchEvent::Kind::kJoined;
    e.channel = ChannelName(m.params[1]);
  } else if (m.command == "PRIVMSG" && m.params.size() >= 2) {
    e.kind = TwitchEvent::Kind::kMessage;
    e.channel = ChannelName(first);
    e.login = m.Nick();
    e.display_name = m.Tag("display-name");
    if (e.display_name.empty()) e.display_name = e.login;
    e.user_id = m.Tag("user-id");
    e.msg_id = m.Tag("id");
    e.custom_reward_id = m.Tag("custom-reward-id");
    std::string_view bits = m.Tag("bits");
    uint32_t n = 0;
    auto [ptr, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (ec == std::errc() && ptr == bits.data() + bits.size()) e.bits = n;
    ReadBadges(m.Tag("badges"), &e);
    if (m.Tag("mod") == "1") e.moderator = true;
    if (m.Tag("subscriber") == "1") e.subscriber = true;
    if (m.Tag("vip") == "1") e.vip = true;
    e.emote_only = m.Tag("emote-only") == "1";
    std::string_view text = last;
    constexpr std::string_view kAction = "\x01" "ACTION ";
    if (text.starts_with(kAction)) {
      text.remove_prefix(kAction.size());
      if (!text.empty() && text.back() == '\x01') text.remove_suffix(1);
      e.action = true;
    }
    e.text = text;
  } else if (m.command == "CLEARMSG" && !m.params.empty()) {
    e.kind = TwitchEvent::Kind::kClearMsg;
    e.channel = ChannelName(first);
    e.login = m.Tag("login");
    e.msg_id = m.Tag("target-msg-id");
    if (m.params.size() >= 2) e.text = last;
  } else if (m.command == "CLEARCHAT" && !m.params.empty()) {
    e.kind = TwitchEvent::Kind::kClearChat;
    e.channel = ChannelName(first);
    if (m.params.size() >= 2) e.login = last;
    e.user_id = m.Tag("target-user-id");
  }
  return e;
}

}  // namespace ttsd::chat
