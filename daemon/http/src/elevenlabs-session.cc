// ElevenLabsSession: the handshake, the client's messages, writing and closing (elevenlabs-session.h).
// The daemon's frames are handled in elevenlabs-frames.cc.
#include "ttsd/daemon/elevenlabs-session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ttsd/protocol/messages.h"
#include "ttsd/version.h"

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using json = nlohmann::json;
using protocol::FrameType;

bool Speakable(std::string_view text) { return text.find_first_not_of(" \t\r\n") != std::string_view::npos; }

std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// A close frame's reason holds at most 123 bytes of UTF-8: cut on a character boundary; a message that
// quotes bytes a client sent may not be UTF-8, and then the reason is left empty.
std::string CloseReason(std::string reason) {
  if (!protocol::IsValidUtf8(reason)) return "";
  if (reason.size() <= 123) return reason;
  size_t n = 123;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  reason.resize(n);
  return reason;
}

}  // namespace

ElevenLabsSession::ElevenLabsSession(Tcp::socket socket, std::shared_ptr<HttpShared> shared, ElevenLabsSetup setup)
    : ws_(std::move(socket)), shared_(std::move(shared)), setup_(std::move(setup)), timer_(ws_.get_executor()) {
  shared_->connections++;
  authorized_ = setup_.key_given;
}

ElevenLabsSession::~ElevenLabsSession() {
  shared_->connections--;
  if (link_) link_->Close();
}

void ElevenLabsSession::Start(Upgrade upgrade) {
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "ttsd/" TTSD_VERSION); }));
  ws_.read_message_max(kMaxMessageBytes);
  ws_.auto_fragment(false);
  ws_.text(true);
  auto self = shared_from_this();
  ws_.async_accept(upgrade, [self](beast::error_code ec) {
    if (ec) {
      spdlog::debug("http: websocket handshake failed: {}", ec.message());
      return self->Teardown();
    }
    self->accepted_ = true;
    self->Read();  // from now on: the client's messages, and its answer to our close
    if (self->setup_.refused) return self->Fail(*self->setup_.refused);
    auto socket = self->shared_->connect();
    if (!socket) return self->Fail(ToElevenLabsError(socket.error()));
    self->link_ = std::make_shared<NativeLink>(std::move(*socket));
    self->link_->Start([self](protocol::Frame frame) { self->OnFrame(std::move(frame)); },
                       [self](const Error& error) {
                         self->Fail(ToElevenLabsError({ErrorCode::kShuttingDown, error.message}));
                       });
    if (self->shared_->shutting_down) return self->Shutdown();
    self->ArmTimer();
  });
}

void ElevenLabsSession::Shutdown() {
  if (!accepted_ || closing_) return;
  if (contexts_.empty()) Fail({"shutting_down", "ttsd is shutting down", kCloseGoingAway});
}

// ---- Client messages ----

void ElevenLabsSession::Read() {
  ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) {
      if (ec != websocket::error::closed) spdlog::debug("http: websocket read: {}", ec.message());
      return self->Teardown();
    }
    const std::string text = beast::buffers_to_string(self->read_buffer_.data());
    self->read_buffer_.consume(self->read_buffer_.size());
    self->OnMessage(text);
    self->Read();
  });
}

void ElevenLabsSession::OnMessage(std::string_view text) {
  if (closing_ || torn_down_) return;
  last_input_ = Clock::now();
  auto m = ParseElevenLabsMessage(text);
  if (!m) return Fail(m.error());
  if (!authorized_) {
    if (!ElevenLabsKeyMatches(shared_->config.token, m->api_key)) {
      return Fail({"invalid_api_key",
                   "this ttsd needs its http-token as the API key: the xi-api-key header, or xi_api_key in the "
                   "first message",
                   kClosePolicy});
    }
    authorized_ = true;
  }
  if (setup_.multi) {
    OnMulti(*m);
  } else {
    OnSingle(*m);
  }
  ArmTimer();
}

// stream-input: the first message begins (its text, " " as ElevenLabs asks, is the first text), text
// follows, {"text": ""} ends it.
void ElevenLabsSession::OnSingle(const ElevenLabsMessage& m) {
  if (!started_) {
    if (!m.text && !m.flush) return Fail(InvalidInputMessage("the first message needs 'text' (\" \")"));
    started_ = true;
    if (m.text && m.text->empty()) {  // nothing was said
      Send(ElevenLabsFinalJson(nullptr));
      return CloseSocket(kCloseNormal, "");
    }
    Open("", m);
    return;
  }
  auto it = std::find_if(contexts_.begin(), contexts_.end(), [](const auto& c) { return c.second.text_open; });
  if (it == contexts_.end()) return;  // its text has ended: the rest is ignored
  Context& c = it->second;
  c.last_input = Clock::now();
  if (m.text && m.text->empty()) return CloseText(c, /*cancel=*/false);
  if (m.text || m.flush) Append(c, m.text.value_or(""), m.flush);
}

