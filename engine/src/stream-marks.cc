// Stream's inline tags ([pause:] [rate:] [volume:] [voice:]) and marks: what a tag changes, the silence
// of a pause, and where each sentence, word and phone is heard (Chunk::marks).
#include <algorithm>
#include <cmath>

#include "voice-impl.h"

namespace ttsd::engine {

Result<std::optional<frontend::InlineTag>> Stream::Tag(std::string_view sentence) {
  const State& st = *state_;
  auto tag = frontend::ParseInlineTag(sentence);
  if (tag && *tag && (*tag)->kind != frontend::TagKind::kPause) {
    if (auto applied = ApplyTag(**tag); !applied) tag = std::unexpected(applied.error());
  }
  if (!tag) {
    const std::string where = st.source.empty()
                                  ? "line " + std::to_string(st.splitter.line()) + ", column " +
                                        std::to_string(st.splitter.column())
                                  : "byte " + std::to_string(TextSpan(st.splitter.offset(), st.splitter.offset() + 1).first);
    return MakeError(tag.error().code, where + ": " + tag.error().message);
  }
  return tag;
}

std::pair<uint64_t, uint64_t> Stream::TextSpan(uint64_t begin, uint64_t end) const {
  const auto& source = state_->source;
  if (source.empty() || end <= begin || end > source.size()) return {begin, end};
  return {source[begin].begin, source[end - 1].end};
}

void Stream::LayOutMarks(const Prepared& p, const std::vector<int64_t>& phone_frames) {
  State& st = *state_;
  const VoiceManifest& m = voice_->manifest();
  const auto hop = static_cast<uint64_t>(m.hop_samples);
  const uint64_t base = sample_offset_;  // every earlier frame is out: this sentence's frame 0
  auto at = [&](uint32_t phone) { return base + static_cast<uint64_t>(phone_frames[phone]) * hop; };
  st.frames_end = at(static_cast<uint32_t>(phone_frames.size() - 1));
  st.spoke = true;
  if (p.words.empty()) return;
  st.last_word_end = at(p.words.back().end_phone);
  if (st.mark_level == MarkLevel::kNone) return;
  const auto delay = static_cast<uint64_t>(m.audio_delay_samples);
  auto mark = [&](MarkKind kind, uint64_t begin, uint64_t end, uint32_t first, uint32_t last, std::string text) {
    const auto [text_begin, text_end] = TextSpan(p.text_offset + begin, p.text_offset + end);
    st.marks.push_back(Mark{kind, text_begin, text_end, at(first) + delay, at(last) + delay, std::move(text)});
  };
  mark(MarkKind::kSentence, 0, p.sentence.size(), p.words.front().first_phone, p.words.back().end_phone, p.sentence);
  for (const frontend::SegmentWord& w : p.words) {
    mark(MarkKind::kWord, w.begin, w.end, w.first_phone, w.end_phone, p.sentence.substr(w.begin, w.end - w.begin));
    if (st.mark_level != MarkLevel::kPhones) continue;
    for (uint32_t ph = w.first_phone; ph < w.end_phone && ph < p.phones.size(); ++ph) {
      mark(MarkKind::kPhone, w.begin, w.end, ph, ph + 1, p.phones[ph]);
    }
  }
}

void Stream::TakeMarks(Chunk* chunk) {
  State& st = *state_;
  st.chunk_marks.clear();
  const uint64_t end = chunk->sample_offset + chunk->samples.size();
  while (!st.marks.empty() && (chunk->is_last || st.marks.front().start < end)) {
    st.chunk_marks.push_back(std::move(st.marks.front()));
    st.marks.pop_front();
  }
  chunk->marks = st.chunk_marks;
}

Status Stream::ApplyTag(const frontend::InlineTag& tag) {
  State& st = *state_;
  const Voice::Impl& impl = *voice_->impl_;
  if (st.tokens && tag.kind != frontend::TagKind::kVolume) {
    return MakeError(ErrorCode::kNotSupported,
                     "voice '" + voice_->name() + "' (GPT-SoVITS) takes [pause:] and [volume:] but no rate, pitch or voice changes");
  }
  switch (tag.kind) {
    case frontend::TagKind::kRate: st.rate = tag.value; break;
    case frontend::TagKind::kVolume: st.gain = static_cast<float>(tag.value); break;
    case frontend::TagKind::kVoice: {
      if (tag.voice.empty()) {
        st.speaker = st.own_speaker;
        break;
      }
      const auto& speakers = voice_->manifest().speakers;
      const auto it = std::ranges::find(speakers, tag.voice);
      if (it == speakers.end()) {
        return MakeError(ErrorCode::kUnknownSpeaker, "voice '" + voice_->name() + "' has no speaker '" + tag.voice +
                                                         "' (markup switches between the speakers of one voice)");
      }
      st.speaker = impl.speaker_embeddings[static_cast<size_t>(it - speakers.begin())];
      break;
    }
    case frontend::TagKind::kPitch:
      if (voice_->manifest().mel_fmax <= 0) {
        return MakeError(ErrorCode::kNotSupported, "voice '" + voice_->name() +
                                                       "' cannot change its pitch (its manifest has no mel_fmax)");
      }
      st.pitch = tag.value;
      break;
    case frontend::TagKind::kPause: break;  // StartPause
  }
  return {};
}

void Stream::StartPause(double ms) {
  State& st = *state_;
  const VoiceManifest& m = voice_->manifest();
  const int64_t hop = m.hop_samples;
  const auto wanted = static_cast<int64_t>(std::llround(ms * m.sample_rate / 1000.0));
  // From the last word's end: what the sentence's own pause already gives, then the added
  // silence, then the next sentence's one leading frame.
  const int64_t had = st.spoke ? static_cast<int64_t>(st.frames_end - st.last_word_end) : 0;
  const int64_t add = wanted - had - hop;
  st.after_pause = true;
  if (add <= 0) return;  // shorter than the pauses around it can be
  const int64_t frames = st.vocoder_started ? add / hop : 0;
  st.pause_zeros = static_cast<size_t>(add - frames * hop);
  if (frames == 0) return;
  // Silent frames: the last sentence's closing pause held on, so the audio goes on smoothly.
  st.hidden = st.hidden.narrow(0, st.hidden.size(0) - 1, 1);
  st.frame_phone.assign(static_cast<size_t>(frames), 0);
  st.frame_pos.resize(static_cast<size_t>(frames));
  for (int64_t i = 0; i < frames; ++i) st.frame_pos[i] = (static_cast<float>(i) + 0.5f) / static_cast<float>(frames);
  st.next_frame = 0;
  st.frames_end += static_cast<uint64_t>(frames * hop);
}

torch::Tensor PitchWarp(const VoiceManifest& m, double semitones, const torch::TensorOptions& options) {
  // out[:, j] = in at the frequency centre_j / ratio, linearly between the two nearest bins (the
  // edge bin beyond them): the spectrum moves up or down as a whole, formants with the pitch.
  auto mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  auto hz = [](double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); };
  const int64_t bins = m.mel_bins;
  const double lo = mel(m.mel_fmin), step = (mel(m.mel_fmax) - lo) / static_cast<double>(bins + 1);
  const double ratio = std::pow(2.0, semitones / 12.0);
  torch::Tensor w = torch::zeros({bins, bins}, torch::kFloat);
  auto a = w.accessor<float, 2>();
  for (int64_t j = 0; j < bins; ++j) {
    const double centre = hz(lo + step * static_cast<double>(j + 1));
    const double pos = std::clamp((mel(centre / ratio) - lo) / step - 1.0, 0.0, static_cast<double>(bins - 1));
    const auto k = static_cast<int64_t>(pos);
    const double frac = pos - static_cast<double>(k);
    a[k][j] += static_cast<float>(1.0 - frac);
    if (k + 1 < bins) a[k + 1][j] += static_cast<float>(frac);
  }
  return w.to(options);
}

}  // namespace ttsd::engine
