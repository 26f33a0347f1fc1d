#include "ttsd/engine/voice.h"

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <cmath>
#include <deque>
#include <filesystem>
#include <numeric>
#include <optional>
#include <mutex>
#include <unordered_map>

#include "ttsd/engine/text-frontend.h"

namespace ttsd::engine {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  static std::shared_ptr<spdlog::logger> log = [] {
    auto l = spdlog::get("engine");
    return l ? l : spdlog::default_logger()->clone("engine");
  }();
  return log;
}

// Runs f, turning any c10 / std exception from libtorch into a kModelError.
template <typename F>
auto Guarded(const char* what, F&& f) -> Result<decltype(f())> {
  try {
    return f();
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kModelError, std::string(what) + ": " + e.what());
  }
}

void SetThreadsOnce(int threads) {
  static std::once_flag once;
  std::call_once(once, [threads] {
    at::set_num_threads(threads);
    at::set_num_interop_threads(1);
  });
}

}  // namespace

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


// A sentence encoded ahead of time (duration control encodes them all up front).
struct Prepared {
  torch::Tensor hidden;         // [T, H] on device
  std::vector<float> durations; // frames per phone, already scaled
  std::vector<float> elasticity;  // per phone: how much it stretches (pause 1.5, vowel 1, consonant 0.6)
  std::string text;             // for logs
};

