// HttpConnection: the endpoints. Each opens an in-process native connection (NativeLink), sends the
// daemon the request it stands for and turns the answer into an HTTP response.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include <boost/beast/websocket/rfc6455.hpp>

#include "ttsd/daemon/elevenlabs-session.h"
#include "ttsd/daemon/native-ws-session.h"
#include "ttsd/daemon/http-connection.h"
#include "ttsd/daemon/http-multipart.h"
#include "ttsd/daemon/http-web-assets.h"
#include "ttsd/protocol/voice-messages.h"
#include "ttsd/version.h"

namespace ttsd::daemon {
namespace {

namespace http = boost::beast::http;
using json = nlohmann::json;
using protocol::FrameType;

constexpr auto kEventPoll = std::chrono::milliseconds(200);
constexpr auto kEventHeartbeat = std::chrono::seconds(15);

std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

Error ErrorOf(const protocol::Frame& frame) {
  auto body = protocol::ParseErrorBody(frame.payload);
  if (!body) return {ErrorCode::kInternal, "the daemon sent an unreadable error"};
  return {body->code, body->message};
}

json VoicesJson(const protocol::VoiceList& list) {
  json voices = json::array();
  for (const auto& v : list.voices) {
    voices.push_back({{"name", v.name},
                      {"description", v.description},
                      {"languages", v.languages},
                      {"speakers", v.speakers},
                      {"sample_rate", v.sample_rate}});
  }
  json saved = json::array();
  for (const auto& v : list.saved) {
    saved.push_back({{"name", v.name}, {"voice", v.voice}, {"references", v.references}, {"seconds", v.seconds},
                     {"created", v.created}});
  }
  return {{"default_voice", list.default_voice}, {"voices", voices}, {"saved", saved}};
}


}  // namespace

std::shared_ptr<NativeLink> HttpConnection::OpenLink() {
  auto socket = shared_->connect();
  if (!socket) {
    ReplyError(ToHttpError(socket.error()));
    return nullptr;
  }
  link_ = std::make_shared<NativeLink>(std::move(*socket));
  return link_;
}

void HttpConnection::Ask(FrameType type, std::vector<uint8_t> payload, std::function<void(protocol::Frame)> on_reply) {
  auto link = OpenLink();
  if (!link) return;
  // The callbacks keep this connection alive while it waits for the daemon; closing the link drops them.
  auto self = shared_from_this();
  link->Start(
      [self, on_reply = std::move(on_reply)](protocol::Frame frame) {
        if (frame.header.request_id != 1 && frame.header.request_id != 0) return;
        if (frame.header.type == FrameType::kError) return self->ReplyError(ToHttpError(ErrorOf(frame)));
        on_reply(std::move(frame));
      },
      [self](const Error& error) { self->ReplyError(ToHttpError({ErrorCode::kShuttingDown, error.message})); });
  link->Send(protocol::EncodeFrame(type, 0, 1, payload));
}

void HttpConnection::HandleAsset(std::string_view path) {
  const WebAsset* asset = FindWebAsset(path);
  if (!asset) return ReplyError({404, "invalid_request_error", "not_found", "no such file", ""});
  Reply(200, std::string(asset->content_type), std::string(asset->body));
}

void HttpConnection::HandleVoices(bool health) {
  Ask(FrameType::kListVoices, {}, [this, health](protocol::Frame frame) {
    auto list = protocol::ParseVoiceList(frame.payload);
    if (!list) return ReplyError(ToHttpError({ErrorCode::kInternal, "unreadable voice list: " + list.error().message}));
    if (!health) return ReplyJson(200, VoicesJson(*list).dump());
    json names = json::array();
    for (const auto& v : list->voices) names.push_back(v.name);
    json saved = json::array();
    for (const auto& v : list->saved) saved.push_back(v.name);
    const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - shared_->started).count();
    ReplyJson(200, json{{"status", "ok"},
                        {"version", TTSD_VERSION},
                        {"uptime_s", std::round(uptime * 10) / 10},
                        {"default_voice", list->default_voice},
                        {"voices", names},
                        {"saved_voices", saved}}
                       .dump());
  });
}

