#include "ttsd/daemon/session.h"

#include "ttsd/daemon/stream-job.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
using protocol::FrameType;

}  // namespace

Session::Session(Socket socket, SessionContext* context, FrontEndKind front_end)
    : Connection(std::move(socket), context, "connection"),
      front_end_(front_end),
      decoder_(protocol::kMaxClientPayloadBytes) {}

Session::~Session() {
  CancelJobs();
  DropPending();
}

std::shared_ptr<Job> Session::FindJob(uint32_t id) {
  if (auto* job = Find<std::shared_ptr<Job>>(id)) return *job;
  if (auto* utterance = Find<ChannelUtterance>(id)) return context_->channels->FindJob(utterance->utterance);
  return nullptr;
}

void Session::CancelJobs() {
  for (auto& [id, request] : requests_) {
    if (auto* job = std::get_if<std::shared_ptr<Job>>(&request)) context_->scheduler->Cancel(*job);
  }
}

void Session::OnClose() {
  const auto jobs = std::ranges::count_if(
      requests_, [](const auto& r) { return std::holds_alternative<std::shared_ptr<Job>>(r.second); });
  if (jobs > 0) spdlog::info("connection {} closed with {} open requests: cancelling them", id_, jobs);
  CancelJobs();
  DropPending();
  // Channel utterances play on (their end callbacks find the session gone); listens end now.
  std::erase_if(requests_, [this](const auto& r) {
    auto* listen = std::get_if<ChannelListen>(&r.second);
    if (listen && listen->listener != 0) context_->channels->RemoveListener(listen->channel, listen->listener);
    return listen != nullptr;
  });
}

void Session::OnCloseWhenFlushed() {
  // Whatever is still open ends with shutting_down, so its client knows it is over.
  const Error ended{ErrorCode::kShuttingDown, "the daemon is shutting down: request ended unfinished"};
  for (auto& [id, request] : requests_) {
    if (auto* job = std::get_if<std::shared_ptr<Job>>(&request)) {
      context_->scheduler->Cancel(*job);
      SendError(id, ended);
    }
  }
  for (auto& [id, request] : requests_) {
    if (std::holds_alternative<std::shared_ptr<PendingRequest>>(request)) SendError(id, ended);
  }
  DropPending(ErrorCode::kShuttingDown);
}

void Session::OnFail(const Error& error) {
  CancelJobs();
  DropPending();
  SendError(0, error);
}

void Session::OnIdleWithOpenWork(int timeout_s) {
  // Requests still waiting for text after a whole idle period have been abandoned.
  auto* scheduler = context_->scheduler;
  for (auto& [id, request] : requests_) {
    auto* job = std::get_if<std::shared_ptr<Job>>(&request);
    if (job && scheduler->WaitingForText(*job)) {
      scheduler->Cancel(*job, {ErrorCode::kTimeout, "no text arrived for " + std::to_string(timeout_s) + " s"});
    }
  }
  ExpirePending(timeout_s);
}

void Session::OnWritesCaughtUp() {
  for (auto& [id, request] : requests_) {
    if (auto* job = std::get_if<std::shared_ptr<Job>>(&request)) context_->scheduler->Wake(*job);
  }
}

bool Session::OnBytes(std::span<const uint8_t> bytes) {
  return DecodeAll(decoder_, bytes, [this](protocol::Frame frame) { OnFrame(std::move(frame)); });
}

