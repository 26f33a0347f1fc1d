#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "voice-impl.h"

namespace ttsd::engine {
namespace {

using Clock = std::chrono::steady_clock;

double MsBetween(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }
double MsSince(Clock::time_point t) { return MsBetween(t, Clock::now()); }

}  // namespace

Stream::Stream(std::shared_ptr<const Voice> voice) : voice_(std::move(voice)), state_(std::make_unique<State>()) {}
Stream::~Stream() = default;

int Stream::sample_rate() const { return voice_->sample_rate(); }

Status Stream::Append(std::string_view text) {
  State& st = *state_;
  if (st.splitter.closed()) return MakeError(ErrorCode::kBadRequest, "text appended after the request was closed");
  st.text_bytes += text.size();
  if (st.text_bytes > voice_->config().max_text_bytes) {
    return MakeError(ErrorCode::kTextTooLong,
                     "text exceeds the limit of " + std::to_string(voice_->config().max_text_bytes) + " bytes");
  }
  if (st.markup == State::Markup::kUndecided) {
    // SSML when the text starts with "<speak" (or "<?xml"); held back until that is known.
    st.head += text;
    const size_t start = st.head.find_first_not_of(" \t\r\n");
    if (start == std::string::npos) return {};
    const std::string_view head = std::string_view(st.head).substr(start);
    const bool xml = head.starts_with("<speak") || head.starts_with("<?xml");
    if (!xml && head.size() < 6 && std::string_view("<speak").starts_with(head)) return {};  // not yet known
    if (!xml && head.size() < 5 && std::string_view("<?xml").starts_with(head)) return {};
    st.markup = xml ? State::Markup::kSsml : State::Markup::kPlain;
    if (xml) st.ssml = std::make_unique<frontend::SsmlReader>();
    std::string held = std::move(st.head);
    st.head.clear();
    return Feed(held);
  }
  return Feed(text);
}

void Stream::UseSsml() {
  state_->markup = State::Markup::kSsml;
  state_->ssml = std::make_unique<frontend::SsmlReader>();
}

Status Stream::Feed(std::string_view text) {
  State& st = *state_;
  if (!st.ssml) {
    if (text.find_first_not_of(" \t\r\n") != std::string_view::npos) st.got_text = true;
    st.splitter.Append(text);
    return {};
  }
  std::string converted;
  if (auto s = st.ssml->Append(text, &converted, &st.source); !s) return s;
  if (converted.find_first_not_of(" \t\r\n") != std::string::npos) st.got_text = true;
  st.splitter.Append(converted);
  return {};
}

Status Stream::Flush() {
  State& st = *state_;
  if (st.splitter.closed()) return MakeError(ErrorCode::kBadRequest, "flush after the request was closed");
  if (st.markup == State::Markup::kUndecided) {  // what is held is all there is: decide now
    st.markup = State::Markup::kPlain;
    std::string held = std::move(st.head);
    st.head.clear();
    if (auto s = Feed(held); !s) return s;
  }
  st.splitter.Flush();
  return {};
}

Status Stream::Close() {
  State& st = *state_;
  if (st.markup == State::Markup::kUndecided) {  // too short to be SSML
    st.markup = State::Markup::kPlain;
    std::string held = std::move(st.head);
    st.head.clear();
    if (auto s = Feed(held); !s) return s;
  }
  if (st.ssml && !st.splitter.closed()) {
    std::string converted;
    if (auto s = st.ssml->Close(&converted, &st.source); !s) return s;
    if (converted.find_first_not_of(" \t\r\n") != std::string::npos) st.got_text = true;
    st.splitter.Append(converted);
  }
  st.splitter.Close();
  if (!st.got_text) return MakeError(ErrorCode::kEmptyText, "the request has no text");
  return {};
}

Result<bool> Stream::Encode(const std::string& sentence, uint64_t text_offset, Prepared* out) {
  const Voice::Impl& impl = *voice_->impl_;
  State& st = *state_;
  const auto frontend_start = Clock::now();
  auto segment = impl.frontend->Phonemize(sentence);
  if (!segment) {
    if (segment.error().code == ErrorCode::kEmptyText) return false;
    return std::unexpected(segment.error());
  }
  auto ids = impl.PhoneIds(segment->phones);
  if (!ids) return std::unexpected(ids.error());
  const auto encoder_start = Clock::now();
  times_.frontend_ms += MsBetween(frontend_start, encoder_start);
  auto encoded = Guarded("encoder", [&] {
    auto phones = torch::from_blob(ids->data(), {1, static_cast<int64_t>(ids->size())}, torch::kLong).to(impl.device);
    std::vector<c10::IValue> args{phones, st.speaker};
    if (st.emotion.defined()) args.emplace_back(st.emotion);
    auto tuple = impl.encoder.forward(args).toTuple();
    return std::pair{tuple->elements()[0].toTensor(), tuple->elements()[1].toTensor()};
  });
  if (!encoded) return std::unexpected(encoded.error());
  out->hidden = encoded->first.squeeze(0);
  torch::Tensor d = encoded->second.to(torch::kCPU, torch::kFloat).contiguous().view({-1});
  out->durations.assign(d.data_ptr<float>(), d.data_ptr<float>() + d.numel());
  const auto speed = static_cast<float>(st.speed * st.rate);
  for (float& f : out->durations) f = std::isfinite(f) ? std::max(0.0f, f) / speed : 0.0f;
  times_.encoder_ms += MsSince(encoder_start);
  out->text = std::move(segment->text);
  // In slow and fast reading pauses change most, vowels more than consonants.
  out->elasticity.resize(segment->phones.size());
  for (size_t i = 0; i < segment->phones.size(); ++i) {
    const std::string& ph = segment->phones[i];
    const bool vowel = !ph.empty() && std::isdigit(static_cast<unsigned char>(ph.back()));
    out->elasticity[i] = ph == "pau" ? 1.5f : vowel ? 1.0f : 0.6f;
  }
  // Beside a [pause:] the sentence's own pause is one frame: the tag says how long the pause is.
  auto fix = [&](size_t i) {
    if (segment->phones[i] != "pau") return;
    out->durations[i] = 1.0f;
    out->elasticity[i] = 0.0f;
  };
  if (st.after_pause) fix(0);
  if (st.splitter.PauseNext()) fix(segment->phones.size() - 1);
  st.after_pause = false;
  out->sentence = sentence;
  out->text_offset = text_offset;
  out->words = std::move(segment->words);
  if (st.mark_level == MarkLevel::kPhones) out->phones = std::move(segment->phones);
  out->gain = st.gain;
  out->pitch = st.pitch;
  return true;
}

void Stream::ExpandFrames(Prepared sentence) {
  State& st = *state_;
  st.hidden = std::move(sentence.hidden);
  st.frame_phone.clear();
  st.frame_pos.clear();
  st.next_frame = 0;
  // Cumulative rounding keeps the total length unbiased; every phone gets at least one frame.
  if (!st.rounding_spans_sentences) {
    st.cumulative = 0;
    st.emitted = 0;
  }
  std::vector<int64_t> phone_frames;  // where each phone starts, then the end
  phone_frames.reserve(sentence.durations.size() + 1);
  for (size_t p = 0; p < sentence.durations.size(); ++p) {
    phone_frames.push_back(static_cast<int64_t>(st.frame_phone.size()));
    int64_t frames = 0;
    if (sentence.elasticity[p] == 0.0f) {  // fixed beside a [pause:]: exactly, the rounding untouched
      frames = std::max<int64_t>(1, std::llround(sentence.durations[p]));
      st.cumulative += static_cast<double>(frames);
    } else {
      st.cumulative += sentence.durations[p];
      frames = std::max<int64_t>(1, std::llround(st.cumulative) - st.emitted);
    }
    for (int64_t i = 0; i < frames; ++i) {
      st.frame_phone.push_back(static_cast<int64_t>(p));
      st.frame_pos.push_back((static_cast<float>(i) + 0.5f) / static_cast<float>(frames));
    }
    st.emitted += frames;
  }
  phone_frames.push_back(static_cast<int64_t>(st.frame_phone.size()));
  st.sentence_gain = sentence.gain;
  if (sentence.pitch != st.warp_pitch) {
    const Voice::Impl& impl = *voice_->impl_;
    st.pitch_warp = sentence.pitch == 0 ? torch::Tensor()
                                        : PitchWarp(voice_->manifest(), sentence.pitch,
                                                    torch::TensorOptions().dtype(impl.dtype).device(impl.device));
    st.warp_pitch = sentence.pitch;
  }
  st.in_pause = false;
  LayOutMarks(sentence, phone_frames);
  SPDLOG_LOGGER_DEBUG(EngineLog(), "sentence of {} phones, {} frames: {}", sentence.durations.size(), st.frame_phone.size(),
                      sentence.text);
}

Status Stream::PrepareDuration(double seconds) {
  const Voice& voice = *voice_;
  State& st = *state_;
  c10::InferenceMode guard;
  // Encode every sentence now: the scale depends on the natural length of the whole text. Tags
  // take effect in order; pauses wait in the queue and keep their length.
  const VoiceManifest& m = voice.manifest();
  double pause_frames = 0;
  bool sentence_before = false;
  for (std::string sentence = st.splitter.Next(); !sentence.empty(); sentence = st.splitter.Next()) {
    auto tag = Tag(sentence);
    if (!tag) return std::unexpected(tag.error());
    if (*tag) {
      if ((*tag)->kind != frontend::TagKind::kPause) continue;  // applied by Tag()
      Prepared pause;
      pause.pause_ms = (*tag)->value;
      // What the pause adds beyond the one fixed frame on either side (PrepareDuration's twin of StartPause).
      const double frames = pause.pause_ms * m.sample_rate / 1000.0 / m.hop_samples - (sentence_before ? 2 : 1);
      pause_frames += std::max(0.0, frames);
      st.after_pause = true;
      st.prepared.push_back(std::move(pause));
      continue;
    }
    Prepared p;
    auto got = Encode(sentence, st.splitter.offset(), &p);
    if (!got) return std::unexpected(got.error());
    if (*got) st.prepared.push_back(std::move(p));
    sentence_before = sentence_before || *got;
  }
  st.after_pause = false;
  if (!sentence_before) return MakeError(ErrorCode::kEmptyText, "nothing speakable in the text");
  double natural = 0, fixed = 0;
  for (const Prepared& p : st.prepared) {
    for (size_t i = 0; i < p.durations.size(); ++i) (p.elasticity[i] == 0.0f ? fixed : natural) += p.durations[i];
  }
  const double target =
      (seconds * m.sample_rate - static_cast<double>(voice.impl_->flush_samples)) / m.hop_samples - pause_frames - fixed;
  const double ratio = target / std::max(natural, 1.0);  // the fixed pauses aside
  if (!(ratio >= protocol::kMinSpeed && ratio <= protocol::kMaxSpeed)) {  // as far as speed could take it
    char buf[160];
    std::snprintf(buf, sizeof buf, "duration %.2f s is outside %s-%sx the natural length of this text (%.2f s)",
                  seconds, protocol::LimitText(protocol::kMinSpeed).c_str(),
                  protocol::LimitText(protocol::kMaxSpeed).c_str(),
                  (natural * m.hop_samples + static_cast<double>(voice.impl_->flush_samples)) / m.sample_rate);
    return MakeError(ErrorCode::kBadRequest, buf);
  }
  // Phone p is scaled by q^elasticity_p; q is found by bisection so that the total is the target.
  auto total = [&](double log_q) {
    double sum = 0;
    for (const Prepared& p : st.prepared) {
      for (size_t i = 0; i < p.durations.size(); ++i) {
        if (p.elasticity[i] != 0.0f) sum += p.durations[i] * std::exp(log_q * p.elasticity[i]);
      }
    }
    return sum;
  };
  double lo = std::log(0.05), hi = std::log(20.0);
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (total(mid) < target ? lo : hi) = mid;
  }
  const double log_q = 0.5 * (lo + hi);
  for (Prepared& p : st.prepared) {
    for (size_t i = 0; i < p.durations.size(); ++i) {
      p.durations[i] *= static_cast<float>(std::exp(log_q * p.elasticity[i]));
    }
  }
  st.rounding_spans_sentences = true;
  return {};
}

