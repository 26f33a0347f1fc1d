// Payloads of the ttsd wire protocol: JSON bodies for control frames, a binary header for audio.
//   auto req = ParseSynthesize(frame.payload);   // Result<SynthesizeRequest>
//   auto bytes = Serialize(Welcome{...});
// Thread-safety: pure functions over values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/protocol/error.h"
#include "ttsd/protocol/limits.h"

namespace ttsd::protocol {

inline constexpr uint32_t kProtocolVersionMin = 1;
inline constexpr uint32_t kProtocolVersionMax = 3;  // 2 added reference audio and saved voices, 3 marks
inline constexpr size_t kAudioHeaderBytes = 16;

enum class SampleFormat : uint8_t { kS16Le = 1, kF32Le = 2 };
std::string_view SampleFormatName(SampleFormat f);  // "s16le" / "f32le"
Result<SampleFormat> ParseSampleFormat(std::string_view name);
size_t BytesPerSample(SampleFormat f);

enum class MarkLevel : uint8_t { kNone, kWords, kPhones };  // wire: absent, "words", "phones"

struct Hello {
  uint32_t min_version = kProtocolVersionMin;
  uint32_t max_version = kProtocolVersionMax;
  std::string client;
};

struct Welcome {
  uint32_t version = kProtocolVersionMax;
  std::string server;
  uint32_t max_payload_bytes = 0;  // largest payload the server accepts
};

// Weights on kEmotionAxisNames (limits.h), each 0..kMaxEmotionWeight; absent axes are 0.
using EmotionWeights = std::array<double, kEmotionAxes>;

struct SynthesizeRequest {
  std::string voice;    // empty: the server's default voice
  std::string speaker;  // empty: the voice's default speaker
  std::string text;     // may be empty when final is false
  bool final = true;    // false: more text follows in kText frames
  SampleFormat sample_format = SampleFormat::kS16Le;
  double speed = 1.0;   // kMinSpeed..kMaxSpeed, scales durations
  // Non-empty: the audio goes to this output channel's listeners, not to the requester, who gets kDone.
  std::string channel;
  bool interrupt = false;  // channel only: cut what the channel is playing and go first
  // Channel only: who asked (a chat user, at most kMaxAuthorBytes) and through what ("twitch", "http",
  // at most kMaxSourceBytes), shown with the item in status and events. Ignored without a channel.
  std::string author = {};
  std::string source = {};
  // Style. Absent fields keep the voice's own manner.
  std::optional<EmotionWeights> emotion = {};  // wire: object axis name -> 0..1
  std::string emotion_text = {};  // a description of the emotion, at most kMaxEmotionTextBytes
  double emotion_alpha = 1.0;  // 0..kMaxEmotionAlpha, how strongly the emotion applies
  double duration_s = 0;       // wire "duration": > 0 = the whole utterance lasts this long (at most
                               // kMaxDurationS); needs final
  uint32_t references = 0;     // speaker reference files that follow in kReference frames, 0..kMaxReferences
  bool emotion_reference = false;  // one emotion reference file follows in kReference frames
  // Token voices (GPT-SoVITS): what the first reference file says, at most kMaxReferenceTextBytes;
  // they refuse references without it. Other voices refuse it.
  std::string reference_text = {};
  // Token voices' sampling: top-k (0: the voice's default, 1: greedy, at most kMaxTopK), top-p,
  // temperature and repetition penalty (0: the voice's default; ranges in limits.h) and the
  // request's own random seed (absent: a random one). Other voices ignore them.
  uint32_t top_k = 0;
  double top_p = 0;
  double temperature = 0;
  double repetition_penalty = 0;
  std::optional<uint64_t> seed = {};
  // Version 3. Marks in kMarks frames: none, sentences and words ("words"), and phones as well
  // ("phones"). Token voices give sentences only.
  MarkLevel marks = MarkLevel::kNone;
  bool ssml = false;  // the text is SSML (also when it starts with "<speak")
  // Any version (added later, no bump): each utterance brought to this loudness (LUFS, kMinLoudnessLufs..kMaxLoudnessLufs;
  // wire "loudness": a number, or true for kDefaultLoudnessLufs). Absent: the voice's own level. A
  // channel request plays at the channel's loudness instead.
  std::optional<double> loudness_lufs = {};