// multi-stream-input: messages name their context (none: "default"); the first text or flush to an
// unknown id opens it; {"text": ""} keeps alive; close_context ends one, close_socket all.
void ElevenLabsSession::OnMulti(const ElevenLabsMessage& m) {
  if (close_socket_) return;
  if (m.close_socket) return CloseAll();
  const bool has_text = m.text && !m.text->empty();
  if (!m.context_id && !has_text && !m.flush && !m.close_context) return;  // a keep-alive for the socket
  const std::string id = m.context_id.value_or("default");
  auto open = open_ids_.find(id);
  if (m.close_context) {
    if (open != open_ids_.end()) {
      Context& c = contexts_.at(open->second);
      if (m.flush) Append(c, "", true);  // its text is ignored, as ElevenLabs ignores it
      return CloseText(c, /*cancel=*/!c.flushed_last);
    }
    // Closed already: a second close_context is a barge-in (Pipecat's interruption): cancel it now.
    std::vector<uint32_t> draining;
    for (const auto& [request, c] : contexts_) {
      if (c.id == id) draining.push_back(request);
    }
    for (uint32_t request : draining) {
      link_->Send(protocol::EncodeFrame(FrameType::kCancel, 0, request, {}));
      DropQueued(request);
      EndContext(request);
    }
    return;
  }
  if (open == open_ids_.end()) {
    if (!has_text && !m.flush) return;  // a keep-alive for a context not open
    if (open_ids_.size() >= kElevenLabsMaxContexts) return Fail(TooManyContextsError());
    Open(id, m);
    return;
  }
  Context& c = contexts_.at(open->second);
  c.last_input = Clock::now();
  if (has_text || m.flush) Append(c, m.text.value_or(""), m.flush);  // voice_settings after the first: ignored
}

ElevenLabsSession::Context* ElevenLabsSession::Open(const std::string& id, const ElevenLabsMessage& first) {
  const std::string text = first.text.value_or("");
  if (text.size() > kMaxContextTextBytes) {
    Fail(ToElevenLabsError({ErrorCode::kTextTooLong, "a context's text is limited to 1 MiB over WebSocket"}));
    return nullptr;
  }
  const ElevenLabsOptions& o = setup_.options;
  json body = {{"text", text},
               {"final", false},
               {"voice", setup_.voice},
               {"sample_format", SpeechBody::SampleFormat(o.audio)},
               {"marks", "words"}};
  if (!setup_.speaker.empty()) body["speaker"] = setup_.speaker;
  if (first.speed) body["speed"] = *first.speed;
  if (o.ssml) body["ssml"] = true;
  if (o.seed) body["seed"] = *o.seed;
  const uint32_t request = next_request_++;
  if (next_request_ == 0) next_request_ = 1;
  Context& c = contexts_[request];
  c.id = id;
  c.request = request;
  c.last_input = Clock::now();
  c.aligner.AddText(text);
  c.flushed_last = first.flush;
  if (setup_.multi) open_ids_[id] = request;
  link_->Send(protocol::EncodeFrame(FrameType::kSynthesize, 0, request, Bytes(body.dump())));
  if (first.flush || (o.auto_mode && Speakable(text))) {
    link_->Send(protocol::EncodeFrame(FrameType::kText, protocol::kFlagFlush, request, {}));
  }
  return &c;
}

// More text (auto_mode: spoken at once, as a flush does).
void ElevenLabsSession::Append(Context& c, const std::string& text, bool flush) {
  if (c.aligner.text_bytes() + text.size() > kMaxContextTextBytes) {
    return FailContext(c.request,
                       ToElevenLabsError({ErrorCode::kTextTooLong, "a context's text is limited to 1 MiB over WebSocket"}));
  }
  if (flush) {
    c.flushed_last = true;
  } else if (Speakable(text)) {
    c.flushed_last = false;
  }
  c.aligner.AddText(text);
  const bool now = flush || (setup_.options.auto_mode && Speakable(text));
  link_->Send(protocol::EncodeFrame(FrameType::kText, now ? protocol::kFlagFlush : 0, c.request, Bytes(text)));
}

// The end of a context's text: what it flushed is spoken to its end (then isFinal), as ElevenLabs
// finishes a context "set to flush"; anything else is cancelled at once, its audio dropped.
void ElevenLabsSession::CloseText(Context& c, bool cancel) {
  open_ids_.erase(c.id);
  if (cancel) {
    link_->Send(protocol::EncodeFrame(FrameType::kCancel, 0, c.request, {}));
    DropQueued(c.request);
    return EndContext(c.request);
  }
  c.text_open = false;
  link_->Send(protocol::EncodeFrame(FrameType::kText, protocol::kFlagFinal, c.request, {}));
}