Result<std::optional<StepResult>> Stream::Begin(Chunk* chunk, StepInput* step) {
  if (finished_) return MakeError(ErrorCode::kBadRequest, "stream already finished");
  if (cancelled_.load(std::memory_order_relaxed)) {
    finished_ = true;
    return MakeError(ErrorCode::kCancelled, "request cancelled");
  }
  const Voice::Impl& impl = *voice_->impl_;
  const EngineConfig& config = voice_->config();
  State& st = *state_;

  // Find a sentence with frames left, encoding the next one when the current is spent.
  while (st.next_frame >= st.frame_phone.size()) {
    if (st.pause_zeros > 0) {  // the last samples of a pause, which no frame could give
      st.audio.assign(st.pause_zeros, 0.0f);
      st.frames_end += st.pause_zeros;
      st.pause_zeros = 0;
      *chunk = Chunk{st.audio, sample_offset_, false, {}};
      sample_offset_ += st.audio.size();
      TakeMarks(chunk);
      return StepResult::kChunk;
    }
    if (!st.prepared.empty()) {
      Prepared p = std::move(st.prepared.front());
      st.prepared.pop_front();
      if (p.pause_ms >= 0) {
        StartPause(p.pause_ms);
      } else {
        ExpandFrames(std::move(p));
      }
      continue;
    }
    std::string sentence = st.splitter.Next();
    if (sentence.empty()) {
      if (!st.splitter.Done()) return StepResult::kNeedText;
      // End of the request: whatever the vocoder still holds is the last chunk.
      st.audio.clear();
      if (st.vocoder_started) {
        const auto flush_start = Clock::now();
        auto tail = Guarded("vocoder flush", [&] {
          return impl.vocoder.get_method("flush")({st.vocoder_state}).toTensor();
        });
        if (!tail) {
          finished_ = true;
          return std::unexpected(tail.error());
        }
        torch::Tensor t = tail->to(torch::kCPU, torch::kFloat).contiguous().view({-1});
        st.audio.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
        times_.vocoder_ms += MsSince(flush_start);
      }
      *chunk = Chunk{st.audio, sample_offset_, true, {}};
      sample_offset_ += st.audio.size();
      TakeMarks(chunk);
      finished_ = true;
      return StepResult::kChunk;
    }
    auto tag = Tag(sentence);
    if (!tag) {
      finished_ = true;
      return std::unexpected(tag.error());
    }
    if (*tag) {
      if ((*tag)->kind == frontend::TagKind::kPause) StartPause((*tag)->value);
      continue;
    }
    Prepared sentence_prepared;
    auto got = Encode(sentence, st.splitter.offset(), &sentence_prepared);
    if (!got) {
      finished_ = true;
      return std::unexpected(got.error());
    }
    if (!*got) continue;  // nothing speakable in this piece
    ExpandFrames(std::move(sentence_prepared));
  }

  const int want = st.chunks == 0 ? config.first_chunk_frames : config.chunk_frames;
  const int64_t n = std::min<int64_t>(want, static_cast<int64_t>(st.frame_phone.size() - st.next_frame));
  const auto cond_start = Clock::now();
  auto cond = Guarded("synthesis", [&] {
    const auto opts = torch::TensorOptions().dtype(impl.dtype).device(impl.device);
    auto idx = torch::from_blob(st.frame_phone.data() + st.next_frame, {n}, torch::kLong).to(impl.device);
    auto pos = torch::from_blob(st.frame_pos.data() + st.next_frame, {n, 1}, torch::kFloat).to(opts);
    return torch::cat({st.hidden.index_select(0, idx), pos}, 1).unsqueeze(0);  // [1, n, C]
  });
  if (!cond) {
    finished_ = true;
    return std::unexpected(cond.error());
  }
  times_.acoustic_ms += MsSince(cond_start);
  *step = StepInput{n, std::move(*cond)};
  return std::nullopt;
}

