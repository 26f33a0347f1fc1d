#include "ttsd/client/synthesis.h"

#include <string>
#include <utility>

namespace ttsd::client {
namespace {

using protocol::FrameType;
using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start, Clock::time_point now) {
  return std::chrono::duration<double, std::milli>(now - start).count();
}

}  // namespace

Result<Synthesis> Synthesis::Start(Connection* conn, const protocol::SynthesizeRequest& request,
                                   const ReferenceFiles& references) {
  const auto start = Clock::now();
  protocol::SynthesizeRequest sent = request;
  sent.references = static_cast<uint32_t>(references.speaker.size());
  sent.emotion_reference = references.emotion.has_value();
  const bool styled = sent.wants_references() || sent.emotion || !sent.emotion_text.empty() || sent.duration_s > 0;
  if (styled && conn->welcome().version < 2) {
    return MakeError(ErrorCode::kUnsupportedVersion,
                     "this ttsd speaks protocol version " + std::to_string(conn->welcome().version) +
                         "; emotion, duration and reference audio need version 2 (a newer ttsd)");
  }
  if ((sent.marks != protocol::MarkLevel::kNone || sent.ssml) && conn->welcome().version < 3) {
    return MakeError(ErrorCode::kUnsupportedVersion,
                     "this ttsd speaks protocol version " + std::to_string(conn->welcome().version) +
                         "; word marks and SSML need version 3 (a newer ttsd)");
  }
  auto id = conn->StartSynthesis(sent);
  if (!id) return std::unexpected(id.error());
  for (const auto& file : references.speaker) {
    if (auto s = conn->SendReference(*id, file, false); !s) return std::unexpected(s.error());
  }
  if (references.emotion) {
    if (auto s = conn->SendReference(*id, *references.emotion, true); !s) return std::unexpected(s.error());
  }
  Synthesis s(conn, start);
  s.stats_.request_id = *id;
  return s;
}

Result<Synthesis> Synthesis::Listen(Connection* conn, const protocol::ListenRequest& request) {
  const auto start = Clock::now();
  if ((!request.audio || request.events) && conn->welcome().version < 3) {
    return MakeError(ErrorCode::kUnsupportedVersion, "this ttsd speaks protocol version " +
                                                         std::to_string(conn->welcome().version) +
                                                         "; a channel's events need version 3 (a newer ttsd)");
  }
  const uint32_t id = conn->NextRequestId();
  if (auto s = conn->Send(FrameType::kListen, 0, id, protocol::Serialize(request)); !s) return std::unexpected(s.error());
  Synthesis s(conn, start);
  s.stats_.request_id = id;
  return s;
}

