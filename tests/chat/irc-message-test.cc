// The IRC line parser and the Twitch events read from it: tags with escapes, prefixes, parameters, and
// hostile lines that must give a typed error and nothing else.
#include <gtest/gtest.h>

#include "ttsd/chat/irc-message.h"

namespace ttsd::chat {
namespace {

TEST(IrcMessage, ParsesTagsPrefixCommandAndTrailing) {
  auto m = ParseIrcLine("@badge-info=;badges=broadcaster/1;display-name=Alice\\sB;id=abc :alice!alice@alice.tmi.twitch.tv "
                        "PRIVMSG #chan :hello  there\r");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->Tag("display-name"), "Alice B");
  EXPECT_EQ(m->Tag("badge-info"), "");
  EXPECT_TRUE(m->HasTag("badge-info"));
  EXPECT_FALSE(m->HasTag("nope"));
  EXPECT_EQ(m->prefix, "alice!alice@alice.tmi.twitch.tv");
  EXPECT_EQ(m->Nick(), "alice");
  EXPECT_EQ(m->command, "PRIVMSG");
  ASSERT_EQ(m->params.size(), 2u);
  EXPECT_EQ(m->params[0], "#chan");
  EXPECT_EQ(m->params[1], "hello  there");
}

TEST(IrcMessage, UnescapesTagValues) {
  EXPECT_EQ(UnescapeTagValue("a\\sb\\:c\\\\d\\re\\nf"), "a b;c\\d\re\nf");
  EXPECT_EQ(UnescapeTagValue("trailing\\"), "trailing");
  EXPECT_EQ(UnescapeTagValue("\\x"), "x");
}

TEST(IrcMessage, CommandsWithoutPrefixOrTags) {
  auto ping = ParseIrcLine("PING :tmi.twitch.tv");
  ASSERT_TRUE(ping);
  TwitchEvent e = ToTwitchEvent(*ping);
  EXPECT_EQ(e.kind, TwitchEvent::Kind::kPing);
  EXPECT_EQ(e.text, "tmi.twitch.tv");
  auto numeric = ParseIrcLine(":tmi.twitch.tv 366 justinfan1 #chan :End of /NAMES list");
  ASSERT_TRUE(numeric);
  EXPECT_EQ(ToTwitchEvent(*numeric).kind, TwitchEvent::Kind::kJoined);
  EXPECT_EQ(ToTwitchEvent(*ParseIrcLine(":tmi.twitch.tv RECONNECT")).kind, TwitchEvent::Kind::kReconnect);
}

TEST(IrcMessage, HostileLinesGiveTypedErrors) {
  struct Case {
    std::string line;
    IrcError code;
  };
  const std::vector<Case> cases = {
      {"", IrcError::kEmpty},
      {"    ", IrcError::kEmpty},
      {std::string(kMaxIrcLineBytes + 1, 'A'), IrcError::kTooLong},
      {std::string("PRIVMSG #a :x\0y", 15), IrcError::kBadCharacter},
      {"@", IrcError::kBadTags},
      {"@a=b", IrcError::kBadTags},
      {"@=b :x PRIVMSG #a :y", IrcError::kBadTags},
      {":", IrcError::kBadPrefix},
      {":prefix", IrcError::kBadPrefix},
      {"12 #a", IrcError::kBadCommand},
      {"PRIV-MSG #a", IrcError::kBadCommand},
      {"CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", IrcError::kTooManyParams},
  };
  for (const auto& c : cases) {
    auto m = ParseIrcLine(c.line);
    ASSERT_FALSE(m) << c.line.substr(0, 40);
    EXPECT_EQ(m.error().code, c.code) << c.line.substr(0, 40) << ": " << m.error().message;
    EXPECT_FALSE(m.error().message.empty());
  }
  std::string many = "@";
  for (size_t i = 0; i <= kMaxIrcTags; ++i) many += "k" + std::to_string(i) + "=v;";
  many += " PING :x";
  EXPECT_EQ(ParseIrcLine(many).error().code, IrcError::kTooManyTags);
}

TEST(IrcMessage, TwitchPrivmsgFields) {
  auto m = ParseIrcLine(
      "@badges=moderator/1,subscriber/12,vip/1;bits=100;custom-reward-id=r-1;display-name=;emote-only=1;"
      "id=m-1;user-id=42 :bob!bob@bob.tmi.twitch.tv PRIVMSG #Chan :\x01" "ACTION waves\x01");
  ASSERT_TRUE(m);
  TwitchEvent e = ToTwitchEvent(*m);
  EXPECT_EQ(e.kind, TwitchEvent::Kind::kMessage);
  EXPECT_EQ(e.channel, "Chan");
  EXPECT_EQ(e.login, "bob");
  EXPECT_EQ(e.display_name, "bob");  // empty display-name: the login
  EXPECT_EQ(e.user_id, "42");
  EXPECT_EQ(e.msg_id, "m-1");
  EXPECT_EQ(e.custom_reward_id, "r-1");
  EXPECT_EQ(e.bits, 100u);
  EXPECT_TRUE(e.moderator);
  EXPECT_TRUE(e.subscriber);
  EXPECT_TRUE(e.vip);
  EXPECT_FALSE(e.broadcaster);
  EXPECT_TRUE(e.emote_only);
  EXPECT_TRUE(e.action);
  EXPECT_EQ(e.text, "waves");
}

TEST(IrcMessage, AbsurdBitsAreZero) {
  for (std::string bits : {"-5", "99999999999999999999", "12abc", ""}) {
    auto m = ParseIrcLine("@bits=" + bits + " :a!a@a PRIVMSG #c :hi");
    ASSERT_TRUE(m);
    EXPECT_EQ(ToTwitchEvent(*m).bits, 0u) << bits;
  }
}

TEST(IrcMessage, ClearMsgAndClearChat) {
  TwitchEvent del = ToTwitchEvent(
      *ParseIrcLine("@login=bob;target-msg-id=m-9;tmi-sent-ts=1 :tmi.twitch.tv CLEARMSG #chan :bad words"));
  EXPECT_EQ(del.kind, TwitchEvent::Kind::kClearMsg);
  EXPECT_EQ(del.msg_id, "m-9");
  EXPECT_EQ(del.login, "bob");
  TwitchEvent timeout =
      ToTwitchEvent(*ParseIrcLine("@ban-duration=600;target-user-id=42 :tmi.twitch.tv CLEARCHAT #chan :bob"));
  EXPECT_EQ(timeout.kind, TwitchEvent::Kind::kClearChat);
  EXPECT_EQ(timeout.user_id, "42");
  EXPECT_EQ(timeout.login, "bob");
  TwitchEvent all = ToTwitchEvent(*ParseIrcLine(":tmi.twitch.tv CLEARCHAT #chan"));
  EXPECT_EQ(all.kind, TwitchEvent::Kind::kClearChat);
  EXPECT_TRUE(all.login.empty());
  EXPECT_TRUE(all.user_id.empty());
}

}  // namespace
}  // namespace ttsd::chat