void Session::OnFrame(protocol::Frame frame) {
  const FrameType type = frame.header.type;
  if (!protocol::IsClientFrameType(type)) {
    return Fail({ErrorCode::kUnknownFrameType, "frame type " + std::to_string(int(type)) + " is sent by servers only"});
  }
  if (!greeted_ && type != FrameType::kHello) {
    return Fail({ErrorCode::kBadRequest, "the first frame must be hello"});
  }
  if (greeted_ && protocol::FrameTypeVersion(type) > version_) {
    return Fail({ErrorCode::kUnknownFrameType, "frame type " + std::to_string(int(type)) + " needs protocol version " +
                                                   std::to_string(protocol::FrameTypeVersion(type))});
  }
  switch (type) {
    case FrameType::kHello: return OnHello(frame);
    case FrameType::kSynthesize: return OnSynthesize(frame);
    case FrameType::kText: return OnText(frame);
    case FrameType::kCancel: return OnCancel(frame);
    case FrameType::kListVoices:
      return Send(protocol::EncodeFrame(FrameType::kVoices, 0, frame.header.request_id,
                                        protocol::Serialize(DescribeVoices())));
    case FrameType::kPing:
      return Send(protocol::EncodeFrame(FrameType::kPong, 0, frame.header.request_id, {}));
    case FrameType::kListen: return OnListen(frame);
    case FrameType::kChannelControl: return OnChannelControl(frame);
    case FrameType::kReference: return OnReference(frame);
    case FrameType::kVoiceAdd: return OnVoiceAdd(frame);
    case FrameType::kVoiceRemove: return OnVoiceRemove(frame);
    default:
      return Fail({ErrorCode::kUnknownFrameType, "unexpected frame type"});
  }
}

void Session::OnHello(const protocol::Frame& frame) {
  if (greeted_) return Fail({ErrorCode::kBadRequest, "hello sent twice"});
  auto hello = protocol::ParseHello(frame.payload);
  if (!hello) return Fail(hello.error());
  auto version = protocol::NegotiateVersion(*hello);
  if (!version) return Fail(version.error());
  greeted_ = true;
  version_ = *version;
  protocol::Welcome welcome{*version, "ttsd " TTSD_VERSION, protocol::kMaxClientPayloadBytes};
  spdlog::debug("connection {}: hello from '{}', version {}", id_, hello->client, *version);
  Send(protocol::EncodeFrame(FrameType::kWelcome, 0, 0, protocol::Serialize(welcome)));
}

std::optional<Error> Session::CheckNewRequest(uint32_t id) const {
  const DaemonConfig& config = *context_->config;
  if (requests_.contains(id)) {
    return Error{ErrorCode::kDuplicateRequest, "request " + std::to_string(id) + " is already open"};
  }
  if (context_->shutting_down) return Error{ErrorCode::kShuttingDown, "the daemon is shutting down"};
  if (open_requests() >= config.max_requests_per_client) {
    return Error{ErrorCode::kBusy, "this connection already has " + std::to_string(open_requests()) +
                                       " open requests (limit " + std::to_string(config.max_requests_per_client) + ")"};
  }
  if (context_->open_requests.load() >= config.max_requests_total) {
    return Error{ErrorCode::kBusy,
                 "the daemon is at its limit of " + std::to_string(config.max_requests_total) + " open requests"};
  }
  return std::nullopt;
}

void Session::OnSynthesize(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  if (id == 0) return Fail({ErrorCode::kBadRequest, "request id 0 is reserved for the connection"});
  if (auto error = CheckNewRequest(id)) return RefuseSpeech(id, *error);
  auto request = protocol::ParseSynthesize(frame.payload);
  if (!request) return RefuseSpeech(id, request.error());
  if (version_ < 3 && (request->marks != protocol::MarkLevel::kNone || request->ssml)) {
    return RefuseSpeech(id, {ErrorCode::kBadRequest, "'marks' and 'ssml' need protocol version 3"});
  }
  auto voice = ResolveVoice(request->voice);
  if (!voice) return RefuseSpeech(id, voice.error());
  if (auto s = CheckStyle(*request, *voice); !s) return RefuseSpeech(id, s.error(), voice->name);
  if (NeedsPreparing(*request)) {
    auto pending = std::make_shared<PendingRequest>();
    pending->upload = ReferenceUpload(request->references, request->emotion_reference,
                                      context_->config->max_reference_bytes);
    pending->request = std::move(*request);
    pending->target = std::move(*voice);
    return Defer(id, std::move(pending));
  }
  OpenStream(id, *request, *voice, RequestOptions(*request, voice->saved.get()));
}

