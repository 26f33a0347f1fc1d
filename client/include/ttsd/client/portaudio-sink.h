// An AudioSink that plays through the sound card (PortAudio) as chunks arrive, with low latency.
//   auto sink = PortAudioSink::Create({.device = "vmic"}).value();   // picks the device now
//   sink->Open({16000, 1, SampleFormat::kS16Le}); sink->Write(pcm); ...; sink->Close();  // Close plays the rest
// Thread-safety: Open, Write and Close from one thread at a time (the one that reads the request's frames);
// underruns(), played_samples() and device_underflows() from any thread. While PortAudio initializes, opens,
// stops or terminates (in Create, Open, Close, the destructor, ListOutputDevices), the process's stderr (fd 2)
// points at /dev/null, because ALSA and JACK print pages of noise there; quiet_backend = false keeps it.
//
// How it plays: Write copies the PCM into a lock-free single-producer/single-consumer ring; PortAudio's
// callback thread copies it out (no allocation, lock or logging there). The stream starts at Open and plays
// silence until audio comes, so a device's start-up glitch (the ALSA pulse plugin loses its first buffer)
// falls on silence; audio starts once `prefill` of it is buffered (or the producer has finished), and after
// `warm_up` of the stream has played. When the ring runs dry in the middle of the audio, that is an underrun:
// counted, the callback plays silence and waits for twice the prefill it waited for before (up to half the
// ring), so a producer slower than it looked at first (a slow machine) stutters once, not at every chunk. Not
// an underrun: waiting for the first chunk, or the end after Close. A long-lived stream with silent gaps (a channel's continuous PCM) is fine.
// Write blocks, sleeping briefly, while the ring is full: that is the backpressure that paces the reader of
// ttsd's socket. Close plays out everything buffered, then `tail_silence` more (the pulse plugin drops what
// its buffer holds at Pa_StopStream), then stops.
//
// Device selection (Create):
//   device ""    -> PulseAudio/PipeWire's default sink through ALSA's pulse plugin when PortAudio lists the
//                   ALSA device "pulse" (the server was reachable), else PortAudio's default output device;
//   device NAME  -> the first output device whose PortAudio name contains NAME (case-insensitive); else,
//                   when the pulse plugin is there, the PulseAudio sink named exactly NAME (`pactl list short
//                   sinks`; e.g. a null sink used as a virtual microphone); else an error listing the devices.
// The pulse plugin is opened through an ALSA PCM definition ttsc adds to libasound's in-process configuration
// (type pulse, handle_underrun false): with the stock device, a momentary underflow in the server makes
// PortAudio restart the stream, which reconnects to the server and can underflow again, for ever.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ttsd/client/audio-sink.h"

struct PaStreamCallbackTimeInfo;  // portaudio.h

namespace ttsd::client {

class SpscByteRing;

struct PlaybackOptions {
  static constexpr std::chrono::milliseconds kMaxBuffer{60'000};

  // "" for the default output; else a substring of a PortAudio output device's name, or a PulseAudio sink name.
  std::string device;
  std::chrono::milliseconds prefill{50};        // buffered before audio starts (and restarts after an underrun)
  std::chrono::milliseconds buffer{2000};       // ring capacity; Write blocks while it is full
  std::chrono::milliseconds device_latency{30}; // suggested to PortAudio (at least the device's low latency)
  std::chrono::milliseconds warm_up{40};        // stream time before audio may play (at least the device's
                                                // latency + 10 ms: a stream's first buffer can be lost)
  std::chrono::milliseconds tail_silence{100};  // played after the last sample, plus the device's latency
  std::chrono::milliseconds stall_timeout{5000};  // the device taking nothing for this long is an error
  // Not owned; may be null. Once set (Ctrl-C), Write drops audio, the callback plays silence and Close
  // stops at once without playing out the buffer.
  const std::atomic<bool>* stop = nullptr;
  bool quiet_backend = true;  // silence stderr while PortAudio initializes and opens (see above)

  // Errors: kBadRequest naming the field (buffer not above prefill, buffer over kMaxBuffer, a negative time).
  Status Validate() const;
};

// One PortAudio output device, for `ttsc devices`.
struct OutputDevice {
  int index = -1;            // PortAudio's device index
  std::string name;          // "pulse", "default", "HDA Intel PCH: ALC892 Analog (hw:0,0)"
  std::string host_api;      // "ALSA", "JACK Audio Connection Kit", "OSS"
  double default_sample_rate_hz = 0;
  int max_output_channels = 0;
  bool is_default = false;   // PortAudio's default output device
};

// Every device with output channels, in PortAudio's order (empty when there is none: no sound card and no
// reachable sound server). Errors: kIo (PortAudio cannot initialize).
Result<std::vector<OutputDevice>> ListOutputDevices(bool quiet_backend = true);

class PortAudioSink final : public AudioSink {
 public:
  // Initializes PortAudio and picks the device (see above), so a missing device fails before any request.
  // Errors: kBadRequest (options), kIo ("no audio output device ..." when there is none at all; "no audio
  // output device matches 'NAME' ..." with the list of devices; PortAudio cannot initialize).
  static Result<std::unique_ptr<PortAudioSink>> Create(const PlaybackOptions& options);
  ~PortAudioSink() override;

