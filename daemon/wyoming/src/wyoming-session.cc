#include "ttsd/daemon/wyoming-session.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "ttsd/daemon/stream-job.h"
#include "ttsd/daemon/wyoming-voices.h"

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

constexpr int kSampleWidth = 2;  // s16le

uint64_t Milliseconds(uint64_t samples, int rate) { return samples * 1000 / static_cast<uint64_t>(rate); }

void Append(std::vector<uint8_t>& out, const std::vector<uint8_t>& more) { out.insert(out.end(), more.begin(), more.end()); }

}  // namespace

WyomingSession::WyomingSession(Socket socket, SessionContext* context, std::string peer)
    : socket_(std::move(socket)),
      context_(context),
      id_(context->next_connection_id.fetch_add(1)),
      peer_(std::move(peer)),
      read_buffer_(16 * 1024),
      outbound_bytes_(std::make_shared<std::atomic<size_t>>(0)),
      idle_timer_(socket_.get_executor()) {}

WyomingSession::~WyomingSession() {
  if (job_) context_->scheduler->Cancel(job_);
}

void WyomingSession::Start() {
  spdlog::debug("wyoming connection {} from {}", id_, peer_);
  ArmIdleTimer();
  ReadMore();
}

void WyomingSession::Close() {
  if (closed_) return;
  closed_ = true;
  if (job_) {
    spdlog::info("wyoming connection {} closed with a request open: cancelling it", id_);
    context_->scheduler->Cancel(job_);
    job_.reset();
  }
  waiting_.clear();
  boost::system::error_code ec;
  idle_timer_.cancel();
  socket_.shutdown(Socket::shutdown_both, ec);
  socket_.close(ec);
  // Let go of ourselves from a later handler, never from inside a method of ours.
  if (keep_alive_) asio::post(socket_.get_executor(), [hold = std::move(keep_alive_)] {});
}

void WyomingSession::CloseWhenFlushed() {
  if (closed_) return;
  if (job_) context_->scheduler->Cancel(job_);
  waiting_.clear();
  closing_ = true;
  WriteNext();
}

void WyomingSession::ArmIdleTimer(std::chrono::steady_clock::duration delay) {
  const int timeout = context_->config->idle_timeout_s;
  if (timeout <= 0 || closed_) return;
  idle_timer_.expires_after(delay.count() > 0 ? delay : std::chrono::seconds(timeout));
  idle_timer_.async_wait([weak = weak_from_this(), timeout](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->closed_) return;
    if (!self->job_ && self->waiting_.empty()) {
      // Idle counts from the last event in or out, not from when the timer was armed.
      const auto quiet = std::chrono::steady_clock::now() - self->last_activity_;
      if (quiet < std::chrono::seconds(timeout)) return self->ArmIdleTimer(std::chrono::seconds(timeout) - quiet);
      spdlog::info("wyoming connection {} idle: closing", self->id_);
      return self->Close();
    }
    // A stream still waiting for text after a whole idle period has been abandoned.
    if (self->job_ && !self->text_closed_ && self->context_->scheduler->WaitingForText(self->job_)) {
      self->context_->scheduler->Cancel(self->job_,
                                        {ErrorCode::kTimeout, "no text arrived for " + std::to_string(timeout) + " s"});
    }
    self->ArmIdleTimer();
  });
}

