// ttsc chat twitch end to end: a local IRC server speaking Twitch's dialect (tests/support/fake-twitch-
// server.h) feeds a real `ttsc chat` process, which queues speech on a real ttsd's channel; a listener
// on that channel records what starts playing (its utterance_start events carry the text). Rules,
// deletions, timeouts, moderator commands, reconnects (to Twitch and to a restarted ttsd), hostile lines
// and floods.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <mutex>

#include <gtest/gtest.h>

#include "support/daemon-process.h"
#include "support/fake-twitch-server.h"
#include "support/run-command.h"
#include "support/ttsc-process.h"

namespace ttsd::testing {
namespace {

using protocol::FrameType;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Listens on a channel (audio and events) on its own thread and keeps the events.
class ChannelRecorder {
 public:
  ChannelRecorder(const std::string& socket, const std::string& channel) : client_(socket) {
    client_.Handshake();
    protocol::ListenRequest l;
    l.channel = channel;
    l.events = true;
    client_.Send(FrameType::kListen, 1, protocol::Serialize(l));
    auto f = client_.Read();
    EXPECT_TRUE(f && f->header.type == FrameType::kAccepted);
    thread_ = std::thread([this] {
      while (!stop_) {
        auto f = client_.Read(200ms);
        if (!f || f->header.type != FrameType::kChannelEvent) continue;
        auto e = protocol::ParseChannelEvent(f->payload);
        if (!e) continue;
        std::lock_guard lock(mutex_);
        events_.push_back(*e);
      }
    });
  }
  ~ChannelRecorder() {
    stop_ = true;
    thread_.join();
  }
  std::vector<protocol::ChannelEvent> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  // Texts of the utterances that started, in order.
  std::vector<std::string> Started() const {
    std::vector<std::string> out;
    for (const auto& e : events()) {
      if (e.kind == protocol::ChannelEvent::Kind::kStart) out.push_back(e.text);
    }
    return out;
  }
  // Waits for an utterance_start whose text holds text; returns its utterance id (0: none in time).
  uint64_t WaitStart(const std::string& text, std::chrono::milliseconds timeout = 30s) const {
    const auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      for (const auto& e : events()) {
        if (e.kind == protocol::ChannelEvent::Kind::kStart && e.text.find(text) != std::string::npos) {
          return e.utterance;
        }
      }
      std::this_thread::sleep_for(20ms);
    }
    return 0;
  }
  // The reason its utterance_end gave ("" if none in time).
  std::string WaitEnd(uint64_t id, std::chrono::milliseconds timeout = 30s) const {
    const auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      for (const auto& e : events()) {
        if (e.kind == protocol::ChannelEvent::Kind::kEnd && e.utterance == id) return e.reason;
      }
      std::this_thread::sleep_for(20ms);
    }
    return "";
  }
  bool AnyStartHolds(const std::string& text) const {
    for (const auto& t : Started()) {
      if (t.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  RawClient client_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;  // protects events_
  std::vector<protocol::ChannelEvent> events_;
};

// The channel's status, from channel_control status.
protocol::ChannelStatus ChannelState(const std::string& socket) {
  RawClient c(socket);
  c.Handshake();
  protocol::ChannelControl status{"stream", protocol::ChannelControl::Action::kStatus};
  c.Send(FrameType::kChannelControl, 1, protocol::Serialize(status));
  auto f = c.Read();
  if (!f || f->header.type != FrameType::kChannelStatus) return {};
  return protocol::ParseChannelStatus(f->payload).value_or(protocol::ChannelStatus{});
}
size_t QueueLength(const std::string& socket) { return ChannelState(socket).queue.size(); }

bool WaitQueueLength(const std::string& socket, size_t n, std::chrono::milliseconds timeout = 10s) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (QueueLength(socket) >= n) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

const std::string kLong = "this message is long enough to keep playing while the moderators act on the queue behind it";

class ChatTwitch : public ::testing::Test {
 protected:
  // tls: the IRC server speaks TLS with a fresh self-signed certificate for localhost, which ttsc is told
  // to trust (SSL_CERT_FILE) when trust_it.
  void Start(const std::string& rules, bool tls = false, bool trust_it = true) {
    std::vector<std::string> env;
    if (tls) {
      const std::string cert = dir_.path() + "/irc-cert.pem", key = dir_.path() + "/irc-key.pem";
      auto made = RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                              "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"});
      ASSERT_TRUE(made && made->exit_code == 0) << (made ? made->out : made.error().message);
      tls_irc_ = std::make_unique<FakeTwitchServer>(cert, key);
      if (trust_it) env.push_back("SSL_CERT_FILE=" + cert);
    }
    rules_path_ = dir_.path() + "/rules.toml";
    std::ofstream(rules_path_) << rules;
    daemon_ = std::make_unique<DaemonProcess>(std::vector<std::string>{"--socket", dir_.path() + "/ttsd.sock"});
    recorder_ = std::make_unique<ChannelRecorder>(socket(), "stream");
    chat_ = std::make_unique<TtscProcess>(
        dir_.path(), std::vector<std::string>{"--socket", socket(), "chat", "twitch", "chan", "--channel", "stream",
                                              "--rules", rules_path_, "--server", irc().address(), "--reconnect-min",
                                              "0.1"},
        env);
    if (tls && !trust_it) return;
    ASSERT_TRUE(irc().WaitJoins(1)) << chat_->Log();
    ASSERT_TRUE(chat_->WaitForLog("connected to " + socket())) << chat_->Log();
  }
  void TearDown() override {
    if (chat_) {
      EXPECT_TRUE(chat_->Running()) << chat_->Log();
      EXPECT_EQ(chat_->Stop(), 0) << chat_->Log();
    }
  }
  std::string socket() const { return dir_.path() + "/ttsd.sock"; }
  FakeTwitchServer& irc() { return tls_irc_ ? *tls_irc_ : irc_; }

  TempDir dir_;
  FakeTwitchServer irc_;
  std::unique_ptr<FakeTwitchServer> tls_irc_;
  std::string rules_path_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<ChannelRecorder> recorder_;
  std::unique_ptr<TtscProcess> chat_;  // ttsc chat twitch
};

TEST_F(ChatTwitch, RulesDecideWhoSpeaksAndWhatIsSaid) {
  Start(R"(
[who]
allow = ["subscribers"]
ignore_users = ["nightbot"]
[text]
links = "drop"
blocklist = ["darn"]
bleep = "beep"
prefix = "{name} says: "
)");
  irc_.Send(FakeTwitchServer::Privmsg("pleb", "not a subscriber here"));
  irc_.Send(FakeTwitchServer::Privmsg("nightbot", "a bot that is a subscriber", "subscriber=1"));
  irc_.Send(FakeTwitchServer::Privmsg("Alice", "look https://example.com/x oh darn it", "badges=subscriber/3"));
  irc_.Send(FakeTwitchServer::Privmsg("Bob", "skip me, I am blocked? no: !command", "subscriber=1"));
  irc_.Send(FakeTwitchServer::Privmsg("Bob", "!so somebody", "subscriber=1"));
  irc_.Send(FakeTwitchServer::Privmsg("Bob", "sooooooo last", "subscriber=1"));
  ASSERT_NE(recorder_->WaitStart("Bob says: sooo last"), 0u) << chat_->Log();
  const auto started = recorder_->Started();
  ASSERT_EQ(started.size(), 3u);
  EXPECT_EQ(started[0], "Alice says: look oh beep it");
  EXPECT_EQ(started[1], "Bob says: skip me, I am blocked? no: !command");
  EXPECT_EQ(started[2], "Bob says: sooo last");
}

TEST_F(ChatTwitch, DeletedMessagesAndTimedOutUsersNeverPlay) {
  Start("[text]\nprefix = \"\"\n");
  irc_.Send(FakeTwitchServer::Privmsg("alice", kLong, "id=m-alice"));
  const uint64_t alice = recorder_->WaitStart("this message is long");
  ASSERT_NE(alice, 0u) << chat_->Log();
  irc_.Send(FakeTwitchServer::Privmsg("bob", "bob should never be heard", "id=m-bob"));
  irc_.Send(FakeTwitchServer::Privmsg("carol", "carol is timed out first", "user-id=u-carol"));
  irc_.Send(FakeTwitchServer::Privmsg("carol", "carol again", "user-id=u-carol"));
  irc_.Send(FakeTwitchServer::Privmsg("dave", "dave is fine"));
  ASSERT_TRUE(WaitQueueLength(socket(), 4)) << chat_->Log();
  // Each item carries who sent it and from where.
  const auto status = ChannelState(socket());
  ASSERT_EQ(status.queue.size(), 4u);
  EXPECT_EQ(status.queue[0].author, "bob");
  EXPECT_EQ(status.queue[0].source, "twitch");
  EXPECT_EQ(status.current.author, "alice");
  irc_.Send("@login=bob;target-msg-id=m-bob :tmi.twitch.tv CLEARMSG #chan :bob should never be heard");
  irc_.Send("@ban-duration=600;target-user-id=u-carol :tmi.twitch.tv CLEARCHAT #chan :carol");
  // The one playing is cut too.
  irc_.Send("@login=alice;target-msg-id=m-alice :tmi.twitch.tv CLEARMSG #chan :" + kLong);
  EXPECT_EQ(recorder_->WaitEnd(alice), "cancelled");
  ASSERT_NE(recorder_->WaitStart("dave is fine"), 0u) << chat_->Log();
  EXPECT_FALSE(recorder_->AnyStartHolds("bob"));
  EXPECT_FALSE(recorder_->AnyStartHolds("carol"));
  EXPECT_TRUE(chat_->WaitForLog("removed 2 messages of carol")) << chat_->Log();
}

TEST_F(ChatTwitch, ModeratorsSkipAndClear) {
  Start("[text]\nprefix = \"\"\n");
  irc_.Send(FakeTwitchServer::Privmsg("alice", kLong));
  const uint64_t first = recorder_->WaitStart("this message is long");
  ASSERT_NE(first, 0u) << chat_->Log();
  irc_.Send(FakeTwitchServer::Privmsg("viewer", "!skip"));  // not a moderator: nothing happens
  irc_.Send(FakeTwitchServer::Privmsg("mod", "!skip", "badges=moderator/1"));
  EXPECT_EQ(recorder_->WaitEnd(first), "skipped");
  irc_.Send(FakeTwitchServer::Privmsg("alice", kLong + " again"));
  irc_.Send(FakeTwitchServer::Privmsg("bob", "cleared before it plays"));
  ASSERT_TRUE(WaitQueueLength(socket(), 1)) << chat_->Log();
  irc_.Send(FakeTwitchServer::Privmsg("boss", "!clear", "badges=broadcaster/1"));
  irc_.Send(FakeTwitchServer::Privmsg("carol", "after the clear"));
  ASSERT_NE(recorder_->WaitStart("after the clear"), 0u) << chat_->Log();
  EXPECT_FALSE(recorder_->AnyStartHolds("cleared before"));
}

TEST_F(ChatTwitch, ReadsChatOverTls) {
  Start("[text]\nprefix = \"{name}: \"\n", /*tls=*/true);
  irc().Send(FakeTwitchServer::Privmsg("alice", "hello over TLS"));
  EXPECT_NE(recorder_->WaitStart("alice: hello over TLS"), 0u) << chat_->Log();
  EXPECT_TRUE(chat_->WaitForLog("(TLS)")) << chat_->Log();
}

TEST_F(ChatTwitch, RefusesAServerItCannotVerify) {
  Start("", /*tls=*/true, /*trust_it=*/false);
  EXPECT_TRUE(chat_->WaitForLog("certificate verify failed", 10s, 2)) << chat_->Log();  // and it keeps trying
  EXPECT_EQ(irc().joins(), 0);
}

// Needs a ttsd with the channel actions pause and resume (protocol/README.md, "Output channels").
TEST_F(ChatTwitch, ModeratorsPauseAndResume) {
  Start("[text]\nprefix = \"\"\n");
  irc_.Send(FakeTwitchServer::Privmsg("mod", "!ttspause", "mod=1"));
  ASSERT_TRUE(chat_->WaitForLog("ttsd: pause on channel stream")) << chat_->Log();
  irc_.Send(FakeTwitchServer::Privmsg("alice", "waits for the resume"));
  std::this_thread::sleep_for(1500ms);
  EXPECT_FALSE(recorder_->AnyStartHolds("waits for")) << "played while paused";
  irc_.Send(FakeTwitchServer::Privmsg("mod", "!ttsresume", "mod=1"));
  ASSERT_TRUE(chat_->WaitForLog("ttsd: resume on channel stream")) << chat_->Log();
  EXPECT_NE(recorder_->WaitStart("waits for the resume"), 0u) << chat_->Log();
}

TEST_F(ChatTwitch, SurvivesDropsReconnectRequestsAndMalformedLines) {
  Start("[text]\nprefix = \"\"\n");
  irc_.Send("PING :tmi.twitch.tv");
  EXPECT_TRUE(irc_.WaitReceived("PONG :tmi.twitch.tv"));
  irc_.Drop();
  ASSERT_TRUE(irc_.WaitJoins(2)) << chat_->Log();
  EXPECT_TRUE(chat_->WaitForLog("connection lost")) << chat_->Log();
  irc_.Send(FakeTwitchServer::Privmsg("alice", "after the drop"));
  ASSERT_NE(recorder_->WaitStart("after the drop"), 0u) << chat_->Log();
  irc_.Send(":tmi.twitch.tv RECONNECT");
  ASSERT_TRUE(irc_.WaitJoins(3)) << chat_->Log();
  EXPECT_TRUE(chat_->WaitForLog("RECONNECT")) << chat_->Log();
  // Hostile lines: each is dropped with a message, the reader goes on.
  std::string many_tags = "@";
  for (int i = 0; i < 500; ++i) many_tags += "k" + std::to_string(i) + "=v\\s;";
  irc_.Send(many_tags + " :x!x@x PRIVMSG #chan :too many tags");
  irc_.Send("@@@ ::: ");
  irc_.Send(":only-a-prefix");
  irc_.Send(std::string("PRIVMSG #chan :nul\0inside", 24));
  irc_.Send("@display-name=x :x!x@x PRIVMSG #chan :" + std::string(20000, 'a'));
  irc_.SendRaw(std::string(100000, 'z'));  // no line end for a long while
  irc_.Send("");
  irc_.Send("@bits=-1;badges=,,,/,;id=;user-id= :x!x@x PRIVMSG #chan :odd tags still speak");
  ASSERT_NE(recorder_->WaitStart("odd tags still speak"), 0u) << chat_->Log();
  EXPECT_TRUE(chat_->WaitForLog("too_many_tags")) << chat_->Log();
  EXPECT_TRUE(chat_->WaitForLog("longer than")) << chat_->Log();
  EXPECT_FALSE(recorder_->AnyStartHolds("too many tags"));
}

TEST_F(ChatTwitch, ReconnectsToARestartedTtsd) {
  Start("[text]\nprefix = \"\"\n");
  recorder_.reset();
  daemon_->Stop();
  EXPECT_TRUE(chat_->WaitForLog("reconnecting in")) << chat_->Log();
  irc_.Send(FakeTwitchServer::Privmsg("alice", "lost while ttsd is down"));
  daemon_ = std::make_unique<DaemonProcess>(std::vector<std::string>{"--socket", socket()});
  recorder_ = std::make_unique<ChannelRecorder>(socket(), "stream");
  ASSERT_TRUE(chat_->WaitForLog("connected to " + socket(), 20s, 2)) << chat_->Log();
  irc_.Send(FakeTwitchServer::Privmsg("alice", "back again"));
  EXPECT_NE(recorder_->WaitStart("back again"), 0u) << chat_->Log();
  EXPECT_FALSE(recorder_->AnyStartHolds("lost while"));
}

TEST_F(ChatTwitch, FloodsStayBounded) {
  Start("[limits]\nmax_pending = 5\n[text]\nprefix = \"\"\n");
  for (int i = 0; i < 300; ++i) irc_.Send(FakeTwitchServer::Privmsg("u" + std::to_string(i), "flood " + std::to_string(i)));
  EXPECT_TRUE(chat_->WaitForLog("already waiting (limits.max_pending)")) << chat_->Log();
  EXPECT_LE(QueueLength(socket()), 5u);
  ASSERT_NE(recorder_->WaitStart("flood 0"), 0u) << chat_->Log();
  // Once the queue has room, chat is read again.
  for (int i = 0; i < 600 && QueueLength(socket()) > 0; ++i) std::this_thread::sleep_for(50ms);
  irc_.Send(FakeTwitchServer::Privmsg("late", "after the flood"));
  EXPECT_NE(recorder_->WaitStart("after the flood"), 0u) << chat_->Log();
}

TEST_F(ChatTwitch, ABadRulesFileIsRefusedAndABadReloadKeepsTheOldRules) {
  const std::string bad = dir_.path() + "/bad.toml";
  std::ofstream(bad) << "[who]\nallow = [\"everyone\"]\nalow = 1\n";
  auto refused = RunCommand({TtscBinary(), "chat", "twitch", "chan", "--channel", "stream", "--rules", bad});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->exit_code, 2) << refused->out;
  EXPECT_NE(refused->out.find(bad + ":3: unknown key \"alow\" in [who]"), std::string::npos) << refused->out;

  Start("[text]\nprefix = \"old: \"\n");
  std::ofstream(rules_path_) << "[text]\nprefix = \"new: \"\nmax_chars = \"lots\"\n";
  chat_->Signal(SIGHUP);
  EXPECT_TRUE(chat_->WaitForLog("keeping the old ones: " + rules_path_ + ":3: text.max_chars must be an integer"))
      << chat_->Log();
  irc_.Send(FakeTwitchServer::Privmsg("alice", "still the old rules"));
  ASSERT_NE(recorder_->WaitStart("old: still the old rules"), 0u) << chat_->Log();
  // A good file is picked up when it changes, without a signal.
  std::ofstream(rules_path_) << "[text]\nprefix = \"new: \"\n";
  EXPECT_TRUE(chat_->WaitForLog("rules reloaded")) << chat_->Log();
  irc_.Send(FakeTwitchServer::Privmsg("alice", "now the new rules"));
  EXPECT_NE(recorder_->WaitStart("new: now the new rules"), 0u) << chat_->Log();
}

}  // namespace
}  // namespace ttsd::testing
