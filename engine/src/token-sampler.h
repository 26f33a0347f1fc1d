// How a token voice draws its next token from the model's logits, in C++ (the model only gives
// logits: models/gpt-sovits/t2s_logits.py). The same steps as upstream's sampling, in its order:
// repetition penalty on every token seen (prompt included), top-p, temperature, top-k, softmax, then
// an exponential race (argmax of p / Exp(1)) drawn from the stream's own generator. With upstream's
// defaults and the same seed on the CPU it draws what upstream's export draws.
// Thread-safety: a TokenSampler belongs to one stream.
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <optional>

namespace ttsd::engine {

struct Sampling {
  int top_k = 15;                   // 1: greedy
  double top_p = 1.0;               // 1: off
  double temperature = 1.0;
  double repetition_penalty = 1.35; // 1: off
};

class TokenSampler {
 public:
  // seed: none gives a random one.
  TokenSampler(torch::Device device, std::optional<uint64_t> seed);

  struct Draw {
    int64_t token = 0;
    bool likeliest_is = false;  // the penalised logits' argmax is the token `end` (upstream stops then)
  };
  // logits [1, V] (any float type; modified); previous [1, N] int64 ids below V; end: the id that
  // ends the sentence (checked against the argmax; -1 for none).
  Draw Next(torch::Tensor logits, const torch::Tensor& previous, const Sampling& s, int64_t end);

 private:
  at::Generator generator_;
};

}  // namespace ttsd::engine
