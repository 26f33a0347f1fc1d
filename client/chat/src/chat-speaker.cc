#include "ttsd/chat/chat-speaker.h"

#include <nlohmann/json.hpp>

#include "ttsd/protocol/messages.h"

namespace ttsd::chat {

using protocol::FrameType;
using json = nlohmann::json;

namespace {
constexpr auto kPollInterval = std::chrono::milliseconds(20);
constexpr int kMaxFramesPerPoll = 256;
constexpr size_t kMaxAuthorBytes = 64;  // what ttsd takes as "author" (protocol/README.md)

// A display name as ttsd takes it: no control characters, at most kMaxAuthorBytes, cut between characters.
std::string CleanAuthor(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (c >= 0x20 && c != 0x7f) out += static_cast<char>(c);
  }
  if (out.size() > kMaxAuthorBytes) {
    size_t cut = kMaxAuthorBytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}
}  // namespace

ChatSpeaker::ChatSpeaker(boost::asio::io_context& io, SpeakerOptions options, LogHandler log)
    : io_(io),
      options_(std::move(options)),
      log_(std::move(log)),
      poll_timer_(io),
      retry_timer_(io),
      backoff_(options_.backoff_first, options_.backoff_cap) {}

ChatSpeaker::~ChatSpeaker() = default;

void ChatSpeaker::Start() {
  stopped_ = false;
  TryConnect();
  Poll();
}

void ChatSpeaker::Stop() {
  stopped_ = true;
  poll_timer_.cancel();
  retry_timer_.cancel();
  conn_.reset();  // our queued items keep their places on the channel
}

void ChatSpeaker::TryConnect() {
  if (stopped_ || conn_) return;
  client::ConnectOptions options;
  options.client_name = "ttsc-chat";
  options.handshake_timeout = std::chrono::seconds(10);
  auto conn = client::Connection::Connect(options_.socket, options);
  if (conn) {
    conn_ = std::move(*conn);
    backoff_.Reset();
    log_("ttsd: connected to " + options_.socket + "; speaking on channel " + options_.channel);
    return;
  }
  const auto wait = backoff_.Next();
  log_("ttsd: " + conn.error().message + "; retrying in " + std::to_string(wait.count()) + " ms");
  retry_timer_.expires_after(wait);
  retry_timer_.async_wait([this](auto ec) {
    if (!ec) TryConnect();
  });
}

void ChatSpeaker::Lost(const std::string& why) {
  conn_.reset();
  pending_.clear();  // their ids belonged to that connection
  controls_.clear();
  const auto wait = backoff_.Next();
  log_("ttsd: " + why + "; reconnecting in " + std::to_string(wait.count()) + " ms");
  retry_timer_.expires_after(wait);
  retry_timer_.async_wait([this](auto ec) {
    if (!ec) TryConnect();
  });
}

void ChatSpeaker::Poll() {
  if (stopped_) return;
  for (int i = 0; conn_ && i < kMaxFramesPerPoll; ++i) {
    auto f = conn_->ReadFrame(std::chrono::milliseconds(1));
    if (!f) {
      if (f.error().code != ErrorCode::kTimeout) Lost(f.error().message);
      break;
    }
    OnFrame(*f);
  }
  poll_timer_.expires_after(kPollInterval);
  poll_timer_.async_wait([this](auto ec) {
    if (!ec) Poll();
  });
}

void ChatSpeaker::OnFrame(const protocol::Frame& f) {
  const uint32_t id = f.header.request_id;
  if (auto c = controls_.find(id); c != controls_.end()) {
    if (f.header.type == FrameType::kError) {
      Error e = client::ErrorFromFrame(f);
      log_("ttsd: refused " + c->second + " on channel " + options_.channel + ": " + e.ToString());
    } else {
      log_("ttsd: " + c->second + " on channel " + options_.channel);
    }
    controls_.erase(c);
    return;
  }
  auto p = pending_.find(id);
  if (p == pending_.end()) return;
  if (f.header.type == FrameType::kDone) {
    pending_.erase(p);
  } else if (f.header.type == FrameType::kError) {
    Error e = client::ErrorFromFrame(f);
    if (e.code == ErrorCode::kBusy) {
      log_("ttsd: channel " + options_.channel + " is full (busy); dropped the message from " + p->second.author);
    } else if (e.code == ErrorCode::kShuttingDown) {
      pending_.erase(p);
      return Lost("ttsd is shutting down");
    } else if (e.code != ErrorCode::kCancelled || !p->second.cancelled) {
      log_("ttsd: the message from " + p->second.author + " ended: " + e.ToString());
    }
    pending_.erase(p);
  }
}

ChatSpeaker::Outcome ChatSpeaker::Speak(const Utterance& u) {
  if (!conn_) {
    log_("ttsd: not connected; dropped the message from " + u.author);
    return Outcome::kNoDaemon;
  }
  if (pending_.size() >= options_.max_pending) {
    if (dropped_full_++ % 100 == 0) {
      log_("chat: " + std::to_string(pending_.size()) + " messages already waiting (limits.max_pending); dropped the "
           "message from " + u.author + (dropped_full_ > 1 ? " (" + std::to_string(dropped_full_) + " so far)" : ""));
    }
    return Outcome::kFull;
  }
  protocol::SynthesizeRequest request;
  request.text = u.text;
  request.voice = u.voice.voice;
  request.speaker = u.voice.speaker;
  request.channel = options_.channel;
  const std::vector<uint8_t> base = protocol::Serialize(request);
  json j = json::parse(base.begin(), base.end());
  j["author"] = CleanAuthor(u.author);  // metadata for the channel's queue; older daemons ignore unknown fields
  j["source"] = "twitch";
  const std::string body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  const uint32_t id = conn_->NextRequestId();
  auto sent = conn_->Send(FrameType::kSynthesize, 0, id,
                          {reinterpret_cast<const uint8_t*>(body.data()), body.size()});
  if (!sent) {
    log_("ttsd: cannot queue the message from " + u.author + ": " + sent.error().ToString());
    if (sent.error().code == ErrorCode::kIo) Lost(sent.error().message);
    return Outcome::kFailed;
  }
  pending_[id] = Pending{u.msg_id, u.user_id, u.login, u.author};
  return Outcome::kSent;
}

size_t ChatSpeaker::CancelWhere(const std::function<bool(const Pending&)>& which) {
  if (!conn_) return 0;
  size_t n = 0;
  for (auto& [id, p] : pending_) {
    if (p.cancelled || !which(p)) continue;
    if (!conn_->Cancel(id)) break;
    p.cancelled = true;  // erased when ttsd answers cancelled (or done, had it just finished)
    ++n;
  }
  return n;
}

size_t ChatSpeaker::RemoveMessage(const std::string& msg_id) {
  if (msg_id.empty()) return 0;
  return CancelWhere([&](const Pending& p) { return p.msg_id == msg_id; });
}

size_t ChatSpeaker::RemoveUser(const std::string& user_id, const std::string& login) {
  if (user_id.empty() && login.empty()) return 0;
  return CancelWhere([&](const Pending& p) {
    return (!user_id.empty() && p.user_id == user_id) || (!login.empty() && p.login == login);
  });
}

size_t ChatSpeaker::RemoveAll() {
  return CancelWhere([](const Pending&) { return true; });
}

void ChatSpeaker::Control(ModAction action) {
  if (!conn_ || action == ModAction::kNone) return;
  // Raw JSON: "pause" and "resume" are newer than this build's ChannelControl; an older ttsd refuses them.
  const std::string body = json{{"channel", options_.channel}, {"action", ModActionName(action)}}.dump();
  const uint32_t id = conn_->NextRequestId();
  auto sent = conn_->Send(FrameType::kChannelControl, 0, id,
                          {reinterpret_cast<const uint8_t*>(body.data()), body.size()});
  if (sent && controls_.size() < 64) controls_[id] = std::string(ModActionName(action));
}

}  // namespace ttsd::chat
