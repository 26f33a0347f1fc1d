// ttsc's channel commands against a real ttsd: say --channel with --author/--source (and its warning
// when nobody listens), channel (the items), remove, pause, resume, volume, skip --item, and the errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "support/daemon-process.h"
#include "support/run-command.h"

namespace ttsd::testing {
namespace {

class TtscChannel : public ::testing::Test {
 protected:
  void SetUp() override { daemon_ = std::make_unique<DaemonProcess>(); }
  CommandResult Ttsc(std::vector<std::string> args) {
    args.insert(args.begin(), {TtscBinary(), "--socket", daemon_->socket_path()});
    auto r = RunCommand(args);
    EXPECT_TRUE(r);
    return r ? *r : CommandResult{};
  }
  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(TtscChannel, QueueIsListedAndModerated) {
  const std::string long_text = "This first message is long enough to keep playing while ttsc moderates the queue.";
  auto said = Ttsc({"say", "--channel", "stream", "--no-wait", "--author", "alice", "--source", "twitch", long_text});
  ASSERT_EQ(said.exit_code, 0) << said.out;
  EXPECT_NE(said.out.find("warning: channel 'stream' has no listeners"), std::string::npos) << said.out;
  said = Ttsc({"say", "--channel", "stream", "--no-wait", "--author", "bob", "Second in line."});
  ASSERT_EQ(said.exit_code, 0) << said.out;

  auto json = Ttsc({"channel", "--channel", "stream", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.out;
  auto st = nlohmann::json::parse(json.out);
  ASSERT_EQ(st["queue"].size(), 1u) << json.out;
  EXPECT_EQ(st["current"]["author"], "alice");
  EXPECT_EQ(st["current"]["source"], "twitch");
  EXPECT_EQ(st["queue"][0]["author"], "bob");
  EXPECT_EQ(st["queue"][0]["source"], "ttsc");  // say's default
  const std::string second = std::to_string(st["queue"][0]["id"].get<uint64_t>());
  const std::string first = std::to_string(st["current"]["id"].get<uint64_t>());

  auto listed = Ttsc({"channel", "--channel", "stream"});
  ASSERT_EQ(listed.exit_code, 0) << listed.out;
  EXPECT_NE(listed.out.find("#" + second + " \"Second in line.\" — bob (ttsc)"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("no listeners"), std::string::npos) << listed.out;

  auto removed = Ttsc({"remove", "--channel", "stream", second});
  ASSERT_EQ(removed.exit_code, 0) << removed.out;
  EXPECT_NE(removed.out.find("0 queued"), std::string::npos) << removed.out;
  auto again = Ttsc({"remove", "--channel", "stream", second});
  EXPECT_EQ(again.exit_code, 1) << again.out;
  EXPECT_NE(again.out.find("unknown_item"), std::string::npos) << again.out;

  auto paused = Ttsc({"pause", "--channel", "stream"});
  ASSERT_EQ(paused.exit_code, 0) << paused.out;
  EXPECT_NE(paused.out.find("(paused)"), std::string::npos) << paused.out;
  auto volume = Ttsc({"volume", "--channel", "stream", "0.5", "--json"});
  ASSERT_EQ(volume.exit_code, 0) << volume.out;
  EXPECT_EQ(nlohmann::json::parse(volume.out)["gain"], 0.5);
  EXPECT_EQ(Ttsc({"volume", "--channel", "stream", "3"}).exit_code, 2);  // usage: 0..2
  auto resumed = Ttsc({"resume", "--channel", "stream", "--json"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_FALSE(nlohmann::json::parse(resumed.out)["paused"].get<bool>());

  // skip --item: only the item named, and only while it plays.
  auto wrong = Ttsc({"skip", "--channel", "stream", "--item", second});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  auto skipped = Ttsc({"skip", "--channel", "stream", "--item", first, "--json"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.out;
  EXPECT_FALSE(nlohmann::json::parse(skipped.out)["playing"].get<bool>());
}

// say --channel --stats: the audio goes to the listeners, so no ttfa_ms or chunks; what it prints is what
// the help says, key for key (issue 21).
TEST_F(TtscChannel, StatsPrintWhatTheHelpSays) {
  auto help = Ttsc({"say", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.out;
  // CLI11 wraps the help: compare it with its white space squeezed.
  const std::string flat = std::regex_replace(help.out, std::regex("\\s+"), " ");
  EXPECT_NE(flat.find("there is no ttfa_ms or chunks"), std::string::npos) << help.out;
  auto stats_line = [](const std::string& out) {
    std::smatch m;
    EXPECT_TRUE(std::regex_search(out, m, std::regex("(^|\n)(\\{[^\n]*\"request_id\"[^\n]*\\})"))) << out;
    return nlohmann::json::parse(m.empty() ? "{}" : m.str(2));
  };
  auto said = Ttsc({"say", "--channel", "stream", "--stats", "Stats, please."});
  ASSERT_EQ(said.exit_code, 0) << said.out;
  const auto done = stats_line(said.out);
  EXPECT_EQ(done["status"], "ok") << said.out;
  EXPECT_EQ(done["channel"], "stream");
  EXPECT_GT(done["item"].get<uint64_t>(), 0u);
  EXPECT_EQ(done["listeners"], 0);
  EXPECT_GT(done["audio_s"].get<double>(), 0.3);
  EXPECT_GE(done["wall_s"].get<double>(), done["audio_s"].get<double>() * 0.9);  // played out in real time
  for (const auto& [key, value] : done.items()) EXPECT_NE(flat.find(key), std::string::npos) << key << " not in the help";
  EXPECT_FALSE(done.contains("ttfa_ms") || done.contains("chunks"));

  auto queued = Ttsc({"say", "--channel", "stream", "--stats", "--no-wait", "Queued only."});
  ASSERT_EQ(queued.exit_code, 0) << queued.out;
  const auto q = stats_line(queued.out);
  EXPECT_EQ(q["status"], "queued") << queued.out;
  EXPECT_FALSE(q.contains("audio_s"));
  EXPECT_GT(q["item"].get<uint64_t>(), done["item"].get<uint64_t>());
}

TEST_F(TtscChannel, OverTheCapIsRefusedWithTheCapNamed) {
  daemon_ = std::make_unique<DaemonProcess>(std::vector<std::string>{"--channel-max-queue", "1"});
  const std::string long_text = "This first message is long enough to keep playing while the queue fills up behind it.";
  ASSERT_EQ(Ttsc({"say", "--channel", "stream", "--no-wait", long_text}).exit_code, 0);
  ASSERT_EQ(Ttsc({"say", "--channel", "stream", "--no-wait", "Queued."}).exit_code, 0);
  auto refused = Ttsc({"say", "--channel", "stream", "--no-wait", "One too many."});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("busy"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("channel-max-queue 1"), std::string::npos) << refused.out;
}

}  // namespace
}  // namespace ttsd::testing
