// Internals shared by voice.cc (loading, style stages) and stream.cc (synthesis, batching):
// the loaded modules, an encoded sentence, and a stream's state.
// Thread-safety: Voice::Impl is immutable after Load; a Stream::State belongs to its Stream's thread.
#pragma once

#include <spdlog/spdlog.h>
#include <torch/script.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gpt-sovits.h"
#include "token-joiner.h"
#include "ttsd/frontend/inline-tags.h"
#include "ttsd/frontend/byte-span.h"
#include "ttsd/frontend/ssml.h"
#include "ttsd/frontend/text-frontend.h"
#include "ttsd/engine/voice.h"

namespace ttsd::engine {

using frontend::SentenceSplitter;
using frontend::TextFrontend;


std::shared_ptr<spdlog::logger> EngineLog();

// Runs f, turning any c10 / std exception from libtorch into a kModelError.
template <typename F>
auto Guarded(const char* what, F&& f) -> Result<decltype(f())> {
  try {
    return f();
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kModelError, std::string(what) + ": " + e.what());
  }
}

struct Voice::Impl {
  torch::Device device{torch::kCPU};
  torch::Dtype dtype = torch::kFloat;
  // Running a method does not change a module; libtorch allows concurrent calls, hence mutable.
  mutable torch::jit::Module encoder, acoustic, vocoder;
  mutable std::optional<torch::jit::Module> speaker_encoder, emotion_encoder, emotion_text;
  size_t flush_samples = 0;  // what the vocoder's flush returns (measured at warm-up)
  std::unique_ptr<TextFrontend> frontend;
  std::unordered_map<std::string, int64_t> phone_ids;
  std::vector<torch::Tensor> speaker_embeddings;  // [1, S] per speaker id, on device
  std::unique_ptr<GptSovitsModel> gpt_sovits;     // family "gpt-sovits" only; the stages above unused

  Result<std::vector<int64_t>> PhoneIds(const std::vector<std::string>& phones) const {
    std::vector<int64_t> ids;
    ids.reserve(phones.size());
    for (const auto& p : phones) {
      auto it = phone_ids.find(p);
      if (it == phone_ids.end() && !p.empty() && std::isdigit(static_cast<unsigned char>(p.back()))) {
        it = phone_ids.find(p.substr(0, p.size() - 1));  // voices without stress marks
      }
      if (it == phone_ids.end()) return MakeError(ErrorCode::kUnsupportedText, "phone '" + p + "' is not in this voice");
      ids.push_back(it->second);
    }
    return ids;
  }
};


// A sentence encoded ahead of time (duration control encodes them all up front), or a pause.
struct Prepared {
  torch::Tensor hidden;         // [T, H] on device
  std::vector<float> durations; // frames per phone, already scaled
  std::vector<float> elasticity;  // per phone: how much it stretches (pause 1.5, vowel 1, consonant 0;
                                  // 0 for a pause fixed by a [pause:] beside it)
  std::string text;             // for logs
  // For marks: the sentence as read, where it starts in the (converted) text, its written words
  // and, for phone marks, its phones.
  std::string sentence;
  uint64_t text_offset = 0;
  std::vector<frontend::SegmentWord> words;
  std::vector<std::string> phones;
  float gain = 1;               // [volume:] in force
  double pitch = 0;             // [pitch:] in force, semitones
  double pause_ms = -1;         // >= 0: not a sentence but a [pause:] of this length
};

// [M, M]: a mel spectrogram times it is shifted by `semitones` (stream-marks.cc; needs mel_fmax).
torch::Tensor PitchWarp(const VoiceManifest& m, double semitones, const torch::TensorOptions& options);

// The frames of one model step of one stream (Stream::Begin fills it).
struct StepInput {
  int64_t frames = 0;
  torch::Tensor cond;  // [1, frames, C] on device
};

// A token voice's stream (token-stream.cc): the sentence being generated and how its audio is cut.
struct TokenState : TokenSchedule {
  TokenState(torch::Device device, std::optional<uint64_t> seed, const Sampling& s)
      : rng(device, seed), sampler(device, seed), sampling(s) {}
  StreamRng rng;          // the vocoder's noise
  TokenSampler sampler;   // the tokens' draws
  Sampling sampling;
  const GptSovitsReference* reference = nullptr;  // the voice's default speaker, or own_reference
  std::optional<GptSovitsReference> own_reference;  // the request's (StreamOptions::reference)
  std::optional<TokenDecode> decode;              // the sentence being generated
  torch::Tensor text_seq;                         // [1, Nt] its phone ids
  TokenJoiner joiner{1280, kLeftContext, kLookahead, kFadeSamples};
  int sentences = 0;                              // finished
  std::optional<size_t> pause;                    // samples before the next sentence, from a [pause:]
  Mark sentence_mark;                             // of the sentence being generated (marks asked)
};

struct Stream::State {
  SentenceSplitter splitter;
  // Markup: SSML read into text with inline tags (ssml.h); `source` maps each byte of that text
  // to the request's bytes (empty: the text is the request's own).
  enum class Markup { kUndecided, kPlain, kSsml };
  Markup markup = Markup::kUndecided;
  std::string head;  // text held back until it is known whether it is SSML
  std::unique_ptr<frontend::SsmlReader> ssml;
  std::vector<frontend::ByteSpan> source;
  // Marks: made when a sentence's frames are laid out, handed out with the chunks that reach them.
  MarkLevel mark_level = MarkLevel::kNone;
  std::deque<Mark> marks;
  std::vector<Mark> chunk_marks;  // with the last chunk
  // Inline tags in force, and what they need.
  double rate = 1.0;
  float gain = 1.0f;
  double pitch = 0;              // semitones
  torch::Tensor pitch_warp;      // [M, M] for the sentence being spoken; undefined: no shift
  double warp_pitch = 0;         // what pitch_warp shifts by
  torch::Tensor own_speaker;     // the request's speaker, for [voice:]
  bool after_pause = false;      // the next sentence's leading pause is one frame
  float sentence_gain = 1.0f;    // of the sentence being spoken
  uint64_t last_word_end = 0;    // samples, frame time: where the last word's frames end
  uint64_t frames_end = 0;       // samples, frame time: where the current sentence's frames end
  bool spoke = false;            // a sentence has been laid out
  bool in_pause = false;         // the current "sentence" is a pause's silent frames
  size_t pause_zeros = 0;        // samples of silence added after the pause's frames

  std::unique_ptr<TokenState> tokens;  // token voices only
  torch::Tensor speaker;  // [1, S] on device
  torch::Tensor emotion;  // [1, E] on device; undefined for voices without emotion input
  double speed = 1.0;
  std::deque<Prepared> prepared;
  bool rounding_spans_sentences = false;  // duration control: one rounding over the utterance
  double cumulative = 0;
  int64_t emitted = 0;
  size_t text_bytes = 0;
  bool got_text = false;

  // Current sentence.
  torch::Tensor hidden;                 // [T, H] on device
  std::vector<int64_t> frame_phone;     // per frame: phone index
  std::vector<float> frame_pos;         // per frame: position inside its phone
  size_t next_frame = 0;

  c10::IValue acoustic_state;
  torch::Tensor prev_frame;  // [1, M], autoregressive stage only
  c10::IValue vocoder_state;
  bool vocoder_started = false;
  int chunks = 0;

  std::vector<float> audio;  // the last chunk handed out
};

}  // namespace ttsd::engine