void Session::OpenStream(uint32_t id, const protocol::SynthesizeRequest& request, const ResolvedVoice& voice,
                         engine::StreamOptions options, uint64_t serial) {
  const bool cloned = !options.speaker_embedding.empty() || options.reference;
  // A channel tells its watchers each word as it plays (ChannelHub::Watch): its utterances carry marks.
  if (!request.channel.empty() && options.marks == engine::MarkLevel::kNone) options.marks = engine::MarkLevel::kWords;
  auto stream = voice.voice->Start(options);
  if (!stream) return RefuseSpeech(id, stream.error(), voice.name);

  const auto& manifest = voice.voice->manifest();
  // A cloned speaker has no name: accepted says "".
  const std::string speaker = cloned ? "" : request.speaker.empty() ? manifest.speakers.front() : request.speaker;
  protocol::Accepted accepted{voice.name, speaker, static_cast<uint32_t>(manifest.sample_rate), request.sample_format,
                              1, request.channel};
  if (!request.channel.empty()) {
    return EnqueueOnChannel(id, request, std::move(*stream), std::move(accepted));
  }
  auto job = MakeJob(id, voice.name, std::move(*stream), request.sample_format, serial, request.loudness_lufs);
  requests_.emplace(id, job);
  context_->open_requests.fetch_add(1);
  spdlog::debug("connection {}: request {} (#{}) voice {} speaker {} final={} {} bytes of text", id_, id, job->serial,
                accepted.voice, cloned ? "(cloned)" : accepted.speaker, request.final, options.text.size());
  Send(protocol::EncodeFrame(FrameType::kAccepted, 0, id, protocol::Serialize(accepted)));
  context_->scheduler->Submit(std::move(job));
}

std::shared_ptr<Job> Session::MakeJob(uint32_t request_id, const std::string& voice,
                                      std::unique_ptr<engine::Stream> stream, protocol::SampleFormat format,
                                      uint64_t given_serial, std::optional<double> loudness_lufs) {
  const uint64_t serial = given_serial ? given_serial : context_->next_request_serial.fetch_add(1);
  const uint32_t rate = static_cast<uint32_t>(stream->sample_rate());
  StreamJobSink sink;
  sink.encode = [=](const engine::Chunk& chunk) {  // on a worker
    protocol::AudioHeader header{rate, format, 1, chunk.sample_offset};
    auto audio = protocol::EncodeFrame(FrameType::kAudio, chunk.is_last ? protocol::kFlagLast : 0, request_id,
                                       protocol::SerializeAudio(header, EncodePcm(chunk.samples, format)));
    if (chunk.marks.empty()) return audio;
    // The marks first: a word's mark arrives no later than the audio that begins it.
    auto bytes = protocol::EncodeFrame(FrameType::kMarks, 0, request_id, protocol::Serialize(ToMarks(chunk.marks)));
    bytes.insert(bytes.end(), audio.begin(), audio.end());
    return bytes;
  };
  sink.deliver = [weak = weak_self(), request_id, serial](std::vector<uint8_t> frame, bool last) {
    auto self = weak.lock();
    if (!self) return;
    self->Send(std::move(frame), /*counted=*/true);
    if (last) self->EndRequest(request_id, serial);
  };
  sink.fail = [weak = weak_self(), request_id, serial](const Error& error) {
    auto self = weak.lock();
    if (!self) return;
    self->SendError(request_id, error);
    self->EndRequest(request_id, serial);
  };
  return MakeStreamJob(context_, executor(), serial, {front_end_, voice}, std::move(stream), outbound(),
                       std::move(sink), loudness_lufs);
}

void Session::EndRequest(uint32_t request_id, uint64_t serial) {
  auto* job = Find<std::shared_ptr<Job>>(request_id);
  if (job && (*job)->serial == serial) requests_.erase(request_id);
}

