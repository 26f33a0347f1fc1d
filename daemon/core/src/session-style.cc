// Session: requests that carry reference audio, emotion or a saved voice, and voice_add /
// voice_remove. Every method runs on the I/O thread; model compute and disk writes are posted to
// the inference workers, whose results come back by posting to the I/O thread.
#include <spdlog/spdlog.h>

#include "ttsd/daemon/session.h"

namespace ttsd::daemon {
namespace {

namespace asio = boost::asio;
using protocol::FrameType;

}  // namespace

Result<ResolvedVoice> Session::ResolveVoice(const std::string& name) const {
  auto package = context_->voices->Find(name);
  if (package) return ResolvedVoice{*package, (*package)->name(), nullptr};
  auto saved = context_->store && !name.empty() ? context_->store->Find(name) : nullptr;
  if (!saved) return std::unexpected(package.error());
  auto base = context_->voices->Find(saved->voice);
  if (!base) {
    return MakeError(ErrorCode::kUnknownVoice,
                     "saved voice '" + name + "' is made from voice '" + saved->voice + "', which is not loaded");
  }
  return ResolvedVoice{*base, saved->name, saved};
}

protocol::VoiceList Session::DescribeVoices() const {
  protocol::VoiceList list = context_->voices->Describe();
  if (!context_->store) return list;
  for (const auto& saved : context_->store->List()) {
    // Served only when its base voice is loaded and no package took its name.
    if (context_->voices->Find(saved->voice) && !context_->voices->Find(saved->name)) {
      list.saved.push_back(saved->Info());
    }
  }
  return list;
}

bool Session::NeedsPreparing(const protocol::SynthesizeRequest& request) {
  return request.wants_references() || !request.emotion_text.empty();
}

Status Session::CheckStyle(const protocol::SynthesizeRequest& request, const ResolvedVoice& voice) const {
  if (request.wants_references() && version_ < 2) {
    return MakeError(ErrorCode::kBadRequest, "reference audio needs protocol version 2");
  }
  if (request.references > 0 && !request.speaker.empty()) {
    return MakeError(ErrorCode::kBadRequest, "'speaker' and 'references' exclude each other: the references are the speaker");
  }
  if (voice.saved && request.references > 0) {
    return MakeError(ErrorCode::kBadRequest, "saved voice '" + voice.name + "' has its speaker; send no 'references'");
  }
  if (voice.saved && !request.speaker.empty()) {
    return MakeError(ErrorCode::kBadRequest, "saved voice '" + voice.name + "' has no speakers to pick; drop 'speaker'");
  }
  if (auto s = CheckStyleSupport(*voice.voice, StyleNeeds::Of(request, voice.saved != nullptr)); !s) return s;
  if (voice.saved) return CheckSavedVoice(*voice.saved, *voice.voice);
  return {};
}

void Session::Defer(uint32_t id, std::shared_ptr<PendingRequest> pending) {
  pending->serial = context_->next_request_serial.fetch_add(1);
  spdlog::debug("connection {}: request {} (#{}) waits for {} reference files{}", id_, id, pending->serial,
                pending->upload.expected_files(), pending->request.emotion_reference ? " and an emotion reference" : "");
  requests_.emplace(id, std::move(pending));
  context_->open_requests.fetch_add(1);
  MaybePrepare(id);
}

void Session::OnReference(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  auto* found = Find<std::shared_ptr<PendingRequest>>(id);
  if (!found || (*found)->preparing) {
    // Like text after the text was closed: a request that has all its files ends with bad_request.
    const Error extra{ErrorCode::kBadRequest, "more reference audio than the request announced"};
    if (found && (*found)->kind == PendingRequest::Kind::kSynthesize) return EndPending(id, extra);
    if (auto job = FindJob(id)) return context_->scheduler->Cancel(job, extra);
    // Not open, or a voice being saved (which is saved whatever comes now).
    return SendError(id, {ErrorCode::kUnknownRequest, "request " + std::to_string(id) + " is not waiting for reference audio"});
  }
  if (auto s = (*found)->upload.Add(frame.header.flags, frame.payload); !s) return EndPending(id, s.error());
  // The files of all of this connection's requests together stay under one request's worth.
  const size_t cap = (protocol::kMaxReferences + 1) * context_->config->max_reference_bytes;
  size_t held = 0;
  for (const auto& [other, request] : requests_) {
    if (auto* p = std::get_if<std::shared_ptr<PendingRequest>>(&request)) held += (*p)->upload.held_bytes();
  }
  if (held > cap) {
    return EndPending(id, {ErrorCode::kBusy, "this connection holds " + std::to_string(held) +
                                                 " bytes of reference audio; at most " + std::to_string(cap)});
  }
  MaybePrepare(id);
}

void Session::OnPendingText(uint32_t id, const protocol::Frame& frame) {
  PendingRequest& p = **Find<std::shared_ptr<PendingRequest>>(id);
  if (p.kind != PendingRequest::Kind::kSynthesize) return EndPending(id, {ErrorCode::kBadRequest, "voice_add takes no text"});
  if (p.request.final || p.text_closed) {
    return EndPending(id, {ErrorCode::kBadRequest, "text after the text was closed"});
  }
  auto text = protocol::ParseText(frame.payload);
  if (!text) return EndPending(id, text.error());
  p.text += *text;
  p.text_closed = (frame.header.flags & protocol::kFlagFinal) != 0;
  const size_t max = context_->config->engine.max_text_bytes;
  if (p.request.text.size() + p.text.size() > max) {
    return EndPending(id, {ErrorCode::kTextTooLong, "text is longer than " + std::to_string(max) + " bytes"});
  }
}

void Session::MaybePrepare(uint32_t id) {
  auto pending = *Find<std::shared_ptr<PendingRequest>>(id);
  if (pending->preparing || !pending->upload.complete()) return;
  pending->preparing = true;
  StyleInputs inputs;
  inputs.speaker_files = pending->upload.TakeSpeakerFiles();
  if (pending->request.emotion_reference) inputs.emotion_file = pending->upload.TakeEmotionFile();
  inputs.emotion = pending->request.emotion;
  inputs.emotion_text = pending->request.emotion_text;
  inputs.reference_text = pending->kind == PendingRequest::Kind::kSynthesize ? pending->request.reference_text
                                                                             : pending->add.reference_text;

  auto executor = this->executor();
  auto weak = weak_self();
  const uint64_t serial = pending->serial;
  const ReferenceLimits limits = context_->config->reference_limits();
  auto voice = pending->target.voice;
  if (pending->kind == PendingRequest::Kind::kSynthesize) {
    context_->scheduler->Post([=, inputs = std::move(inputs)] {
      auto style = PrepareStyle(*voice, inputs, limits);
      asio::post(executor, [=, style = std::move(style)]() mutable {
        if (auto self = weak.lock()) self->OnPrepared(id, serial, std::move(style));
      });
    });
    return;
  }
  VoiceStore* store = context_->store;
  const protocol::VoiceAdd add = pending->add;
  context_->scheduler->Post([=, inputs = std::move(inputs)] {
    Result<protocol::VoiceSaved> result = std::unexpected(Error{});
    auto style = PrepareStyle(*voice, inputs, limits);
    if (!style) {
      result = std::unexpected(style.error());
    } else {
      SavedVoice saved{add.name,           voice->name(),      std::move(style->speaker_embedding),
                       style->token_reference, style->references, style->reference_s,
                       VoiceStore::NowIso8601()};
      auto s = store->Save(saved, add.replace);
      if (s) {
        result = protocol::VoiceSaved{add.name, voice->name(), style->references, style->reference_s};
      } else {
        result = std::unexpected(s.error());
      }
    }
    asio::post(executor, [=, result = std::move(result)]() mutable {
      if (auto self = weak.lock()) self->OnVoiceSaved(id, serial, std::move(result));
    });
  });
}

std::shared_ptr<PendingRequest> Session::TakePending(uint32_t id, uint64_t serial) {
  auto* found = Find<std::shared_ptr<PendingRequest>>(id);
  if (!found || (*found)->serial != serial) return nullptr;  // cancelled or closed meanwhile
  auto pending = std::move(*found);
  requests_.erase(id);
  context_->open_requests.fetch_sub(1);
  return pending;
}

void Session::OnPrepared(uint32_t id, uint64_t serial, Result<Style> style) {
  auto pending = TakePending(id, serial);
  if (!pending) return;
  if (!style) {
    spdlog::info("request #{} refused: {}", serial, style.error().ToString());
    return RefuseSpeech(id, style.error(), pending->target.name);
  }
  const protocol::SynthesizeRequest& request = pending->request;
  // A saved voice's speaker, unless the references gave one; the emotion of all sources.
  engine::StreamOptions options = RequestOptions(request, pending->target.saved.get());
  options.text += pending->text;
  options.final = options.final || pending->text_closed;
  if (!style->speaker_embedding.empty() || style->token_reference) {
    options.speaker_embedding = std::move(style->speaker_embedding);
    options.reference = std::move(style->token_reference);
  }
  options.emotion = style->emotion;
  if (style->references > 0) {
    spdlog::info("request #{}: speaker cloned from {} references ({:.1f} s)", serial, style->references,
                 style->reference_s);
  }
  OpenStream(id, request, pending->target, std::move(options), serial);
}

void Session::OnVoiceAdd(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  if (id == 0) return Fail({ErrorCode::kBadRequest, "request id 0 is reserved for the connection"});
  if (auto error = CheckNewRequest(id)) return SendError(id, *error);
  auto add = protocol::ParseVoiceAdd(frame.payload);
  if (!add) return SendError(id, add.error());
  VoiceStore* store = context_->store;
  if (!store) return SendError(id, {ErrorCode::kNotSupported, "this ttsd keeps no saved voices"});
  if (context_->voices->Find(add->name)) {
    return SendError(id, {ErrorCode::kBadRequest, "'" + add->name + "' is the name of a voice package"});
  }
  if (!add->replace && store->Find(add->name)) {
    return SendError(id, {ErrorCode::kVoiceExists, "a saved voice named '" + add->name + "' exists; replace it to overwrite"});
  }
  auto base = context_->voices->Find(add->voice);
  if (!base) return SendError(id, base.error());
  const StyleNeeds needs{.clone = true, .references = true, .reference_text = !add->reference_text.empty()};
  if (auto s = CheckStyleSupport(**base, needs); !s) return SendError(id, s.error());
  auto pending = std::make_shared<PendingRequest>();
  pending->kind = PendingRequest::Kind::kVoiceAdd;
  pending->upload = ReferenceUpload(add->references, false, context_->config->max_reference_bytes);
  pending->target = ResolvedVoice{*base, (*base)->name(), nullptr};
  pending->add = std::move(*add);
  spdlog::info("connection {}: voice_add '{}' from voice {}", id_, pending->add.name, (*base)->name());
  Defer(id, std::move(pending));
}

void Session::OnVoiceSaved(uint32_t id, uint64_t serial, Result<protocol::VoiceSaved> saved) {
  auto pending = TakePending(id, serial);
  if (saved) {
    spdlog::info("voice '{}' saved: voice {}, {} references, {:.1f} s", saved->name, saved->voice, saved->references,
                 saved->seconds);
  } else {
    spdlog::info("voice_add '{}' failed: {}", pending ? pending->add.name : "?", saved.error().ToString());
  }
  if (!pending) return;
  if (!saved) return SendError(id, saved.error());
  Send(protocol::EncodeFrame(FrameType::kVoiceSaved, 0, id, protocol::Serialize(*saved)));
}

void Session::OnVoiceRemove(const protocol::Frame& frame) {
  const uint32_t id = frame.header.request_id;
  auto remove = protocol::ParseVoiceRemove(frame.payload);
  if (!remove) return SendError(id, remove.error());
  VoiceStore* store = context_->store;
  if (!store) return SendError(id, {ErrorCode::kNotSupported, "this ttsd keeps no saved voices"});
  if (context_->voices->Find(remove->name)) {
    return SendError(id, {ErrorCode::kBadRequest, "'" + remove->name + "' is a voice package, not a saved voice"});
  }
  auto executor = this->executor();
  auto weak = weak_self();
  const std::string name = remove->name;
  context_->scheduler->Post([=] {  // waits for the disk: not on the I/O thread
    Status removed = store->Remove(name);
    if (removed) spdlog::info("saved voice '{}' removed", name);
    asio::post(executor, [=] {
      auto self = weak.lock();
      if (!self) return;
      if (!removed) return self->SendError(id, removed.error());
      self->Send(protocol::EncodeFrame(FrameType::kVoiceRemoved, 0, id, protocol::Serialize(protocol::VoiceRemoved{name})));
    });
  });
}

void Session::EndPending(uint32_t id, const Error& error) {
  auto* found = Find<std::shared_ptr<PendingRequest>>(id);
  if (!found) return;
  spdlog::info("request #{} ended before it started: {}", (*found)->serial, error.ToString());
  if ((*found)->kind == PendingRequest::Kind::kSynthesize) CountSpeech((*found)->target.name, ErrorCodeName(error.code));
  requests_.erase(id);
  context_->open_requests.fetch_sub(1);
  SendError(id, error);
}

void Session::DropPending(ErrorCode reason) {
  const size_t dropped = std::erase_if(requests_, [&](const auto& r) {
    auto* pending = std::get_if<std::shared_ptr<PendingRequest>>(&r.second);
    if (pending && (*pending)->kind == PendingRequest::Kind::kSynthesize) {
      CountSpeech((*pending)->target.name, ErrorCodeName(reason));
    }
    return pending != nullptr;
  });
  context_->open_requests.fetch_sub(dropped);
}

void Session::ExpirePending(int timeout_s) {
  std::vector<uint32_t> stalled;
  for (const auto& [id, request] : requests_) {
    auto* p = std::get_if<std::shared_ptr<PendingRequest>>(&request);
    if (p && !(*p)->preparing) stalled.push_back(id);
  }
  for (uint32_t id : stalled) {
    EndPending(id, {ErrorCode::kTimeout, "the reference audio did not arrive within " + std::to_string(timeout_s) + " s"});
  }
}

}  // namespace ttsd::daemon
