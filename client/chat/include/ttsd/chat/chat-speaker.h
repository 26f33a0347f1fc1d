// The ttsd side of the chat reader: queues utterances on one output channel over the native protocol,
// keeps which chat message each of its requests came from (to cancel it when a moderator deletes the
// message or times the user out), sends channel controls, and reconnects with backoff when ttsd goes away.
//   ChatSpeaker s(io, {.socket = path, .channel = "stream"}, log); s.Start();
//   s.Speak({.text = "bob says: hi", .author = "bob", .msg_id = "m1", .user_id = "7"});
//   s.RemoveMessage("m1");  // cancels it, queued or playing
// Thread-safety: every method runs on the io_context's thread. The connection to ttsd is blocking; it is
// polled for frames every 20 ms from that thread (reads wait at most 1 ms).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio.hpp>

#include "ttsd/chat/backoff.h"
#include "ttsd/chat/chat-rules.h"
#include "ttsd/client/connection.h"

namespace ttsd::chat {

struct SpeakerOptions {
  std::string socket;   // ttsd's socket path
  std::string channel;  // the output channel
  uint32_t max_pending = 20;  // our requests waiting or playing; more are dropped here
  std::chrono::milliseconds backoff_first{500};
  std::chrono::milliseconds backoff_cap{30'000};
};

struct Utterance {
  std::string text;
  VoiceChoice voice;
  std::string author;   // the display name; sent as "author"
  std::string msg_id;   // the chat message's id (for CLEARMSG)
  std::string user_id;  // the sender's id (for CLEARCHAT)
  std::string login;    // the sender's login (CLEARCHAT names the user by login too)
};

class ChatSpeaker {
 public:
  using LogHandler = std::function<void(const std::string&)>;

  enum class Outcome { kSent, kFull, kNoDaemon, kFailed };

  // io, log: not owned; they outlive the speaker.
  ChatSpeaker(boost::asio::io_context& io, SpeakerOptions options, LogHandler log);
  ~ChatSpeaker();

  void Start();  // connects (retrying with backoff) and starts polling
  void Stop();
  void set_max_pending(uint32_t n) { options_.max_pending = n; }

  // Queues one utterance on the channel: synthesize with "author" and "source": "twitch".
  Outcome Speak(const Utterance& u);
  // Cancels our requests for that chat message / from that user (by id or login) / all of them.
  // Returns how many cancels were sent.
  size_t RemoveMessage(const std::string& msg_id);
  size_t RemoveUser(const std::string& user_id, const std::string& login);
  size_t RemoveAll();
  // channel_control with this action ("skip", "clear", "pause", "resume").
  void Control(ModAction action);

  bool connected() const { return conn_ != nullptr; }
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::string msg_id, user_id, login, author;
    bool cancelled = false;
  };

  void TryConnect();
  void Poll();
  void OnFrame(const protocol::Frame& f);
  void Lost(const std::string& why);
  size_t CancelWhere(const std::function<bool(const Pending&)>& which);

  boost::asio::io_context& io_;
  SpeakerOptions options_;
  LogHandler log_;
  boost::asio::steady_timer poll_timer_, retry_timer_;
  Backoff backoff_;
  std::unique_ptr<client::Connection> conn_;
  std::map<uint32_t, Pending> pending_;           // our channel requests not yet ended
  std::map<uint32_t, std::string> controls_;      // channel_control requests -> action, until answered
  bool stopped_ = true;
  uint64_t dropped_full_ = 0;
};

}  // namespace ttsd::chat
