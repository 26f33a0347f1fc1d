// Test support: a native-protocol listener on an output channel that drains the audio in real time on
// a thread of its own and keeps each 20 ms frame with the moment it arrived, so that a test can say
// which sample of the channel was being heard at a given moment.
//   TimedListener ear(daemon.socket_path(), "stream");
//   ... size_t onset = *ear.OnsetAfter(0, 0.02f); auto t = ear.HeardAt(onset + 4800);
// The channel sends frame k at T0 + k * 20 ms on its own clock; delivery only ever adds delay, so T0 is
// estimated by the least delayed frame (min over k of arrival - k * 20 ms), which a late wake-up of
// this thread cannot move earlier.
// SpeakAlone says the same text over the native protocol: native voices do not sample, so its onset
// places an utterance in what the listener heard (the utterance's sample 0 is the listener's onset
// less the reference's).
// Thread-safety: construct, query and destroy on one test thread; the reader thread appends under the mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "support/daemon-process.h"

namespace ttsd::testing {

class TimedListener {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kRateHz = 48000;
  static constexpr size_t kFrameSamples = 960;

  TimedListener(const std::string& socket, const std::string& channel) : client_(socket) {
    client_.Handshake();
    protocol::ListenRequest l;
    l.channel = channel;
    l.sample_format = protocol::SampleFormat::kF32Le;
    client_.Send(protocol::FrameType::kListen, 1, protocol::Serialize(l));
    auto f = client_.Read();
    EXPECT_TRUE(f && f->header.type == protocol::FrameType::kAccepted);
    thread_ = std::thread([this] { Run(); });
  }
  ~TimedListener() {
    stop_ = true;
    thread_.join();
  }

  size_t samples() const {
    std::lock_guard lock(mu_);
    return samples_.size();
  }
  // The first sample at or after from louder than threshold.
  std::optional<size_t> OnsetAfter(size_t from, float threshold) const {
    std::lock_guard lock(mu_);
    for (size_t i = from; i < samples_.size(); ++i) {
      if (std::abs(samples_[i]) > threshold) return i;
    }
    return std::nullopt;
  }
  // The channel's clock: when the listen's sample 0 was sent (see the header comment).
  Clock::time_point Start() const {
    std::lock_guard lock(mu_);
    return start_;
  }
  // When sample (from the listen's start) was played, on the channel's clock.
  Clock::time_point HeardAt(double sample) const {
    return Start() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(sample / kRateHz));
  }
  // The sample being played at t.
  double PositionAt(Clock::time_point t) const { return std::chrono::duration<double>(t - Start()).count() * kRateHz; }

 private:
  void Run() {
    while (!stop_) {
      auto f = client_.Read(std::chrono::milliseconds(200));
      if (!f) continue;
      const auto at = Clock::now();
      if (f->header.type != protocol::FrameType::kAudio) continue;
      std::span<const uint8_t> pcm;
      auto h = protocol::ParseAudioHeader(f->payload, &pcm);
      if (!h) continue;
      std::lock_guard lock(mu_);
      const size_t n = pcm.size() / 4;
      const size_t at_sample = samples_.size();
      samples_.resize(at_sample + n);
      std::memcpy(samples_.data() + at_sample, pcm.data(), n * 4);
      const auto sent = at - std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(static_cast<double>(h->sample_offset) / kRateHz));
      if (frames_++ == 0 || sent < start_) start_ = sent;
    }
  }

  RawClient client_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;  // guards the three below
  std::vector<float> samples_;
  Clock::time_point start_;
  size_t frames_ = 0;
};

// A text spoken alone: its audio, rate, word marks and where its speech begins.
struct SpokenAlone {
  std::vector<float> samples;
  uint32_t rate = 0;
  std::vector<protocol::MarkInfo> words;
  double onset_s = -1;  // the first sample louder than the threshold; -1: none
};

inline SpokenAlone SpeakAlone(const std::string& socket, const std::string& voice, const std::string& text,
                              float threshold) {
  RawClient c(socket);
  c.Handshake();
  protocol::SynthesizeRequest r;
  r.text = text;
  r.voice = voice;
  r.sample_format = protocol::SampleFormat::kF32Le;
  r.marks = protocol::MarkLevel::kWords;
  c.Synthesize(1, r);
  RequestResult result = CollectRequest(c, 1);
  EXPECT_FALSE(result.error) << result.error->message;
  SpokenAlone out;
  out.samples = std::move(result.samples);
  out.rate = result.sample_rate;
  for (auto& m : result.marks) {
    if (m.kind == protocol::MarkInfo::Kind::kWord) out.words.push_back(std::move(m));
  }
  for (size_t i = 0; i < out.samples.size(); ++i) {
    if (std::abs(out.samples[i]) > threshold) {
      out.onset_s = static_cast<double>(i) / out.rate;
      break;
    }
  }
  return out;
}

}  // namespace ttsd::testing