void WyomingSession::ReadMore() {
  if (closed_ || closing_ || input_ended_) return;
  socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    if (self->closed_ || self->closing_) return;
    if (ec) {
      if (ec == asio::error::eof) return self->OnInputEnded();
      if (ec != asio::error::operation_aborted) spdlog::debug("wyoming connection {} read error: {}", self->id_, ec.message());
      return self->Close();
    }
    self->decoder_.Feed(std::span<const uint8_t>(self->read_buffer_.data(), n));
    bool whole_event = false;
    for (;;) {
      auto event = self->decoder_.Next();
      if (!event) return self->Fail(event.error());
      if (!*event) break;
      whole_event = true;
      self->OnEvent(std::move(**event));
      if (self->closing_ || self->closed_) return;
    }
    // Only whole events count as activity: a client trickling one endless event still goes idle.
    if (whole_event) {
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

void WyomingSession::OnInputEnded() {
  input_ended_ = true;
  // No read is pending from now on, and a job holds only weak pointers: stay alive until closed.
  keep_alive_ = shared_from_this();
  CheckInputEnded();
}

void WyomingSession::CheckInputEnded() {
  if (!input_ended_ || closing_ || closed_) return;
  // A stream whose text can no longer arrive is abandoned; anything else asked for is finished.
  if (job_ && !text_closed_) return Close();
  if (!job_ && waiting_.empty()) CloseWhenFlushed();
}

bool WyomingSession::RunsNow() const {
  // An open stream takes its text (and whatever else comes) in order as it comes.
  return !job_ || (streaming_ && !text_closed_);
}

void WyomingSession::OnEvent(WyomingEvent event) {
  if (event.type == "ping") {  // answered at once: the connection is alive whatever it is doing
    json data = json::object();
    if (auto text = event.data.find("text"); text != event.data.end()) data["text"] = *text;
    return SendEvent("pong", data);
  }
  static const std::set<std::string> kHandled = {"describe", "synthesize", "synthesize-start", "synthesize-chunk",
                                                 "synthesize-stop"};
  if (!kHandled.contains(event.type)) {  // not a TTS server's business (audio, transcribe, ...): dropped now
    spdlog::debug("wyoming connection {}: ignoring event '{}'", id_, event.type);
    return;
  }
  if (waiting_.size() >= kMaxWaitingEvents) {
    return Fail({ErrorCode::kBusy, "more than " + std::to_string(kMaxWaitingEvents) + " events wait for the request in progress"});
  }
  waiting_.push_back(std::move(event));
  Dispatch();
}

void WyomingSession::Dispatch() {
  while (!waiting_.empty() && !closing_ && !closed_ && RunsNow()) {
    WyomingEvent event = std::move(waiting_.front());
    waiting_.pop_front();
    Handle(std::move(event));
  }
  CheckInputEnded();
}

void WyomingSession::Handle(WyomingEvent event) {
  const std::string& type = event.type;
  if (job_) {  // an open stream (RunsNow)
    if (type == "synthesize-chunk") {
      auto text = event.data.find("text");
      if (text == event.data.end() || !text->is_string()) {
        return Fail({ErrorCode::kBadRequest, "synthesize-chunk without a 'text' string"});
      }
      return context_->scheduler->AppendText(job_, text->get<std::string>(), false);
    }
    if (type == "synthesize") return;  // the whole text again, for servers that do not stream
    if (type == "synthesize-stop") {
      text_closed_ = true;
      return context_->scheduler->AppendText(job_, "", true);
    }
  }
  if (type == "describe") return SendEvent("info", WyomingInfo(*context_));
  if (type == "synthesize") return OnSynthesize(event);
  if (type == "synthesize-start") {
    if (job_) return Fail({ErrorCode::kBadRequest, "synthesize-start inside an open stream"});
    return OnSynthesizeStart(event);
  }
  Fail({ErrorCode::kBadRequest, type + " without synthesize-start"});  // synthesize-chunk, synthesize-stop
}

void WyomingSession::OnSynthesize(const WyomingEvent& event) {
  auto text = event.data.find("text");
  if (text == event.data.end() || !text->is_string()) return Fail({ErrorCode::kBadRequest, "synthesize without a 'text' string"});
  if (auto s = StartRequest(event.data, text->get<std::string>(), true); !s) Fail(s.error());
}

void WyomingSession::OnSynthesizeStart(const WyomingEvent& event) {
  if (auto s = StartRequest(event.data, "", false); !s) Fail(s.error());
}

Status WyomingSession::StartRequest(const json& data, std::string text, bool final) {
  const DaemonConfig& config = *context_->config;
  if (context_->shutting_down) return MakeError(ErrorCode::kShuttingDown, "the daemon is shutting down");
  if (context_->open_requests.load() >= config.max_requests_total) {
    return MakeError(ErrorCode::kBusy,
                     "the daemon is at its limit of " + std::to_string(config.max_requests_total) + " open requests");
  }
  if (auto format = data.find("text_format"); format != data.end() && !format->is_null() && *format != "text") {
    return MakeError(ErrorCode::kNotSupported, "text_format " + format->dump() + " is not supported; send plain text");
  }
  auto voice = data.find("voice");
  auto choice = ResolveWyomingVoice(*context_, voice == data.end() ? json() : *voice);
  if (!choice) return std::unexpected(choice.error());
  engine::StreamOptions options;
  options.speaker = choice->speaker;
  options.text = std::move(text);
  options.final = final;
  if (choice->voice.saved) options.speaker_embedding = choice->voice.saved->embedding;
  auto stream = choice->voice.voice->Start(options);
  if (!stream) return std::unexpected(stream.error());

  const int rate = (*stream)->sample_rate();
  const uint64_t serial = context_->next_request_serial.fetch_add(1);
  const bool streaming = !final;
  StreamJobSink sink;
  sink.encode = [rate, streaming](const engine::Chunk& chunk) {
    std::vector<uint8_t> out;
    if (!chunk.samples.empty()) {
      const json format = {{"rate", rate}, {"width", kSampleWidth}, {"channels", 1},
                           {"timestamp", Milliseconds(chunk.sample_offset, rate)}};
      out = EncodeWyomingEvent("audio-chunk", format, EncodePcm(chunk.samples, protocol::SampleFormat::kS16Le));
    }
    if (chunk.is_last) {
      Append(out, EncodeWyomingEvent("audio-stop",
                                     {{"timestamp", Milliseconds(chunk.sample_offset + chunk.samples.size(), rate)}}));
      if (streaming) Append(out, EncodeWyomingEvent("synthesize-stopped"));
    }
    return out;
  };
  sink.deliver = [weak = weak_from_this(), serial](std::vector<uint8_t> bytes, bool last) {
    auto self = weak.lock();
    if (!self) return;
    if (!bytes.empty()) self->Send(std::move(bytes), /*counted=*/true);
    if (last) self->OnRequestEnd(serial);
  };
  sink.fail = [weak = weak_from_this(), serial](const Error& error) {
    if (auto self = weak.lock()) self->OnRequestFailed(serial, error);
  };
  spdlog::debug("wyoming connection {}: request #{} voice {} speaker {} streaming={} {} bytes of text", id_, serial,
                choice->voice.name, choice->speaker.empty() ? "(default)" : choice->speaker, streaming,
                options.text.size());
  job_ = MakeStreamJob(context_, socket_.get_executor(), serial, std::move(*stream), outbound_bytes_, std::move(sink));
  streaming_ = streaming;
  text_closed_ = final;
  context_->open_requests.fetch_add(1);
  // Queued before the job can post its first chunk, so audio-start always comes first.
  SendEvent("audio-start", {{"rate", rate}, {"width", kSampleWidth}, {"channels", 1}, {"timestamp", 0}});
  context_->scheduler->Submit(job_);
  return {};
}

void WyomingSession::OnRequestEnd(uint64_t serial) {
  if (!job_ || job_->serial != serial) return;
  job_.reset();
  streaming_ = text_closed_ = false;
  Dispatch();
}

void WyomingSession::OnRequestFailed(uint64_t serial, const Error& error) {
  if (!job_ || job_->serial != serial || closed_ || closing_) return;
  // A stream that ended without any text is a silent answer, not a failure.
  if (streaming_ && error.code == ErrorCode::kEmptyText) {
    Send(EncodeWyomingEvent("audio-stop", {{"timestamp", 0}}));
    Send(EncodeWyomingEvent("synthesize-stopped"));
    return OnRequestEnd(serial);
  }
  job_.reset();
  Fail(error);
}

void WyomingSession::SendEvent(std::string_view type, const json& data) { Send(EncodeWyomingEvent(type, data)); }

void WyomingSession::Fail(const Error& error) {
  spdlog::warn("wyoming connection {}: {} — closing", id_, error.ToString());
  if (job_) context_->scheduler->Cancel(job_);
  waiting_.clear();
  SendEvent("error", {{"text", error.message}, {"code", std::string(ErrorCodeName(error.code))}});
  closing_ = true;  // nothing more is queued after the error
  WriteNext();
}

void WyomingSession::Send(std::vector<uint8_t> bytes, bool counted) {
  if (closed_ || closing_) {
    if (counted) outbound_bytes_->fetch_sub(bytes.size());
    return;
  }
  if (!counted) outbound_bytes_->fetch_add(bytes.size());
  write_queue_.push_back(std::move(bytes));
  WriteNext();
}

void WyomingSession::WriteNext() {
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
                      if (self->job_ && self->outbound_bytes_->load() < max / 2) self->context_->scheduler->Wake(self->job_);
                      if (self->read_paused_ && self->outbound_bytes_->load() <= max) {
                        self->read_paused_ = false;
                        self->ReadMore();
                      }
                      self->WriteNext();
                    });
}

}  // namespace ttsd::daemon
