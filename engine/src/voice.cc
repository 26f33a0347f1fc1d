#include "ttsd/engine/voice.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>

#include <dlfcn.h>

#include <cmath>
#include <filesystem>
#include <mutex>

#include "voice-impl.h"

namespace ttsd::engine {

std::string LibtorchVersion() { return TORCH_VERSION; }

std::shared_ptr<spdlog::logger> EngineLog() {
  static std::shared_ptr<spdlog::logger> log = [] {
    auto l = spdlog::get("engine");
    return l ? l : spdlog::default_logger()->clone("engine");
  }();
  return log;
}

namespace {

// Text that will be read as SSML (Stream::Append decides the same way).
bool LooksLikeSsml(std::string_view text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos &&
         (text.substr(start).starts_with("<speak") || text.substr(start).starts_with("<?xml"));
}


constexpr float kMaxWeight = static_cast<float>(protocol::kMaxEmotionWeight);  // of one emotion axis

// OpenBLAS (Debian's libtorch does its matrix products there) keeps its own thread pool, one thread
// per core, which at::set_num_threads does not touch: with several inference workers each product
// would fan out over every core again. Capped here when the process has OpenBLAS; looked up at run
// time, as a CUDA or MKL libtorch has none.
void CapBlasThreads(int threads) {
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(threads);
    EngineLog()->debug("OpenBLAS threads capped at {}", threads);
  }
}

// Process-wide torch settings: the first voice loaded decides them.
void SetRuntimeOnce(const EngineConfig& config) {
  static std::once_flag once;
  std::call_once(once, [&config] {
    at::set_num_threads(config.threads);
    CapBlasThreads(config.threads);
    at::set_num_interop_threads(1);
    // Read when a method's graph is first optimized, so before any voice's warm-up.
    torch::jit::setTensorExprFuserEnabled(config.jit_fusion);
  });
}

}  // namespace

Voice::~Voice() = default;

Result<std::shared_ptr<Voice>> Voice::LoadGptSovits(std::shared_ptr<Voice> voice, const std::string& dir) {
  Impl& impl = *voice->impl_;
  const VoiceManifest& m = voice->manifest_;
  const GptSovitsManifest& g = m.gpt_sovits;
  // Checked before loading: an older libtorch fails on the export's operators with a message that
  // names none of this.
  if (std::pair{TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR} < std::pair{g.min_libtorch_major, g.min_libtorch_minor}) {
    return MakeError(ErrorCode::kModelError,
                     dir + ": voice '" + m.name + "' (GPT-SoVITS " + g.version + ") needs libtorch " +
                         std::to_string(g.min_libtorch_major) + "." + std::to_string(g.min_libtorch_minor) +
                         " or newer; this ttsd is built with libtorch " + TORCH_VERSION +
                         " (README.md, \"libtorch 2.x\", builds one with PyTorch's)");
  }
  if (g.dtype != voice->config_.dtype) {
    return MakeError(ErrorCode::kModelError, dir + ": voice '" + m.name + "' was exported in " + g.dtype +
                                                 " and runs only so; ttsd runs " + voice->config_.dtype +
                                                 " (--dtype)");
  }
  auto model = GptSovitsModel::Load(dir, m, impl.device, *impl.frontend);
  if (!model) return std::unexpected(model.error());
  impl.gpt_sovits = std::move(*model);
  if (voice->config_.warmup) {
    for (int i = 0; i < 2; ++i) {  // the profiling executor's first passes, now rather than on a request
      auto stream = voice->Start({.text = "Hello there, this warms the voice up.", .top_k = 1});
      if (!stream) return std::unexpected(stream.error());
      Chunk c;
      do {
        auto r = (*stream)->Next(&c);
        if (!r) return std::unexpected(r.error());
      } while (!c.is_last);
    }
  }
  EngineLog()->info("voice '{}' loaded from {}: GPT-SoVITS {}, {} Hz, libtorch {}", m.name, dir, g.version,
                    m.sample_rate, TORCH_VERSION);
  return voice;
}

