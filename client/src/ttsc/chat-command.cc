#include "ttsc/chat-command.h"

#include <sys/stat.h>

#include <cctype>
#include <chrono>
#include <iostream>
#include <map>

#include <boost/asio.hpp>

#include "ttsd/chat/chat-rules.h"
#include "ttsd/chat/chat-speaker.h"
#include "ttsd/chat/twitch-reader.h"
#include "ttsd/protocol/messages.h"
#include "ttsd/protocol/socket-path.h"

namespace ttsd::ttsc {
namespace {

using namespace ttsd::chat;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxCooldownEntries = 100'000;  // users remembered for cooldowns; older ones are forgotten

void Log(const std::string& line) { std::cerr << "ttsc chat: " << line << std::endl; }

// HOST:PORT, irc://HOST:PORT (plain TCP) or ircs://HOST:PORT (TLS) into the options.
bool ParseServer(const std::string& server, TwitchOptions* options) {
  std::string rest = server;
  if (rest.starts_with("irc://")) {
    options->tls = false;
    rest = rest.substr(6);
  } else if (rest.starts_with("ircs://")) {
    rest = rest.substr(7);
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return false;
  options->host = rest.substr(0, colon);
  options->port = rest.substr(colon + 1);
  return options->port.find_first_not_of("0123456789") == std::string::npos;
}

struct ModifiedTime {
  bool operator==(const ModifiedTime&) const = default;
  long long sec = 0, nsec = 0, size = -1;
};
ModifiedTime StatFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size};
}

// Owns the reader, the speaker and the rules; every method runs on the io thread.
class ChatSession {
 public:
  ChatSession(boost::asio::io_context& io, const ChatCommand& chat, Rules rules, TwitchOptions twitch,
              SpeakerOptions speaker)
      : io_(io),
        rules_path_(chat.rules),
        rules_(std::move(rules)),
        reader_(io, std::move(twitch), [this](const TwitchEvent& e) { OnEvent(e); }, Log),
        speaker_(io, std::move(speaker), Log),
        signals_(io, SIGINT, SIGTERM, SIGHUP),
        watch_timer_(io) {
    speaker_.set_max_pending(rules_.max_pending);
    if (!rules_path_.empty()) rules_mtime_ = StatFile(rules_path_);
  }

  void Start() {
    WaitSignal();
    WatchRules();
    speaker_.Start();
    reader_.Start();
  }

 private:
  void WaitSignal() {
    signals_.async_wait([this](auto ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        Reload("SIGHUP");
        return WaitSignal();
      }
      Log("stopping");
      reader_.Stop();
      speaker_.Stop();
      watch_timer_.cancel();
      io_.stop();
    });
  }

  void WatchRules() {
    if (rules_path_.empty()) return;
    watch_timer_.expires_after(std::chrono::seconds(1));
    watch_timer_.async_wait([this](auto ec) {
      if (ec) return;
      if (ModifiedTime now = StatFile(rules_path_); now != rules_mtime_ && now.size >= 0) Reload("the file changed");
      WatchRules();
    });
  }

  void Reload(const std::string& why) {
    if (rules_path_.empty()) return;
    rules_mtime_ = StatFile(rules_path_);
    auto rules = LoadRules(rules_path_);
    if (!rules) {
      Log("rules not reloaded (" + why + "), keeping the old ones: " + rules.error().message);
      return;
    }
    rules_ = std::move(*rules);
    speaker_.set_max_pending(rules_.max_pending);
    Log("rules reloaded from " + rules_path_ + " (" + why + ")");
  }

  void OnEvent(const TwitchEvent& e) {
    switch (e.kind) {
      case TwitchEvent::Kind::kMessage: return OnMessage(e);
      case TwitchEvent::Kind::kClearMsg:
        if (speaker_.RemoveMessage(e.msg_id) > 0) Log("removed a deleted message of " + e.login);
        return;
      case TwitchEvent::Kind::kClearChat:
        if (e.user_id.empty() && e.login.empty()) {
          if (size_t n = speaker_.RemoveAll()) Log("chat cleared: removed " + std::to_string(n) + " queued messages");
        } else if (size_t n = speaker_.RemoveUser(e.user_id, e.login)) {
          Log("removed " + std::to_string(n) + " messages of " + e.login + " (timed out or banned)");
        }
        return;
      default: return;
    }
  }