Status Synthesis::HandleFrame(const protocol::Frame& frame, AudioSink* sink, bool* done) {
  const uint32_t id = stats_.request_id;
  switch (frame.header.type) {
    case FrameType::kAccepted: {
      if (accepted_) return MakeError(ErrorCode::kMalformedFrame, "ttsd accepted request " + std::to_string(id) + " twice");
      auto acc = protocol::ParseAccepted(frame.payload);
      if (!acc) return MakeError(ErrorCode::kMalformedFrame, "bad kAccepted from ttsd: " + acc.error().message);
      accepted_ = true;
      format_ = AudioFormat{acc->sample_rate, acc->channels, acc->sample_format};
      stats_.voice = acc->voice;
      stats_.speaker = acc->speaker;
      stats_.sample_rate_hz = acc->sample_rate;
      stats_.channels = acc->channels;
      return sink->Open(format_);
    }
    case FrameType::kAudio: {
      const auto now = Clock::now();
      if (!accepted_) {
        return MakeError(ErrorCode::kMalformedFrame, "ttsd sent audio for request " + std::to_string(id) + " before accepting it");
      }
      std::span<const uint8_t> pcm;
      auto h = protocol::ParseAudioHeader(frame.payload, &pcm);
      if (!h) return MakeError(ErrorCode::kMalformedFrame, "bad audio frame from ttsd: " + h.error().message);
      if (h->sample_rate != format_.sample_rate_hz || h->sample_format != format_.sample_format ||
          h->channels != format_.channels) {
        return MakeError(ErrorCode::kMalformedFrame, "audio chunk's format differs from the one ttsd accepted");
      }
      if (h->sample_offset != stats_.samples) {
        return MakeError(ErrorCode::kMalformedFrame, "audio chunk starts at sample " + std::to_string(h->sample_offset) +
                                                         ", expected " + std::to_string(stats_.samples));
      }
      const uint64_t samples = pcm.size() / format_.frame_bytes();
      if (samples > 0 && !stats_.ttfa_ms) stats_.ttfa_ms = MillisecondsSince(start_, now);
      stats_.chunks++;
      stats_.samples += samples;
      stats_.audio_s = static_cast<double>(stats_.samples) / format_.sample_rate_hz;
      if (auto s = sink->Write(pcm); !s) return s;
      if (frame.header.flags & protocol::kFlagLast) *done = true;
      return {};
    }
    case FrameType::kMarks: {
      if (!accepted_) {
        return MakeError(ErrorCode::kMalformedFrame, "ttsd sent marks for request " + std::to_string(id) + " before accepting it");
      }
      auto marks = protocol::ParseMarks(frame.payload);
      if (!marks) return MakeError(ErrorCode::kMalformedFrame, "bad marks frame from ttsd: " + marks.error().message);
      return on_marks_ ? on_marks_(*marks, format_.sample_rate_hz) : Status{};
    }
    case FrameType::kChannelEvent: {
      if (!protocol::ParseChannelEvent(frame.payload)) {
        return MakeError(ErrorCode::kMalformedFrame, "bad channel event from ttsd");
      }
      return on_channel_event_ ? on_channel_event_(frame.payload) : Status{};
    }
    case FrameType::kError:
      *done = true;
      return std::unexpected(ErrorFromFrame(frame));
    default:
      return MakeError(ErrorCode::kMalformedFrame, "unexpected frame type " +
                                                       std::to_string(static_cast<int>(frame.header.type)) +
                                                       " for request " + std::to_string(id));
  }
}

Status Synthesis::Receive(AudioSink* sink, const ReceiveOptions& options) {
  on_marks_ = options.on_marks;
  on_channel_event_ = options.on_channel_event;
  const bool polling = options.cancel || options.idle_timeout.count() > 0;
  const std::optional<std::chrono::milliseconds> wait =
      polling ? std::optional(options.poll_interval) : std::nullopt;
  bool cancel_sent = false;
  Clock::time_point cancel_deadline;
  Clock::time_point last_frame = Clock::now();

  auto finish = [&](Status status) -> Status {
    stats_.wall_s = std::chrono::duration<double>(Clock::now() - start_).count();
    auto closed = sink->Close();
    if (status && !closed) status = closed;
    stats_.status = status ? "ok" : std::string(ErrorCodeName(status.error().code));
    return status;
  };

  for (;;) {
    if (!cancel_sent && options.cancel && options.cancel->load()) {
      if (auto s = conn_->Cancel(stats_.request_id); !s) return finish(s);
      cancel_sent = true;
      cancel_deadline = Clock::now() + options.cancel_grace;
    }
    if (cancel_sent && Clock::now() >= cancel_deadline) {
      return finish(MakeError(ErrorCode::kCancelled, "ttsd did not confirm the cancel within " +
                                                         std::to_string(options.cancel_grace.count()) + " ms"));
    }

    auto frame = conn_->ReadFrame(wait);
    if (!frame) {
      if (frame.error().code != ErrorCode::kTimeout || !wait) return finish(std::unexpected(frame.error()));
      const bool text_open = options.text_open && options.text_open->load();
      if (text_open) last_frame = Clock::now();
      if (options.idle_timeout.count() > 0 && !cancel_sent && Clock::now() - last_frame >= options.idle_timeout) {
        conn_->Cancel(stats_.request_id);  // best effort: we are leaving
        return finish(MakeError(ErrorCode::kTimeout, "nothing from ttsd for " +
                                                         std::to_string(options.idle_timeout.count()) + " ms"));
      }
      continue;
    }
    last_frame = Clock::now();

    const auto& h = frame->header;
    if (h.request_id == 0 && h.type == FrameType::kError) return finish(std::unexpected(ErrorFromFrame(*frame)));
    if (h.request_id != stats_.request_id) continue;

    bool done = false;
    auto status = HandleFrame(*frame, sink, &done);
    if (!status) {
      if (!done) conn_->Cancel(stats_.request_id);  // the request is still open on the server: stop it
      return finish(status);
    }
    if (done) return finish({});
  }
}

}  // namespace ttsd::client
