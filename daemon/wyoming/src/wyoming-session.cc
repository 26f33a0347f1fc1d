#include "ttsd/daemon/wyoming-session.h"

#include <spdlog/spdlog.h>

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
    : Connection(std::move(socket), context, "wyoming connection", std::move(peer)) {}

WyomingSession::~WyomingSession() {
  if (job_) context_->scheduler->Cancel(job_);
}

void WyomingSession::OnClose() {
  if (job_) {
    spdlog::info("wyoming connection {} closed with a request open: cancelling it", id_);
    context_->scheduler->Cancel(job_);
    job_.reset();
  }
  waiting_.clear();
}

void WyomingSession::OnCloseWhenFlushed() {
  if (job_) context_->scheduler->Cancel(job_);
  waiting_.clear();
}

void WyomingSession::OnFail(const Error& error) {
  if (job_) context_->scheduler->Cancel(job_);
  waiting_.clear();
  SendEvent("error", {{"text", error.message}, {"code", std::string(ErrorCodeName(error.code))}});
}

void WyomingSession::OnIdleWithOpenWork(int timeout_s) {
  // A stream still waiting for text after a whole idle period has been abandoned.
  if (job_ && !text_closed_ && context_->scheduler->WaitingForText(job_)) {
    context_->scheduler->Cancel(job_, {ErrorCode::kTimeout, "no text arrived for " + std::to_string(timeout_s) + " s"});
  }
}

void WyomingSession::OnWritesCaughtUp() {
  if (job_) context_->scheduler->Wake(job_);
}

bool WyomingSession::OnBytes(std::span<const uint8_t> bytes) {
  return DecodeAll(decoder_, bytes, [this](WyomingEvent event) { OnEvent(std::move(event)); });
}

void WyomingSession::CheckInputEnded() {
  if (!input_ended() || closing() || closed()) return;
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
  while (!waiting_.empty() && !closing() && !closed() && RunsNow()) {
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
  // A request refused here is counted here; one that starts, by its job.
  auto refuse = [this](Error error, std::string_view voice = kNoVoice) -> Status {
    if (Metrics* metrics = context_->metrics) metrics->RequestEnded(FrontEndKind::kWyoming, voice, ErrorCodeName(error.code));
    return std::unexpected(std::move(error));
  };
  if (context_->shutting_down) return refuse({ErrorCode::kShuttingDown, "the daemon is shutting down"});
  if (context_->open_requests.load() >= config.max_requests_total) {
    return refuse({ErrorCode::kBusy,
                   "the daemon is at its limit of " + std::to_string(config.max_requests_total) + " open requests"});
  }
  if (auto format = data.find("text_format"); format != data.end() && !format->is_null() && *format != "text") {
    return refuse({ErrorCode::kNotSupported, "text_format " + format->dump() + " is not supported; send plain text"});
  }
  auto voice = data.find("voice");
  auto choice = ResolveWyomingVoice(*context_, voice == data.end() ? json() : *voice);
  if (!choice) return refuse(choice.error());
  engine::StreamOptions options;
  options.speaker = choice->speaker;
  options.text = std::move(text);
  options.final = final;
  if (choice->voice.saved) UseSavedVoice(*choice->voice.saved, &options);
  auto stream = choice->voice.voice->Start(options);
  if (!stream) return refuse(stream.error(), choice->voice.name);

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
  sink.deliver = [weak = weak_self(), serial](std::vector<uint8_t> bytes, bool last) {
    auto self = weak.lock();
    if (!self) return;
    if (!bytes.empty()) self->Send(std::move(bytes), /*counted=*/true);
    if (last) self->OnRequestEnd(serial);
  };
  sink.fail = [weak = weak_self(), serial](const Error& error) {
    if (auto self = weak.lock()) self->OnRequestFailed(serial, error);
  };
  spdlog::debug("wyoming connection {}: request #{} voice {} speaker {} streaming={} {} bytes of text", id_, serial,
                choice->voice.name, choice->speaker.empty() ? "(default)" : choice->speaker, streaming,
                options.text.size());
  job_ = MakeStreamJob(context_, executor(), serial, {FrontEndKind::kWyoming, choice->voice.name}, std::move(*stream),
                       outbound(), std::move(sink));
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
  if (!job_ || job_->serial != serial || closed() || closing()) return;
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

}  // namespace ttsd::daemon