void Session::OnText(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  if (Find<std::shared_ptr<PendingRequest>>(id)) return OnPendingText(id, frame);
  std::shared_ptr<Job> job = FindJob(id);
  if (!job) return SendError(id, {ErrorCode::kUnknownRequest, "request " + std::to_string(id) + " is not open"});
  auto text = protocol::ParseText(frame.payload);
  if (!text) return context_->scheduler->Cancel(job, text.error());  // ends the request with this error
  if (auto* utterance = Find<ChannelUtterance>(id)) context_->channels->AddText(utterance->utterance, *text);
  const bool flush = version_ >= 3 && (frame.header.flags & protocol::kFlagFlush) != 0;
  context_->scheduler->AppendText(job, std::move(*text), (frame.header.flags & protocol::kFlagFinal) != 0, flush);
}

void Session::EnqueueOnChannel(uint32_t id, const protocol::SynthesizeRequest& request,
                               std::unique_ptr<engine::Stream> stream, protocol::Accepted accepted) {
  SessionContext* context = context_;
  auto weak = weak_self();
  auto holder = std::make_shared<uint64_t>(0);  // the utterance id, known once queued
  // Counted when it ends; its audio when it has played (a channel plays what it generates).
  auto on_end = [context, weak, id, holder, front_end = front_end_, voice = accepted.voice](Result<double> played) {
    context->open_requests.fetch_sub(1);
    if (Metrics* metrics = context->metrics) {
      metrics->RequestEnded(front_end, voice, played ? "ok" : ErrorCodeName(played.error().code));
      if (played) metrics->AudioProduced(voice, *played);
    }
    auto self = weak.lock();
    if (!self) return;  // the requester left; the utterance still played
    auto* utterance = self->Find<ChannelUtterance>(id);
    if (!utterance || utterance->utterance != *holder) return;
    self->requests_.erase(id);
    if (played) {
      self->Send(protocol::EncodeFrame(FrameType::kDone, 0, id, protocol::Serialize(protocol::Done{*played})));
    } else {
      self->SendError(id, played.error());
    }
  };
  context_->open_requests.fetch_add(1);
  ChannelItem item{request.text,     request.author, request.source, accepted.voice, accepted.speaker,
                   request.speed,    request.duration_s, request.interrupt};
  auto queued = context_->channels->Enqueue(request.channel, std::move(stream), std::move(item), std::move(on_end));
  if (!queued) {
    context_->open_requests.fetch_sub(1);
    return RefuseSpeech(id, queued.error(), accepted.voice);
  }
  *holder = *queued;
  requests_.emplace(id, ChannelUtterance{*queued});
  accepted.item = *queued;
  accepted.listeners = static_cast<uint32_t>(context_->channels->Listeners(request.channel));
  Send(protocol::EncodeFrame(FrameType::kAccepted, 0, id, protocol::Serialize(accepted)));
}

void Session::OnListen(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  if (id == 0) return Fail({ErrorCode::kBadRequest, "request id 0 is reserved for the connection"});
  if (auto error = CheckNewRequest(id)) return SendError(id, *error);
  auto listen = protocol::ParseListen(frame.payload);
  if (!listen) return SendError(id, listen.error());
  if (version_ < 3 && (!listen->audio || listen->events || listen->items)) {
    return SendError(id, {ErrorCode::kBadRequest, "a listen's 'audio', 'events' and 'items' need protocol version 3"});
  }
  protocol::Accepted accepted;
  accepted.sample_rate = protocol::kChannelSampleRate;
  accepted.sample_format = listen->sample_format;
  accepted.channel = listen->channel;
  Send(protocol::EncodeFrame(FrameType::kAccepted, 0, id, protocol::Serialize(accepted)));

  auto weak = weak_self();
  ChannelListen entry{listen->channel, 0, nullptr};
  if (listen->events || listen->items) {
    const WatchKinds kinds{listen->events, listen->items};
    entry.watch = context_->channels->Watch(listen->channel, kinds, [weak, id](const ChannelEvent& event) {
      if (auto self = weak.lock()) {
        self->Send(protocol::EncodeFrame(FrameType::kChannelEvent, 0, id, protocol::Serialize(event)));
      }
    });
  }
  if (!listen->audio) {
    requests_.emplace(id, std::move(entry));
    return;
  }
  const auto format = listen->sample_format;
  auto offset = std::make_shared<uint64_t>(0);
  auto on_frame = [weak, id, format, offset](std::span<const float> samples) {
    auto self = weak.lock();
    if (!self) return false;
    protocol::AudioHeader header{protocol::kChannelSampleRate, format, 1, *offset};
    *offset += samples.size();
    return self->SendLive(
        protocol::EncodeFrame(FrameType::kAudio, 0, id, protocol::SerializeAudio(header, EncodePcm(samples, format))));
  };
  auto on_end = [weak, id](const Error& error) {
    auto self = weak.lock();
    if (!self || !self->Find<ChannelListen>(id)) return;
    self->requests_.erase(id);
    self->SendError(id, error);
  };
  entry.listener = context_->channels->AddListener(listen->channel, std::move(on_frame), std::move(on_end));
  requests_.emplace(id, std::move(entry));
}

