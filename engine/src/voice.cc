#include "ttsd/engine/voice.h"

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <cmath>
#include <filesystem>
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


struct Stream::State {
  SentenceSplitter splitter;
  int64_t speaker_id = 0;
  double speed = 1.0;
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
    }
  }
  Log()->info("voice '{}' loaded from {}: {} speakers, {} Hz, acoustic stage {}", m.name, dir, m.speakers.size(),
              m.sample_rate, m.acoustic_type);
  return voice;
}

Result<std::unique_ptr<Stream>> Voice::Start(const StreamOptions& options) const {
  int64_t speaker_id = 0;
  if (!options.speaker.empty()) {
    auto it = std::find(manifest_.speakers.begin(), manifest_.speakers.end(), options.speaker);
    if (it == manifest_.speakers.end()) {
      return MakeError(ErrorCode::kUnknownSpeaker, "voice '" + name() + "' has no speaker '" + options.speaker + "'");
    }
    speaker_id = it - manifest_.speakers.begin();
  }
  if (!(options.speed >= 0.25 && options.speed <= 4.0)) {
    return MakeError(ErrorCode::kBadRequest, "speed must be between 0.25 and 4");
  }
  if (options.final) {
    // Whole text known: reject what cannot be spoken before any audio is promised.
    if (options.text.size() > config_.max_text_bytes) {
      return MakeError(ErrorCode::kTextTooLong, "text of " + std::to_string(options.text.size()) +
                                                    " bytes exceeds the limit of " +
                                                    std::to_string(config_.max_text_bytes));
    }
    auto normalized = impl_->frontend->Normalize(options.text);
    if (!normalized) return std::unexpected(normalized.error());
  }
  std::unique_ptr<Stream> stream(new Stream(shared_from_this()));
  stream->state_->speaker_id = speaker_id;
  stream->state_->speed = options.speed;
  if (!options.text.empty()) {
    if (auto s = stream->Append(options.text); !s) return std::unexpected(s.error());
  }
  if (options.final) {
    if (auto s = stream->Close(); !s) return std::unexpected(s.error());
  }
  return stream;
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
    auto segment = impl.frontend->Phonemize(sentence);
    if (!segment) {
      if (segment.error().code == ErrorCode::kEmptyText) continue;  // nothing speakable in this piece
      finished_ = true;
      return std::unexpected(segment.error());
    }
    auto ids = impl.PhoneIds(segment->phones);
    if (!ids) {
      finished_ = true;
      return std::unexpected(ids.error());
    }
    auto encoded = Guarded("encoder", [&] {
      auto phones = torch::from_blob(ids->data(), {1, static_cast<int64_t>(ids->size())}, torch::kLong).to(impl.device);
      auto out = impl.encoder.forward({phones, impl.speaker_embeddings[st.speaker_id]}).toTuple();
      return std::pair{out->elements()[0].toTensor(), out->elements()[1].toTensor()};
    });
    if (!encoded) {
      finished_ = true;
      return std::unexpected(encoded.error());
    }
    st.hidden = encoded->first.squeeze(0);
    torch::Tensor durations = encoded->second.to(torch::kCPU, torch::kFloat).contiguous().view({-1});
    // Cumulative rounding keeps the total length unbiased; every phone gets at least one frame.
    st.frame_phone.clear();
    st.frame_pos.clear();
    st.next_frame = 0;
    double cumulative = 0;
    int64_t emitted = 0;
    const float* d = durations.data_ptr<float>();
    for (int64_t p = 0; p < durations.numel(); ++p) {
      cumulative += std::max(0.0, static_cast<double>(d[p])) / st.speed;
      int64_t frames = std::max<int64_t>(1, std::llround(cumulative) - emitted);
      for (int64_t i = 0; i < frames; ++i) {
        st.frame_phone.push_back(p);
        st.frame_pos.push_back((static_cast<float>(i) + 0.5f) / static_cast<float>(frames));
      }
      emitted += frames;
    }
    SPDLOG_LOGGER_DEBUG(Log(), "sentence of {} phones, {} frames: {}", ids->size(), st.frame_phone.size(), segment->text);
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
