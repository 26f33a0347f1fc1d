// PortAudioSink in process, against a private PulseAudio server whose null sink parec keeps running (a
// recorded null sink runs on a 20 ms clock; an unrecorded one takes audio in bursts): underrun counting
// (none while waiting for the first chunk, none after Close, one when the producer falls behind mid-audio,
// after which the prefill doubles),
// a paced stream with silent gaps, the stop flag, backpressure, and the option checks.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "audio/pulse-fixture.h"
#include "ttsd/client/portaudio-sink.h"

namespace ttsd::testing {
namespace {

using namespace std::chrono_literals;
using client::AudioFormat;
using client::PlaybackOptions;
using client::PortAudioSink;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kRate = 16000;

std::vector<uint8_t> Tone(std::chrono::milliseconds length, double amplitude = 0.3) {
  const size_t n = static_cast<size_t>(length.count()) * kRate / 1000;
  std::vector<uint8_t> pcm(n * 2);
  for (size_t i = 0; i < n; ++i) {
    const auto v = static_cast<int16_t>(amplitude * 32767 * std::sin(2 * std::numbers::pi * 440 * i / kRate));
    pcm[2 * i] = static_cast<uint8_t>(v & 0xff);
    pcm[2 * i + 1] = static_cast<uint8_t>((v >> 8) & 0xff);
  }
  return pcm;
}

class PortAudioSinkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pulse_ = new PulseServer();
    pulse_ok_ = pulse_->Start();
    if (pulse_ok_) pulse_->ApplyToThisProcess();  // before the first Pa_Initialize in this process
  }
  static void TearDownTestSuite() {
    delete pulse_;
    pulse_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(pulse_ok_) << "the PulseAudio server did not start";
    recorder_ = std::make_unique<Recorder>(*pulse_, "vmic.monitor");
    ASSERT_TRUE(recorder_->WaitForData());
  }

  std::unique_ptr<PortAudioSink> Make(PlaybackOptions options = {}) {
    if (options.device.empty()) options.device = "vmic";
    auto sink = PortAudioSink::Create(options);
    EXPECT_TRUE(sink.has_value()) << sink.error().message;
    return sink ? std::move(*sink) : nullptr;
  }

  static PulseServer* pulse_;
  static bool pulse_ok_;
  std::unique_ptr<Recorder> recorder_;
};
PulseServer* PortAudioSinkTest::pulse_ = nullptr;
bool PortAudioSinkTest::pulse_ok_ = false;

TEST_F(PortAudioSinkTest, WaitingForTheFirstChunkAndTheEndAreNotUnderruns) {
  auto sink = Make();
  ASSERT_TRUE(sink);
  EXPECT_NE(sink->Describe().find("PulseAudio sink vmic"), std::string::npos) << sink->Describe();
  ASSERT_TRUE(sink->Open({kRate, 1, protocol::SampleFormat::kS16Le}));
  std::this_thread::sleep_for(300ms);  // ttsd is slow to start: silence, not an underrun
  const auto pcm = Tone(300ms);
  ASSERT_TRUE(sink->Write(pcm));
  ASSERT_TRUE(sink->Close());
  EXPECT_EQ(sink->underruns(), 0u);
  EXPECT_EQ(sink->played_samples(), pcm.size() / 2);
  EXPECT_GT(sink->output_latency_s(), 0.0);
}

TEST_F(PortAudioSinkTest, AProducerFallingBehindMidAudioIsOneUnderrun) {
  auto sink = Make();
  ASSERT_TRUE(sink);
  ASSERT_TRUE(sink->Open({kRate, 1, protocol::SampleFormat::kS16Le}));
  const auto pcm = Tone(200ms);
  ASSERT_TRUE(sink->Write(pcm));
  std::this_thread::sleep_for(600ms);  // the ring runs dry after ~200 ms of this
  ASSERT_TRUE(sink->Write(pcm));
  ASSERT_TRUE(sink->Close());
  EXPECT_EQ(sink->underruns(), 1u);
  EXPECT_EQ(sink->played_samples(), pcm.size());
}

// After an underrun the sink waits for twice the prefill: 60 ms (more than the first 50 ms) stays unplayed.
TEST_F(PortAudioSinkTest, AfterAnUnderrunItWaitsForTwiceThePrefill) {
  auto sink = Make();
  ASSERT_TRUE(sink);
  ASSERT_TRUE(sink->Open({kRate, 1, protocol::SampleFormat::kS16Le}));
  EXPECT_EQ(sink->prefill(), 50ms);
  const auto first = Tone(200ms);
  ASSERT_TRUE(sink->Write(first));
  std::this_thread::sleep_for(600ms);  // runs dry after ~200 ms
  EXPECT_EQ(sink->underruns(), 1u);
  EXPECT_EQ(sink->prefill(), 100ms);
  const auto some = Tone(60ms);
  ASSERT_TRUE(sink->Write(some));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink->played_samples(), first.size() / 2) << "played before 100 ms were buffered";
  ASSERT_TRUE(sink->Write(some));  // 120 ms buffered: it plays
  const auto rest = Tone(300ms);
  ASSERT_TRUE(sink->Write(rest));
  ASSERT_TRUE(sink->Close());
  EXPECT_EQ(sink->underruns(), 1u);
  EXPECT_EQ(sink->played_samples(), (first.size() + 2 * some.size() + rest.size()) / 2);
}

// The doubling stops at half the ring.
TEST_F(PortAudioSinkTest, ThePrefillGrowsToHalfTheBufferAtMost) {
  PlaybackOptions options;
  options.prefill = 150ms;
  options.buffer = 400ms;
  auto sink = Make(options);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(sink->Open({kRate, 1, protocol::SampleFormat::kS16Le}));
  const auto pcm = Tone(160ms);
  ASSERT_TRUE(sink->Write(pcm));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sink->underruns(), 1u);
  EXPECT_EQ(sink->prefill(), 200ms);
  ASSERT_TRUE(sink->Close());
}