void Session::OnChannelControl(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  auto control = protocol::ParseChannelControl(frame.payload);
  if (!control) return SendError(id, control.error());
  using Action = protocol::ChannelControl::Action;
  ChannelHub& hub = *context_->channels;
  const std::string& name = control->channel;
  Status done;
  switch (control->action) {
    case Action::kStatus: break;
    case Action::kSkip:
      spdlog::info("connection {}: skip on channel {}", id_, name);
      done = hub.Skip(name, control->item);
      break;
    case Action::kClear:
      spdlog::info("connection {}: clear on channel {}", id_, name);
      hub.Clear(name);
      break;
    case Action::kRemove:
      spdlog::info("connection {}: remove item {} on channel {}", id_, control->item, name);
      done = hub.Remove(name, control->item);
      break;
    case Action::kPause: hub.Pause(name); break;
    case Action::kResume: hub.Resume(name); break;
    case Action::kVolume: hub.SetGain(name, control->gain); break;
  }
  if (!done) return SendError(id, done.error());
  Send(protocol::EncodeFrame(FrameType::kChannelStatus, 0, id,
                             protocol::Serialize(context_->channels->Status(control->channel))));
}

void Session::OnCancel(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  auto it = requests_.find(id);
  if (it == requests_.end()) return;  // already ended: cancel raced with the last chunk
  Request& request = it->second;
  if (auto* pending = std::get_if<std::shared_ptr<PendingRequest>>(&request)) {
    // A voice being saved is saved: its voice_saved (or error) is the terminal frame.
    if ((*pending)->kind == PendingRequest::Kind::kVoiceAdd && (*pending)->preparing) return;
    return EndPending(id, {ErrorCode::kCancelled, "request cancelled"});
  }
  if (auto* utterance = std::get_if<ChannelUtterance>(&request)) {
    context_->channels->Cancel(utterance->utterance);  // its end callback answers
    return;
  }
  if (auto* listen = std::get_if<ChannelListen>(&request)) {
    if (listen->listener != 0) context_->channels->RemoveListener(listen->channel, listen->listener);
    requests_.erase(it);
    return SendError(id, {ErrorCode::kCancelled, "listen cancelled"});
  }
  const auto& job = std::get<std::shared_ptr<Job>>(request);
  spdlog::info("connection {}: cancel for request {} (#{})", id_, id, job->serial);
  context_->scheduler->Cancel(job);
}

void Session::SendError(uint32_t request_id, const Error& error) {
  protocol::ErrorBody body{error.code, error.message};
  Send(protocol::EncodeFrame(FrameType::kError, 0, request_id, protocol::Serialize(body)));
}

void Session::CountSpeech(std::string_view voice, std::string_view outcome) {
  if (context_->metrics) context_->metrics->RequestEnded(front_end_, voice, outcome);
}

void Session::RefuseSpeech(uint32_t request_id, const Error& error, std::string_view voice) {
  CountSpeech(voice, ErrorCodeName(error.code));
  SendError(request_id, error);
}

}  // namespace ttsd::daemon
