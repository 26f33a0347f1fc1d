#include "ttsd/daemon/session.h"

#include "ttsd/daemon/stream-job.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
using protocol::FrameType;

}  // namespace

Session::Session(Socket socket, SessionContext* context)
    : socket_(std::move(socket)),
      context_(context),
      id_(context->next_connection_id.fetch_add(1)),
      decoder_(protocol::kMaxClientPayloadBytes),
      read_buffer_(16 * 1024),
      outbound_bytes_(std::make_shared<std::atomic<size_t>>(0)),
      idle_timer_(socket_.get_executor()) {}

Session::~Session() {
  for (auto& [id, job] : jobs_) context_->scheduler->Cancel(job);
  DropPending();
}

void Session::Start() {
  spdlog::debug("connection {} opened", id_);
  ArmIdleTimer();
  ReadMore();
}

void Session::Close() {
  if (closed_) return;
  closed_ = true;
  if (!jobs_.empty()) spdlog::info("connection {} closed with {} open requests: cancelling them", id_, jobs_.size());
  for (auto& [id, job] : jobs_) context_->scheduler->Cancel(job);
  DropPending();
  for (auto& [id, listen] : listens_) context_->channels->RemoveListener(listen.first, listen.second);
  listens_.clear();
  boost::system::error_code ec;
  idle_timer_.cancel();
  socket_.shutdown(Socket::shutdown_both, ec);
  socket_.close(ec);
}

void Session::CloseWhenFlushed() {
  if (closed_) return;
  // Whatever is still open ends with shutting_down, so its client knows it is over.
  const Error ended{ErrorCode::kShuttingDown, "the daemon is shutting down: request ended unfinished"};
  for (auto& [id, job] : jobs_) {
    context_->scheduler->Cancel(job);
    SendError(id, ended);
  }
  for (auto& [id, pending] : pending_) SendError(id, ended);
  DropPending();
  closing_ = true;
  WriteNext();
}

void Session::ArmIdleTimer(std::chrono::steady_clock::duration delay) {
  const int timeout = context_->config->idle_timeout_s;
  if (timeout <= 0 || closed_) return;
  idle_timer_.expires_after(delay.count() > 0 ? delay : std::chrono::seconds(timeout));
  idle_timer_.async_wait([weak = weak_from_this(), timeout](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->closed_) return;
    if (self->jobs_.empty() && self->listens_.empty() && self->channel_requests_.empty() && self->pending_.empty()) {
      // Idle counts from the last frame in or out: a request that just ended is not an idle period.
      const auto quiet = std::chrono::steady_clock::now() - self->last_activity_;
      if (quiet < std::chrono::seconds(timeout)) return self->ArmIdleTimer(std::chrono::seconds(timeout) - quiet);
      spdlog::info("connection {} idle: closing", self->id_);
      return self->Close();
    }
    // Requests still waiting for text after a whole idle period have been abandoned.
    auto* scheduler = self->context_->scheduler;
    for (auto& [id, job] : self->jobs_) {
      if (scheduler->WaitingForText(job)) {
        scheduler->Cancel(job, {ErrorCode::kTimeout, "no text arrived for " + std::to_string(timeout) + " s"});
      }
    }
    self->ExpirePending(timeout);
    self->ArmIdleTimer();
  });
}

void Session::ReadMore() {
  if (closed_ || closing_) return;
  socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    if (ec) {
      if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
        spdlog::debug("connection {} read error: {}", self->id_, ec.message());
      }
      self->Close();
      return;
    }
    self->decoder_.Feed(std::span<const uint8_t>(self->read_buffer_.data(), n));
    bool whole_frame = false;
    for (;;) {
      auto frame = self->decoder_.Next();
      if (!frame) return self->FailConnection(frame.error());
      if (!*frame) break;
      whole_frame = true;
      self->OnFrame(std::move(**frame));
      if (self->closing_ || self->closed_) return;
    }
    // Only whole frames count as activity: a client trickling one endless frame still goes idle.
    if (whole_frame) {
      self->last_activity_ = std::chrono::steady_clock::now();
      self->ArmIdleTimer();
    }
    // A client that sends without reading our answers waits until it has read them.
    if (self->outbound_bytes_->load() > 2 * self->context_->config->max_outbound_bytes) {
      self->read_paused_ = true;
      return;
    }
    self->ReadMore();
  });
}