namespace {

// One batch from the streams' states: each state tensor of the list concatenated along dim 0.
c10::IValue StackStates(const std::vector<c10::IValue>& states) {
  if (states.size() == 1) return states[0];
  std::vector<std::vector<torch::Tensor>> lists;
  lists.reserve(states.size());
  for (const auto& s : states) lists.push_back(s.toTensorVector());
  c10::List<torch::Tensor> out;
  for (size_t k = 0; k < lists[0].size(); ++k) {
    std::vector<torch::Tensor> parts;
    parts.reserve(lists.size());
    for (const auto& l : lists) parts.push_back(l.at(k));
    out.push_back(torch::cat(parts, 0));
  }
  return out;
}

// The inverse of StackStates: stream i's state is row i of every tensor.
std::vector<c10::IValue> UnstackStates(const c10::IValue& batched, size_t streams) {
  if (streams == 1) return {batched};
  const auto list = batched.toTensorVector();
  std::vector<c10::IValue> out;
  out.reserve(streams);
  for (size_t i = 0; i < streams; ++i) {
    c10::List<torch::Tensor> rows;
    for (const auto& t : list) {
      if (t.dim() == 0 || t.size(0) != static_cast<int64_t>(streams)) {
        throw std::runtime_error("a state tensor is not batched on its first dimension");
      }
      rows.push_back(t.narrow(0, static_cast<int64_t>(i), 1));
    }
    out.emplace_back(std::move(rows));
  }
  return out;
}

}  // namespace

