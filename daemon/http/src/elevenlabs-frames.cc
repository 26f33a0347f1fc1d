// ElevenLabsSession: the daemon's frames for each context (accepted, marks, audio, error) turned into
// ElevenLabs' audio, isFinal and error messages (elevenlabs-session.h).
#include <spdlog/spdlog.h>

#include "ttsd/daemon/elevenlabs-session.h"

namespace ttsd::daemon {
namespace {

using protocol::FrameType;

Error ErrorOf(const protocol::Frame& frame) {
  auto body = protocol::ParseErrorBody(frame.payload);
  if (!body) return {ErrorCode::kInternal, "the daemon sent an unreadable error"};
  return {body->code, body->message};
}

}  // namespace

void ElevenLabsSession::OnFrame(protocol::Frame frame) {
  if (closing()) return;
  const uint32_t id = frame.header.request_id;
  if (id == 0) {  // the link itself failed (a version the daemon refused, a broken frame)
    if (frame.header.type == FrameType::kError) Fail(ToElevenLabsError(ErrorOf(frame)));
    return;
  }
  auto it = contexts_.find(id);
  if (it == contexts_.end()) return;  // cancelled: what was on its way is dropped
  Context& c = it->second;
  switch (frame.header.type) {
    case FrameType::kAccepted: {
      auto accepted = protocol::ParseAccepted(frame.payload);
      if (!accepted) return FailContext(id, ToElevenLabsError({ErrorCode::kInternal, "unreadable accepted frame"}));
      auto body = SpeechBody::Create(setup_.options.audio, accepted->sample_rate);
      if (!body) return FailContext(id, ToElevenLabsError(body.error()));
      c.body = std::move(*body);
      c.head = c.body->Begin();
      c.rate = accepted->sample_rate;
      return;
    }
    case FrameType::kMarks: {
      if (auto marks = protocol::ParseMarks(frame.payload)) c.aligner.AddMarks(*marks);
      return;
    }
    case FrameType::kAudio: return OnAudio(c, frame);
    case FrameType::kError: {
      const Error error = ErrorOf(frame);
      // A context whose text held nothing to say ends quietly, as ElevenLabs ends it.
      if (!c.text_open && error.code == ErrorCode::kEmptyText) return EndContext(id);
      return FailContext(id, ToElevenLabsError(error));
    }
    default: return;
  }
}

// One audio frame: its encoded bytes (the body's header first) with the characters that begin in it;
// the last one also with what the encoder held back and every character left, then isFinal. A chunk
// the encoder keeps entirely (mp3's first frames) sends nothing: its time goes to the next alignment.
void ElevenLabsSession::OnAudio(Context& c, const protocol::Frame& frame) {
  const uint32_t id = c.request;
  std::span<const uint8_t> pcm;
  auto header = protocol::ParseAudioHeader(frame.payload, &pcm);
  if (!header || !c.body) return FailContext(id, ToElevenLabsError({ErrorCode::kInternal, "unreadable audio frame"}));
  const uint64_t end = header->sample_offset + pcm.size() / protocol::BytesPerSample(header->sample_format);
  auto bytes = c.body->Audio(pcm);
  if (!bytes) return FailContext(id, ToElevenLabsError(bytes.error()));
  const bool last = frame.header.flags & protocol::kFlagLast;
  if (last) {
    auto tail = c.body->Finish();
    if (!tail) return FailContext(id, ToElevenLabsError(tail.error()));
    bytes->insert(bytes->end(), tail->begin(), tail->end());
  }
  std::vector<uint8_t> out = std::move(c.head);
  c.head.clear();
  out.insert(out.end(), bytes->begin(), bytes->end());
  std::optional<ElevenLabsAlignment> alignment;
  if (last) {
    alignment = c.aligner.Finish(end, c.rate);
  } else if (!out.empty()) {
    alignment = c.aligner.Take(end, c.rate);
  }
  if (!out.empty() || alignment) Send(ElevenLabsAudioJson(out, alignment ? &*alignment : nullptr, ContextId(c)), id);
  if (last) return EndContext(id);
}

// isFinal: the context is over. On stream-input the socket closes with it (1000).
void ElevenLabsSession::EndContext(uint32_t request) {
  auto it = contexts_.find(request);
  if (it == contexts_.end()) return;
  Send(ElevenLabsFinalJson(ContextId(it->second)));
  if (open_ids_.count(it->second.id) && open_ids_[it->second.id] == request) open_ids_.erase(it->second.id);
  contexts_.erase(it);
  last_input_ = std::max(last_input_, Clock::now());
  if (!setup_.multi) return CloseSocket(kCloseNormal, "");
  MaybeFinish();
  ArmTimer();
}

// One context failed: on stream-input the socket closes with the error; on multi-stream-input the
// error names the context (LiveKit fails only that one), the request is cancelled and isFinal follows
// (Pipecat, which reads no errors, then stops waiting for it).
void ElevenLabsSession::FailContext(uint32_t request, const ElevenLabsError& error) {
  auto it = contexts_.find(request);
  if (it == contexts_.end()) return;
  if (!setup_.multi) return Fail(error);
  spdlog::debug("http: websocket context failed ({}): {}", error.error, error.message);
  Send(error.Json(&it->second.id));
  // A cancel for a request the daemon has ended already is ignored by it.
  if (link_) link_->Send(protocol::EncodeFrame(FrameType::kCancel, 0, request, {}));
  EndContext(request);
}

}  // namespace ttsd::daemon