// OpenAI clients list models to fill a menu: every voice is offered as one.
void HttpConnection::HandleModels() {
  Ask(FrameType::kListVoices, {}, [this](protocol::Frame frame) {
    auto list = protocol::ParseVoiceList(frame.payload);
    if (!list) return ReplyError(ToHttpError({ErrorCode::kInternal, "unreadable voice list"}));
    json data = json::array();
    for (const auto& v : list->voices) data.push_back({{"id", v.name}, {"object", "model"}, {"owned_by", "ttsd"}});
    for (const auto& v : list->saved) data.push_back({{"id", v.name}, {"object", "model"}, {"owned_by", "ttsd"}});
    ReplyJson(200, json{{"object", "list"}, {"data", data}}.dump());
  });
}

// Open WebUI's voice menu ({"voices": [{"id", "name"}]}): "default", each voice and each of its other
// speakers as "voice:speaker", each saved voice; with ttsd's languages, speakers and rates beside.
void HttpConnection::HandleAudioVoices() {
  Ask(FrameType::kListVoices, {}, [this](protocol::Frame frame) {
    auto list = protocol::ParseVoiceList(frame.payload);
    if (!list) return ReplyError(ToHttpError({ErrorCode::kInternal, "unreadable voice list"}));
    json voices = json::array();
    voices.push_back({{"id", "default"}, {"name", "default (" + list->default_voice + ")"}, {"voice", list->default_voice}});
    for (const auto& v : list->voices) {
      for (size_t i = 0; i < std::max<size_t>(v.speakers.size(), 1); ++i) {
        const bool first = i == 0;
        const std::string speaker = v.speakers.empty() ? "" : v.speakers[i];
        voices.push_back({{"id", first ? v.name : v.name + ":" + speaker},
                          {"name", first ? v.name : v.name + " (" + speaker + ")"},
                          {"voice", v.name},
                          {"speaker", speaker},
                          {"languages", v.languages},
                          {"sample_rate", v.sample_rate},
                          {"description", v.description}});
      }
    }
    for (const auto& v : list->saved) {
      voices.push_back({{"id", v.name}, {"name", v.name}, {"voice", v.voice}, {"saved", true}});
    }
    ReplyJson(200, json{{"voices", voices}}.dump());
  });
}

// A saved voice from an upload (multipart/form-data): "name"; "voice", the base voice package (else
// the default voice); "reference_text", what the first recording says (GPT-SoVITS voices need it);
// "replace"; and one to kMaxReferences files (any part with a file name), in order. Sent as ttsc
// voice add sends it: voice_add, then each file in reference frames; the daemon checks and stores it.
void HttpConnection::HandleVoiceAdd() {
  const auto content_type = request_[http::field::content_type];
  auto form = ParseMultipart(std::string_view(content_type.data(), content_type.size()), request_.body());
  if (!form) return ReplyError({400, "invalid_request_error", "invalid_form", form.error().message, ""});
  protocol::VoiceAdd add;
  std::vector<std::string_view> files;
  for (const FormPart& part : *form) {
    if (!part.filename.empty()) {
      files.push_back(part.data);
    } else if (part.name == "name") {
      add.name = std::string(part.data);
    } else if (part.name == "voice") {
      add.voice = std::string(part.data);
    } else if (part.name == "reference_text") {
      add.reference_text = std::string(part.data);
    } else if (part.name == "replace") {
      add.replace = part.data == "true" || part.data == "1" || part.data == "on";
    }
  }
  auto refuse = [this](std::string message, std::string param) {
    ReplyError({400, "invalid_request_error", "invalid_value", std::move(message), std::move(param)});
  };
  if (!protocol::IsValidSavedVoiceName(add.name)) {
    return refuse("'name' must be 1-64 characters of A-Z a-z 0-9 _ . - not starting with '.'", "name");
  }
  if (files.empty() || files.size() > protocol::kMaxReferences) {
    return refuse("send 1 to " + std::to_string(protocol::kMaxReferences) + " recordings as file parts", "file");
  }
  add.references = static_cast<uint32_t>(files.size());
  if (auto ok = protocol::CheckReferenceText(add.reference_text, add.references); !ok) {
    return refuse(ok.error().message, "reference_text");
  }
  auto link = OpenLink();
  if (!link) return;
  auto self = shared_from_this();
  link->Start(
      [self](protocol::Frame frame) {
        if (frame.header.request_id != 1 && frame.header.request_id != 0) return;
        if (frame.header.type == FrameType::kError) return self->ReplyError(ToHttpError(ErrorOf(frame)));
        if (frame.header.type != FrameType::kVoiceSaved) return;
        auto saved = protocol::ParseVoiceSaved(frame.payload);
        if (!saved) return self->ReplyError(ToHttpError({ErrorCode::kInternal, "unreadable voice_saved frame"}));
        self->ReplyJson(201, json{{"name", saved->name},
                                  {"voice", saved->voice},
                                  {"references", saved->references},
                                  {"seconds", saved->seconds}}
                                 .dump());
      },
      [self](const Error& error) { self->ReplyError(ToHttpError({ErrorCode::kShuttingDown, error.message})); });
  link->Send(protocol::EncodeFrame(FrameType::kVoiceAdd, 0, 1, protocol::Serialize(add)));
  constexpr size_t kPiece = 64 << 10;  // well under any daemon's frame limit
  for (std::string_view file : files) {
    do {
      const size_t n = std::min(kPiece, file.size());
      const uint8_t flags = n == file.size() ? protocol::kFlagEndOfFile : 0;
      link->Send(protocol::EncodeFrame(FrameType::kReference, flags, 1,
                                       std::vector<uint8_t>(file.begin(), file.begin() + static_cast<long>(n))));
      file.remove_prefix(n);
    } while (!file.empty());
  }
}

