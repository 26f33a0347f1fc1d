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

}  // namespace

ElevenLabsSession::ElevenLabsSession(Tcp::socket socket, std::shared_ptr<HttpShared> shared, ElevenLabsSetup setup)
    : WsSession(std::move(socket), std::move(shared), kMaxMessageBytes),
      setup_(std::move(setup)),
      timer_(executor()) {
  authorized_ = setup_.key_given;
}

void ElevenLabsSession::OnOpen() {
  if (setup_.refused) return Fail(*setup_.refused);
  auto self = Self<ElevenLabsSession>();
  auto linked = ConnectLink([self](protocol::Frame frame) { self->OnFrame(std::move(frame)); },
                            [self](const Error& error) {
                              self->Fail(ToElevenLabsError({ErrorCode::kShuttingDown, error.message}));
                            });
  if (!linked) return Fail(ToElevenLabsError(linked.error()));
  if (shared_->shutting_down) return Shutdown();
  ArmTimer();
}

void ElevenLabsSession::Forget() {
  contexts_.clear();
  open_ids_.clear();
  timer_.cancel();
}

void ElevenLabsSession::Shutdown() {
  if (!accepted() || closing()) return;
  if (contexts_.empty()) Fail({"shutting_down", "ttsd is shutting down", kCloseGoingAway});
}

// ---- Client messages ----

// Binary messages are read as text too (ElevenLabs' clients send text).
void ElevenLabsSession::OnMessage(std::string_view text, bool /*binary*/) {
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

// ---- Closing ----

void ElevenLabsSession::Fail(const ElevenLabsError& error) {
  if (closing()) return;
  spdlog::debug("http: websocket closed ({}): {}", error.error, error.message);
  Send(error.Json());
  CloseSocket(error.close_code, error.message);
}

// ---- Inactivity (inactivity_timeout): ElevenLabs' input_timeout_exceeded ----

void ElevenLabsSession::ArmTimer() {
  if (closing()) return;
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
  timer_.async_wait([weak = std::weak_ptr<ElevenLabsSession>(Self<ElevenLabsSession>())](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self) self->OnTimer();
  });
}

void ElevenLabsSession::OnTimer() {
  if (closing()) return;
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