void Session::OnFrame(protocol::Frame frame) {
  const FrameType type = frame.header.type;
  if (!protocol::IsClientFrameType(type)) {
    return FailConnection({ErrorCode::kUnknownFrameType, "frame type " + std::to_string(int(type)) + " is sent by servers only"});
  }
  if (!greeted_ && type != FrameType::kHello) {
    return FailConnection({ErrorCode::kBadRequest, "the first frame must be hello"});
  }
  if (greeted_ && protocol::FrameTypeVersion(type) > version_) {
    return FailConnection({ErrorCode::kUnknownFrameType, "frame type " + std::to_string(int(type)) +
                                                             " needs protocol version " +
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
      return FailConnection({ErrorCode::kUnknownFrameType, "unexpected frame type"});
  }
}

void Session::OnHello(const protocol::Frame& frame) {
  if (greeted_) return FailConnection({ErrorCode::kBadRequest, "hello sent twice"});
  auto hello = protocol::ParseHello(frame.payload);
  if (!hello) return FailConnection(hello.error());
  auto version = protocol::NegotiateVersion(*hello);
  if (!version) return FailConnection(version.error());
  greeted_ = true;
  version_ = *version;
  protocol::Welcome welcome{*version, "ttsd " TTSD_VERSION, protocol::kMaxClientPayloadBytes};
  spdlog::debug("connection {}: hello from '{}', version {}", id_, hello->client, *version);
  Send(protocol::EncodeFrame(FrameType::kWelcome, 0, 0, protocol::Serialize(welcome)));
}

std::optional<Error> Session::CheckNewRequest(uint32_t id) const {
  const DaemonConfig& config = *context_->config;
  if (jobs_.contains(id) || channel_requests_.contains(id) || listens_.contains(id) || pending_.contains(id)) {
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
  if (id == 0) return FailConnection({ErrorCode::kBadRequest, "request id 0 is reserved for the connection"});
  if (auto error = CheckNewRequest(id)) return SendError(id, *error);
  auto request = protocol::ParseSynthesize(frame.payload);
  if (!request) return SendError(id, request.error());
  auto voice = ResolveVoice(request->voice);
  if (!voice) return SendError(id, voice.error());
  if (auto s = CheckStyle(*request, *voice); !s) return SendError(id, s.error());
  if (NeedsPreparing(*request)) {
    auto pending = std::make_shared<PendingRequest>();
    pending->upload = ReferenceUpload(request->references, request->emotion_reference,
                                      context_->config->max_reference_bytes);
    pending->request = std::move(*request);
    pending->target = std::move(*voice);
    return Defer(id, std::move(pending));
  }
  engine::StreamOptions options;
  options.speaker = request->speaker;
  options.text = request->text;
  options.final = request->final;
  options.speed = request->speed;
  options.duration_s = request->duration_s;
  options.emotion_alpha = request->emotion_alpha;
  if (voice->saved) options.speaker_embedding = voice->saved->embedding;
  if (request->emotion) options.emotion = ToEmotionVector(*request->emotion);
  OpenStream(id, *request, *voice, std::move(options));
}

void Session::OpenStream(uint32_t id, const protocol::SynthesizeRequest& request, const ResolvedVoice& voice,
                         engine::StreamOptions options, uint64_t serial) {
  const bool cloned = !options.speaker_embedding.empty();
  auto stream = voice.voice->Start(options);
  if (!stream) return SendError(id, stream.error());

  const auto& manifest = voice.voice->manifest();
  // A cloned speaker has no name: accepted says "".
  const std::string speaker = cloned ? "" : request.speaker.empty() ? manifest.speakers.front() : request.speaker;
  protocol::Accepted accepted{voice.name, speaker, static_cast<uint32_t>(manifest.sample_rate), request.sample_format,
                              1, request.channel};
  if (!request.channel.empty()) {
    return EnqueueOnChannel(id, request, std::move(*stream), std::move(accepted));
  }
  auto job = MakeJob(id, std::move(*stream), request.sample_format, serial);
  jobs_.emplace(id, job);
  context_->open_requests.fetch_add(1);
  spdlog::debug("connection {}: request {} (#{}) voice {} speaker {} final={} {} bytes of text", id_, id, job->serial,
                accepted.voice, cloned ? "(cloned)" : accepted.speaker, request.final, options.text.size());
  Send(protocol::EncodeFrame(FrameType::kAccepted, 0, id, protocol::Serialize(accepted)));
  context_->scheduler->Submit(std::move(job));
}

std::shared_ptr<Job> Session::MakeJob(uint32_t request_id, std::unique_ptr<engine::Stream> stream,
                                      protocol::SampleFormat format, uint64_t given_serial) {
  const uint64_t serial = given_serial ? given_serial : context_->next_request_serial.fetch_add(1);
  const uint32_t rate = static_cast<uint32_t>(stream->sample_rate());
  StreamJobSink sink;
  sink.encode = [=](const engine::Chunk& chunk) {  // on a worker
    protocol::AudioHeader header{rate, format, 1, chunk.sample_offset};
    return protocol::EncodeFrame(FrameType::kAudio, chunk.is_last ? protocol::kFlagLast : 0, request_id,
                                 protocol::SerializeAudio(header, EncodePcm(chunk.samples, format)));
  };
  sink.deliver = [weak = weak_from_this(), request_id, serial](std::vector<uint8_t> frame, bool last) {
    auto self = weak.lock();
    if (!self) return;
    self->Send(std::move(frame), /*counted=*/true);
    if (last) self->EndRequest(request_id, serial);
  };
  sink.fail = [weak = weak_from_this(), request_id, serial](const Error& error) {
    auto self = weak.lock();
    if (!self) return;
    self->SendError(request_id, error);
    self->EndRequest(request_id, serial);
  };
  return MakeStreamJob(context_, socket_.get_executor(), serial, std::move(stream), outbound_bytes_, std::move(sink));
}

void Session::EndRequest(uint32_t request_id, uint64_t serial) {
  auto it = jobs_.find(request_id);
  if (it != jobs_.end() && it->second->serial == serial) jobs_.erase(it);
}

void Session::OnText(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  if (pending_.contains(id)) return OnPendingText(id, frame);
  std::shared_ptr<Job> job;
  if (auto it = jobs_.find(id); it != jobs_.end()) job = it->second;
  if (auto c = channel_requests_.find(id); c != channel_requests_.end()) job = context_->channels->FindJob(c->second);
  if (!job) return SendError(id, {ErrorCode::kUnknownRequest, "request " + std::to_string(id) + " is not open"});
  auto text = protocol::ParseText(frame.payload);
  if (!text) return context_->scheduler->Cancel(job, text.error());  // ends the request with this error
  context_->scheduler->AppendText(job, std::move(*text), (frame.header.flags & protocol::kFlagFinal) != 0);
}

void Session::EnqueueOnChannel(uint32_t id, const protocol::SynthesizeRequest& request,
                               std::unique_ptr<engine::Stream> stream, protocol::Accepted accepted) {
  SessionContext* context = context_;
  auto weak = weak_from_this();
  auto holder = std::make_shared<uint64_t>(0);  // the utterance id, known once queued
  auto on_end = [context, weak, id, holder](Result<double> played) {
    context->open_requests.fetch_sub(1);
    auto self = weak.lock();
    if (!self) return;  // the requester left; the utterance still played
    auto it = self->channel_requests_.find(id);
    if (it == self->channel_requests_.end() || it->second != *holder) return;
    self->channel_requests_.erase(it);
    if (played) {
      self->Send(protocol::EncodeFrame(FrameType::kDone, 0, id, protocol::Serialize(protocol::Done{*played})));
    } else {
      self->SendError(id, played.error());
    }
  };
  context_->open_requests.fetch_add(1);
  auto queued = context_->channels->Enqueue(request.channel, std::move(stream), request.text, request.interrupt,
                                            std::move(on_end));
  if (!queued) {
    context_->open_requests.fetch_sub(1);
    return SendError(id, queued.error());
  }
  *holder = *queued;
  channel_requests_.emplace(id, *queued);
  Send(protocol::EncodeFrame(FrameType::kAccepted, 0, id, protocol::Serialize(accepted)));
}

void Session::OnListen(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  if (id == 0) return FailConnection({ErrorCode::kBadRequest, "request id 0 is reserved for the connection"});
  if (auto error = CheckNewRequest(id)) return SendError(id, *error);
  auto listen = protocol::ParseListen(frame.payload);
  if (!listen) return SendError(id, listen.error());
  protocol::Accepted accepted;
  accepted.sample_rate = protocol::kChannelSampleRate;
  accepted.sample_format = listen->sample_format;
  accepted.channel = listen->channel;
  Send(protocol::EncodeFrame(FrameType::kAccepted, 0, id, protocol::Serialize(accepted)));

  auto weak = weak_from_this();
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
    if (!self || !self->listens_.erase(id)) return;
    self->SendError(id, error);
  };
  const uint64_t listener = context_->channels->AddListener(listen->channel, std::move(on_frame), std::move(on_end));
  listens_.emplace(id, std::make_pair(listen->channel, listener));
}

void Session::OnChannelControl(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  auto control = protocol::ParseChannelControl(frame.payload);
  if (!control) return SendError(id, control.error());
  using Action = protocol::ChannelControl::Action;
  if (control->action == Action::kSkip) {
    spdlog::info("connection {}: skip on channel {}", id_, control->channel);
    context_->channels->Skip(control->channel);
  } else if (control->action == Action::kClear) {
    spdlog::info("connection {}: clear on channel {}", id_, control->channel);
    context_->channels->Clear(control->channel);
  }
  Send(protocol::EncodeFrame(FrameType::kChannelStatus, 0, id,
                             protocol::Serialize(context_->channels->Status(control->channel))));
}

void Session::OnCancel(const protocol::Frame& frame) {
  if (auto p = pending_.find(frame.header.request_id); p != pending_.end()) {
    // A voice being saved is saved: its voice_saved (or error) is the terminal frame.
    if (p->second->kind == PendingRequest::Kind::kVoiceAdd && p->second->preparing) return;
    return EndPending(frame.header.request_id, {ErrorCode::kCancelled, "request cancelled"});
  }
  if (auto c = channel_requests_.find(frame.header.request_id); c != channel_requests_.end()) {
    context_->channels->Cancel(c->second);  // its end callback answers
    return;
  }
  if (auto l = listens_.find(frame.header.request_id); l != listens_.end()) {
    context_->channels->RemoveListener(l->second.first, l->second.second);
    listens_.erase(l);
    return SendError(frame.header.request_id, {ErrorCode::kCancelled, "listen cancelled"});
  }
  auto it = jobs_.find(frame.header.request_id);
  if (it == jobs_.end()) return;  // already ended: cancel raced with the last chunk
  spdlog::info("connection {}: cancel for request {} (#{})", id_, frame.header.request_id, it->second->serial);
  context_->scheduler->Cancel(it->second);
}

void Session::SendError(uint32_t request_id, const Error& error) {
  protocol::ErrorBody body{error.code, error.message};
  Send(protocol::EncodeFrame(FrameType::kError, 0, request_id, protocol::Serialize(body)));
}

void Session::FailConnection(const Error& error) {
  spdlog::warn("connection {}: {} — closing", id_, error.ToString());
  for (auto& [id, job] : jobs_) context_->scheduler->Cancel(job);
  DropPending();
  SendError(0, error);
  closing_ = true;  // nothing more is queued after the error frame
  WriteNext();
}

bool Session::SendLive(std::vector<uint8_t> frame) {
  if (closed_ || closing_) return false;
  if (outbound_bytes_->load() > context_->config->max_outbound_bytes) {
    if (dropped_live_frames_++ % 50 == 0) {
      spdlog::warn("connection {} is not reading its channel audio: {} frames dropped", id_, dropped_live_frames_);
    }
    return true;
  }
  Send(std::move(frame));
  return true;
}

void Session::Send(std::vector<uint8_t> frame, bool counted) {
  if (closed_ || closing_) {
    if (counted) outbound_bytes_->fetch_sub(frame.size());
    return;
  }
  if (!counted) outbound_bytes_->fetch_add(frame.size());
  write_queue_.push_back(std::move(frame));
  WriteNext();
}

void Session::WriteNext() {
  if (writing_ || closed_) return;
  if (write_queue_.empty()) {
    if (closing_) Close();
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_queue_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writing_ = false;
                      if (self->write_queue_.empty()) return;  // closed meanwhile
                      self->outbound_bytes_->fetch_sub(self->write_queue_.front().size());
                      self->write_queue_.pop_front();
                      if (ec) return self->Close();
                      self->last_activity_ = std::chrono::steady_clock::now();
                      const size_t max = self->context_->config->max_outbound_bytes;
                      if (self->outbound_bytes_->load() < max / 2) {
                        for (auto& [id, job] : self->jobs_) self->context_->scheduler->Wake(job);
                      }
                      if (self->read_paused_ && self->outbound_bytes_->load() <= max) {
                        self->read_paused_ = false;
                        self->ReadMore();
                      }
                      self->WriteNext();
                    });
}

}  // namespace ttsd::daemon