void HttpConnection::HandleVoiceRemove(const std::string& name) {
  Ask(FrameType::kVoiceRemove, protocol::Serialize(protocol::VoiceRemove{name}), [this](protocol::Frame frame) {
    auto removed = protocol::ParseVoiceRemoved(frame.payload);
    if (!removed) return ReplyError(ToHttpError({ErrorCode::kInternal, "unreadable voice_removed frame"}));
    ReplyJson(200, json{{"name", removed->name}, {"deleted", true}}.dump());
  });
}

// GET status; POST skip, clear, pause, resume, volume ({"gain": G}); DELETE items/ID (remove). Each is
// answered with the channel's status after it.
void HttpConnection::HandleChannel(const HttpRoute& route) {
  protocol::ChannelControl control;
  control.channel = route.channel;
  using Action = protocol::ChannelControl::Action;
  const std::string_view action = route.action;
  control.action = action == "skip"     ? Action::kSkip
                   : action == "clear"  ? Action::kClear
                   : action == "pause"  ? Action::kPause
                   : action == "resume" ? Action::kResume
                   : action == "volume" ? Action::kVolume
                   : action == "remove" ? Action::kRemove
                                        : Action::kStatus;
  control.item = route.item;
  if (control.action == Action::kVolume) {
    const json body = json::parse(request_.body(), nullptr, /*allow_exceptions=*/false);
    const bool ok = body.is_object() && body.contains("gain") && body["gain"].is_number() &&
                    body["gain"].get<double>() >= 0 && body["gain"].get<double>() <= protocol::kMaxChannelGain;
    if (!ok) {
      return ReplyError({400, "invalid_request_error", "invalid_value",
                         "send {\"gain\": G}, G from 0 to 2 (linear: 0.5 is about -6 dB, 1 unchanged)", "gain"});
    }
    control.gain = body["gain"].get<double>();
  }
  Ask(FrameType::kChannelControl, protocol::Serialize(control), [this](protocol::Frame frame) {
    ReplyJson(200, std::string(frame.payload.begin(), frame.payload.end()));
  });
}

// Server-sent events: the channel's status whenever it changes (polled every 200 ms); what it plays as
// it plays it (ChannelHub::Watch: utterance_start, sentence, word, utterance_end) and what happens to its
// items (queued, started, finished, removed, refused, paused, resumed); a comment every
// 15 s so that proxies and browsers keep the stream open.
void HttpConnection::HandleEvents(const std::string& channel) {
  auto link = OpenLink();
  if (!link) return;
  events_.emplace();
  events_->channel = channel;
  auto self = shared_from_this();
  link->Start(
      [self](protocol::Frame frame) {
        if (!self->events_) return;
        if (frame.header.type == FrameType::kChannelEvent) return self->OnChannelEvent(frame);
        if (frame.header.type != FrameType::kChannelStatus) return;
        std::string status(frame.payload.begin(), frame.payload.end());
        if (status == self->events_->last) return;
        self->StreamBytes(Bytes("event: status\ndata: " + status + "\n\n"));
        self->events_->last = std::move(status);
        self->events_->last_sent = std::chrono::steady_clock::now();
      },
      [self](const Error&) { self->EndStream(); });
  Head head{http::status::ok, 11};
  head.set(http::field::content_type, "text/event-stream");
  BeginStream(std::move(head));
  StreamBytes(Bytes("retry: 2000\n\n"));
  events_->last_sent = std::chrono::steady_clock::now();
  // The channel's utterances and words as they are played: a listen for its events alone.
  protocol::ListenRequest listen{channel, protocol::SampleFormat::kS16Le, /*audio=*/false, /*events=*/true,
                                 /*items=*/true};
  link_->Send(protocol::EncodeFrame(FrameType::kListen, 0, kEventsListenId, protocol::Serialize(listen)));
  PollEvents();
}