// Model steps of streams of one voice with equal frame counts, run as one batch.
struct StepBatch {
  // Audio per stream, on the CPU as float.
  static Result<std::vector<torch::Tensor>> Run(std::span<Stream* const> group, std::span<const StepInput> steps);
  static StepResult Deliver(Stream& s, const torch::Tensor& audio, int64_t frames, Chunk* chunk);
};

Result<std::vector<torch::Tensor>> StepBatch::Run(std::span<Stream* const> group, std::span<const StepInput> steps) {
  using State = Stream::State;
  const Voice::Impl& impl = *group[0]->voice_->impl_;
  const VoiceManifest& m = group[0]->voice_->manifest();
  const size_t batch = group.size();
  const int64_t n = steps[0].frames;
  const auto acoustic_start = Clock::now();
  Clock::time_point vocoder_start;
  auto rows = Guarded("synthesis", [&] {
    const auto opts = torch::TensorOptions().dtype(impl.dtype).device(impl.device);
    std::vector<torch::Tensor> conds;
    std::vector<c10::IValue> acoustic_states, vocoder_states;
    for (size_t i = 0; i < batch; ++i) {
      State& st = *group[i]->state_;
      if (st.acoustic_state.isNone()) st.acoustic_state = impl.acoustic.get_method("initial_state")({});
      if (!st.vocoder_started) {
        st.vocoder_state = impl.vocoder.get_method("initial_state")({});
        st.vocoder_started = true;
      }
      conds.push_back(steps[i].cond);
      acoustic_states.push_back(st.acoustic_state);
      vocoder_states.push_back(st.vocoder_state);
    }
    torch::Tensor cond = batch == 1 ? conds[0] : torch::cat(conds, 0);  // [B, n, C]
    c10::IValue acoustic_state = StackStates(acoustic_states);
    torch::Tensor mel;
    if (m.acoustic_type == "autoregressive") {
      std::vector<torch::Tensor> prevs;
      for (Stream* s : group) {
        State& st = *s->state_;
        if (!st.prev_frame.defined()) st.prev_frame = torch::zeros({1, m.mel_bins}, opts);
        prevs.push_back(st.prev_frame);
      }
      torch::Tensor prev = batch == 1 ? prevs[0] : torch::cat(prevs, 0);  // [B, M]
      std::vector<torch::Tensor> frames;
      frames.reserve(n);
      auto step = impl.acoustic.get_method("step");
      for (int64_t i = 0; i < n; ++i) {
        auto out = step({cond.select(1, i), prev, acoustic_state}).toTuple();
        prev = out->elements()[0].toTensor();
        acoustic_state = out->elements()[1];
        frames.push_back(prev);
      }
      for (size_t i = 0; i < batch; ++i) group[i]->state_->prev_frame = prev.narrow(0, static_cast<int64_t>(i), 1);
      mel = torch::stack(frames, 1);  // [B, n, M]
    } else {
      auto out = impl.acoustic.forward({cond, acoustic_state}).toTuple();
      mel = out->elements()[0].toTensor();
      acoustic_state = out->elements()[1];
    }
    // [pitch:]: each shifted row through its stream's warp.
    if (std::ranges::any_of(group, [](Stream* s) { return s->state_->pitch_warp.defined(); })) {
      std::vector<torch::Tensor> rows;
      for (size_t i = 0; i < batch; ++i) {
        torch::Tensor row = mel.narrow(0, static_cast<int64_t>(i), 1);
        const torch::Tensor& warp = group[i]->state_->pitch_warp;
        rows.push_back(warp.defined() ? torch::matmul(row, warp.to(row.dtype())) : row);
      }
      mel = torch::cat(rows, 0);
    }
    vocoder_start = Clock::now();
    auto out = impl.vocoder.forward({mel.to(torch::kFloat), StackStates(vocoder_states)}).toTuple();  // float32 (Load)
    auto acoustic_each = UnstackStates(acoustic_state, batch);
    auto vocoder_each = UnstackStates(out->elements()[1], batch);
    torch::Tensor audio = out->elements()[0].toTensor().to(torch::kCPU, torch::kFloat).contiguous();  // [B, n * hop]
    if (audio.dim() != 2 || audio.size(0) != static_cast<int64_t>(batch)) {
      throw std::runtime_error("vocoder output is not [batch, samples]");
    }
    std::vector<torch::Tensor> rows;
    for (size_t i = 0; i < batch; ++i) {
      group[i]->state_->acoustic_state = std::move(acoustic_each[i]);
      group[i]->state_->vocoder_state = std::move(vocoder_each[i]);
      rows.push_back(audio.select(0, static_cast<int64_t>(i)));
    }
    return rows;
  });
  if (rows) {
    const double share = 1.0 / static_cast<double>(batch);
    const double acoustic_ms = MsBetween(acoustic_start, vocoder_start);
    const double vocoder_ms = MsSince(vocoder_start);
    for (Stream* s : group) {
      s->times_.acoustic_ms += acoustic_ms * share;
      s->times_.vocoder_ms += vocoder_ms * share;
      s->times_.steps++;
    }
  }
  return rows;
}

