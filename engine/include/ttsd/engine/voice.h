// A loaded voice package (shared, immutable) and the per-request stream that pulls audio from it.
//   auto voice = Voice::Load("models/fixtures/fixture-ar", config);  // Result<std::shared_ptr<Voice>>
//   auto stream = (*voice)->Start({.speaker = "", .text = "Hello.", .final = true});
//   Chunk c; while ((*stream)->Next(&c).value() == StepResult::kChunk && !c.is_last) use(c.samples);
// Thread-safety: Voice methods are const and safe from any thread. A Stream belongs to one
// thread at a time (the daemon hands it between inference workers, never to two at once).
//
// A voice package is a directory holding voice.json (the manifest, see models/README.md) and
// TorchScript modules. Stage contracts (B = 1, float32; dtype fp16 runs the encoder and acoustic
// stages in half precision, the vocoder and analysis stages stay float32; T phones, N frames,
// H encoder width, C = H + 1 frame condition width, M mel bins, S speaker embedding width):
//   encoder "encoder":
//     speaker_embedding(speaker_id: int64[1]) -> [1, S]
//     forward(phones: int64[1, T], speaker: [1, S]) -> ([1, T, H] hidden, [1, T] durations in frames)
//     or, when the manifest lists emotion_axes (E of them):
//     forward(phones, speaker: [1, S], emotion: [1, E]) -> (hidden, durations)
//   optional "speaker_encoder" (voice cloning): forward(audio: [1, L] at sample_rate) -> [1, S]
//   optional "emotion_encoder": forward(audio: [1, L] at sample_rate) -> [1, E], each axis 0..1
//   optional "emotion_text": forward(description: str) -> [1, E], each axis 0..1
//   acoustic "autoregressive" (one frame per step, state carried):
//     initial_state() -> List[Tensor];  step(cond: [1, C], prev: [1, M], state) -> ([1, M], state)
//   acoustic "streaming" (chunks of frames, state carried):
//     initial_state() -> List[Tensor];  forward(cond: [1, N, C], state) -> ([1, N, M], state)
//   vocoder "streaming_vocoder":
//     initial_state() -> List[Tensor];  forward(mel: [1, N, M], state) -> ([1, N * hop], state)
//     flush(state) -> [1, K] (the samples still held in the state, K >= 0)
// The frame condition is the hidden vector of the frame's phone followed by the frame's position
// inside the phone, (i + 0.5) / frames_of_phone.
// A manifest with "batching": true promises that the acoustic and vocoder stages take any B >= 1 in
// place of 1 and that every state tensor has the batch on dim 0: then Stream::NextBatch runs the
// steps of several streams as one call (rows of a batch never mix).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/engine/engine-config.h"
#include "ttsd/engine/token-reference.h"
#include "ttsd/frontend/inline-tags.h"
#include "ttsd/protocol/error.h"
#include "ttsd/protocol/limits.h"

