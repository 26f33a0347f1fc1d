// GPT-SoVITS token voices (manifest family "gpt-sovits", models/README.md): upstream's streaming
// TorchScript export driven from C++. t2s.pt gives the logits of the next semantic token from the
// phones, a reference's tokens and those drawn so far, one step at a time (its KV cache stays on the
// device; ttsd draws the tokens: token-sampler.h); vits.pt turns tokens into 32 kHz audio, 1280
// samples each; ssl_model.pt (HuBERT) reads a reference's tokens.
// Thread-safety: a GptSovitsModel is immutable after Load and its methods are safe from any thread;
// a TokenDecode, a TokenSampler and a StreamRng belong to one stream.
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ttsd/engine/voice.h"
#include "gpt-sovits-zh.h"
#include "ttsd/frontend/text-frontend.h"
#include "token-sampler.h"

namespace ttsd::engine {

inline constexpr int64_t kGptSovitsEos = 1024;        // the end token of the semantic vocabulary
inline constexpr int64_t kGptSovitsMaxTokens = 1500;  // per sentence, 60 s (upstream's cap)
inline constexpr int64_t kGptSovitsMinTokens = 11;    // the end token is banned before this many
inline constexpr int64_t kGptSovitsBertDim = 1024;    // phone features; zeros for English
// Upstream's inference appends 0.3 s worth of 32 kHz samples (9600, so 0.6 s) of silence to the
// 16 kHz reference before HuBERT: the prompt's tokens end in a pause, as its training saw them.
inline constexpr int64_t kPromptPad16k = 9600;

// What a reference gives the model, computed once (a voice's default speaker).
struct GptSovitsReference {
  torch::Tensor prompts;  // [1, P] int64: its semantic tokens
  torch::Tensor ref_seq;  // [1, Nr] int64: the phone ids of its transcript
  torch::Tensor refer;    // [1, 1025, T]: its linear spectrogram
  torch::Tensor sv_emb;   // [1, 20480]: its speaker-verification embedding
  torch::Tensor ref_bert;  // [Nr, 1024]: its transcript's BERT features (zeros but on Chinese)
};

// One sentence as the token model reads it.
struct GptSovitsText {
  std::vector<int64_t> ids;  // upstream's symbol ids
  torch::Tensor bert;        // [ids, 1024] on the device in the voice's dtype: zeros but on Chinese
};

// One sentence's token loop: what the model's cache and the sampler need between steps.
struct TokenDecode {
  int64_t prompt_len = 0;  // P: y starts with the reference's tokens
  torch::Tensor y;         // [1, P + generated] int64
  torch::Tensor logits;    // [1, 1025]: the next token's
  c10::IValue k_cache, v_cache;
  bool ended = false;      // the end token was drawn (or was the likeliest)
  int64_t generated() const { return y.size(1) - prompt_len; }
};

// The vocoder's random numbers. vits.pt draws its noise from the device's global generator. A seeded
// stream swaps its own generator state in for each vocoder call, alone (an exclusive lock): the same
// seed gives the same audio whatever else runs. Unseeded streams draw from the global generator itself
// and run their calls side by side (a shared lock). (Tokens have their own TokenSampler.)
class StreamRng {
 public:
  StreamRng(torch::Device device, std::optional<uint64_t> seed);
  template <typename F>
  auto Run(F&& f) -> decltype(f()) {
    if (!seeded_) {
      std::shared_lock lock(Lock());
      return f();
    }
    std::unique_lock lock(Lock());
    Swap();
    struct Restore {
      StreamRng* self;
      ~Restore() { self->Swap(); }
    } restore{this};
    return f();
  }

 private:
  static std::shared_mutex& Lock();
  void Swap();  // exchanges this stream's generator state with the global generator's
  torch::Device device_;
  bool seeded_ = false;
  torch::Tensor state_;
};

class GptSovitsModel {
 public:
  // Loads the three modules onto device, checks their methods, reads the symbols and computes the
  // default reference. Errors: kModelError, kIo, kBadAudio (the package's reference).
  static Result<std::unique_ptr<GptSovitsModel>> Load(const std::string& dir, const VoiceManifest& m,
                                                      torch::Device device, const frontend::TextFrontend& frontend);