StepResult StepBatch::Deliver(Stream& s, const torch::Tensor& audio, int64_t frames, Chunk* chunk) {
  Stream::State& st = *s.state_;
  st.next_frame += static_cast<size_t>(frames);
  st.chunks++;
  st.audio.assign(audio.data_ptr<float>(), audio.data_ptr<float>() + audio.numel());
  if (st.sentence_gain != 1.0f) {
    for (float& x : st.audio) x = std::clamp(x * st.sentence_gain, -1.0f, 1.0f);
  }
  *chunk = Chunk{st.audio, s.sample_offset_, false, {}};
  s.sample_offset_ += st.audio.size();
  s.TakeMarks(chunk);
  return StepResult::kChunk;
}

std::vector<Result<StepResult>> Stream::NextBatch(std::span<Stream* const> streams, std::span<Chunk> chunks) {
  c10::InferenceMode guard;
  std::vector<Result<StepResult>> results(streams.size(), StepResult::kChunk);
  std::vector<StepInput> steps(streams.size());
  std::vector<size_t> pending;  // streams that need a model step
  for (size_t i = 0; i < streams.size(); ++i) {
    if (streams[i]->state_->tokens) {  // token voices step alone (token-stream.cc)
      results[i] = streams[i]->NextTokens(&chunks[i]);
      continue;
    }
    auto begun = streams[i]->Begin(&chunks[i], &steps[i]);
    if (!begun) {
      results[i] = std::unexpected(begun.error());
    } else if (*begun) {
      results[i] = **begun;
    } else {
      pending.push_back(i);
    }
  }
  // Steps of one batching voice with the same frame count run together; the rest one by one.
  while (!pending.empty()) {
    const size_t first = pending.front();
    const Voice* voice = streams[first]->voice_.get();
    std::vector<size_t> members, rest;
    for (size_t i : pending) {
      const bool joins = i == first || (voice->manifest().batching && streams[i]->voice_.get() == voice &&
                                        steps[i].frames == steps[first].frames);
      (joins ? members : rest).push_back(i);
    }
    pending = std::move(rest);
    std::vector<Stream*> group;
    std::vector<StepInput> inputs;
    for (size_t i : members) {
      group.push_back(streams[i]);
      inputs.push_back(std::move(steps[i]));
    }
    auto audio = StepBatch::Run(group, inputs);
    for (size_t k = 0; k < members.size(); ++k) {
      Stream& s = *group[k];
      if (!audio) {
        s.finished_ = true;
        results[members[k]] = std::unexpected(audio.error());
      } else {
        results[members[k]] = StepBatch::Deliver(s, (*audio)[k], inputs[k].frames, &chunks[members[k]]);
      }
    }
  }
  return results;
}

Result<StepResult> Stream::Next(Chunk* chunk) {
  Stream* self = this;
  return NextBatch(std::span(&self, 1), std::span(chunk, 1)).front();
}

}  // namespace ttsd::engine