// A channel event frame as a server-sent event of its type (utterance_start, sentence, word,
// utterance_end, queued, started, ...), with the frame's JSON as its data. A reader so far behind that a quarter MiB waits
// for it misses words rather than growing the queue.
void HttpConnection::OnChannelEvent(const protocol::Frame& frame) {
  if (!events_ || state_ != State::kStreaming || Behind()) return;
  auto event = protocol::ParseChannelEvent(frame.payload);
  if (!event) return;
  const std::string data(frame.payload.begin(), frame.payload.end());
  StreamBytes(Bytes("event: " + std::string(protocol::ChannelEventName(event->kind)) + "\ndata: " + data + "\n\n"));
  events_->last_sent = std::chrono::steady_clock::now();
}

void HttpConnection::PollEvents() {
  if (!events_ || !link_ || state_ != State::kStreaming) return;
  if (!Behind()) {
    protocol::ChannelControl control;
    control.channel = events_->channel;
    link_->Send(protocol::EncodeFrame(FrameType::kChannelControl, 0, events_->next_id++, protocol::Serialize(control)));
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - events_->last_sent > kEventHeartbeat) {
    StreamBytes(Bytes(": keep-alive\n\n"));
    events_->last_sent = now;
  }
  poll_timer_.expires_after(kEventPoll);
  poll_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self) self->PollEvents();
  });
}

// GET /v1/text-to-speech/{voice}/(multi-)stream-input with Upgrade: websocket. RouteRequest has checked
// Origin and Host; the API key is checked here (a header or the query), or in the first message. A bad
// query is answered in ElevenLabs' way: after the handshake, an error message and close 1008.
void HttpConnection::HandleElevenLabs(const HttpRoute& route) {
  if (!boost::beast::websocket::is_upgrade(request_)) {
    return ReplyError({426, "invalid_request_error", "upgrade_required",
                       "this is ElevenLabs' WebSocket API: connect with a WebSocket (ws://)", ""});
  }
  auto header = [&](std::string_view name) {
    const auto v = request_[boost::beast::string_view(name.data(), name.size())];
    return std::string_view(v.data(), v.size());
  };
  const std::string_view target(request_.target().data(), request_.target().size());
  ElevenLabsSetup setup;
  setup.multi = route.multi;
  setup.voice = route.name == "default" ? "" : route.name;
  if (const size_t colon = setup.voice.find(':'); colon != std::string::npos) {
    setup.speaker = setup.voice.substr(colon + 1);
    setup.voice.resize(colon);
  }
  auto options = ParseElevenLabsQuery(target);
  if (options) {
    setup.options = std::move(*options);
  } else {
    setup.refused = options.error();
  }
  auto key = CheckElevenLabsKey(shared_->config.token, header("Authorization"), header("xi-api-key"),
                                options ? std::string_view(setup.options.api_key) : std::string_view());
  if (!key) return ReplyError(key.error());
  setup.key_given = *key == ElevenLabsKey::kGiven;
  HandOver(std::make_shared<ElevenLabsSession>(ReleaseSocket(), shared_, std::move(setup)));
}

// GET /v1/ws with Upgrade: websocket. RouteRequest has checked Origin and Host; a bearer token in the
// header must be right, and without one hello must carry it.
void HttpConnection::HandleNativeWs() {
  if (!boost::beast::websocket::is_upgrade(request_)) {
    return ReplyError({426, "invalid_request_error", "upgrade_required",
                       "this is ttsd's protocol over WebSocket: connect with a WebSocket (ws://)", ""});
  }
  const auto auth = request_[boost::beast::http::field::authorization];
  auto key = CheckElevenLabsKey(shared_->config.token, std::string_view(auth.data(), auth.size()), "", "");
  if (!key) return ReplyError(key.error());
  HandOver(std::make_shared<NativeWsSession>(ReleaseSocket(), shared_, *key == ElevenLabsKey::kGiven));
}