namespace ttsd::engine {

// IndexTTS2's emotion axes, in its order: the wire's (protocol/limits.h).
using protocol::kEmotionAxes;
using protocol::kEmotionAxisNames;
using EmotionVector = std::array<float, kEmotionAxes>;

// The GPT-SoVITS part of a manifest ("family": "gpt-sovits"; models/README.md): upstream's streaming
// TorchScript export (t2s.pt, vits.pt, ssl_model.pt), its phone symbols and the voice's reference.
struct GptSovitsManifest {
  std::string version;  // upstream's model version: "v2", "v2Pro" or "v2ProPlus"
  std::string t2s_file, vits_file, ssl_file, symbols_file;  // relative to the package directory
  std::string reference_audio;  // WAV, 3-10 s: the default speaker
  std::string reference_text;   // what is said in it
  int min_libtorch_major = 2, min_libtorch_minor = 0;  // "min_libtorch": "2.0"
  // The sampling of requests that name none (upstream's api_v2 defaults): top-k, top-p (1: off),
  // temperature, repetition penalty (1: off).
  int top_k = 15;
  double top_p = 1.0;
  double temperature = 1.0;
  double repetition_penalty = 1.35;
  std::string dtype = "fp32";   // what the files were exported in: "fp32" or "fp16"
  // Optional: the words upstream's frontend spells (CMUdict and its additions), in the user lexicon's
  // format; read after the user's lexicon and before flite's.
  std::string lexicon_file;
  // Optional: upstream's Chinese BERT (export_torch_script.py's bert_model.pt) and its tokenizer's
  // vocab.txt. Without them the voice speaks English only and refuses Chinese text.
  std::string bert_file, bert_vocab_file;
};

struct VoiceManifest {
  int format_version = 1;
  std::string family = "native";  // "native": the stages above; "gpt-sovits": token voices
  std::string name;
  std::string description;
  std::vector<std::string> languages;
  std::vector<std::string> speakers;  // index is the speaker id; the first is the default
  std::vector<std::string> phonemes;  // index is the phone id
  int sample_rate = 0;
  int hop_samples = 0;  // audio samples per acoustic frame
  int mel_bins = 0;
  std::string acoustic_type;  // "autoregressive" or "streaming"
  std::string encoder_file, acoustic_file, vocoder_file;  // relative to the package directory
  // Optional stages; empty when the package has none.
  std::string speaker_encoder_file, emotion_encoder_file, emotion_text_file;
  std::vector<std::string> emotion_axes;  // empty, or exactly kEmotionAxisNames
  bool batching = false;  // the acoustic and vocoder stages take a batch of streams (see above)
  // Samples by which the vocoder's audio lags the frames it was given (optional, default 0): word
  // marks are placed this much after their frames.
  int audio_delay_samples = 0;
  // The mel bins' range on the HTK mel scale (optional): with them, [pitch:] tags shift the mel
  // spectrogram along frequency before the vocoder; without them the voice refuses pitch changes.
  double mel_fmin = 0, mel_fmax = 0;
  // family "gpt-sovits": phonemes are its symbols, speakers {"default"}, hop_samples the samples
  // per semantic token, acoustic_type "tokens", mel_bins 0.
  GptSovitsManifest gpt_sovits;

  // Reads and validates dir/voice.json. Errors: kModelError saying what is wrong, kIo if unreadable.
  static Result<VoiceManifest> Read(const std::string& dir);
};

// Where a piece of the request's text is heard in its audio (StreamOptions::marks).
enum class MarkKind : uint8_t {
  kSentence,  // a sentence (or piece of one) as the splitter cut it
  kWord,      // a written word (one written form: "$5.50", "March 5, 2024")
  kPhone,     // one phone of a word; text is the phone ("hh", "ax0")
};
enum class MarkLevel : uint8_t { kNone, kWords, kPhones };  // which kinds: none; sentences and words; and phones

struct Mark {
  MarkKind kind = MarkKind::kWord;
  uint64_t text_begin = 0, text_end = 0;  // bytes [begin, end) of the request's text (all of it appended)
  uint64_t start = 0, end = 0;            // samples [start, end) of the request's audio
  std::string text;                       // the words as read (after markup), or the phone
  bool operator==(const Mark&) const = default;
};

struct StreamOptions {
  std::string speaker = {};  // empty: the default speaker
  // Non-empty: a cloned speaker (from Voice::EmbedSpeaker); takes the place of `speaker`.
  std::vector<float> speaker_embedding = {};
  std::string text = {};
  bool final = true;    // false: more text comes through Stream::Append, then Stream::Close
  double speed = 1.0;   // protocol::kMinSpeed..kMaxSpeed; > 1 is faster
  // Emotion on kEmotionAxisNames, each 0..1; scaled down so that the axes sum to at most 1,
  // then multiplied by emotion_alpha. Voices without emotion_axes refuse it (kNotSupported).
  std::optional<EmotionVector> emotion = {};
  double emotion_alpha = 1.0;  // 0..protocol::kMaxEmotionAlpha
  // > 0: the whole utterance lasts this many seconds, at most protocol::kMaxDurationS (speech and
  // pauses scaled together);
  // needs final text, and overrides speed. 0: natural length.
  double duration_s = 0;
  // Token voices (GPT-SoVITS) sample their tokens: top-k (1: greedy), top-p, temperature and
  // repetition penalty (0: the voice's default; ranges in protocol/limits.h) and the seed of the
  // request's own random generator (none: a random one). The same seed, text and voice give the
  // same audio, whatever else runs. Native voices have no sampling and ignore them.
  int top_k = 0;
  double top_p = 0;
  double temperature = 0;
  double repetition_penalty = 0;
  std::optional<uint64_t> seed = {};
  // Token voices: the speaker, from Voice::PrepareReference (or a saved voice); null: the voice's own.
  std::shared_ptr<const TokenReference> reference = {};
  // Marks handed out with the chunks (Chunk::marks). Native voices give sentences, words and
  // phones from the durations they decide; token voices give sentences only (their length is
  // known only once generated).
  MarkLevel marks = MarkLevel::kNone;
  // The text is SSML (ttsd/frontend/ssml.h); also when it starts with "<speak". Mark text spans
  // then count bytes of the SSML.
  bool ssml = false;
};

// Audio handed out by Stream::Next; the span stays valid until the next call on the stream.
struct Chunk {
  std::span<const float> samples;  // mono, -1..1
  uint64_t sample_offset = 0;      // samples before this chunk in the request
  bool is_last = false;
  // Marks that start before this chunk's end and came with no earlier chunk, by start: a word's
  // mark comes no later than the chunk that begins it (a token voice's sentence mark with the
  // chunk that ends it). After a cancel the last mark handed out is the last begun.
  std::span<const Mark> marks;
};

enum class StepResult {
  kChunk,     // *chunk holds audio (possibly the last, possibly empty when is_last)
  kNeedText,  // nothing can be produced until more text is appended or the stream is closed
};

class Stream;
struct Prepared;   // voice-impl.h: one encoded sentence
struct StepInput;  // voice-impl.h: the frames of one model step

class Voice : public std::enable_shared_from_this<Voice> {
 public:
  // Loads the package in dir, moves it to the configured device and dtype, warms it up.
  // Errors: kModelError, kIo, kBadRequest (config).
  static Result<std::shared_ptr<Voice>> Load(const std::string& dir, const EngineConfig& config);
  ~Voice();