struct Stream::State {
  SentenceSplitter splitter;
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

Voice::~Voice() = default;

Result<std::shared_ptr<Voice>> Voice::Load(const std::string& dir, const EngineConfig& config) {
  if (auto s = config.Validate(); !s) return std::unexpected(s.error());
  auto manifest = VoiceManifest::Read(dir);
  if (!manifest) return std::unexpected(manifest.error());
  SetThreadsOnce(config.threads);

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

  auto frontend = TextFrontend::Create(m.languages.empty() ? "en-us" : m.languages.front());
  if (!frontend) return std::unexpected(frontend.error());
  impl.frontend = std::move(*frontend);
  for (size_t i = 0; i < m.phonemes.size(); ++i) impl.phone_ids.emplace(m.phonemes[i], static_cast<int64_t>(i));

  namespace fs = std::filesystem;
  auto load = [&](const std::string& file, torch::jit::Module* out) -> Status {
    const std::string path = (fs::path(dir) / file).string();
    auto r = Guarded(("loading " + path).c_str(), [&] {
      torch::jit::Module mod = torch::jit::load(path, impl.device);
      mod.eval();
      mod.to(impl.dtype);
      return mod;
    });
    if (!r) return std::unexpected(r.error());
    *out = std::move(*r);
    return {};
  };
  for (auto [file, mod] : {std::pair{m.encoder_file, &impl.encoder}, std::pair{m.acoustic_file, &impl.acoustic},
                           std::pair{m.vocoder_file, &impl.vocoder}}) {
    if (auto s = load(file, mod); !s) return std::unexpected(s.error());
  }
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

  if (config.warmup) {
    // Runs the profiling executor's first passes now, not on a user's first request.
    for (int round = 0; round < 2; ++round) {
      StreamOptions warm;
      warm.text = "Hello there, this warms the voice up.";
      auto stream = voice->Start(warm);
      if (!stream) return std::unexpected(stream.error());
      Chunk chunk;
      do {
        auto r = (*stream)->Next(&chunk);
        if (!r) return std::unexpected(r.error());
      } while (!chunk.is_last);
      impl.flush_samples = chunk.samples.size();
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
  Log()->info("voice '{}' loaded from {}: {} speakers, {} Hz, acoustic stage {}", m.name, dir, m.speakers.size(),
              m.sample_rate, m.acoustic_type);
  return voice;
}

Result<std::unique_ptr<Stream>> Voice::Start(const StreamOptions& options) const {
  const Impl& impl = *impl_;
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
  if (!(options.speed >= 0.25 && options.speed <= 4.0)) {
    return MakeError(ErrorCode::kBadRequest, "speed must be between 0.25 and 4");
  }
  if (options.emotion && !has_emotion()) {
    return MakeError(ErrorCode::kNotSupported, "voice '" + name() + "' has no emotion control");
  }
  if (!(options.emotion_alpha >= 0.0 && options.emotion_alpha <= 1.0)) {
    return MakeError(ErrorCode::kBadRequest, "emotion_alpha must be between 0 and 1");
  }
  if (!(options.duration_s >= 0.0 && options.duration_s <= 600.0)) {
    return MakeError(ErrorCode::kBadRequest, "duration must be between 0 and 600 seconds");
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
    if (options.duration_s == 0) {  // duration control phonemizes everything below anyway
      auto normalized = impl.frontend->Normalize(options.text);
      if (!normalized) return std::unexpected(normalized.error());
    }
  }
  std::unique_ptr<Stream> stream(new Stream(shared_from_this()));
  Stream::State& st = *stream->state_;
  st.speaker = speaker;
  st.speed = options.speed;
  if (has_emotion()) {
    EmotionVector e{};
    if (options.emotion) {
      float sum = 0;
      for (size_t i = 0; i < kEmotionAxes; ++i) {
        float v = (*options.emotion)[i];
        e[i] = std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) : 0.0f;
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
bool Voice::has_emotion() const { return !manifest_.emotion_axes.empty(); }
bool Voice::has_emotion_audio() const { return impl_->emotion_encoder.has_value(); }
bool Voice::has_emotion_text() const { return impl_->emotion_text.has_value(); }
size_t Voice::speaker_dim() const { return static_cast<size_t>(impl_->speaker_embeddings.front().size(1)); }

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
                       .to(impl.device, impl.dtype);
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
    return MakeError(ErrorCode::kModelError, "emotion stage gives " + std::to_string(v.numel()) + " axes, not 8");
  }
  EmotionVector e{};
  for (size_t i = 0; i < kEmotionAxes; ++i) e[i] = std::clamp(v[i].item<float>(), 0.0f, 1.0f);
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
                 .to(impl.device, impl.dtype);
    return impl.emotion_encoder->forward({x}).toTensor();
  }));
}

Result<EmotionVector> Voice::EmotionFromText(std::string_view description) const {
  if (!has_emotion_text()) return MakeError(ErrorCode::kNotSupported, "voice '" + name() + "' cannot read emotion descriptions");
  if (description.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return MakeError(ErrorCode::kBadRequest, "emotion description is empty");
  }
  if (description.size() > 1000) return MakeError(ErrorCode::kBadRequest, "emotion description is over 1000 bytes");
  const Impl& impl = *impl_;
  c10::InferenceMode guard;
  return ToEmotion(Guarded("emotion text", [&] {
    return impl.emotion_text->forward({std::string(description)}).toTensor();
  }));
}

Stream::Stream(std::shared_ptr<const Voice> voice) : voice_(std::move(voice)), state_(std::make_unique<State>()) {}
Stream::~Stream() = default;

int Stream::sample_rate() const { return voice_->sample_rate(); }

Status Stream::Append(std::string_view text) {
  if (state_->splitter.closed()) return MakeError(ErrorCode::kBadRequest, "text appended after the request was closed");
  state_->text_bytes += text.size();
  if (state_->text_bytes > voice_->config().max_text_bytes) {
    return MakeError(ErrorCode::kTextTooLong,
                     "text exceeds the limit of " + std::to_string(voice_->config().max_text_bytes) + " bytes");
  }
  if (text.find_first_not_of(" \t\r\n") != std::string_view::npos) state_->got_text = true;
  state_->splitter.Append(text);
  return {};
}

Status Stream::Close() {
  state_->splitter.Close();
  if (!state_->got_text) return MakeError(ErrorCode::kEmptyText, "the request has no text");
  return {};
}

Result<bool> Stream::Encode(const std::string& sentence, Prepared* out) {
  const Voice::Impl& impl = *voice_->impl_;
  State& st = *state_;
  auto segment = impl.frontend->Phonemize(sentence);
  if (!segment) {
    if (segment.error().code == ErrorCode::kEmptyText) return false;
    return std::unexpected(segment.error());
  }
  auto ids = impl.PhoneIds(segment->phones);
  if (!ids) return std::unexpected(ids.error());
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
  for (float& f : out->durations) f = std::isfinite(f) ? std::max(0.0f, f) / static_cast<float>(st.speed) : 0.0f;
  out->text = std::move(segment->text);
  // In slow and fast reading pauses change most, vowels more than consonants.
  out->elasticity.resize(segment->phones.size());
  for (size_t i = 0; i < segment->phones.size(); ++i) {
    const std::string& ph = segment->phones[i];
    const bool vowel = !ph.empty() && std::isdigit(static_cast<unsigned char>(ph.back()));
    out->elasticity[i] = ph == "pau" ? 1.5f : vowel ? 1.0f : 0.6f;
  }
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
  for (size_t p = 0; p < sentence.durations.size(); ++p) {
    st.cumulative += sentence.durations[p];
    const int64_t frames = std::max<int64_t>(1, std::llround(st.cumulative) - st.emitted);
    for (int64_t i = 0; i < frames; ++i) {
      st.frame_phone.push_back(static_cast<int64_t>(p));
      st.frame_pos.push_back((static_cast<float>(i) + 0.5f) / static_cast<float>(frames));
    }
    st.emitted += frames;
  }
  SPDLOG_LOGGER_DEBUG(Log(), "sentence of {} phones, {} frames: {}", sentence.durations.size(), st.frame_phone.size(),
                      sentence.text);
}

Status Stream::PrepareDuration(double seconds) {
  const Voice& voice = *voice_;
  State& st = *state_;
  c10::InferenceMode guard;
  // Encode every sentence now: the scale depends on the natural length of the whole text.
  for (std::string sentence = st.splitter.Next(); !sentence.empty(); sentence = st.splitter.Next()) {
    Prepared p;
    auto got = Encode(sentence, &p);
    if (!got) return std::unexpected(got.error());
    if (*got) st.prepared.push_back(std::move(p));
  }
  if (st.prepared.empty()) return MakeError(ErrorCode::kEmptyText, "nothing speakable in the text");
  double natural = 0;
  for (const Prepared& p : st.prepared) natural = std::accumulate(p.durations.begin(), p.durations.end(), natural);
  const VoiceManifest& m = voice.manifest();
  const double target =
      (seconds * m.sample_rate - static_cast<double>(voice.impl_->flush_samples)) / m.hop_samples;
  const double ratio = target / std::max(natural, 1.0);
  if (!(ratio >= 0.25 && ratio <= 4.0)) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "duration %.2f s is outside 0.25-4x the natural length of this text (%.2f s)",
                  seconds, (natural * m.hop_samples + static_cast<double>(voice.impl_->flush_samples)) / m.sample_rate);
    return MakeError(ErrorCode::kBadRequest, buf);
  }
  // Phone p is scaled by q^elasticity_p; q is found by bisection so that the total is the target.
  auto total = [&](double log_q) {
    double sum = 0;
    for (const Prepared& p : st.prepared) {
      for (size_t i = 0; i < p.durations.size(); ++i) sum += p.durations[i] * std::exp(log_q * p.elasticity[i]);
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

Result<StepResult> Stream::Next(Chunk* chunk) {
  if (finished_) return MakeError(ErrorCode::kBadRequest, "stream already finished");
  if (cancelled_.load(std::memory_order_relaxed)) {
    finished_ = true;
    return MakeError(ErrorCode::kCancelled, "request cancelled");
  }
  const Voice::Impl& impl = *voice_->impl_;
  const VoiceManifest& m = voice_->manifest();
  const EngineConfig& config = voice_->config();
  State& st = *state_;
  c10::InferenceMode guard;
  const auto opts = torch::TensorOptions().dtype(impl.dtype).device(impl.device);

  // Find a sentence with frames left, encoding the next one when the current is spent.
  while (st.next_frame >= st.frame_phone.size()) {
    if (!st.prepared.empty()) {
      ExpandFrames(std::move(st.prepared.front()));
      st.prepared.pop_front();
      continue;
    }
    std::string sentence = st.splitter.Next();
    if (sentence.empty()) {
      if (!st.splitter.Done()) return StepResult::kNeedText;
      // End of the request: whatever the vocoder still holds is the last chunk.
      st.audio.clear();
      if (st.vocoder_started) {
        auto tail = Guarded("vocoder flush", [&] {
          return impl.vocoder.get_method("flush")({st.vocoder_state}).toTensor();
        });
        if (!tail) {
          finished_ = true;
          return std::unexpected(tail.error());
        }
        torch::Tensor t = tail->to(torch::kCPU, torch::kFloat).contiguous().view({-1});
        st.audio.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
      }
      *chunk = Chunk{st.audio, sample_offset_, true};
      sample_offset_ += st.audio.size();
      finished_ = true;
      return StepResult::kChunk;
    }
    Prepared sentence_prepared;
    auto got = Encode(sentence, &sentence_prepared);
    if (!got) {
      finished_ = true;
      return std::unexpected(got.error());
    }
    if (!*got) continue;  // nothing speakable in this piece
    ExpandFrames(std::move(sentence_prepared));
  }

  const int want = st.chunks == 0 ? config.first_chunk_frames : config.chunk_frames;
  const int64_t n = std::min<int64_t>(want, static_cast<int64_t>(st.frame_phone.size() - st.next_frame));
  auto audio = Guarded("synthesis", [&] {
    auto idx = torch::from_blob(st.frame_phone.data() + st.next_frame, {n}, torch::kLong).to(impl.device);
    auto pos = torch::from_blob(st.frame_pos.data() + st.next_frame, {n, 1}, torch::kFloat).to(opts);
    torch::Tensor cond = torch::cat({st.hidden.index_select(0, idx), pos}, 1).unsqueeze(0);  // [1, n, C]
    if (st.acoustic_state.isNone()) st.acoustic_state = impl.acoustic.get_method("initial_state")({});
    torch::Tensor mel;
    if (m.acoustic_type == "autoregressive") {
      if (!st.prev_frame.defined()) st.prev_frame = torch::zeros({1, m.mel_bins}, opts);
      std::vector<torch::Tensor> frames;
      frames.reserve(n);
      auto step = impl.acoustic.get_method("step");
      for (int64_t i = 0; i < n; ++i) {
        auto out = step({cond.select(1, i), st.prev_frame, st.acoustic_state}).toTuple();
        st.prev_frame = out->elements()[0].toTensor();
        st.acoustic_state = out->elements()[1];
        frames.push_back(st.prev_frame);
      }
      mel = torch::stack(frames, 1);  // [1, n, M]
    } else {
      auto out = impl.acoustic.forward({cond, st.acoustic_state}).toTuple();
      mel = out->elements()[0].toTensor();
      st.acoustic_state = out->elements()[1];
    }
    if (!st.vocoder_started) {
      st.vocoder_state = impl.vocoder.get_method("initial_state")({});
      st.vocoder_started = true;
    }
    auto out = impl.vocoder.forward({mel, st.vocoder_state}).toTuple();
    st.vocoder_state = out->elements()[1];
    return out->elements()[0].toTensor().to(torch::kCPU, torch::kFloat).contiguous().view({-1});
  });
  if (!audio) {
    finished_ = true;
    return std::unexpected(audio.error());
  }
  st.next_frame += n;
  st.chunks++;
  st.audio.assign(audio->data_ptr<float>(), audio->data_ptr<float>() + audio->numel());
  *chunk = Chunk{st.audio, sample_offset_, false};
  sample_offset_ += st.audio.size();
  return StepResult::kChunk;
}

}  // namespace ttsd::engine