  // Phone ids of one sentence as upstream spells English: ARPAbet with stress digits, with , . ? !
  // as phones (a pause inside is ",", the end is the sentence's own . ? or !), "." ahead of fewer
  // than 6. Errors: kUnsupportedText for a phone the symbols lack.
  Result<std::vector<int64_t>> SentenceIds(const frontend::Segment& segment, std::string_view sentence) const;
  // The sentence's ids and BERT features, as upstream's TextPreprocessor lays them out: text without
  // CJK characters is SentenceIds() of segment (the frontend's phones of the whole sentence) and zeros;
  // otherwise the sentence is cut by script (SplitScripts), Chinese runs are read by ReadZhRun and
  // get bert_model.pt's features on the voice's device, the other runs are phonemized on their own
  // (zeros), then the end mark and the short-text "." as SentenceIds. Errors: kUnsupportedText (Chinese
  // for a package without bert_model.pt, a phone the symbols lack), kModelError (BERT failed).
  Result<GptSovitsText> SentenceInput(const frontend::Segment& segment, std::string_view sentence) const;
  bool speaks_chinese() const { return vocab_.has_value(); }
  // A reference (mono, any rate, 3-10 s) and its transcript; pad_16k zeros go after its 16 kHz
  // copy before HuBERT (upstream's inference: 9600). Errors: kBadAudio, kUnsupportedText,
  // kEmptyText, kModelError.
  Result<GptSovitsReference> Reference(std::span<const float> audio, int sample_rate, std::string_view text,
                                       int64_t pad_16k = kPromptPad16k) const;

  // A speaker from several references (TokenReference): the first, with its transcript, as
  // Reference(); every one's spectrogram end to end and their speaker embeddings' mean weighted by
  // length. Errors: those of Reference(), kBadAudio (none), kModelError.
  Result<TokenReference> Prepare(std::span<const std::vector<float>> references, int sample_rate,
                                 std::string_view text) const;
  // A prepared (or saved) speaker as tensors on the device. Errors: kBadRequest when its sizes or ids
  // do not fit this voice (made for another one).
  Result<GptSovitsReference> FromPrepared(const TokenReference& r) const;

  // The phones and the prompt through the model (t2s.pt's prefill_logits): the first token's logits.
  // Throws on a model error (callers guard).
  // text_bert: [phones, 1024] (SentenceInput); undefined: zeros (English).
  TokenDecode Prefill(const GptSovitsReference& ref, const torch::Tensor& text_seq,
                      const torch::Tensor& text_bert = {}) const;
  // Draws the next token (never the end before the 11th, as upstream) and, unless it ends the
  // sentence (d.ended), runs it through the model (step_logits) for the following one's logits.
  void Step(TokenDecode& d, const Sampling& sampling, TokenSampler& sampler) const;
  // Audio of tokens [from, to) of d (32 kHz float on the CPU, 1280 samples per token).
  torch::Tensor Vocode(const TokenDecode& d, int64_t from, int64_t to, const torch::Tensor& text_seq,
                       const GptSovitsReference& ref) const;

  torch::Device device() const { return device_; }
  torch::Dtype dtype() const { return dtype_; }
  const GptSovitsReference& default_reference() const { return default_reference_; }

 private:
  GptSovitsModel() = default;
  torch::Tensor To32k(std::span<const float> audio, int sample_rate) const;  // [1, L] on the device
  // Upstream's symbols of English text: marks from the text as SentenceIds says; whole: the
  // sentence's end mark and the short-text "." too (a run inside mixed text gets neither).
  std::vector<std::string> EnglishSymbols(const frontend::Segment& segment, std::string_view text, bool whole) const;
  Result<std::vector<int64_t>> SymbolIds(const std::vector<std::string>& symbols) const;
  torch::Device device_{torch::kCPU};
  torch::Dtype dtype_ = torch::kFloat;
  mutable torch::jit::Module t2s_, vits_, ssl_, bert_;
  std::optional<BertVocab> vocab_;  // with bert_: the voice speaks Chinese
  std::unordered_map<std::string, int64_t> symbol_ids_;
  int64_t symbol_count_ = 0;
  const frontend::TextFrontend* frontend_ = nullptr;
  GptSovitsReference default_reference_;
};

}  // namespace ttsd::engine
