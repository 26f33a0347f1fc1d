// Output channels: named queues of utterances played out at real-time pace, back to back with
// silence in between, as one continuous 48 kHz mono stream to every listener of the channel.
// A streamer's bot says `ttsc say --channel stream "..."`; `ttsc listen --channel stream --play`
// feeds a virtual microphone. Watchers (captions) hear of each utterance and word as it is played.
//   ChannelHub hub(io.get_executor(), &scheduler);
//   hub.Enqueue("stream", std::move(stream), "Hello", false, on_end);
//   auto watch = hub.Watch("stream", [](const ChannelEvent& e) { ... });  // until watch is dropped
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

namespace ttsd::daemon {

// What a channel's watchers hear about, in the order the channel plays it: the wire's (listen with
// events, protocol/README.md).
using protocol::ChannelEvent;

class ChannelHub {
 public:
  static constexpr int kFrameSamples = protocol::kChannelSampleRate / 50;  // 20 ms
  static constexpr size_t kMaxQueued = 64;                                 // per channel
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

  ChannelHub(boost::asio::any_io_executor io, InferenceScheduler* scheduler);
  ~ChannelHub();

  // Queues an utterance; interrupt cuts what is playing and goes first. Returns its id. The stream's
  // sentence and word marks (if it was started with StreamOptions::marks) become watchers' events.
  // Errors: kBusy when the channel already holds kMaxQueued utterances, kShuttingDown, kBadRequest or
  // kInternal when the stream's rate cannot be resampled to kChannelSampleRate (codec::Resampler::Create).
  Result<uint64_t> Enqueue(const std::string& channel, std::unique_ptr<engine::Stream> stream, std::string text,
                           bool interrupt, EndCallback on_end);
  // Drops one utterance wherever it is (its EndCallback gets kCancelled). False if unknown.
  bool Cancel(uint64_t utterance_id);
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
  [[nodiscard]] std::shared_ptr<void> Watch(const std::string& channel, EventCallback on_event);

  bool Skip(const std::string& channel);    // drops the utterance playing now
  size_t Clear(const std::string& channel); // drops it and everything queued
  protocol::ChannelStatus Status(const std::string& channel) const;
  // Every channel there is now (one with an utterance, a listener or its clock running), for the metrics.
  std::vector<MetricsSample::Channel> Sample() const;

  // Drops every utterance and forgets every listener and watcher; Enqueue fails afterwards.
  void Shutdown();

 private:
  struct Utterance;
  struct Channel;

  Channel& Get(const std::string& name);
  void Drop(Channel& ch, const std::shared_ptr<Utterance>& u, const std::string& why);
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
  std::map<std::string, std::unique_ptr<Channel>> channels_;
  std::map<uint64_t, std::string> utterance_channel_;  // live utterance id -> its channel
  struct Watcher {
    std::string channel;
    EventCallback on_event;
  };
  std::map<uint64_t, Watcher> watchers_;  // by id; kept apart from channels_, which forgets idle channels
  uint64_t next_id_ = 1;
  bool shut_down_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // posted work checks it
};

}  // namespace ttsd::daemon