  void OnMessage(const TwitchEvent& e) {
    const auto now = Clock::now();
    const std::string key = e.user_id.empty() ? e.login : e.user_id;
    std::optional<double> since;
    if (auto it = last_spoken_.find(key); it != last_spoken_.end()) {
      since = std::chrono::duration<double>(now - it->second).count();
    }
    Decision d = Decide(rules_, e, since);
    if (d.kind == Decision::Kind::kModerate) {
      Log(e.display_name + ": !" + std::string(ModActionName(d.action)));
      return speaker_.Control(d.action);
    }
    if (d.kind != Decision::Kind::kSpeak) return;
    Utterance u{d.text, d.voice, e.display_name, e.msg_id, e.user_id, e.login};
    if (speaker_.Speak(u) != ChatSpeaker::Outcome::kSent) return;
    if (last_spoken_.size() >= kMaxCooldownEntries) last_spoken_.clear();
    last_spoken_[key] = now;
  }

  boost::asio::io_context& io_;
  const std::string rules_path_;
  Rules rules_;
  ModifiedTime rules_mtime_;
  TwitchReader reader_;
  ChatSpeaker speaker_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer watch_timer_;
  std::map<std::string, Clock::time_point> last_spoken_;  // user id -> when last read (cooldowns)
};

}  // namespace

void AddChatCommand(CLI::App* app, ChatCommand* chat) {
  chat->cmd = app->add_subcommand("chat", "Read a live chat aloud on an output channel, by rules.");
  chat->cmd->require_subcommand(1);
  chat->twitch = chat->cmd->add_subcommand(
      "twitch",
      "Read a Twitch channel's chat (anonymously, over Twitch's IRC with TLS) and queue its messages on ttsd's "
      "output channel --channel by the rules in --rules (format: client/README.md, examples/chat-rules.toml). "
      "Moderators' deletes and timeouts remove queued messages; moderators may type !skip, !clear, !ttspause, "
      "!ttsresume. Reconnects to Twitch and to ttsd with backoff; SIGHUP or a changed file reloads the rules "
      "(a bad file keeps the old ones). Runs until Ctrl-C.");
  chat->twitch->add_option("twitch_channel", chat->twitch_channel, "the Twitch channel whose chat to read")
      ->required();
  chat->twitch->add_option("--channel", chat->channel, "ttsd's output channel to speak on")->required();
  chat->twitch->add_option("--rules", chat->rules, "the rules file (TOML; default: everyone, default rules)");
  chat->twitch->add_option("--server", chat->server,
                           "IRC server HOST:PORT, irc://HOST:PORT (plain TCP) or ircs://HOST:PORT "
                           "(default: irc.chat.twitch.tv:6697 over TLS)");
  chat->twitch->add_flag("--no-tls", chat->no_tls, "plain TCP instead of TLS (a local test server)");
  chat->twitch->add_option("--nick", chat->nick, "IRC nick (default: anonymous justinfanNNNNN)");
  chat->twitch->add_option("--reconnect-min", chat->reconnect_min_s,
                           "seconds to wait before the first reconnect; doubles per failure up to 60 s")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 60.0));
}

int RunChatCommand(const ChatCommand& chat, const GlobalOptions& global) {
  if (!protocol::IsValidChannelName(chat.channel)) {
    return Usage("chat: --channel '" + chat.channel + "' is not a channel name (1-64 of a-z A-Z 0-9 - _ .)");
  }
  Rules rules;
  if (!chat.rules.empty()) {
    auto loaded = LoadRules(chat.rules);
    if (!loaded) return Usage("chat: " + loaded.error().message);
    rules = std::move(*loaded);
  }
  TwitchOptions twitch;
  twitch.channel = chat.twitch_channel;
  if (!twitch.channel.empty() && twitch.channel.front() == '#') twitch.channel.erase(0, 1);
  for (char& c : twitch.channel) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (twitch.channel.empty() || twitch.channel.find_first_of(" ,\r\n") != std::string::npos) {
    return Usage("chat: '" + chat.twitch_channel + "' is not a Twitch channel name");
  }
  if (!chat.server.empty() && !ParseServer(chat.server, &twitch)) {
    return Usage("chat: --server '" + chat.server + "': expected HOST:PORT, irc://HOST:PORT or ircs://HOST:PORT");
  }
  if (chat.no_tls) twitch.tls = false;
  twitch.nick = chat.nick;
  const auto first = std::chrono::milliseconds(static_cast<long long>(chat.reconnect_min_s * 1000));
  twitch.backoff_first = first;
  SpeakerOptions speaker;
  speaker.socket = protocol::ResolveSocketPath(global.socket);
  speaker.channel = chat.channel;
  speaker.backoff_first = first;

  boost::asio::io_context io;
  ChatSession session(io, chat, std::move(rules), std::move(twitch), std::move(speaker));
  session.Start();
  io.run();
  return kExitOk;
}

}  // namespace ttsd::ttsc
