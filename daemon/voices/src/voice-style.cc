#include "ttsd/daemon/voice-style.h"

#include <algorithm>

namespace ttsd::daemon {
namespace {

constexpr float kMaxWeight = static_cast<float>(protocol::kMaxEmotionWeight);  // of one emotion axis

void AddClipped(engine::EmotionVector* sum, const engine::EmotionVector& v) {
  for (size_t i = 0; i < engine::kEmotionAxes; ++i) (*sum)[i] = std::clamp((*sum)[i] + v[i], 0.0f, kMaxWeight);
}

}  // namespace

StyleNeeds StyleNeeds::Of(const protocol::SynthesizeRequest& request, bool saved_voice) {
  StyleNeeds n;
  n.clone = request.references > 0 || saved_voice;
  n.references = request.references > 0;
  n.reference_text = !request.reference_text.empty();
  n.emotion_text = !request.emotion_text.empty();
  n.emotion_audio = request.emotion_reference;
  n.emotion = request.emotion.has_value() || n.emotion_text || n.emotion_audio;
  return n;
}

Status CheckStyleSupport(const engine::Voice& voice, const StyleNeeds& needs) {
  const std::string name = "voice '" + voice.name() + "'";
  if (voice.takes_reference_text()) {
    if (needs.references && !needs.reference_text) {
      return MakeError(ErrorCode::kBadRequest,
                       name + " (GPT-SoVITS) needs the transcript of its first reference ('reference_text', ttsc "
                              "--ref-text): ttsd does not run upstream's reference-free mode");
    }
  } else if (needs.reference_text) {
    return MakeError(ErrorCode::kNotSupported, name + " takes no reference transcript (only GPT-SoVITS voices do)");
  }
  if (needs.clone && !voice.can_clone() && !voice.takes_reference_text()) {
    return MakeError(ErrorCode::kNotSupported, name + " cannot clone speakers (it has no speaker encoder)");
  }
  if (needs.emotion && !voice.has_emotion()) {
    return MakeError(ErrorCode::kNotSupported, name + " has no emotion control");
  }
  if (needs.emotion_text && !voice.has_emotion_text()) {
    return MakeError(ErrorCode::kNotSupported, name + " cannot read emotion descriptions (no emotion_text stage)");
  }
  if (needs.emotion_audio && !voice.has_emotion_audio()) {
    return MakeError(ErrorCode::kNotSupported, name + " cannot hear emotion in audio (no emotion_encoder stage)");
  }
  return {};
}

Status CheckSavedVoice(const SavedVoice& saved, const engine::Voice& base) {
  const bool fits = base.takes_reference_text() ? saved.reference != nullptr
                                                : saved.embedding.size() == base.speaker_dim() && base.speaker_dim() > 0;
  if (!fits) {
    return MakeError(ErrorCode::kModelError, "saved voice '" + saved.name + "' was made for another version of voice '" +
                                                 base.name() + "'; add it again from its recordings");
  }
  return {};
}

void UseSavedVoice(const SavedVoice& saved, engine::StreamOptions* options) {
  if (saved.reference) {
    options->reference = saved.reference;
  } else {
    options->speaker_embedding = saved.embedding;
  }
}

engine::StreamOptions RequestOptions(const protocol::SynthesizeRequest& request, const SavedVoice* saved) {
  engine::StreamOptions options;
  options.speaker = request.speaker;
  options.text = request.text;
  options.final = request.final;
  options.speed = request.speed;
  options.duration_s = request.duration_s;
  options.emotion_alpha = request.emotion_alpha;
  options.top_k = static_cast<int>(request.top_k);
  options.top_p = request.top_p;
  options.temperature = request.temperature;
  options.repetition_penalty = request.repetition_penalty;
  options.seed = request.seed;
  options.marks = static_cast<engine::MarkLevel>(request.marks);  // the same three levels
  options.ssml = request.ssml;
  if (saved) UseSavedVoice(*saved, &options);
  if (request.emotion) options.emotion = ToEmotionVector(*request.emotion);
  return options;
}

engine::EmotionVector ToEmotionVector(const protocol::EmotionWeights& weights) {
  engine::EmotionVector v{};
  for (size_t i = 0; i < engine::kEmotionAxes; ++i) v[i] = std::clamp(static_cast<float>(weights[i]), 0.0f, kMaxWeight);
  return v;
}

Result<Style> PrepareStyle(const engine::Voice& voice, const StyleInputs& inputs, const ReferenceLimits& limits) {
  Style style;
  const int rate = voice.sample_rate();
  if (!inputs.speaker_files.empty()) {
    std::vector<ReferenceAudio> decoded;
    for (size_t i = 0; i < inputs.speaker_files.size(); ++i) {
      auto audio = DecodeReference(inputs.speaker_files[i], rate, limits, "reference " + std::to_string(i + 1));
      if (!audio) return std::unexpected(audio.error());
      decoded.push_back(std::move(*audio));
    }
    if (auto s = CheckSpeakerReferences(decoded, limits); !s) return std::unexpected(s.error());
    std::vector<std::vector<float>> samples;
    for (auto& d : decoded) {
      style.reference_s += d.seconds;
      samples.push_back(std::move(d.samples));
    }
    if (voice.takes_reference_text()) {
      auto reference = voice.PrepareReference(samples, inputs.reference_text);
      if (!reference) return std::unexpected(reference.error());
      style.token_reference = std::make_shared<const engine::TokenReference>(std::move(*reference));
    } else {
      auto embedding = voice.EmbedSpeaker(samples);
      if (!embedding) return std::unexpected(embedding.error());
      style.speaker_embedding = std::move(*embedding);
    }
    style.references = static_cast<uint32_t>(samples.size());
  }

  std::optional<engine::EmotionVector> emotion;
  auto add = [&](const engine::EmotionVector& v) {
    if (!emotion) emotion = engine::EmotionVector{};
    AddClipped(&*emotion, v);
  };
  if (inputs.emotion) add(ToEmotionVector(*inputs.emotion));
  if (!inputs.emotion_text.empty()) {
    auto v = voice.EmotionFromText(inputs.emotion_text);
    if (!v) return std::unexpected(v.error());
    add(*v);
  }
  if (inputs.emotion_file) {
    auto audio = DecodeReference(*inputs.emotion_file, rate, limits, "emotion reference");
    if (!audio) return std::unexpected(audio.error());
    auto v = voice.EmotionFromAudio(audio->samples);
    if (!v) return std::unexpected(v.error());
    add(*v);
  }
  style.emotion = emotion;
  return style;
}

}  // namespace ttsd::daemon