void ElevenLabsSession::CloseAll() {
  close_socket_ = true;
  std::vector<uint32_t> open;
  for (const auto& [id, request] : open_ids_) open.push_back(request);
  for (uint32_t request : open) {
    auto it = contexts_.find(request);
    if (it != contexts_.end()) CloseText(it->second, !it->second.flushed_last);
  }
  MaybeFinish();
}

void ElevenLabsSession::MaybeFinish() {
  if (close_socket_ && contexts_.empty()) CloseSocket(kCloseNormal, "");
}

// ---- The socket ----

void ElevenLabsSession::Send(std::string message, uint32_t request) {
  if (closing_ || torn_down_) return;
  queued_bytes_ += message.size();
  out_.push_back({std::move(message), request});
  WriteNext();
}

// A cancelled context's audio that is still queued goes no further (barge-in: a reader that is behind
// hears nothing more of it). The front message may be on the wire already and stays.
void ElevenLabsSession::DropQueued(uint32_t request) {
  for (auto it = out_.begin() + (writing_ && !out_.empty() ? 1 : 0); it != out_.end();) {
    if (it->request != request) {
      ++it;
      continue;
    }
    queued_bytes_ -= it->json.size();
    it = out_.erase(it);
  }
  if (link_ && queued_bytes_ < kResumeBytes) link_->Resume();
}

void ElevenLabsSession::WriteNext() {
  if (writing_ || !accepted_ || torn_down_) return;
  auto self = shared_from_this();
  if (out_.empty()) {
    if (!closing_ || close_sent_) return;
    close_sent_ = true;
    writing_ = true;
    // The peer answers with its close frame, which ends the pending read (Teardown).
    ws_.async_close(close_, [self](beast::error_code ec) {
      self->writing_ = false;
      if (ec) self->Teardown();
    });
    return;
  }
  writing_ = true;
  ws_.async_write(asio::buffer(out_.front().json), [self](beast::error_code ec, size_t) {
    self->writing_ = false;
    if (ec) {
      spdlog::debug("http: websocket write: {}", ec.message());
      return self->Teardown();
    }
    self->queued_bytes_ -= self->out_.front().json.size();
    self->out_.pop_front();
    if (self->link_ && self->queued_bytes_ < kResumeBytes) self->link_->Resume();
    self->WriteNext();
  });
}

void ElevenLabsSession::Fail(const ElevenLabsError& error) {
  if (closing_) return;
  spdlog::debug("http: websocket closed ({}): {}", error.error, error.message);
  Send(error.Json());
  CloseSocket(error.close_code, error.message);
}

// Queues the close after what is queued; the daemon's requests are cancelled now.
void ElevenLabsSession::CloseSocket(uint16_t code, std::string reason) {
  if (closing_ || torn_down_) return;
  closing_ = true;
  close_ = websocket::close_reason(static_cast<websocket::close_code>(code), CloseReason(std::move(reason)));
  if (link_) link_->Close();
  link_.reset();
  contexts_.clear();
  open_ids_.clear();
  timer_.cancel();
  WriteNext();
}

void ElevenLabsSession::Teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  if (link_) link_->Close();
  link_.reset();
  contexts_.clear();
  open_ids_.clear();
  out_.clear();
  timer_.cancel();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).close(ec);
}

// ---- Inactivity (inactivity_timeout): ElevenLabs' input_timeout_exceeded ----

void ElevenLabsSession::ArmTimer() {
  if (closing_ || torn_down_) return;
  const auto timeout = std::chrono::seconds(setup_.options.inactivity_timeout_s);
  std::optional<Clock::time_point> due;
  auto consider = [&](Clock::time_point t) { due = due ? std::min(*due, t) : t; };
  if (setup_.multi) {
    if (contexts_.empty()) consider(last_input_ + timeout);
    for (const auto& [id, request] : open_ids_) consider(contexts_.at(request).last_input + timeout);
  } else if (!started_ || std::any_of(contexts_.begin(), contexts_.end(), [](const auto& c) { return c.second.text_open; })) {
    consider(last_input_ + timeout);
  }
  if (!due) return (void)timer_.cancel();
  timer_.expires_at(*due);
  timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self) self->OnTimer();
  });
}

void ElevenLabsSession::OnTimer() {
  if (closing_ || torn_down_) return;
  const auto now = Clock::now();
  const auto timeout = std::chrono::seconds(setup_.options.inactivity_timeout_s);
  const ElevenLabsError error = InactivityError(setup_.options.inactivity_timeout_s);
  if (!setup_.multi) {
    if (now >= last_input_ + timeout) return Fail(error);
    return ArmTimer();
  }
  std::vector<uint32_t> expired;
  for (const auto& [id, request] : open_ids_) {
    if (now >= contexts_.at(request).last_input + timeout) expired.push_back(request);
  }
  for (uint32_t request : expired) FailContext(request, error);
  if (contexts_.empty() && now >= last_input_ + timeout) return Fail(error);
  ArmTimer();
}

}  // namespace ttsd::daemon