// The socket leaves this connection: the read that watched it is cancelled first (its handler finds
// the connection closed), and nothing here touches it again.
boost::asio::ip::tcp::socket HttpConnection::ReleaseSocket() {
  boost::system::error_code ec;
  socket_.cancel(ec);
  state_ = State::kClosed;
  deadline_.cancel();
  poll_timer_.cancel();
  return std::move(socket_);
}

void HttpConnection::HandOver(std::shared_ptr<WsSession> session) {
  std::erase_if(shared_->websockets, [](const std::weak_ptr<WsSession>& w) { return w.expired(); });
  shared_->websockets.push_back(session);
  session->Start(std::move(request_));
}

// Routing has checked the content type (JSON only: RouteRequest). captioned: POST /dev/captioned_speech.
void HttpConnection::HandleSpeech(bool captioned) {
  auto request = captioned ? ParseCaptionedSpeechRequest(request_.body()) : ParseSpeechRequest(request_.body());
  if (!request) return ReplyError(request.error());
  speech_.emplace();
  speech_->request = std::move(*request);
  auto link = OpenLink();
  if (!link) return;
  auto self = shared_from_this();
  link->Start([self](protocol::Frame frame) { self->OnSpeechFrame(std::move(frame)); },
              [self](const Error& error) {
                if (self->speech_) self->FailSpeech(ToHttpError({ErrorCode::kShuttingDown, error.message}));
              });
  StartSpeech(speech_->request.synthesize);
}

void HttpConnection::StartSpeech(const std::string& body) {
  link_->Send(protocol::EncodeFrame(FrameType::kSynthesize, 0, speech_->id, Bytes(body)));
}

void HttpConnection::OnSpeechFrame(protocol::Frame frame) {
  if (!speech_) return;
  Speech& s = *speech_;
  if (frame.header.request_id != s.id && frame.header.request_id != 0) return;
  switch (frame.header.type) {
    case FrameType::kAccepted: {
      auto accepted = protocol::ParseAccepted(frame.payload);
      if (!accepted) return ReplyError(ToHttpError({ErrorCode::kInternal, "unreadable accepted frame"}));
      return OnSpeechAccepted(*accepted);
    }
    case FrameType::kMarks: return OnSpeechMarks(frame);
    case FrameType::kError: {
      const Error error = ErrorOf(frame);
      if (s.accepted) {
        HttpError failed = ToHttpError(error);
        failed.message = "synthesis failed: " + error.ToString();
        return FailSpeech(failed);
      }
      if (auto again = s.request.Retry(error)) {  // OpenAI's voice names, instructions: SpeechRequest
        ++s.id;
        return StartSpeech(*again);
      }
      return ReplyError(ToHttpError(error));
    }
    case FrameType::kAudio: {
      if (!s.accepted || !s.body) return;
      std::span<const uint8_t> pcm;
      auto header = protocol::ParseAudioHeader(frame.payload, &pcm);
      if (!header) return FailSpeech(ToHttpError({ErrorCode::kInternal, "unreadable audio frame"}));
      auto bytes = s.body->Audio(pcm);
      if (!bytes) return FailSpeech(ToHttpError(bytes.error()));
      SendSpeechBytes(std::move(*bytes));
      if (!speech_) return;  // refused while sending (a captioned body too large)
      if (frame.header.flags & protocol::kFlagLast) {
        auto tail = s.body->Finish();
        if (!tail) return FailSpeech(ToHttpError(tail.error()));
        SendSpeechBytes(std::move(*tail));
        if (!speech_) return;
        return FinishSpeech();
      }
      if (Behind() && link_) link_->Pause();  // the daemon pauses generation in turn
      return;
    }
    default: return;
  }
}

