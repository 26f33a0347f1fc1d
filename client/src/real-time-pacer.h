// Internal to the network sinks: keeps a sender from running ahead of real time. ttsd synthesizes faster
// than real time; a live stream (RTP, HTTP) should leave at the pace it plays, or receivers must buffer
// seconds of audio (and UDP receive buffers overflow). Audio that arrives in real time (an output
// channel) never waits; audio that arrives late is sent at once to catch up, unless it is more than
// kMaxCatchUp behind, when the schedule restarts from now.
//   RealTimePacer pacer;  for (frame : frames) { pacer.Wait(20ms); Send(frame); }
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <thread>

namespace ttsd::client {

class RealTimePacer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kLead{60};         // how far ahead of real time a send may be
  static constexpr std::chrono::milliseconds kMaxCatchUp{500};  // later than this: restart the schedule

  // Blocks until audio of the given duration may be sent, then books it.
  void Wait(std::chrono::microseconds duration) {
    const auto now = Clock::now();
    if (!started_ || now > due_ + kMaxCatchUp) {
      due_ = now;
      started_ = true;
    }
    if (due_ - kLead > now) std::this_thread::sleep_until(due_ - kLead);
    due_ += duration;
  }

  // The next block starts a fresh schedule (a new utterance after a pause).
  void Reset() { started_ = false; }

 private:
  bool started_ = false;
  Clock::time_point due_;  // when the next block is due to play
};

}  // namespace ttsd::client