  const VoiceManifest& manifest() const { return manifest_; }
  const std::string& name() const { return manifest_.name; }
  int sample_rate() const { return manifest_.sample_rate; }
  const EngineConfig& config() const { return config_; }

  // Errors: kUnknownSpeaker, kEmptyText (final with no text), kTextTooLong, kUnsupportedText
  // (only when the text is known to be unspeakable up front).
  Result<std::unique_ptr<Stream>> Start(const StreamOptions& options) const;

  bool can_clone() const;         // has a speaker_encoder stage
  bool has_emotion() const;       // takes an emotion vector
  bool has_emotion_audio() const; // has an emotion_encoder stage
  bool has_emotion_text() const;  // has an emotion_text stage
  size_t speaker_dim() const;     // S (0 for token voices, which take references instead)
  // Token voices (GPT-SoVITS) clone from references with their transcript (PrepareReference), not
  // from an embedding.
  bool takes_reference_text() const;

  // Speaker embedding of one or more references (mono, -1..1, at sample_rate()), fused by
  // averaging weighted by length. Errors: kNotSupported, kBadAudio (empty), kModelError.
  Result<std::vector<float>> EmbedSpeaker(std::span<const std::vector<float>> references) const;
  // A token voice's speaker from references (mono, -1..1, at sample_rate()): the first, of 3-10 s,
  // says `text` and gives the prompt; all of them give the timbre. Errors: kNotSupported (not a
  // token voice), kBadAudio (no reference, or the first outside 3-10 s), kEmptyText,
  // kUnsupportedText (a transcript the voice cannot spell), kModelError.
  Result<TokenReference> PrepareReference(std::span<const std::vector<float>> references, std::string_view text) const;
  // Emotion heard in a reference. Errors: kNotSupported, kBadAudio, kModelError.
  Result<EmotionVector> EmotionFromAudio(std::span<const float> audio) const;
  // Emotion named by a description ("angrily, voice trembling", "悲伤地"). Errors: kNotSupported,
  // kBadRequest (empty or over protocol::kMaxEmotionTextBytes), kModelError.
  Result<EmotionVector> EmotionFromText(std::string_view description) const;