  // True when kReference frames must follow before the request can start.
  bool wants_references() const { return references > 0 || emotion_reference; }
};

// Where a piece of the request's text is heard (kMarks, version 3).
struct MarkInfo {
  enum class Kind : uint8_t { kSentence, kWord, kPhone };
  Kind kind = Kind::kWord;
  std::string text;                       // the words as read, or the phone
  uint64_t text_begin = 0, text_end = 0;  // bytes of the request's text, all kText frames counted
  uint64_t start = 0, end = 0;            // samples of the request's audio
  bool operator==(const MarkInfo&) const = default;
};
struct Marks {
  std::vector<MarkInfo> marks;
};
std::string_view MarkKindName(MarkInfo::Kind kind);  // "sentence", "word", "phone"

// Channel names: 1 to kMaxChannelNameBytes characters of a-z A-Z 0-9 - _ .
bool IsValidChannelName(std::string_view name);

struct ListenRequest {
  std::string channel;
  SampleFormat sample_format = SampleFormat::kS16Le;
  // Version 3: the channel's audio (false: none; the listen then counts as no listener), its play-by-play
  // events (utterance_start, sentence, word, utterance_end) and its items' lifecycle events (queued,
  // started, finished, removed, refused, paused, resumed), both in kChannelEvent frames. At least one.
  bool audio = true;
  bool events = false;
  bool items = false;
};

inline constexpr size_t kMaxAuthorBytes = 64;       // "author" of a channel request
inline constexpr size_t kMaxSourceBytes = 32;       // "source" of a channel request
inline constexpr size_t kChannelItemTextBytes = 80;  // an item's text in status and events, cut at a character
inline constexpr double kMaxChannelGain = 2.0;      // "gain" of channel_control volume: linear, 0..this

// What a channel plays, as it plays it (kChannelEvent, version 3): an utterance starts, the played
// position passes the start of one of its sentences or words, it ends (listen "events"); and what
// happens to its items (listen "items").
struct ChannelEvent {
  // wire "type": utterance_start, sentence, word, utterance_end; queued, started, finished, removed,
  // refused, paused, resumed
  enum class Kind : uint8_t { kStart, kSentence, kWord, kEnd, kQueued, kStarted, kFinished, kRemoved, kRefused,
                              kPaused, kResumed };
  Kind kind = Kind::kStart;
  // wire "id": the daemon-wide utterance (item) number; kPaused, kResumed: the current one, 0: none
  uint64_t utterance = 0;
  std::string text;                       // kStart, items: first kChannelItemTextBytes; kSentence, kWord: as read
  uint64_t text_begin = 0, text_end = 0;  // kSentence, kWord: bytes of the utterance's text
  double start_s = 0, end_s = 0;          // kSentence, kWord: seconds from the utterance's first sample
  std::string reason;                     // kEnd, kRemoved: played, skipped, cleared, interrupted, cancelled, removed,
                                          // failed, shutting down; kRefused: max_queue, max_queued_s
  double played_s = 0;                    // kEnd, kFinished, kRemoved: seconds of it played
  // Item events (kQueued ... kRefused): who asked, through what, and the voice that speaks it.
  std::string author = {}, source = {}, voice = {}, speaker = {};
  bool operator==(const ChannelEvent&) const = default;
};
std::string_view ChannelEventName(ChannelEvent::Kind kind);
bool IsItemEvent(ChannelEvent::Kind kind);  // kQueued and after: sent to listens with "items"

struct ChannelControl {
  enum class Action { kStatus, kSkip, kClear, kRemove, kPause, kResume, kVolume };
  std::string channel;
  Action action = Action::kStatus;
  uint64_t item = 0;  // kRemove: the item (required); kSkip: only if this item is playing (0: whatever plays)
  double gain = 1;    // kVolume: linear, 0..kMaxChannelGain
};

// Terminal frame of a channel request: its audio has been played out on the channel.
struct Done {
  double audio_s = 0;
};

struct ChannelEntry {
  uint64_t id = 0;          // daemon-wide utterance number
  std::string text;         // the first kChannelItemTextBytes of its text, cut at a character
  double played_s = 0;      // current entry only
  bool text_cut = false;    // its text is longer than `text`
  std::string author = {}, source = {}, voice = {}, speaker = {};
  double length_s = 0;      // its length in seconds: exact once synthesized, else estimated (protocol/README.md)
};

struct ChannelStatus {
  std::string channel;
  uint32_t listeners = 0;
  bool playing = false;
  ChannelEntry current;     // meaningful when playing
  std::vector<ChannelEntry> queue;
  uint64_t underruns = 0;   // 20 ms frames that had to be filled with silence mid-utterance
  bool paused = false;
  double gain = 1;          // linear, applied to what listeners get
  double queued_s = 0;      // audio ahead of a new item: the rest of the current one and the queue (estimated)
  uint32_t max_queue = 0;   // the daemon's caps; 0: not told (an older server)
  double max_queued_s = 0;
};

struct Accepted {
  std::string voice;
  std::string speaker;
  uint32_t sample_rate = 0;
  SampleFormat sample_format = SampleFormat::kS16Le;
  uint32_t channels = 1;
  std::string channel;  // set for channel requests and listens
  uint64_t item = 0;       // channel requests: the item's daemon-wide id (0: not told)
  uint32_t listeners = 0;  // channel requests: listeners attached when it was queued
};

struct AudioHeader {
  uint32_t sample_rate = 0;
  SampleFormat sample_format = SampleFormat::kS16Le;
  uint8_t channels = 1;
  uint64_t sample_offset = 0;  // samples per channel since the request's start
};

struct VoiceInfo {
  std::string name;
  std::string description;
  std::vector<std::string> languages;
  std::vector<std::string> speakers;  // first is the default
  uint32_t sample_rate = 0;
};

// A voice saved by voice_add: a base voice package plus a speaker cloned from reference audio.
struct SavedVoiceInfo {
  std::string name;
  std::string voice;        // the base voice package
  uint32_t references = 0;  // files it was made from
  double seconds = 0;       // their total length
  std::string created;      // ISO 8601 UTC, "2026-11-22T06:10:40Z"
};

struct VoiceList {
  std::string default_voice;
  std::vector<VoiceInfo> voices;
  std::vector<SavedVoiceInfo> saved = {};  // sorted by name
};

struct ErrorBody {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

// The highest version both sides speak. Errors: kUnsupportedVersion.
Result<uint32_t> NegotiateVersion(const Hello& hello);

// Parsers reject non-JSON, non-objects, wrong field types and out-of-range values with
// kMalformedFrame or kBadRequest; unknown fields are ignored so newer peers stay compatible.
Result<Hello> ParseHello(std::span<const uint8_t> payload);
Result<Welcome> ParseWelcome(std::span<const uint8_t> payload);
Result<SynthesizeRequest> ParseSynthesize(std::span<const uint8_t> payload);
Result<Accepted> ParseAccepted(std::span<const uint8_t> payload);
Result<VoiceList> ParseVoiceList(std::span<const uint8_t> payload);
Result<ErrorBody> ParseErrorBody(std::span<const uint8_t> payload);
Result<ListenRequest> ParseListen(std::span<const uint8_t> payload);
Result<ChannelControl> ParseChannelControl(std::span<const uint8_t> payload);
Result<Done> ParseDone(std::span<const uint8_t> payload);
Result<Marks> ParseMarks(std::span<const uint8_t> payload);
Result<ChannelEvent> ParseChannelEvent(std::span<const uint8_t> payload);
Result<ChannelStatus> ParseChannelStatus(std::span<const uint8_t> payload);
// Splits an audio payload into its header and PCM bytes (a view into payload).
Result<AudioHeader> ParseAudioHeader(std::span<const uint8_t> payload, std::span<const uint8_t>* pcm);
// kText payloads are raw UTF-8; invalid UTF-8 is kMalformedFrame.
Result<std::string> ParseText(std::span<const uint8_t> payload);

std::vector<uint8_t> Serialize(const Hello& m);
std::vector<uint8_t> Serialize(const Welcome& m);
std::vector<uint8_t> Serialize(const SynthesizeRequest& m);
std::vector<uint8_t> Serialize(const Accepted& m);
std::vector<uint8_t> Serialize(const VoiceList& m);
std::vector<uint8_t> Serialize(const ErrorBody& m);
std::vector<uint8_t> Serialize(const ListenRequest& m);
std::vector<uint8_t> Serialize(const ChannelControl& m);
std::vector<uint8_t> Serialize(const Done& m);
std::vector<uint8_t> Serialize(const Marks& m);
std::vector<uint8_t> Serialize(const ChannelEvent& m);  // only the fields of its kind, times to the ms
std::vector<uint8_t> Serialize(const ChannelStatus& m);
// Audio header followed by pcm (copied).
std::vector<uint8_t> SerializeAudio(const AudioHeader& h, std::span<const uint8_t> pcm);

bool IsValidUtf8(std::string_view s);

// A reference transcript ("reference_text") of a request or voice_add with `references` files.
// Errors: kBadRequest (without references, or over kMaxReferenceTextBytes), kMalformedFrame (not UTF-8).
Status CheckReferenceText(std::string_view text, uint32_t references);

}  // namespace ttsd::protocol
