// GPT-SoVITS token voices in this process (no daemon): first audio, decode steps per second, the
// real-time factor, the cost of each chunk as an utterance grows, how the streamed joins compare with
// a whole-utterance decode of the same tokens, and how many streams keep real time side by side.
//   build-torch2/bench/gpt-sovits-bench --voice /path/to/package --threads 2 --runs 5 --streams 1,2,4
//       --json bench/results/gpt-sovits-cpu-fp32.json   (one command line; bench/README.md)
// Figures are medians over runs; the machine's other load shows in p90.
// --tokens N: every sentence gets exactly N tokens, whatever the end token says (models with random
// weights end at once, or never): the same steps as the engine's token stream (token-stream.cc: the
// same window sizes, joiner and model calls), driven here, so their cost is what is measured.
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../engine/src/gpt-sovits.h"
#include "../engine/src/token-joiner.h"
#include "support/stats.h"
#include "texts.h"
#include "ttsd/engine/voice.h"
#include "ttsd/frontend/text-frontend.h"

namespace {

using Clock = std::chrono::steady_clock;
using ttsd::bench::Quantile;
using ttsd::engine::Chunk;
using ttsd::engine::Stream;
using ttsd::engine::Voice;
using json = nlohmann::json;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

constexpr double kRate = 32000;
constexpr int64_t kSamplesPerToken = 1280;

// One request from Start to its last chunk: when each chunk was ready and what it held.
struct Run {
  double first_ms = 0, total_ms = 0;
  std::vector<double> chunk_ready_ms;    // since Start
  std::vector<uint64_t> chunk_end;       // samples after the chunk
  std::vector<double> chunk_tokens_ms;   // decode steps that chunk waited for
  std::vector<double> chunk_vocoder_ms;  // its window's vocoding and join
  ttsd::engine::StageTimes first_times;  // where the first chunk's time went
  std::vector<float> audio;
  double audio_s() const { return static_cast<double>(audio.size()) / kRate; }
};

Run Speak(const Voice& voice, const std::string& text, uint64_t seed, int top_k) {
  Run run;
  const auto start = Clock::now();
  auto stream = voice.Start({.text = text, .top_k = top_k, .seed = seed});
  if (!stream) throw std::runtime_error(stream.error().ToString());
  Chunk c;
  ttsd::engine::StageTimes before{};
  do {
    auto r = (*stream)->Next(&c);
    if (!r) throw std::runtime_error(r.error().ToString());
    const double at = Ms(Clock::now() - start);
    run.audio.insert(run.audio.end(), c.samples.begin(), c.samples.end());
    const auto& t = (*stream)->stage_times();
    if (run.chunk_ready_ms.empty()) {
      run.first_ms = at;
      run.first_times = t;
    }
    run.chunk_ready_ms.push_back(at);
    run.chunk_end.push_back(run.audio.size());
    run.chunk_tokens_ms.push_back(t.acoustic_ms - before.acoustic_ms);
    run.chunk_vocoder_ms.push_back(t.vocoder_ms - before.vocoder_ms);
    before = t;
  } while (!c.is_last);
  run.total_ms = Ms(Clock::now() - start);
  return run;
}

// Stream::NextTokens' schedule for one sentence of exactly `tokens` tokens (the end token ignored).
Run SpeakFixed(const ttsd::engine::GptSovitsModel& model, const ttsd::frontend::TextFrontend& fe,
               const std::string& text, int64_t tokens, uint64_t seed, int top_k) {
  using TokenState = ttsd::engine::TokenSchedule;
  Run run;
  c10::InferenceMode guard;
  const auto start = Clock::now();
  const int k = top_k > 0 ? top_k : 15;
  auto segment = fe.Phonemize(text);
  if (!segment) throw std::runtime_error(segment.error().ToString());
  auto ids = model.SentenceIds(*segment, text);
  if (!ids) throw std::runtime_error(ids.error().ToString());
  ttsd::engine::StreamRng rng(model.device(), seed);
  ttsd::engine::TokenSampler sampler(model.device(), seed);
  const ttsd::engine::Sampling sampling{.top_k = k};
  torch::Tensor text_seq = torch::tensor(*ids, torch::kLong).view({1, -1}).to(model.device());
  const auto& ref = model.default_reference();
  auto t0 = Clock::now();
  auto d = model.Prefill(ref, text_seq);
  double prefill_ms = Ms(Clock::now() - t0);
  ttsd::engine::TokenJoiner joiner(kSamplesPerToken, TokenState::kLeftContext, TokenState::kLookahead,
                                   TokenState::kFadeSamples);
  while (joiner.emitted() < tokens) {
    const int64_t want = run.chunk_end.empty() ? TokenState::kFirstTokens : TokenState::kChunkTokens;
    t0 = Clock::now();
    while (d.generated() < tokens && !joiner.Next(d.generated(), false, want)) {
      // A model that gives its end token cannot be timed so (a package with its end row zeroed can).
      if (d.ended) throw std::runtime_error("the model gave its end token");
      model.Step(d, sampling, sampler);
    }
    const double steps_ms = Ms(Clock::now() - t0);
    auto plan = joiner.Next(d.generated(), d.generated() >= tokens, want);
    t0 = Clock::now();
    torch::Tensor window = rng.Run([&] { return model.Vocode(d, plan->start, plan->end, text_seq, ref); });
    auto audio = joiner.Join(std::span<const float>(window.data_ptr<float>(), static_cast<size_t>(window.numel())), *plan);
    const double vocode_ms = Ms(Clock::now() - t0);
    run.audio.insert(run.audio.end(), audio.begin(), audio.end());
    const double at = Ms(Clock::now() - start);
    if (run.chunk_end.empty()) {
      run.first_ms = at;
      run.first_times.encoder_ms = prefill_ms;
      run.first_times.acoustic_ms = steps_ms;
      run.first_times.vocoder_ms = vocode_ms;
    }
    run.chunk_ready_ms.push_back(at);
    run.chunk_end.push_back(run.audio.size());
    run.chunk_tokens_ms.push_back(steps_ms);
    run.chunk_vocoder_ms.push_back(vocode_ms);
  }
  run.total_ms = Ms(Clock::now() - start);
  return run;
}

// Playback that starts with the first chunk never starves: every chunk is ready before the audio
// ahead of it has played.
bool KeepsRealTime(const Run& r) {
  for (size_t i = 1; i < r.chunk_ready_ms.size(); ++i) {
    const double played_ms = 1000.0 * static_cast<double>(r.chunk_end[i - 1]) / kRate;
    if (r.chunk_ready_ms[i] > r.first_ms + played_ms) return false;
  }
  return true;
}

double Median(std::vector<double> v) { return Quantile(std::move(v), 0.5); }

// Log-spectral distance (dB) between a and b over the frames (1024 samples, hop 256) whose centre is
// in [from, to).
double SpectralDistance(const torch::Tensor& a, const torch::Tensor& b, int64_t from, int64_t to) {
  const int64_t n = 1024, hop = 256;
  auto spec = [&](const torch::Tensor& x) {
    return torch::stft(x, n, hop, n, torch::hann_window(n), /*normalized=*/false, /*onesided=*/true,
                       /*return_complex=*/true)
        .abs()
        .pow(2)
        .add(1e-10)
        .log10()
        .mul(10);
  };
  torch::Tensor sa = spec(a), sb = spec(b);  // [bins, frames], frame i centred at i * hop
  const int64_t f0 = std::max<int64_t>(0, from / hop), f1 = std::min<int64_t>(sa.size(1), (to + hop - 1) / hop);
  if (f1 <= f0) return 0;
  torch::Tensor d = (sa.narrow(1, f0, f1 - f0) - sb.narrow(1, f0, f1 - f0)).pow(2).mean(0).sqrt();
  return d.mean().item<double>();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpt-sovits-bench: a GPT-SoVITS voice's first audio, speed, joins and concurrent streams"};
  std::string voice_dir, json_path;
  ttsd::engine::EngineConfig config;
  int runs = 5, top_k = 0;
  int64_t fixed_tokens = 0;
  std::vector<int> streams = {1, 2, 4};
  app.add_option("--voice", voice_dir, "GPT-SoVITS voice package directory")->required();
  app.add_option("--device", config.device, "cpu or cuda[:N]")->capture_default_str();
  app.add_option("--dtype", config.dtype, "fp32 or fp16 (what the package was exported in)")->capture_default_str();
  app.add_option("--threads", config.threads, "torch intra-op threads")->capture_default_str();
  app.add_option("--runs", runs, "requests per figure")->capture_default_str();
  app.add_option("--top-k", top_k, "sampling's top-k (0: the voice's)")->capture_default_str();
  app.add_option("--tokens", fixed_tokens, "give each sentence exactly this many tokens (models with random weights)");
  app.add_option("--streams", streams, "concurrent stream counts to try")->delimiter(',')->capture_default_str();
  app.add_option("--json", json_path, "write the results here");
  CLI11_PARSE(app, argc, argv);

  // --tokens: the voice's own warm-up would wait for an end token; two fixed runs warm it up below.
  config.warmup = fixed_tokens == 0;
  const auto load_start = Clock::now();
  auto voice = Voice::Load(voice_dir, config);
  if (!voice) {
    std::fprintf(stderr, "gpt-sovits-bench: %s\n", voice.error().ToString().c_str());
    return 1;
  }
  const double load_ms = Ms(Clock::now() - load_start);
  const Voice& v = **voice;
  json out = {{"voice", v.name()}, {"config", config.ToString()}, {"load_ms", load_ms},
              {"torch_threads", torch::get_num_threads()}};
  std::printf("voice %s loaded and warmed up in %.0f ms (%s)\n\n", v.name().c_str(), load_ms, config.ToString().c_str());

  const auto& langs = v.manifest().languages;
  auto fe = ttsd::frontend::TextFrontend::Create(langs.empty() ? "en-us" : langs.front());
  auto model = ttsd::engine::GptSovitsModel::Load(voice_dir, v.manifest(), torch::Device(config.device), **fe);
  if (!model) {
    std::fprintf(stderr, "gpt-sovits-bench: %s\n", model.error().ToString().c_str());
    return 1;
  }
  out["fixed_tokens"] = fixed_tokens;
  // Whole sentences through the voice's streams, or exactly fixed_tokens per sentence.
  auto speak = [&](const std::string& text, uint64_t seed, int k, int64_t long_tokens = 0) {
    if (fixed_tokens > 0) return SpeakFixed(**model, **fe, text, long_tokens > 0 ? long_tokens : fixed_tokens, seed, k);
    return Speak(v, text, seed, k);
  };

  if (fixed_tokens > 0) {
    for (int i = 0; i < 2; ++i) speak("Hello there, this warms the voice up.", 1, 1);
  }

  // 1. Ten-word sentences, one at a time.
  const auto& sentences = ttsd::bench::ShortSentences();
  std::vector<double> first, prefill, first_steps, first_vocode, step_ms, rtf, audio_s;
  for (int i = 0; i < runs; ++i) {
    const Run r = speak(sentences[static_cast<size_t>(i) % sentences.size()], 1000 + i, top_k);
    first.push_back(r.first_ms);
    prefill.push_back(r.first_times.encoder_ms);
    first_steps.push_back(r.first_times.acoustic_ms);
    first_vocode.push_back(r.first_times.vocoder_ms);
    double token_ms = 0;
    for (double t : r.chunk_tokens_ms) token_ms += t;
    const double tokens = static_cast<double>(r.audio.size()) / kSamplesPerToken;
    step_ms.push_back(token_ms / std::max(1.0, tokens - 1));  // the prefill made the first
    rtf.push_back(r.total_ms / 1000 / r.audio_s());
    audio_s.push_back(r.audio_s());
  }
  out["single"] = {{"runs", runs},
                   {"first_audio_ms_p50", Median(first)},
                   {"first_audio_ms_p90", Quantile(first, 0.9)},
                   {"first_prefill_ms_p50", Median(prefill)},
                   {"first_steps_ms_p50", Median(first_steps)},
                   {"first_vocode_ms_p50", Median(first_vocode)},
                   {"step_ms_p50", Median(step_ms)},
                   {"tokens_per_s_p50", 1000 / Median(step_ms)},
                   {"rtf_p50", Median(rtf)},
                   {"audio_s_p50", Median(audio_s)}};
  std::printf("| ten-word sentence | p50 | p90 |\n|---|---|---|\n");
  std::printf("| first audio ms | %.0f | %.0f |\n", Median(first), Quantile(first, 0.9));
  std::printf("| of it: prefill / first 6 steps / vocode ms | %.0f / %.0f / %.0f | |\n", Median(prefill),
              Median(first_steps), Median(first_vocode));
  std::printf("| decode step ms (tokens/s) | %.1f (%.1f) | %.1f |\n", Median(step_ms), 1000 / Median(step_ms),
              Quantile(step_ms, 0.9));
  std::printf("| real-time factor (compute / audio) | %.2f | %.2f |\n\n", Median(rtf), Quantile(rtf, 0.9));

  // 2. A long sentence, greedy: each chunk's cost against its position, and its joins against a
  // whole-utterance decode of the same tokens.
  // Its first 38 words: one sentence (the splitter cuts longer ones), about 12 s of speech.
  const std::string long_text =
      "when the evening light began to fade over the quiet harbor the fishermen pulled their boats onto the sand "
      "and sorted the day's catch while their children ran along the water chasing the gulls that circled "
      "overhead.";
  const Run g = speak(long_text, 7, 1, 300);  // --tokens: 12 s
  json chunks = json::array();
  std::printf("| chunk | ends at s | tokens ms | vocode ms |\n|---|---|---|---|\n");
  for (size_t i = 0; i < g.chunk_end.size(); ++i) {
    chunks.push_back({{"end_s", static_cast<double>(g.chunk_end[i]) / kRate},
                      {"tokens_ms", g.chunk_tokens_ms[i]},
                      {"vocode_ms", g.chunk_vocoder_ms[i]}});
    std::printf("| %zu | %.2f | %.0f | %.0f |\n", i, static_cast<double>(g.chunk_end[i]) / kRate, g.chunk_tokens_ms[i],
                g.chunk_vocoder_ms[i]);
  }
  // Flat cost: the later half of the full chunks costs what the earlier half does.
  std::vector<double> early, late;
  for (size_t i = 1; i + 1 < g.chunk_end.size(); ++i) {
    (i < g.chunk_end.size() / 2 ? early : late).push_back(g.chunk_vocoder_ms[i]);
  }
  out["long"] = {{"text_words", 38}, {"audio_s", g.audio_s()}, {"chunks", chunks},
                 {"vocode_ms_early_p50", Median(early)}, {"vocode_ms_late_p50", Median(late)}};
  std::printf("\nvocode ms per full chunk, first half of the utterance %.0f, second half %.0f\n\n", Median(early),
              Median(late));

  {
    c10::InferenceMode guard;
    auto segment = (*fe)->Phonemize(long_text);
    auto ids = (*model)->SentenceIds(*segment, long_text);
    torch::Tensor text_seq = torch::tensor(*ids, torch::kLong).view({1, -1}).to((*model)->device());
    ttsd::engine::StreamRng rng((*model)->device(), 7);
    ttsd::engine::TokenSampler sampler((*model)->device(), 7);
    const auto& ref = (*model)->default_reference();
    auto d = (*model)->Prefill(ref, text_seq);
    const int64_t cap = fixed_tokens > 0 ? 300 : ttsd::engine::kGptSovitsMaxTokens;
    while (!d.ended && d.generated() < cap) (*model)->Step(d, {.top_k = 1}, sampler);
    const auto whole_start = Clock::now();
    torch::Tensor whole = rng.Run([&] { return (*model)->Vocode(d, 0, d.generated(), text_seq, ref); });
    const double whole_ms = Ms(Clock::now() - whole_start);
    torch::Tensor streamed = torch::from_blob(const_cast<float*>(g.audio.data()),
                                              {static_cast<int64_t>(g.audio.size())}, torch::kFloat).clone();
    const bool same_tokens = whole.size(0) == streamed.size(0);
    json seams = json::array();
    double worst_err = 0, worst_lsd = 0;
    std::vector<double> interior_err, interior_lsd;
    if (same_tokens) {
      // Error and spectral distance in +-20 ms around each join, and in the middle of each chunk.
      const int64_t w = 640;
      auto err = [&](int64_t a, int64_t b) {
        return (whole.narrow(0, a, b - a) - streamed.narrow(0, a, b - a)).abs().max().item<double>();
      };
      for (size_t i = 0; i + 1 < g.chunk_end.size(); ++i) {
        const auto at = static_cast<int64_t>(g.chunk_end[i]);
        const int64_t a = std::max<int64_t>(0, at - w), b = std::min<int64_t>(whole.size(0), at + w);
        const double e = err(a, b), lsd = SpectralDistance(whole, streamed, a, b);
        seams.push_back({{"at_s", static_cast<double>(at) / kRate}, {"max_abs_error", e}, {"lsd_db", lsd}});
        worst_err = std::max(worst_err, e);
        worst_lsd = std::max(worst_lsd, lsd);
        const int64_t begin = i == 0 ? 0 : static_cast<int64_t>(g.chunk_end[i - 1]);
        const int64_t mid = (begin + at) / 2;
        if (at - begin > 4 * w) {
          interior_err.push_back(err(mid - w, mid + w));
          interior_lsd.push_back(SpectralDistance(whole, streamed, mid - w, mid + w));
        }
      }
    }
    const double rms = whole.pow(2).mean().sqrt().item<double>();
    out["joins"] = {{"same_length", same_tokens},
                    {"whole_vocode_ms", whole_ms},
                    {"whole_rms", rms},
                    {"seams", seams},
                    {"worst_seam_max_abs_error", worst_err},
                    {"worst_seam_lsd_db", worst_lsd},
                    {"interior_max_abs_error_p50", Median(interior_err)},
                    {"interior_lsd_db_p50", Median(interior_lsd)}};
    std::printf("joins against one whole-utterance decode of the same %lld tokens (rms %.3f; vits adds noise per "
                "call, so chunk interiors differ too):\n",
                static_cast<long long>(d.generated()), rms);
    if (same_tokens) {
      std::printf("| where | max abs error | log-spectral distance dB |\n|---|---|---|\n");
      std::printf("| worst join (+-20 ms) | %.4f | %.2f |\n", worst_err, worst_lsd);
      std::printf("| chunk middles, p50 | %.4f | %.2f |\n\n", Median(interior_err), Median(interior_lsd));
    } else {
      std::printf("the streamed and whole decodes differ in length: tokens differ, no comparison\n\n");
    }
  }

  // 3. Concurrent streams, each on its own thread (as ttsd's inference workers run them).
  json levels = json::array();
  std::printf("| streams | first audio p50 ms | p90 | keep real time | compute / audio |\n|---|---|---|---|---|\n");
  for (int n : streams) {
    std::vector<Run> results(static_cast<size_t>(n));
    std::vector<std::thread> threads;
    std::atomic<bool> failed{false};
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        try {
          results[static_cast<size_t>(i)] = speak(sentences[static_cast<size_t>(i) % sentences.size()], 50 + i, top_k);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "stream %d: %s\n", i, e.what());
          failed = true;
        }
      });
    }
    for (auto& t : threads) t.join();
    if (failed) return 1;
    const double wall_s = Ms(Clock::now() - start) / 1000;
    std::vector<double> firsts;
    int keeping = 0;
    double audio = 0;
    for (const auto& r : results) {
      firsts.push_back(r.first_ms);
      keeping += KeepsRealTime(r) ? 1 : 0;
      audio += r.audio_s();
    }
    levels.push_back({{"streams", n},
                      {"first_audio_ms_p50", Median(firsts)},
                      {"first_audio_ms_p90", Quantile(firsts, 0.9)},
                      {"keep_real_time", keeping},
                      {"wall_per_audio", wall_s * n / audio}});
    std::printf("| %d | %.0f | %.0f | %d of %d | %.2f |\n", n, Median(firsts), Quantile(firsts, 0.9), keeping, n,
                wall_s * n / audio);
  }
  out["concurrent"] = levels;

  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << '\n';
  return 0;
}