// What `ttsc listen` will feed it: a continuous real-time stream of 20 ms frames, silence between the speech.
TEST_F(PortAudioSinkTest, APacedStreamWithSilentGapsHasNoUnderruns) {
  auto sink = Make();
  ASSERT_TRUE(sink);
  ASSERT_TRUE(sink->Open({kRate, 1, protocol::SampleFormat::kS16Le}));
  const auto speech = Tone(20ms);
  const auto silence = Tone(20ms, 0.0);
  // Like a paced sender: a little ahead (100 ms), then one frame every 20 ms.
  const auto start = Clock::now();
  for (int i = 0; i < 75; ++i) {  // 1.5 s
    if (i >= 5) std::this_thread::sleep_until(start + (i - 5) * 20ms);
    ASSERT_TRUE(sink->Write((i / 15) % 2 ? silence : speech));
  }
  ASSERT_TRUE(sink->Close());
  EXPECT_EQ(sink->underruns(), 0u);
  EXPECT_EQ(sink->played_samples(), 75u * speech.size() / 2);
}

TEST_F(PortAudioSinkTest, WriteBlocksWhileTheRingIsFull) {
  PlaybackOptions options;
  options.buffer = 200ms;
  auto sink = Make(options);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(sink->Open({kRate, 1, protocol::SampleFormat::kS16Le}));
  const auto start = Clock::now();
  ASSERT_TRUE(sink->Write(Tone(1000ms)));  // 1 s into a 256 ms ring: most of it must be played first
  const double waited = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_GT(waited, 0.6);
  ASSERT_TRUE(sink->Close());
  EXPECT_EQ(sink->underruns(), 0u);
}

TEST_F(PortAudioSinkTest, TheStopFlagEndsPlaybackAtOnce) {
  std::atomic<bool> stop{false};
  PlaybackOptions options;
  options.stop = &stop;
  auto sink = Make(options);
  ASSERT_TRUE(sink);
  ASSERT_TRUE(sink->Open({kRate, 1, protocol::SampleFormat::kS16Le}));
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop = true;
  });
  const auto start = Clock::now();
  ASSERT_TRUE(sink->Write(Tone(5000ms)));  // returns once stopped, the rest dropped
  ASSERT_TRUE(sink->Close());
  stopper.join();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 1.5);
  EXPECT_LT(sink->played_samples(), kRate);
}

TEST_F(PortAudioSinkTest, FloatSamplesAndRejectedCalls) {
  auto sink = Make();
  ASSERT_TRUE(sink);
  EXPECT_FALSE(sink->Write(Tone(20ms))) << "Write before Open";
  EXPECT_FALSE(sink->Open({0, 1, protocol::SampleFormat::kF32Le}));
  ASSERT_TRUE(sink->Open({kRate, 1, protocol::SampleFormat::kF32Le}));
  EXPECT_FALSE(sink->Open({kRate, 1, protocol::SampleFormat::kF32Le})) << "opened twice";
  std::vector<float> ramp(kRate / 10);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = 0.2f * std::sin(0.1f * static_cast<float>(i));
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(ramp.data()), ramp.size() * sizeof(float));
  EXPECT_FALSE(sink->Write(bytes.first(6))) << "not whole frames";
  ASSERT_TRUE(sink->Write(bytes));
  ASSERT_TRUE(sink->Close());
  EXPECT_TRUE(sink->Close()) << "a second Close is fine";
  EXPECT_EQ(sink->played_samples(), ramp.size());
}

TEST_F(PortAudioSinkTest, DeviceNamesMatchPortAudioDevicesThenPulseSinks) {
  auto devices = client::ListOutputDevices();
  ASSERT_TRUE(devices.has_value()) << devices.error().message;
  ASSERT_FALSE(devices->empty());
  EXPECT_TRUE(std::any_of(devices->begin(), devices->end(), [](const auto& d) { return d.is_default; }));

  PlaybackOptions options;
  options.device = "PULS";  // PortAudio's ALSA device "pulse", case-insensitively
  auto by_name = PortAudioSink::Create(options);
  ASSERT_TRUE(by_name.has_value()) << by_name.error().message;
  EXPECT_EQ((*by_name)->Describe(), "playback on PulseAudio's default sink");

  options.device = "speakers";  // no PortAudio device: a PulseAudio sink
  auto sink = PortAudioSink::Create(options);
  ASSERT_TRUE(sink.has_value()) << sink.error().message;
  EXPECT_EQ((*sink)->Describe(), "playback on PulseAudio sink speakers");

  options.device = "no-such-sink";
  auto missing = PortAudioSink::Create(options);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

TEST(PlaybackOptions, DefaultsAndValidation) {
  PlaybackOptions o;
  EXPECT_EQ(o.prefill, 50ms);
  EXPECT_EQ(o.buffer, 2000ms);
  EXPECT_EQ(o.device_latency, 30ms);
  EXPECT_EQ(o.warm_up, 40ms);
  EXPECT_EQ(o.tail_silence, 100ms);
  EXPECT_TRUE(o.Validate());
  o.buffer = o.prefill;
  EXPECT_FALSE(o.Validate());
  o = {};
  o.tail_silence = -1ms;
  EXPECT_FALSE(o.Validate());
  o = {};
  o.buffer = PlaybackOptions::kMaxBuffer + 1ms;
  EXPECT_FALSE(o.Validate());
}

}  // namespace
}  // namespace ttsd::testing