void HttpConnection::OnSpeechAccepted(const protocol::Accepted& accepted) {
  Speech& s = *speech_;
  s.accepted = true;
  if (!s.request.channel.empty()) {
    // Queued: the utterance keeps its place when this link closes.
    json answer = {{"status", "queued"},
                   {"channel", accepted.channel},
                   {"voice", accepted.voice},
                   {"speaker", accepted.speaker},
                   {"item", accepted.item},
                   {"listeners", accepted.listeners}};
    if (accepted.listeners == 0) {  // a mistyped channel name, or the listener is down: nobody hears it
      answer["warning"] = "channel '" + accepted.channel +
                          "' has no listeners: nothing is heard until one attaches (is the name right?)";
    }
    return ReplyJson(202, answer.dump());
  }
  auto body = SpeechBody::Create(s.request, accepted.sample_rate);
  if (!body) {
    s.accepted = false;
    return ReplyError(ToHttpError(body.error()));
  }
  s.body = std::move(*body);
  s.voice_rate = accepted.sample_rate;
  if (s.request.captioned && !s.request.stream) return SendSpeechBytes(s.body->Begin());  // one reply at the end
  Head head{http::status::ok, 11};
  const std::string media_type(ContentType(s.request.format));
  head.set(http::field::content_type, s.request.sse ? "text/event-stream"
                                      : s.request.captioned ? "application/json"  // a JSON object per line
                                                            : media_type);
  if (s.request.sse || s.request.captioned) head.set("X-Audio-Media-Type", media_type);
  head.set("X-Sample-Rate", std::to_string(s.body->rate()));
  if (s.request.format == SpeechFormat::kPcm) head.set("X-Sample-Format", "s16le");
  head.set("X-Channels", "1");
  head.set("X-Voice", accepted.voice);
  if (!accepted.speaker.empty()) head.set("X-Speaker", accepted.speaker);  // a saved voice has none
  BeginStream(std::move(head));
  SendSpeechBytes(s.body->Begin());
}

// The words of the marks frame that comes before a chunk's audio: at once as events (sse), else with
// the next piece of captioned audio (or the whole).
void HttpConnection::OnSpeechMarks(const protocol::Frame& frame) {
  Speech& s = *speech_;
  if (!s.accepted || !s.body || !s.request.timestamps) return;
  auto marks = protocol::ParseMarks(frame.payload);
  if (!marks) return FailSpeech(ToHttpError({ErrorCode::kInternal, "unreadable marks frame"}));
  auto words = WordTimestamps(*marks, s.voice_rate);
  if (s.request.sse) {
    for (const WordTimestamp& w : words) StreamBytes(Bytes(SseWordEvent(w)));
  } else {
    s.words.insert(s.words.end(), std::make_move_iterator(words.begin()), std::make_move_iterator(words.end()));
  }
}

// Audio as it is, as one of OpenAI's events per piece (stream_format "sse"), or in captioned JSON.
void HttpConnection::SendSpeechBytes(std::vector<uint8_t> bytes) {
  if (bytes.empty()) return;
  Speech& s = *speech_;
  const std::string_view media_type = ContentType(s.request.format);
  if (s.request.captioned && !s.request.stream) {
    if (s.whole.size() + bytes.size() > kMaxCaptionedBytes) {
      return FailSpeech({413, "invalid_request_error", "audio_too_large",
                         "the audio would be over " + std::to_string(kMaxCaptionedBytes >> 20) +
                             " MiB: ask for it with \"stream\": true",
                         "stream"});
    }
    s.whole.insert(s.whole.end(), bytes.begin(), bytes.end());
    return;
  }
  if (s.request.captioned) {
    StreamBytes(Bytes(CaptionedJson(bytes, media_type, s.words) + "\n"));
    s.words.clear();
    return;
  }
  if (!s.request.sse) return StreamBytes(std::move(bytes));
  StreamBytes(Bytes(SseAudioDelta(bytes)));
}

// After the last chunk: the closing event, the words still held, or the whole captioned reply.
void HttpConnection::FinishSpeech() {
  Speech& s = *speech_;
  const std::string_view media_type = ContentType(s.request.format);
  if (s.request.captioned && !s.request.stream) {
    const std::string body = CaptionedJson(s.whole, media_type, s.words);
    return ReplyJson(200, body);
  }
  if (s.request.captioned && !s.words.empty()) StreamBytes(Bytes(CaptionedJson({}, media_type, s.words) + "\n"));
  if (s.request.sse) StreamBytes(Bytes(SseAudioDone(s.request.input_chars)));
  EndStream();
}

void HttpConnection::FailSpeech(const HttpError& error) {
  if (state_ == State::kStreaming) return AbortStream(error.message);
  ReplyError(error);
}

}  // namespace ttsd::daemon
