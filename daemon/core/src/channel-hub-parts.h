// ChannelHub's inner state, shared by channel-hub.cc (queueing, playing, events) and
// channel-hub-control.cc (moderation and status). Private to daemon/core/src.
// Thread-safety: the I/O thread, as ChannelHub; the atomics are shared with the jobs' workers.
#pragma once

#include <atomic>
#include <string_view>

#include "ttsd/daemon/channel-hub.h"

namespace ttsd::daemon {

// A sentence or word mark waiting for the listeners to reach it.
struct ChannelHub::PlayMark {
  ChannelEvent::Kind kind = ChannelEvent::Kind::kWord;
  std::string text;
  uint64_t text_begin = 0, text_end = 0;
  uint64_t start_samples = 0;  // at the channel rate, from the utterance's first sample
  double start_s = 0, end_s = 0;
};

struct ChannelHub::Utterance {
  uint64_t id = 0;
  std::string channel;
  std::string text;       // the first kChannelItemTextBytes, cut at a character
  bool text_cut = false;  // more text than `text`
  size_t chars = 0;       // code points of all its text, for the length estimate
  std::string author, source, voice, speaker;
  double speed = 1, duration_s = 0;
  std::shared_ptr<Job> job;
  EndCallback on_end;
  std::deque<float> audio;     // at the channel rate, not yet played
  std::deque<PlayMark> marks;  // by start, not yet reached
  size_t generated = 0;        // samples at the channel rate received from the job
  bool generated_all = false;
  bool started = false;   // some audio has been played
  bool finished = false;  // all of it has been played: it ends at the next tick (Settle)
  bool dropped = false;
  size_t played = 0;
  // Shared with the job's callbacks on worker threads.
  std::shared_ptr<std::atomic<size_t>> buffered = std::make_shared<std::atomic<size_t>>(0);
  std::shared_ptr<std::atomic<bool>> may_generate = std::make_shared<std::atomic<bool>>(false);

  // Seconds long: exact once all of it is synthesized, else the longer of what is synthesized and the
  // estimate from its text (its duration when the request gave one).
  double length_s() const;
  void AddText(std::string_view more);
};

struct ChannelHub::Channel {
  explicit Channel(boost::asio::any_io_executor io, std::string n) : name(std::move(n)), timer(io) {}
  std::string name;
  std::shared_ptr<Utterance> current;
  std::deque<std::shared_ptr<Utterance>> queue;
  struct Listener {
    ListenerCallback on_frame;
    std::function<void(const Error&)> on_end;
  };
  std::map<uint64_t, Listener> listeners;
  boost::asio::steady_timer timer;
  std::chrono::steady_clock::time_point next_frame;
  bool clock_running = false;
  uint64_t underruns = 0;
  bool paused = false;
  double gain = 1;          // asked for
  double applied_gain = 1;  // of the last frame sent: the next frame ramps from it to gain

  bool idle() const { return !current && queue.empty(); }
  // Nothing to remember: no utterance, listener, clock, pause or volume.
  bool forgettable() const { return idle() && listeners.empty() && !clock_running && !paused && gain == 1; }
};

}  // namespace ttsd::daemon
