// Stream::Next for token voices (GPT-SoVITS): a sentence's phones prefill the token model, decode
// steps add one token each, and whenever enough tokens wait a bounded window of them is vocoded and
// joined onto what went out before (token-joiner.h). Sentences follow each other with 0.3 s between.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "voice-impl.h"

namespace ttsd::engine {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

constexpr size_t kSentencePause = 32000 * 3 / 10;  // samples of silence between sentences (upstream's 0.3 s)

}  // namespace

Result<StepResult> Stream::NextTokens(Chunk* chunk) {
  const GptSovitsModel& model = *voice_->impl_->gpt_sovits;
  State& st = *state_;
  TokenState& ts = *st.tokens;
  auto fail = [this](const Error& e) -> Result<StepResult> {
    finished_ = true;
    return std::unexpected(e);
  };
  if (finished_) return MakeError(ErrorCode::kBadRequest, "stream already finished");
  c10::InferenceMode guard;

  while (true) {
    if (cancelled_.load(std::memory_order_relaxed)) return fail(Error{ErrorCode::kCancelled, "request cancelled"});
    if (!ts.decode) {
      std::string sentence = st.splitter.Next();
      if (sentence.empty()) {
        if (!st.splitter.Done()) return StepResult::kNeedText;
        st.audio.clear();  // the text ended with nothing speakable after the last sentence
        *chunk = Chunk{st.audio, sample_offset_, true, {}};
        finished_ = true;
        return StepResult::kChunk;
      }
      auto tag = Tag(sentence);
      if (!tag) return fail(tag.error());
      if (*tag) {
        if ((*tag)->kind == frontend::TagKind::kPause) {
          ts.pause = static_cast<size_t>(std::llround((*tag)->value * voice_->sample_rate() / 1000.0));
        }
        continue;
      }
      const auto frontend_start = Clock::now();
      auto segment = voice_->impl_->frontend->Phonemize(sentence);
      if (!segment) {
        if (segment.error().code == ErrorCode::kEmptyText) continue;
        return fail(segment.error());
      }
      auto input = model.SentenceInput(*segment, sentence);
      if (!input) {
        if (input.error().code == ErrorCode::kEmptyText) continue;
        return fail(input.error());
      }
      times_.frontend_ms += MsSince(frontend_start);
      const auto prefill_start = Clock::now();
      auto decode = Guarded("token model", [&] {
        ts.text_seq = torch::tensor(input->ids, torch::kLong).view({1, -1}).to(model.device());
        return model.Prefill(*ts.reference, ts.text_seq, input->bert);
      });
      if (!decode) return fail(decode.error());
      times_.encoder_ms += MsSince(prefill_start);
      ts.decode = std::move(*decode);
      ts.joiner.Reset();
      const auto [text_begin, text_end] = TextSpan(st.splitter.offset(), st.splitter.offset() + sentence.size());
      ts.sentence_mark = Mark{MarkKind::kSentence, text_begin, text_end, 0, 0, sentence};
      st.sentence_gain = st.gain;
      SPDLOG_LOGGER_DEBUG(EngineLog(), "token sentence of {} phones: {}", input->ids.size(), segment->text);
    }

    // Tokens until a window is ready (or the sentence ends).
    TokenDecode& d = *ts.decode;
    const int64_t want = st.chunks == 0 ? TokenState::kFirstTokens : TokenState::kChunkTokens;
    const auto steps_start = Clock::now();
    while (!d.ended && !ts.joiner.Next(d.generated(), false, want)) {
      if (cancelled_.load(std::memory_order_relaxed)) return fail(Error{ErrorCode::kCancelled, "request cancelled"});
      if (d.generated() >= kGptSovitsMaxTokens) {
        return fail(Error{ErrorCode::kModelError, "the token model gave no end after " +
                                                      std::to_string(kGptSovitsMaxTokens) + " tokens (60 s)"});
      }
      auto stepped = Guarded("token model", [&] {
        model.Step(d, ts.sampling, ts.sampler);
        return true;
      });
      if (!stepped) return fail(stepped.error());
    }
    times_.acoustic_ms += MsSince(steps_start);
    auto plan = ts.joiner.Next(d.generated(), d.ended, want);
    if (!plan) {  // ended with everything handed out already
      ts.decode.reset();
      ts.sentences++;
      continue;
    }

    const auto vocoder_start = Clock::now();
    auto window = Guarded("vocoder", [&] {
      return ts.rng.Run([&] { return model.Vocode(d, plan->start, plan->end, ts.text_seq, *ts.reference); });
    });
    if (!window) return fail(window.error());
    std::vector<float> audio = ts.joiner.Join(
        std::span<const float>(window->data_ptr<float>(), static_cast<size_t>(window->numel())), *plan);
    times_.vocoder_ms += MsSince(vocoder_start);
    times_.steps++;

    st.audio.clear();
    if (plan->emit_from == 0) {  // the sentence's first audio: the pause before it
      st.audio.assign(ts.pause.value_or(ts.sentences > 0 ? kSentencePause : 0), 0.0f);
      ts.pause.reset();
      ts.sentence_mark.start = sample_offset_ + st.audio.size();
    }
    st.audio.insert(st.audio.end(), audio.begin(), audio.end());
    if (st.sentence_gain != 1.0f) {
      for (float& x : st.audio) x = std::clamp(x * st.sentence_gain, -1.0f, 1.0f);
    }
    bool last = false;
    if (d.ended && ts.joiner.emitted() == d.generated()) {
      ts.decode.reset();
      ts.sentences++;
      last = st.splitter.Done();
      ts.sentence_mark.end = sample_offset_ + st.audio.size();
      if (st.mark_level != MarkLevel::kNone) st.marks.push_back(std::move(ts.sentence_mark));
    }
    st.chunks++;
    *chunk = Chunk{st.audio, sample_offset_, last, {}};
    sample_offset_ += st.audio.size();
    TakeMarks(chunk);
    if (last) finished_ = true;
    return StepResult::kChunk;
  }
}

}  // namespace ttsd::engine
