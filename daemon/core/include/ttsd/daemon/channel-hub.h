// Output channels: named queues of utterances played out at real-time pace, back to back with
// silence in between, as one continuous 48 kHz mono stream to every listener of the channel.
// A streamer's bot says `ttsc say --channel stream "..."`; `ttsc listen --channel stream --play`
// feeds a virtual microphone. Watchers (captions) hear of each utterance and word as it is played, and
// (moderation) of each item queued, started, finished, removed or refused. Items can be removed by id,
// the channel paused (listeners get silence) and resumed, its volume set; caps bound the queue.
//   ChannelHub hub(io.get_executor(), &scheduler, ChannelLimits{});
//   hub.Enqueue("stream", std::move(stream), ChannelItem{.text = "Hello"}, on_end);
//   auto watch = hub.Watch("stream", {.play = true}, [](const ChannelEvent& e) { ... });  // until dropped
// Thread-safety: every method runs on the I/O thread. Jobs' callbacks run on inference workers
// and reach the hub only by posting to the I/O thread.
#pragma once

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ttsd/daemon/metrics.h"
#include "ttsd/daemon/scheduler.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::codec {
class LoudnessNormalizer;
}

namespace ttsd::daemon {

// What a channel's watchers hear about, in the order the channel plays it: the wire's (listen with
// events, protocol/README.md).
using protocol::ChannelEvent;

// The caps on a channel's queue (DaemonConfig: channel-max-queue, channel-max-queued-s).
struct ChannelLimits {
  size_t max_queue = 64;        // items waiting behind the one playing
  double max_queued_s = 300;    // seconds of speech ahead of a new item (estimated); 0: no cap
  double loudness_lufs = -16;   // each utterance brought to this loudness (codec::LoudnessNormalizer); 0: off
};

// What a channel request says about itself: shown in status and item events, and used to estimate
// its length before it is synthesized.
struct ChannelItem {
  std::string text;                 // its text as sent so far (more may come: AddText)
  std::string author, source;       // protocol::SynthesizeRequest's
  std::string voice, speaker;       // as accepted says them
  double speed = 1;
  double duration_s = 0;            // the request's "duration": its exact length; 0: none
  bool interrupt = false;           // cut what plays and go first
};

// Which of a channel's events a watcher gets: the play-by-play (utterance_start, sentence, word,
// utterance_end) and the items' lifecycle (queued ... resumed: protocol::IsItemEvent).
struct WatchKinds {
  bool play = true;
  bool items = false;
};

class ChannelHub {
 public:
  static constexpr int kFrameSamples = protocol::kChannelSampleRate / 50;  // 20 ms
  // Speaking rate assumed for an item not yet synthesized: characters (code points) per second at speed 1.
  static constexpr double kEstimatedCharsPerSecond = 14;
  static constexpr size_t kMaxBufferedSamples = 2 * protocol::kChannelSampleRate;  // generated ahead

  // Called on the I/O thread when an utterance has finished playing (its duration in seconds; at the
  // tick after its last frame went out, with its kEnd) or was dropped (kCancelled: skipped, cleared, interrupted or cancelled; or the job's error, kInternal
  // "libsoxr: ..." among them when its audio could not be resampled: it is dropped, never played as silence).
  using EndCallback = std::function<void(Result<double>)>;
  // Receives each 20 ms frame; returns false when the listener is gone.
  using ListenerCallback = std::function<bool(std::span<const float> samples)>;
  // Receives a channel's events (I/O thread). It may drop its Watch handle; it must not call the hub
  // otherwise.
  using EventCallback = std::function<void(const ChannelEvent& event)>;

  ChannelHub(boost::asio::any_io_executor io, InferenceScheduler* scheduler, ChannelLimits limits = {});
  ~ChannelHub();