 private:
  friend class Stream;
  friend struct StepBatch;
  Voice() = default;
  // Family "gpt-sovits" (gpt-sovits.h): after the manifest, the device and the frontend.
  static Result<std::shared_ptr<Voice>> LoadGptSovits(std::shared_ptr<Voice> voice, const std::string& dir);
  Result<std::unique_ptr<Stream>> StartTokens(const StreamOptions& options) const;
  struct Impl;
  VoiceManifest manifest_;
  EngineConfig config_;
  std::unique_ptr<Impl> impl_;
};

// Where a stream's compute went: wall time on the stepping thread, in ms. A batched step's time is
// split evenly among its streams. On CUDA a stage's time includes waiting for its results only where
// they come back to the CPU (durations after the encoder, audio after the vocoder).
struct StageTimes {
  double frontend_ms = 0;  // normalization, sentence text, G2P, phone ids
  double encoder_ms = 0;   // the encoder stage, durations back on the CPU
  double acoustic_ms = 0;  // acoustic steps, their conditioning and states
  double vocoder_ms = 0;   // vocoder steps and flush, audio back on the CPU
  int steps = 0;           // model steps taken (one per chunk with audio, the flush aside)
};

// Per-request state: text not yet spoken, model caches, the audio of the last chunk.
class Stream {
 public:
  ~Stream();

  // More text for a stream started with final = false. Errors: kBadRequest after Close,
  // kTextTooLong past config.max_text_bytes.
  Status Append(std::string_view text);
  // No more text. Errors: kEmptyText when the request never received any text.
  Status Close();
  // Speak the text appended so far without waiting for its sentence to end (SentenceSplitter::Flush).
  // Errors: kBadRequest after Close.
  Status Flush();

  // Produces the next chunk. Errors: kUnsupportedText for a sentence the frontend rejects,
  // kModelError if a stage fails. After is_last or an error the stream is finished.
  Result<StepResult> Next(Chunk* chunk);

  // Next() for several streams at once (continuous batching): the model steps of streams of one
  // batching voice that want the same number of frames run as one batch, the others one by one.
  // results[i] and chunks[i] belong to streams[i]; outputs equal what Next() gives each stream.
  // Each stream must belong to the calling thread; a stream must not appear twice.
  static std::vector<Result<StepResult>> NextBatch(std::span<Stream* const> streams, std::span<Chunk> chunks);

  // Safe from any thread; the next Next() returns kCancelled. Generation stops at a chunk boundary.
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool finished() const { return finished_; }
  uint64_t samples_produced() const { return sample_offset_; }
  const StageTimes& stage_times() const { return times_; }
  int sample_rate() const;

 private:
  friend class Voice;
  struct State;
  explicit Stream(std::shared_ptr<const Voice> voice);
  // Phonemizes and encodes one sentence, which starts at text_offset of the (converted) text;
  // false when nothing in it is speakable.
  Result<bool> Encode(const std::string& sentence, uint64_t text_offset, Prepared* out);
  // An inline tag the splitter handed out: parsed, and applied unless it is a pause; nullopt when
  // `sentence` is none. Errors say where the tag is.
  Result<std::optional<frontend::InlineTag>> Tag(std::string_view sentence);
  Status ApplyTag(const frontend::InlineTag& tag);
  // Silence for a [pause:] (fixed frames, then exact samples), after the sentence laid out last.
  void StartPause(double ms);
  // Marks: the request's bytes for bytes of the converted text; a laid-out sentence's marks
  // (phone_frames: where each phone starts, then the end); the marks a chunk reaches.
  std::pair<uint64_t, uint64_t> TextSpan(uint64_t begin, uint64_t end) const;
  void LayOutMarks(const Prepared& p, const std::vector<int64_t>& phone_frames);
  void TakeMarks(Chunk* chunk);
  // Text on its way to the splitter, through the SSML reader when the request is SSML.
  Status Feed(std::string_view text);
  void UseSsml();  // StreamOptions::ssml: the text is SSML whatever it starts with
  void ExpandFrames(Prepared sentence);
  // Duration control: encodes all (closed) text now and scales it to last `seconds`.
  Status PrepareDuration(double seconds);
  // Next() up to the model step: text, sentences, the end of the request. Returns a result when
  // the call ends without a model step; otherwise fills *step.
  Result<std::optional<StepResult>> Begin(Chunk* chunk, StepInput* step);
  // Next() of a token voice (token-stream.cc): tokens until a window is ready, then its audio.
  Result<StepResult> NextTokens(Chunk* chunk);
  friend struct StepBatch;  // stream.cc: runs begun steps together and hands out their audio
  std::shared_ptr<const Voice> voice_;
  std::unique_ptr<State> state_;
  std::atomic<bool> cancelled_{false};
  bool finished_ = false;
  uint64_t sample_offset_ = 0;
  StageTimes times_;
};

// The libtorch this build runs on: "1.13.1" (TORCH_VERSION), for ttsd_build_info.
std::string LibtorchVersion();

}  // namespace ttsd::engine