Result<std::shared_ptr<Voice>> Voice::Load(const std::string& dir, const EngineConfig& config) {
  if (auto s = config.Validate(); !s) return std::unexpected(s.error());
  auto manifest = VoiceManifest::Read(dir);
  if (!manifest) return std::unexpected(manifest.error());
  SetRuntimeOnce(config);

  std::shared_ptr<Voice> voice(new Voice());
  voice->manifest_ = std::move(*manifest);
  voice->config_ = config;
  voice->impl_ = std::make_unique<Impl>();
  Impl& impl = *voice->impl_;
  const VoiceManifest& m = voice->manifest_;

  if (config.device != "cpu") {
    if (!torch::cuda::is_available()) {
      return MakeError(ErrorCode::kBadRequest, "device '" + config.device + "' requested but no CUDA device is available");
    }
    impl.device = torch::Device(config.device);
  }
  impl.dtype = config.dtype == "fp16" ? torch::kHalf : torch::kFloat;

  std::shared_ptr<const frontend::UserLexicon> voice_lexicon;
  if (m.family == "gpt-sovits" && !m.gpt_sovits.lexicon_file.empty()) {
    auto lexicon = frontend::UserLexicon::Load((std::filesystem::path(dir) / m.gpt_sovits.lexicon_file).string());
    if (!lexicon) return MakeError(lexicon.error().code, dir + ": " + lexicon.error().message);
    voice_lexicon = std::move(*lexicon);
  }
  auto frontend = TextFrontend::Create(m.languages.empty() ? "en-us" : m.languages.front(), std::move(voice_lexicon));
  if (!frontend) return std::unexpected(frontend.error());
  impl.frontend = std::move(*frontend);
  if (m.family == "gpt-sovits") return LoadGptSovits(std::move(voice), dir);
  for (size_t i = 0; i < m.phonemes.size(); ++i) impl.phone_ids.emplace(m.phonemes[i], static_cast<int64_t>(i));

  namespace fs = std::filesystem;
  // fp16 covers the encoder and the acoustic stage. The vocoder and the analysis stages stay float32: their
  // FFTs have sizes cuFFT does not take in half precision (powers of two only), and they cost little.
  auto load = [&](const std::string& file, torch::jit::Module* out, torch::Dtype dtype = torch::kFloat) -> Status {
    const std::string path = (fs::path(dir) / file).string();
    auto r = Guarded(("loading " + path).c_str(), [&] {
      torch::jit::Module mod = torch::jit::load(path, impl.device);
      mod.eval();
      mod.to(dtype);
      return mod;
    });
    if (!r) return std::unexpected(r.error());
    *out = std::move(*r);
    return {};
  };
  for (auto [file, mod] : {std::pair{m.encoder_file, &impl.encoder}, std::pair{m.acoustic_file, &impl.acoustic}}) {
    if (auto s = load(file, mod, impl.dtype); !s) return std::unexpected(s.error());
  }
  if (auto s = load(m.vocoder_file, &impl.vocoder); !s) return std::unexpected(s.error());
  for (auto [file, mod] : {std::pair{m.speaker_encoder_file, &impl.speaker_encoder},
                           std::pair{m.emotion_encoder_file, &impl.emotion_encoder},
                           std::pair{m.emotion_text_file, &impl.emotion_text}}) {
    if (file.empty()) continue;
    torch::jit::Module loaded;
    if (auto s = load(file, &loaded); !s) return std::unexpected(s.error());
    *mod = std::move(loaded);
  }
  const char* required[][2] = {{"encoder", "speaker_embedding"}, {"acoustic", "initial_state"},
                               {"vocoder", "initial_state"}, {"vocoder", "flush"}};
  for (auto& [stage, method] : required) {
    const torch::jit::Module& mod = std::string(stage) == "encoder" ? impl.encoder
                                    : std::string(stage) == "acoustic" ? impl.acoustic : impl.vocoder;
    if (!mod.find_method(method)) {
      return MakeError(ErrorCode::kModelError, dir + ": " + stage + " stage has no method '" + method + "'");
    }
  }
  if (m.acoustic_type == "autoregressive" && !impl.acoustic.find_method("step")) {
    return MakeError(ErrorCode::kModelError, dir + ": autoregressive acoustic stage has no method 'step'");
  }

  c10::InferenceMode guard;
  for (size_t id = 0; id < m.speakers.size(); ++id) {
    auto emb = Guarded("speaker_embedding", [&] {
      auto ids = torch::tensor({static_cast<int64_t>(id)}, torch::dtype(torch::kLong).device(impl.device));
      return impl.encoder.get_method("speaker_embedding")({ids}).toTensor();
    });
    if (!emb) return std::unexpected(emb.error());
    impl.speaker_embeddings.push_back(*emb);
  }

  if (m.batching) {
    auto batched = Guarded("initial_state", [&] {
      for (auto* mod : {&impl.acoustic, &impl.vocoder}) {
        for (const auto& t : mod->get_method("initial_state")({}).toTensorVector()) {
          if (t.dim() == 0 || t.size(0) != 1) return false;
        }
      }
      return true;
    });
    if (!batched) return std::unexpected(batched.error());
    if (!*batched) return MakeError(ErrorCode::kModelError, dir + ": \"batching\" needs every state tensor batched on dim 0");
  }

  if (config.warmup) {
    // Runs the profiling executor's first passes now, not on a user's first request: one stream
    // alone, then (batching voices) two at once.
    for (size_t streams : {1, 1, m.batching ? 2 : 1, m.batching ? 2 : 1}) {
      std::vector<std::unique_ptr<Stream>> owned;
      std::vector<Stream*> active;
      for (size_t i = 0; i < streams; ++i) {
        StreamOptions warm;
        warm.text = i == 0 ? "Hello there, this warms the voice up." : "A second voice warms up too.";
        auto stream = voice->Start(warm);
        if (!stream) return std::unexpected(stream.error());
        active.push_back(stream->get());
        owned.push_back(std::move(*stream));
      }
      std::vector<Chunk> chunks(active.size());
      while (!active.empty()) {
        auto results = Stream::NextBatch(active, chunks);
        for (size_t i = active.size(); i-- > 0;) {
          if (!results[i]) return std::unexpected(results[i].error());
          if (!chunks[i].is_last) continue;
          if (active[i] == owned[0].get()) impl.flush_samples = chunks[i].samples.size();
          active.erase(active.begin() + static_cast<std::ptrdiff_t>(i));
          chunks.erase(chunks.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
    }
    std::vector<float> tone(static_cast<size_t>(m.sample_rate) * 2);
    for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.1f * std::sin(0.05f * static_cast<float>(i));
    if (voice->can_clone()) {
      if (auto e = voice->EmbedSpeaker(std::span(&tone, 1)); !e) return std::unexpected(e.error());
    }
    if (voice->has_emotion_audio()) {
      if (auto e = voice->EmotionFromAudio(tone); !e) return std::unexpected(e.error());
    }
    if (voice->has_emotion_text()) {
      if (auto e = voice->EmotionFromText("calm"); !e) return std::unexpected(e.error());
    }
  } else {
    impl.flush_samples = static_cast<size_t>(m.hop_samples);
  }
  EngineLog()->info("voice '{}' loaded from {}: {} speakers, {} Hz, acoustic stage {}", m.name, dir, m.speakers.size(),
              m.sample_rate, m.acoustic_type);
  return voice;
}

Result<std::unique_ptr<Stream>> Voice::StartTokens(const StreamOptions& options) const {
  const Impl& impl = *impl_;
  if (!options.speaker.empty() && options.speaker != manifest_.speakers.front()) {
    return MakeError(ErrorCode::kUnknownSpeaker, "voice '" + name() + "' has no speaker '" + options.speaker + "'");
  }
  if (!options.speaker_embedding.empty() || options.emotion || options.duration_s > 0 || options.speed != 1.0) {
    return MakeError(ErrorCode::kNotSupported, "voice '" + name() +
                                                   "' (GPT-SoVITS) takes no speaker embedding, emotion, duration "
                                                   "or speed yet");
  }
  if (options.top_k < 0 || options.top_k > static_cast<int>(protocol::kMaxTopK)) {
    return MakeError(ErrorCode::kBadRequest, "top_k must be 0-" + std::to_string(protocol::kMaxTopK));
  }
  if (!(options.top_p >= 0 && options.top_p <= 1)) return MakeError(ErrorCode::kBadRequest, "top_p must be 0-1");
  if (!(options.temperature == 0 ||
        (options.temperature >= protocol::kMinTemperature && options.temperature <= protocol::kMaxTemperature))) {
    return MakeError(ErrorCode::kBadRequest, "temperature must be 0 or " + protocol::LimitText(protocol::kMinTemperature) +
                                                 "-" + protocol::LimitText(protocol::kMaxTemperature));
  }
  if (!(options.repetition_penalty == 0 ||
        (options.repetition_penalty >= 1 && options.repetition_penalty <= protocol::kMaxRepetitionPenalty))) {
    return MakeError(ErrorCode::kBadRequest,
                     "repetition_penalty must be 0 or 1-" + protocol::LimitText(protocol::kMaxRepetitionPenalty));
  }
  if (options.final && options.text.size() > config_.max_text_bytes) {
    return MakeError(ErrorCode::kTextTooLong, "text of " + std::to_string(options.text.size()) +
                                                  " bytes exceeds the limit of " + std::to_string(config_.max_text_bytes));
  }
  const bool ssml = options.ssml || LooksLikeSsml(options.text);
  if (options.final && !ssml) {
    auto normalized = impl.frontend->Normalize(options.text);
    if (!normalized) return std::unexpected(normalized.error());
  }
  std::unique_ptr<Stream> stream(new Stream(shared_from_this()));
  if (options.ssml) stream->UseSsml();
  const GptSovitsManifest& g = manifest_.gpt_sovits;
  const Sampling sampling{.top_k = options.top_k > 0 ? options.top_k : g.top_k,
                          .top_p = options.top_p > 0 ? options.top_p : g.top_p,
                          .temperature = options.temperature > 0 ? options.temperature : g.temperature,
                          .repetition_penalty = options.repetition_penalty > 0 ? options.repetition_penalty
                                                                               : g.repetition_penalty};
  auto ts = std::make_unique<TokenState>(impl.device, options.seed, sampling);
  ts->reference = &impl.gpt_sovits->default_reference();
  if (options.reference) {
    auto ref = impl.gpt_sovits->FromPrepared(*options.reference);
    if (!ref) return std::unexpected(ref.error());
    ts->own_reference = std::move(*ref);
    ts->reference = &*ts->own_reference;
  }
  stream->state_->tokens = std::move(ts);
  stream->state_->mark_level = options.marks == MarkLevel::kNone ? MarkLevel::kNone : MarkLevel::kWords;
  if (!options.text.empty()) {
    if (auto s = stream->Append(options.text); !s) return std::unexpected(s.error());
  }
  if (options.final) {
    if (auto s = stream->Close(); !s) return std::unexpected(s.error());
  }
  return stream;
}

Result<std::unique_ptr<Stream>> Voice::Start(const StreamOptions& options) const {
  if (impl_->gpt_sovits) return StartTokens(options);
  const Impl& impl = *impl_;
  if (options.reference) {
    return MakeError(ErrorCode::kNotSupported, "voice '" + name() + "' takes no GPT-SoVITS reference");
  }
  c10::InferenceMode guard;
  torch::Tensor speaker;
  if (!options.speaker_embedding.empty()) {
    if (options.speaker_embedding.size() != speaker_dim()) {
      return MakeError(ErrorCode::kBadRequest, "speaker embedding has " + std::to_string(options.speaker_embedding.size()) +
                                                   " numbers; voice '" + name() + "' takes " + std::to_string(speaker_dim()));
    }
    speaker = torch::tensor(options.speaker_embedding).view({1, -1}).to(impl.device, impl.dtype);
  } else {
    int64_t speaker_id = 0;
    if (!options.speaker.empty()) {
      auto it = std::find(manifest_.speakers.begin(), manifest_.speakers.end(), options.speaker);
      if (it == manifest_.speakers.end()) {
        return MakeError(ErrorCode::kUnknownSpeaker, "voice '" + name() + "' has no speaker '" + options.speaker + "'");
      }
      speaker_id = it - manifest_.speakers.begin();
    }
    speaker = impl.speaker_embeddings[speaker_id];
  }
  if (!(options.speed >= protocol::kMinSpeed && options.speed <= protocol::kMaxSpeed)) {
    return MakeError(ErrorCode::kBadRequest, "speed must be between " + protocol::LimitText(protocol::kMinSpeed) +
                                                 " and " + protocol::LimitText(protocol::kMaxSpeed));
  }
  if (options.emotion && !has_emotion()) {
    return MakeError(ErrorCode::kNotSupported, "voice '" + name() + "' has no emotion control");
  }
  if (!(options.emotion_alpha >= 0.0 && options.emotion_alpha <= protocol::kMaxEmotionAlpha)) {
    return MakeError(ErrorCode::kBadRequest,
                     "emotion_alpha must be between 0 and " + protocol::LimitText(protocol::kMaxEmotionAlpha));
  }
  if (!(options.duration_s >= 0.0 && options.duration_s <= protocol::kMaxDurationS)) {
    return MakeError(ErrorCode::kBadRequest,
                     "duration must be between 0 and " + protocol::LimitText(protocol::kMaxDurationS) + " seconds");
  }
  if (options.duration_s > 0 && !options.final) {
    return MakeError(ErrorCode::kBadRequest, "duration control needs the whole text up front (final)");
  }
  if (options.final) {
    // Whole text known: reject what cannot be spoken before any audio is promised.
    if (options.text.size() > config_.max_text_bytes) {
      return MakeError(ErrorCode::kTextTooLong, "text of " + std::to_string(options.text.size()) +
                                                    " bytes exceeds the limit of " +
                                                    std::to_string(config_.max_text_bytes));
    }
    // Duration control phonemizes everything below anyway; SSML is read as it is appended.
    if (options.duration_s == 0 && !options.ssml && !LooksLikeSsml(options.text)) {
      auto normalized = impl.frontend->Normalize(options.text);
      if (!normalized) return std::unexpected(normalized.error());
    }
  }
  std::unique_ptr<Stream> stream(new Stream(shared_from_this()));
  if (options.ssml) stream->UseSsml();
  Stream::State& st = *stream->state_;
  st.speaker = speaker;
  st.own_speaker = speaker;
  st.speed = options.speed;
  st.mark_level = options.marks;
  if (has_emotion()) {
    EmotionVector e{};
    if (options.emotion) {
      float sum = 0;
      for (size_t i = 0; i < kEmotionAxes; ++i) {
        float v = (*options.emotion)[i];
        e[i] = std::isfinite(v) ? std::clamp(v, 0.0f, kMaxWeight) : 0.0f;
        sum += e[i];
      }
      const float scale = static_cast<float>(options.emotion_alpha) / std::max(1.0f, sum);
      for (float& v : e) v *= scale;
    }
    st.emotion = torch::from_blob(e.data(), {1, static_cast<int64_t>(kEmotionAxes)}, torch::kFloat)
                     .clone()
                     .to(impl.device, impl.dtype);
  }
  if (!options.text.empty()) {
    if (auto s = stream->Append(options.text); !s) return std::unexpected(s.error());
  }
  if (options.final) {
    if (auto s = stream->Close(); !s) return std::unexpected(s.error());
  }
  if (options.duration_s > 0) {
    if (auto s = stream->PrepareDuration(options.duration_s); !s) return std::unexpected(s.error());
  }
  return stream;
}

bool Voice::can_clone() const { return impl_->speaker_encoder.has_value(); }
bool Voice::takes_reference_text() const { return impl_->gpt_sovits != nullptr; }

Result<TokenReference> Voice::PrepareReference(std::span<const std::vector<float>> references,
                                               std::string_view text) const {
  if (!impl_->gpt_sovits) {
    return MakeError(ErrorCode::kNotSupported, "voice '" + name() + "' takes no reference transcript (not a token voice)");
  }
  return impl_->gpt_sovits->Prepare(references, sample_rate(), text);
}
bool Voice::has_emotion() const { return !manifest_.emotion_axes.empty(); }
bool Voice::has_emotion_audio() const { return impl_->emotion_encoder.has_value(); }
bool Voice::has_emotion_text() const { return impl_->emotion_text.has_value(); }
size_t Voice::speaker_dim() const {
  return impl_->speaker_embeddings.empty() ? 0 : static_cast<size_t>(impl_->speaker_embeddings.front().size(1));
}

Result<std::vector<float>> Voice::EmbedSpeaker(std::span<const std::vector<float>> references) const {
  if (!can_clone()) return MakeError(ErrorCode::kNotSupported, "voice '" + name() + "' cannot clone voices (no speaker encoder)");
  if (references.empty()) return MakeError(ErrorCode::kBadAudio, "no reference audio");
  const Impl& impl = *impl_;
  c10::InferenceMode guard;
  torch::Tensor sum;
  double weight = 0;
  for (const auto& ref : references) {
    if (ref.size() < static_cast<size_t>(manifest_.hop_samples) * 8) {
      return MakeError(ErrorCode::kBadAudio, "reference audio is too short to analyse");
    }
    auto emb = Guarded("speaker encoder", [&] {
      auto audio = torch::from_blob(const_cast<float*>(ref.data()), {1, static_cast<int64_t>(ref.size())}, torch::kFloat)
                       .to(impl.device);
      return impl.speaker_encoder->forward({audio}).toTensor().to(torch::kCPU, torch::kFloat);
    });
    if (!emb) return std::unexpected(emb.error());
    const double w = static_cast<double>(ref.size());
    sum = sum.defined() ? sum + *emb * w : *emb * w;
    weight += w;
  }
  torch::Tensor mean = (sum / weight).contiguous().view({-1});
  if (static_cast<size_t>(mean.numel()) != speaker_dim()) {
    return MakeError(ErrorCode::kModelError, "speaker encoder gives " + std::to_string(mean.numel()) +
                                                 " numbers; the encoder takes " + std::to_string(speaker_dim()));
  }
  return std::vector<float>(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel());
}

namespace {
Result<EmotionVector> ToEmotion(const Result<torch::Tensor>& t) {
  if (!t) return std::unexpected(t.error());
  torch::Tensor v = t->to(torch::kCPU, torch::kFloat).contiguous().view({-1});
  if (v.numel() != static_cast<int64_t>(kEmotionAxes)) {
    return MakeError(ErrorCode::kModelError,
                     "emotion stage gives " + std::to_string(v.numel()) + " axes, not " + std::to_string(kEmotionAxes));
  }
  EmotionVector e{};
  for (size_t i = 0; i < kEmotionAxes; ++i) e[i] = std::clamp(v[i].item<float>(), 0.0f, kMaxWeight);
  return e;
}
}  // namespace

Result<EmotionVector> Voice::EmotionFromAudio(std::span<const float> audio) const {
  if (!has_emotion_audio()) return MakeError(ErrorCode::kNotSupported, "voice '" + name() + "' cannot read emotion from audio");
  if (audio.size() < static_cast<size_t>(manifest_.hop_samples) * 8) {
    return MakeError(ErrorCode::kBadAudio, "emotion reference is too short to analyse");
  }
  const Impl& impl = *impl_;
  c10::InferenceMode guard;
  return ToEmotion(Guarded("emotion encoder", [&] {
    auto x = torch::from_blob(const_cast<float*>(audio.data()), {1, static_cast<int64_t>(audio.size())}, torch::kFloat)
                 .to(impl.device);
    return impl.emotion_encoder->forward({x}).toTensor();
  }));
}

Result<EmotionVector> Voice::EmotionFromText(std::string_view description) const {
  if (!has_emotion_text()) return MakeError(ErrorCode::kNotSupported, "voice '" + name() + "' cannot read emotion descriptions");
  if (description.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return MakeError(ErrorCode::kBadRequest, "emotion description is empty");
  }
  if (description.size() > protocol::kMaxEmotionTextBytes) {
    return MakeError(ErrorCode::kBadRequest,
                     "emotion description is over " + std::to_string(protocol::kMaxEmotionTextBytes) + " bytes");
  }
  const Impl& impl = *impl_;
  c10::InferenceMode guard;
  return ToEmotion(Guarded("emotion text", [&] {
    return impl.emotion_text->forward({std::string(description)}).toTensor();
  }));
}

}  // namespace ttsd::engine