  // Queues an utterance; item.interrupt cuts what is playing and goes first. Returns its id. The stream's
  // sentence and word marks (if it was started with StreamOptions::marks) become watchers' events.
  // Errors: kBusy when the channel already holds limits.max_queue items, or (unless it interrupts) the
  // speech ahead of it would last limits.max_queued_s or more (both also a "refused" event);
  // kShuttingDown; kBadRequest or kInternal when the stream's rate cannot be resampled to
  // kChannelSampleRate (codec::Resampler::Create).
  Result<uint64_t> Enqueue(const std::string& channel, std::unique_ptr<engine::Stream> stream, ChannelItem item,
                           EndCallback on_end);
  // More text of a streaming request (what status shows and the length estimate); unknown ids are ignored.
  void AddText(uint64_t utterance_id, std::string_view text);
  // Drops one utterance wherever it is (its EndCallback gets kCancelled). False if unknown.
  bool Cancel(uint64_t utterance_id);
  // Drops item `item` of `channel`, queued or playing (its EndCallback gets kCancelled "removed").
  // Errors: kUnknownItem when it is not there (never another item, whatever has played meanwhile).
  ttsd::Status Remove(const std::string& channel, uint64_t item);
  // The job generating an utterance (for appended text), or null once it has ended.
  std::shared_ptr<Job> FindJob(uint64_t utterance_id) const;
  // on_end is called if the hub shuts down while the listener is attached.
  uint64_t AddListener(const std::string& channel, ListenerCallback callback, std::function<void(const Error&)> on_end);
  void RemoveListener(const std::string& channel, uint64_t listener_id);
  // Calls on_event with channel's events until the returned handle is dropped (safe after the hub
  // is gone). A sentence or word event comes at the first 20 ms tick after the frame holding its
  // first sample went to the listeners: never before its audio, at most one frame after it.
  // kStart comes with the utterance's first frame; kEnd one tick after its last, or when it is dropped.
  // Queued utterances dropped before they started have neither.
  // Item events come as they happen; "started" right before utterance_start, "finished" or "removed"
  // right after utterance_end (protocol/README.md).
  [[nodiscard]] std::shared_ptr<void> Watch(const std::string& channel, WatchKinds kinds, EventCallback on_event);

  // Drops the utterance playing now; with item != 0 only if that item is the one playing.
  // Errors: kUnknownItem (item given and not playing).
  ttsd::Status Skip(const std::string& channel, uint64_t item = 0);
  size_t Clear(const std::string& channel); // drops it and everything queued
  // Paused, listeners get silence; the current utterance keeps its place and goes on on Resume.
  void Pause(const std::string& channel);
  void Resume(const std::string& channel);
  void SetGain(const std::string& channel, double gain);  // linear, 0..protocol::kMaxChannelGain
  protocol::ChannelStatus Status(const std::string& channel) const;
  size_t Listeners(const std::string& channel) const;  // listens with audio attached now
  // Every channel there is now (one with an utterance, a listener or its clock running), for the metrics.
  std::vector<MetricsSample::Channel> Sample() const;

  // Drops every utterance and forgets every listener and watcher; Enqueue fails afterwards.
  void Shutdown();

 private:
  struct Utterance;
  struct Channel;

  Channel& Get(const std::string& name);
  Channel* Find(const std::string& name);
  ttsd::Status Remove(const std::string& channel, uint64_t item, const std::string& why);
  Utterance* FindUtterance(uint64_t id);
  void Drop(Channel& ch, const std::shared_ptr<Utterance>& u, const std::string& why);
  void EmitItem(Channel& ch, const Utterance& u, ChannelEvent::Kind kind, const std::string& reason = "");
  double QueuedSeconds(const Channel& ch) const;
  void ApplyGain(Channel& ch, std::vector<float>& frame);
  // A job's worker: samples at the channel rate through the utterance's normalizer (the last chunk also
  // takes what it holds back, and the utterance's loudness goes to loudness_[key] on the I/O thread).
  void Normalize(codec::LoudnessNormalizer& n, bool last, std::vector<float>& samples, const std::weak_ptr<bool>& alive,
                 const std::string& key);
  void Advance(Channel& ch);  // makes the next queued utterance current
  void Settle(Channel& ch);   // ends the current utterance if it has played out
  void EmitReached(Channel& ch, Utterance& u, bool all);  // marks the listeners have reached (or all)
  void Emit(const std::string& channel, const ChannelEvent& event);
  void EmitEnd(Channel& ch, const Utterance& u, const std::string& reason);
  void AllowGeneration(Channel& ch);
  void StartClock(Channel& ch);
  void Tick(const std::string& name);
  void ProduceFrame(Channel& ch);
  struct PlayMark;
  void OnAudio(const std::shared_ptr<Utterance>& u, std::vector<float> samples, std::vector<PlayMark> marks, bool last);
  void OnJobError(const std::shared_ptr<Utterance>& u, const Error& error);
  void ForgetIfIdle(const std::string& name);

  boost::asio::any_io_executor io_;
  InferenceScheduler* scheduler_;  // not owned
  ChannelLimits limits_;
  std::map<std::string, std::unique_ptr<Channel>> channels_;
  std::map<uint64_t, std::string> utterance_channel_;  // live utterance id -> its channel
  struct Watcher {
    std::string channel;
    WatchKinds kinds;
    EventCallback on_event;
  };
  std::map<uint64_t, Watcher> watchers_;  // by id; kept apart from channels_, which forgets idle channels
  uint64_t next_id_ = 1;
  std::map<std::string, double> loudness_;  // "voice:speaker" -> its last utterance's loudness, the next one's prior
  bool shut_down_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // posted work checks it
};

}  // namespace ttsd::daemon
