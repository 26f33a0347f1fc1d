#include "token-sampler.h"

#include <ATen/Context.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <random>

namespace ttsd::engine {

TokenSampler::TokenSampler(torch::Device device, std::optional<uint64_t> seed) {
  // A copy of the device's default generator: the same kind (Philox on CUDA, mt19937 on the CPU),
  // then reseeded, so it shares no state with anyone.
  at::Generator global = at::globalContext().defaultGenerator(device);
  {
    std::lock_guard lock(global.mutex());
    generator_ = global.clone();
  }
  const uint64_t s = seed ? *seed : (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  std::lock_guard lock(generator_.mutex());
  generator_.set_current_seed(s);
}

TokenSampler::Draw TokenSampler::Next(torch::Tensor logits, const torch::Tensor& previous, const Sampling& s,
                                      int64_t end) {
  Draw draw;
  if (s.repetition_penalty != 1.0) {
    torch::Tensor seen = logits.gather(1, previous);
    seen = torch::where(seen < 0, seen * s.repetition_penalty, seen / s.repetition_penalty);
    logits.scatter_(1, previous, seen);
  }
  const torch::Tensor likeliest = logits.argmax(-1);  // read with the token below: one device sync a draw
  if (s.top_p < 1.0) {
    auto [sorted, order] = logits.sort(-1, /*descending=*/true);
    torch::Tensor cut = sorted.softmax(-1).cumsum(-1) > s.top_p;
    cut.select(1, 0).fill_(false);  // the likeliest always stays
    logits = logits.masked_fill(cut.scatter(1, order, cut), -std::numeric_limits<float>::infinity());
  }
  logits = logits / std::max(s.temperature, 1e-5);
  if (s.top_k > 0) {
    torch::Tensor kth = std::get<0>(logits.topk(std::min<int64_t>(s.top_k, logits.size(-1)))).narrow(1, -1, 1);
    logits = torch::where(logits < kth, -std::numeric_limits<float>::infinity(), logits);
  }
  torch::Tensor probs = logits.softmax(-1);
  torch::Tensor race = torch::empty_like(probs).exponential_(1.0, generator_);  // (the kernel locks the generator)
  const torch::Tensor both = torch::cat({(probs / race).argmax(-1), likeliest}).to(torch::kCPU);
  draw.token = both[0].item<int64_t>();
  draw.likeliest_is = end >= 0 && both[1].item<int64_t>() == end;
  return draw;
}

}  // namespace ttsd::engine