  // Opens and starts the stream at the format's rate, channels and sample format (s16le or f32le).
  // Errors: kBadRequest (zero rate or channels, opened twice), kIo (the device refused the format).
  Status Open(const AudioFormat& format) override;
  // Copies pcm (borrowed; whole frames) into the ring, waiting while it is full.
  // Errors: kBadRequest (not open, not whole frames), kIo (the device stopped taking audio).
  Status Write(std::span<const uint8_t> pcm) override;
  // Plays out the buffer and the tail silence, stops and closes the stream. Errors: kIo.
  Status Close() override;
  std::string Describe() const override { return description_; }

  // Times the ring ran dry in the middle of the audio.
  uint64_t underruns() const { return underruns_.load(std::memory_order_relaxed); }
  // Samples per channel of audio played (silence the sink adds not counted).
  uint64_t played_samples() const { return played_frames_.load(std::memory_order_relaxed); }
  // Callbacks PortAudio flagged with paOutputUnderflow (the device itself ran out: scheduling, not ttsd).
  uint64_t device_underflows() const { return device_underflows_.load(std::memory_order_relaxed); }
  // The prefill the callback waits for now: options.prefill, doubled after each underrun.
  std::chrono::milliseconds prefill() const;
  // The stream's output latency as PortAudio reports it; 0 before Open.
  double output_latency_s() const { return output_latency_s_; }

 private:
  struct Target {
    int device = -1;          // a PortAudio device index, or -1 with alsa_pcm set
    std::string alsa_pcm;     // an ALSA PCM name opened through the ALSA host API ("ttsc_pulse:DEVICE=vmic")
    std::string description;  // "PulseAudio sink vmic"
  };

  PortAudioSink(const PlaybackOptions& options, Target target);

  // PortAudio's PaStreamCallback.
  static int Callback(const void* input, void* output, unsigned long frames,
                      const PaStreamCallbackTimeInfo* time_info, unsigned long status_flags, void* self);
  // Runs on PortAudio's callback thread: real-time rules.
  void Render(uint8_t* out, unsigned long frames, unsigned long status_flags);

  bool Stopped() const { return options_.stop && options_.stop->load(std::memory_order_relaxed); }
  // Waits one poll interval for the callback to make progress. Errors: kIo (stalled or stream gone).
  Status WaitForDevice(uint64_t* last_rendered, std::chrono::steady_clock::time_point* last_progress);
  Status StopAndCloseStream(bool abort);

  PlaybackOptions options_;
  Target target_;
  std::string description_;
  bool pa_initialized_ = false;  // Pa_Initialize succeeded; Pa_Terminate at destruction
  void* stream_ = nullptr;       // PaStream; owned
  bool open_ = false;
  bool closed_ = false;
  AudioFormat format_;
  size_t frame_bytes_ = 0;
  double output_latency_s_ = 0;
  std::chrono::milliseconds poll_interval_{5};
  std::unique_ptr<SpscByteRing> ring_;

  // Set by the producer before and read by the callback.
  uint64_t warm_up_frames_ = 0;
  size_t max_prefill_bytes_ = 0;
  std::atomic<bool> producer_done_{false};  // Close called: play what is left, no more underruns

  // Callback-thread state.
  bool playing_ = false;  // audio is flowing (prefill reached); false while waiting for the first or next prefill

  // Written by the callback, read anywhere.
  std::atomic<uint64_t> rendered_frames_{0};  // frames handed to the device, silence included
  std::atomic<uint64_t> played_frames_{0};
  std::atomic<uint64_t> underruns_{0};
  std::atomic<uint64_t> device_underflows_{0};
  std::atomic<size_t> prefill_bytes_{0};  // set at Open, then grown by the callback
};

}  // namespace ttsd::client
