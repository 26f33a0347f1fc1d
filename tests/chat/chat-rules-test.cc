// The chat rules: the TOML decoder (every key, errors with file:line) and Decide, the pure function that
// says what a chat message becomes.
#include <gtest/gtest.h>

#include <fstream>

#include "ttsd/chat/chat-rules.h"

namespace ttsd::chat {
namespace {

TwitchEvent Msg(std::string text, std::string login = "viewer") {
  TwitchEvent e;
  e.kind = TwitchEvent::Kind::kMessage;
  e.text = std::move(text);
  e.login = login;
  e.display_name = login;
  e.user_id = "id-" + login;
  e.msg_id = "m-" + login;
  return e;
}

Rules Parse(const std::string& toml) {
  auto r = ParseRules(toml, "rules.toml");
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : Rules{};
}

std::string ErrorOf(const std::string& toml) {
  auto r = ParseRules(toml, "rules.toml");
  EXPECT_FALSE(r);
  return r ? "" : r.error().message;
}

TEST(ChatRules, DefaultsArePinned) {
  Rules r;
  EXPECT_EQ(r.allow, std::set<std::string>{"everyone"});
  EXPECT_EQ(r.links, Rules::LinkAction::kReplace);
  EXPECT_EQ(r.max_repeat, 3u);
  EXPECT_EQ(r.max_chars, 200u);
  EXPECT_EQ(r.prefix, "{name} says: ");
  EXPECT_EQ(r.max_pending, 20u);
  EXPECT_TRUE(r.skip_commands);
  EXPECT_TRUE(r.moderator_commands);
  Decision d = Decide(r, Msg("hello chat"), std::nullopt);
  EXPECT_EQ(d.kind, Decision::Kind::kSpeak);
  EXPECT_EQ(d.text, "viewer says: hello chat");
}

TEST(ChatRules, TheExampleFileParses) {
  auto r = LoadRules(std::string(TTSD_SOURCE_DIR) + "/examples/chat-rules.toml");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->blocklist.empty());
  EXPECT_FALSE(r->pool.empty());
}

TEST(ChatRules, WhoMaySpeak) {
  Rules r = Parse(R"(
[who]
allow = ["subscribers", "vips"]
min_bits = 100
rewards = ["reward-1"]
)");
  TwitchEvent m = Msg("hi");
  EXPECT_EQ(Decide(r, m, {}).reason, "not allowed");
  m.subscriber = true;
  EXPECT_EQ(Decide(r, m, {}).kind, Decision::Kind::kSpeak);
  m.subscriber = false;
  m.vip = true;
  EXPECT_EQ(Decide(r, m, {}).kind, Decision::Kind::kSpeak);
  m.vip = false;
  m.bits = 99;
  EXPECT_EQ(Decide(r, m, {}).kind, Decision::Kind::kIgnore);
  m.bits = 100;
  EXPECT_EQ(Decide(r, m, {}).kind, Decision::Kind::kSpeak);
  m.bits = 0;
  m.custom_reward_id = "reward-2";
  EXPECT_EQ(Decide(r, m, {}).kind, Decision::Kind::kIgnore);
  m.custom_reward_id = "reward-1";
  EXPECT_EQ(Decide(r, m, {}).kind, Decision::Kind::kSpeak);
}

TEST(ChatRules, CommandPrefixIsRequiredAndNotRead) {
  Rules r = Parse("[who]\ncommand = \"!tts\"\n");
  EXPECT_EQ(Decide(r, Msg("hello"), {}).reason, "no command");
  EXPECT_EQ(Decide(r, Msg("!ttsx hello"), {}).reason, "no command");
  Decision d = Decide(r, Msg("!TTS hello there"), {});
  EXPECT_EQ(d.kind, Decision::Kind::kSpeak);
  EXPECT_EQ(d.text, "viewer says: hello there");
}

TEST(ChatRules, IgnoredUsersAndCommands) {
  Rules r = Parse("[who]\nignore_users = [\"Nightbot\"]\n");
  EXPECT_EQ(Decide(r, Msg("hi", "nightbot"), {}).reason, "ignored user");
  EXPECT_EQ(Decide(r, Msg("!discord"), {}).reason, "command");
  r.skip_commands = false;
  EXPECT_EQ(Decide(r, Msg("!discord"), {}).kind, Decision::Kind::kSpeak);
}

TEST(ChatRules, Links) {
  EXPECT_TRUE(IsLink("https://example.com/x"));
  EXPECT_TRUE(IsLink("www.twitch.tv"));
  EXPECT_TRUE(IsLink("clips.twitch.tv/abc"));
  EXPECT_TRUE(IsLink("(example.com)"));
  EXPECT_FALSE(IsLink("e.g."));
  EXPECT_FALSE(IsLink("3.14"));
  EXPECT_FALSE(IsLink("hello"));
  EXPECT_FALSE(IsLink("end."));
  Rules r;
  EXPECT_EQ(Decide(r, Msg("see https://x.com/a now"), {}).text, "viewer says: see a link now");
  r.links = Rules::LinkAction::kDrop;
  EXPECT_EQ(Decide(r, Msg("see https://x.com/a now"), {}).text, "viewer says: see now");
  EXPECT_EQ(Decide(r, Msg("https://x.com/a"), {}).reason, "nothing left to read");
  r.links = Rules::LinkAction::kSkip;
  EXPECT_EQ(Decide(r, Msg("see x.com"), {}).reason, "link");
}

TEST(ChatRules, EmoteOnlyRepeatsAndLength) {
  Rules r;
  TwitchEvent e = Msg("Kappa Kappa");
  e.emote_only = true;
  EXPECT_EQ(Decide(r, e, {}).reason, "emote only");
  EXPECT_EQ(CollapseRepeats("loooooool!!!!!!", 3), "loool!!!");
  EXPECT_EQ(CollapseRepeats("ääääää", 2), "ää");
  EXPECT_EQ(CollapseRepeats("aaaa", 0), "aaaa");
  EXPECT_EQ(TruncateChars("short", 10), "short");
  EXPECT_EQ(TruncateChars("one two three four", 12), "one two...");
  EXPECT_EQ(TruncateChars("ääääää", 3), "äää...");
  r.max_chars = 12;
  r.prefix = "";
  EXPECT_EQ(Decide(r, Msg("one two three four"), {}).text, "one two...");
}

TEST(ChatRules, BlocklistSkipsOrBleeps) {
  Rules r = Parse(R"(
[text]
blocklist = ["Darn", "heck"]
blocked = "bleep"
bleep = "beep"
prefix = "{name}: "
)");
  EXPECT_EQ(Decide(r, Msg("oh DARN, what the heck!"), {}).text, "viewer: oh beep what the beep");
  r.block_action = Rules::BlockAction::kSkip;
  EXPECT_EQ(Decide(r, Msg("oh darn"), {}).reason, "blocked word");
  EXPECT_EQ(Decide(r, Msg("darnation"), {}).kind, Decision::Kind::kSpeak);  // whole words only
}

TEST(ChatRules, ControlCharactersAreSpaces) {
  EXPECT_EQ(Decide(Rules{}, Msg("a\x01" "b\x7f" "c"), {}).text, "viewer says: a b c");
}

TEST(ChatRules, Cooldown) {
  Rules r = Parse("[limits]\ncooldown_s = 10\n");
  EXPECT_EQ(Decide(r, Msg("hi"), std::nullopt).kind, Decision::Kind::kSpeak);
  EXPECT_EQ(Decide(r, Msg("hi"), 3.0).reason, "cooldown");
  EXPECT_EQ(Decide(r, Msg("hi"), 10.5).kind, Decision::Kind::kSpeak);
}

TEST(ChatRules, ModeratorCommands) {
  Rules r;
  TwitchEvent m = Msg("!skip");
  EXPECT_EQ(Decide(r, m, {}).reason, "command");  // a viewer's !skip is just a command
  m.moderator = true;
  for (auto [text, action] : std::vector<std::pair<std::string, ModAction>>{
           {"!skip", ModAction::kSkip}, {"!CLEAR", ModAction::kClear}, {"!ttspause", ModAction::kPause},
           {"!ttsresume now", ModAction::kResume}}) {
    m.text = text;
    Decision d = Decide(r, m, {});
    EXPECT_EQ(d.kind, Decision::Kind::kModerate) << text;
    EXPECT_EQ(d.action, action) << text;
  }
  m.moderator = false;
  m.broadcaster = true;
  m.text = "!skip";
  EXPECT_EQ(Decide(r, m, {}).action, ModAction::kSkip);
  r.moderator_commands = false;
  EXPECT_EQ(Decide(r, m, {}).kind, Decision::Kind::kIgnore);
}

TEST(ChatRules, VoicesPerViewer) {
  Rules r = Parse(R"(
[voices]
default = { voice = "base" }
pool = [ { voice = "a", speaker = "1" }, { voice = "a", speaker = "2" }, "b" ]
[voices.users]
Streamer = { voice = "special", speaker = "s" }
other = "plain"
)");
  EXPECT_EQ(PickVoice(r, "streamer", "1"), (VoiceChoice{"special", "s"}));
  EXPECT_EQ(PickVoice(r, "OTHER", "1"), (VoiceChoice{"plain", ""}));
  // A stable pick: the same user always gets the same voice, and users spread over the pool.
  std::set<std::string> seen;
  for (int i = 0; i < 60; ++i) {
    VoiceChoice v = PickVoice(r, "u", std::to_string(i));
    EXPECT_EQ(v, PickVoice(r, "u", std::to_string(i)));
    seen.insert(v.voice + "/" + v.speaker);
  }
  EXPECT_EQ(seen.size(), 3u);
  r.pool.clear();
  EXPECT_EQ(PickVoice(r, "u", "9"), (VoiceChoice{"base", ""}));
  EXPECT_EQ(Decide(r, Msg("hi", "streamer"), {}).voice, (VoiceChoice{"special", "s"}));
}

TEST(ChatRules, ErrorsNameFileAndLine) {
  EXPECT_EQ(ErrorOf("[who]\nallow = [\"everyone\"]\nallow_typo = 1\n"), "rules.toml:3: unknown key \"allow_typo\" in [who]");
  EXPECT_EQ(ErrorOf("\n\n[who]\nallow = [\"admins\"]\n").substr(0, 13), "rules.toml:4:");
  EXPECT_NE(ErrorOf("[who]\nallow = [\"admins\"]\n").find("unknown role \"admins\""), std::string::npos);
  EXPECT_EQ(ErrorOf("[text]\nmax_chars = \"many\"\n"), "rules.toml:2: text.max_chars must be an integer");
  EXPECT_EQ(ErrorOf("[text]\nmax_chars = -1\n"), "rules.toml:2: text.max_chars must be 0..5000, not -1");
  EXPECT_EQ(ErrorOf("[limits]\nmax_pending = 65\n"), "rules.toml:2: limits.max_pending must be 1..64, not 65");
  EXPECT_EQ(ErrorOf("[text]\nlinks = \"eat\"\n").substr(0, 28), "rules.toml:2: text.links mus");
  EXPECT_EQ(ErrorOf("[sound]\n").substr(0, 14), "rules.toml:1: ");
  EXPECT_EQ(ErrorOf("[voices]\npool = [1]\n"), "rules.toml:2: voices.pool must be a table");
  // TOML syntax errors carry toml++'s line.
  EXPECT_EQ(ErrorOf("[who]\nallow = [\"everyone\"\n\n").substr(0, 13), "rules.toml:3:");
  EXPECT_EQ(ErrorOf("a = 1\nb = = 2\n").substr(0, 13), "rules.toml:2:");
}

TEST(ChatRules, MissingAndHugeFiles) {
  EXPECT_EQ(LoadRules("/nonexistent/rules.toml").error().code, ErrorCode::kIo);
  EXPECT_EQ(ParseRules(std::string(kMaxRulesFileBytes + 1, '#'), "big.toml").error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace ttsd::chat
