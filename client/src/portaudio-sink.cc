#include "ttsd/client/portaudio-sink.h"

#include <alsa/asoundlib.h>
#include <fcntl.h>
#include <pa_linux_alsa.h>
#include <portaudio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <thread>

#include "ttsd/client/spsc-byte-ring.h"

namespace ttsd::client {
namespace {

using Clock = std::chrono::steady_clock;

// The ALSA PCM ttsc opens PulseAudio (or PipeWire's pulse server) through: the stock `pulse` device, but
// with handle_underrun off, so a server-side underflow is a moment of silence instead of an ALSA xrun that
// PortAudio answers by restarting (and, through the plugin, reconnecting) the stream.
constexpr const char* kPulsePcmName = "ttsc_pulse";
constexpr const char* kPulsePcmDefinition =
    "pcm.ttsc_pulse {\n"
    "  @args [ DEVICE ]\n"
    "  @args.DEVICE { type string default \"\" }\n"
    "  type pulse\n"
    "  device $DEVICE\n"
    "  handle_underrun false\n"
    "}\n";

// Points fd 2 at /dev/null for its lifetime (when active): ALSA's configuration probing and JACK's client
// library print dozens of lines there while PortAudio initializes and opens devices.
class QuietStderr {
 public:
  explicit QuietStderr(bool active) {
    if (!active) return;
    std::fflush(stderr);
    std::cerr.flush();
    saved_ = ::dup(STDERR_FILENO);
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ < 0 || null < 0) {
      if (null >= 0) ::close(null);
      if (saved_ >= 0) ::close(saved_);
      saved_ = -1;
      return;
    }
    ::dup2(null, STDERR_FILENO);
    ::close(null);
  }
  ~QuietStderr() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_ = -1;
};

std::string PaErrorText(PaError err) {
  std::string text = Pa_GetErrorText(err);
  if (err == paUnanticipatedHostError) {
    const PaHostErrorInfo* host = Pa_GetLastHostErrorInfo();
    if (host && host->errorText && *host->errorText) text += std::string(" (") + host->errorText + ")";
  }
  return text;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Adds kPulsePcmDefinition to libasound's global configuration unless it is there. libasound rereads its
// files (dropping the addition) only when they change, so this runs before every open.
Status EnsurePulsePcmDefinition() {
  if (int err = snd_config_update(); err < 0) {
    return MakeError(ErrorCode::kIo, std::string("cannot read the ALSA configuration: ") + snd_strerror(err));
  }
  snd_config_t* node = nullptr;
  if (snd_config_search(snd_config, "pcm.ttsc_pulse", &node) == 0) return {};
  snd_input_t* in = nullptr;
  int err = snd_input_buffer_open(&in, kPulsePcmDefinition, -1);
  if (err >= 0) {
    err = snd_config_load(snd_config, in);
    snd_input_close(in);
  }
  if (err < 0) {
    return MakeError(ErrorCode::kIo, std::string("cannot define the ALSA device for PulseAudio: ") + snd_strerror(err));
  }
  return {};
}

// A PulseAudio sink name is put in an ALSA argument between double quotes; keep it to what fits there.
bool IsPlausibleSinkName(std::string_view name) {
  return !name.empty() && name.size() <= 200 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._-:+@#", c) != nullptr;
  });
}

std::vector<OutputDevice> EnumerateOutputs() {
  std::vector<OutputDevice> out;
  const PaDeviceIndex count = Pa_GetDeviceCount();
  const PaDeviceIndex default_output = Pa_GetDefaultOutputDevice();
  for (PaDeviceIndex i = 0; i < count; ++i) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
    if (!info || info->maxOutputChannels <= 0) continue;
    OutputDevice d;
    d.index = i;
    d.name = info->name ? info->name : "";
    const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi);
    d.host_api = api && api->name ? api->name : "";
    d.default_sample_rate_hz = info->defaultSampleRate;
    d.max_output_channels = info->maxOutputChannels;
    d.is_default = i == default_output;
    out.push_back(std::move(d));
  }
  return out;
}

// PortAudio lists ALSA's `pulse` device only when the plugin could reach a server at Pa_Initialize.
bool HasPulsePlugin(const std::vector<OutputDevice>& devices) {
  return std::any_of(devices.begin(), devices.end(),
                     [](const OutputDevice& d) { return d.host_api == "ALSA" && d.name == "pulse"; });
}

std::string DeviceNames(const std::vector<OutputDevice>& devices) {
  std::string names;
  for (const auto& d : devices) names += (names.empty() ? "'" : ", '") + d.name + "'";
  return names.empty() ? "none" : names;
}

constexpr const char* kNoDeviceHelp =
    "no audio output device: PortAudio found none. With PulseAudio or PipeWire, the sound server must be "
    "running and reachable when ttsc starts (check `pactl info`; ALSA's pulse device comes with "
    "libasound2-plugins); without one, check the sound card with `aplay -l`";

PaSampleFormat ToPaFormat(protocol::SampleFormat f) {
  return f == protocol::SampleFormat::kF32Le ? paFloat32 : paInt16;
}

// Fills params for target at the given format; *alsa_info must outlive the open.
void FillParams(int device, const std::string& alsa_pcm, const AudioFormat& format, double latency_s,
                PaAlsaStreamInfo* alsa_info, PaStreamParameters* params) {
  *params = PaStreamParameters{};
  params->channelCount = static_cast<int>(format.channels);
  params->sampleFormat = ToPaFormat(format.sample_format);
  params->suggestedLatency = latency_s;
  if (alsa_pcm.empty()) {
    params->device = device;
    params->hostApiSpecificStreamInfo = nullptr;
  } else {
    PaAlsa_InitializeStreamInfo(alsa_info);
    alsa_info->deviceString = alsa_pcm.c_str();
    params->device = paUseHostApiSpecificDeviceSpecification;
    params->hostApiSpecificStreamInfo = alsa_info;
  }
}

}  // namespace

Status PlaybackOptions::Validate() const {
  using std::chrono::milliseconds;
  for (auto [name, value] : {std::pair{"prefill", prefill}, {"buffer", buffer}, {"device_latency", device_latency},
                             {"warm_up", warm_up}, {"tail_silence", tail_silence}, {"stall_timeout", stall_timeout}}) {
    if (value < milliseconds(0)) return MakeError(ErrorCode::kBadRequest, std::string(name) + " must not be negative");
  }
  if (buffer <= prefill) return MakeError(ErrorCode::kBadRequest, "buffer must be longer than prefill");
  if (buffer > kMaxBuffer) {
    return MakeError(ErrorCode::kBadRequest, "buffer must be at most " + std::to_string(kMaxBuffer.count()) + " ms");
  }
  if (stall_timeout < milliseconds(100)) return MakeError(ErrorCode::kBadRequest, "stall_timeout must be >= 100 ms");
  return {};
}

Result<std::vector<OutputDevice>> ListOutputDevices(bool quiet_backend) {
  QuietStderr quiet(quiet_backend);
  if (PaError err = Pa_Initialize(); err != paNoError) {
    return MakeError(ErrorCode::kIo, "cannot start PortAudio: " + PaErrorText(err));
  }
  auto devices = EnumerateOutputs();
  Pa_Terminate();
  return devices;
}

Result<std::unique_ptr<PortAudioSink>> PortAudioSink::Create(const PlaybackOptions& options) {
  if (auto valid = options.Validate(); !valid) return std::unexpected(valid.error());
  QuietStderr quiet(options.quiet_backend);
  if (PaError err = Pa_Initialize(); err != paNoError) {
    return MakeError(ErrorCode::kIo, "cannot start PortAudio: " + PaErrorText(err));
  }
  // From here the sink owns the initialization: its destructor terminates PortAudio on every path.
  std::unique_ptr<PortAudioSink> sink(new PortAudioSink(options, Target{}));
  sink->pa_initialized_ = true;

  const auto devices = EnumerateOutputs();
  const bool pulse = HasPulsePlugin(devices);
  Target target;
  if (options.device.empty()) {
    if (pulse) {
      target.alsa_pcm = kPulsePcmName;
      target.description = "PulseAudio's default sink";
    } else if (Pa_GetDefaultOutputDevice() != paNoDevice && !devices.empty()) {
      const PaDeviceIndex d = Pa_GetDefaultOutputDevice();
      target.device = d;
      target.description = std::string("audio device '") + Pa_GetDeviceInfo(d)->name + "'";
    } else {
      return MakeError(ErrorCode::kIo, kNoDeviceHelp);
    }
  } else {
    const std::string want = Lower(options.device);
    auto match = std::find_if(devices.begin(), devices.end(),
                              [&](const OutputDevice& d) { return Lower(d.name).find(want) != std::string::npos; });
    if (match != devices.end() && pulse && match->host_api == "ALSA" && match->name == "pulse") {
      target.alsa_pcm = kPulsePcmName;  // the same server, without the stock device's underrun loop
      target.description = "PulseAudio's default sink";
    } else if (match != devices.end()) {
      target.device = match->index;
      target.description = "audio device '" + match->name + "' (" + match->host_api + ")";
    } else if (pulse && IsPlausibleSinkName(options.device)) {
      target.alsa_pcm = std::string(kPulsePcmName) + ":DEVICE=\"" + options.device + "\"";
      target.description = "PulseAudio sink " + options.device;
      // The plugin looks the sink up only when a stream is prepared: try one now so a wrong name fails here.
      if (auto defined = EnsurePulsePcmDefinition(); !defined) return std::unexpected(defined.error());
      PaAlsaStreamInfo alsa_info;
      PaStreamParameters params;
      FillParams(-1, target.alsa_pcm, AudioFormat{48000, 1, protocol::SampleFormat::kS16Le}, 0.05, &alsa_info, &params);
      PaStream* probe = nullptr;
      if (Pa_OpenStream(&probe, nullptr, &params, 48000, paFramesPerBufferUnspecified, paNoFlag, nullptr, nullptr) !=
          paNoError) {
        return MakeError(ErrorCode::kIo, "no audio output device matches '" + options.device +
                                             "', and PulseAudio has no sink of that name (see `pactl list short "
                                             "sinks`); output devices: " + DeviceNames(devices));
      }
      Pa_CloseStream(probe);
    } else if (devices.empty()) {
      return MakeError(ErrorCode::kIo, kNoDeviceHelp);
    } else {
      return MakeError(ErrorCode::kIo, "no audio output device matches '" + options.device +
                                           "'; output devices: " + DeviceNames(devices) +
                                           (pulse ? "" : " (PulseAudio sink names work only while a PulseAudio or "
                                                         "PipeWire server is reachable)"));
    }
  }
  sink->target_ = std::move(target);
  sink->description_ = "playback on " + sink->target_.description;
  return sink;
}

PortAudioSink::PortAudioSink(const PlaybackOptions& options, Target target)
    : options_(options), target_(std::move(target)) {}

PortAudioSink::~PortAudioSink() {
  if (stream_) (void)StopAndCloseStream(/*abort=*/true);
  if (pa_initialized_) {
    QuietStderr quiet(options_.quiet_backend);
    Pa_Terminate();
  }
}

int PortAudioSink::Callback(const void* /*input*/, void* output, unsigned long frames,
                            const PaStreamCallbackTimeInfo* /*time_info*/, unsigned long status_flags, void* self) {
  static_cast<PortAudioSink*>(self)->Render(static_cast<uint8_t*>(output), frames, status_flags);
  return paContinue;
}

void PortAudioSink::Render(uint8_t* out, unsigned long frames, unsigned long status_flags) {
  if (status_flags & paOutputUnderflow) device_underflows_.fetch_add(1, std::memory_order_relaxed);
  const size_t want = frames * frame_bytes_;
  size_t got = 0;
  const uint64_t rendered = rendered_frames_.load(std::memory_order_relaxed);
  if (Stopped()) {
    ring_->Drop();
    playing_ = false;
  } else if (rendered >= warm_up_frames_) {
    const bool done = producer_done_.load(std::memory_order_acquire);
    const size_t prefill = prefill_bytes_.load(std::memory_order_relaxed);
    if (!playing_) {
      const size_t available = ring_->AvailableBytes();
      playing_ = available >= prefill || (done && available > 0);
    }
    if (playing_) {
      got = ring_->Read(out, want);
      played_frames_.fetch_add(got / frame_bytes_, std::memory_order_relaxed);
      // Ran dry with more to come: an underrun. Play silence and wait for a deeper prefill.
      if (got < want && !producer_done_.load(std::memory_order_acquire)) {
        underruns_.fetch_add(1, std::memory_order_relaxed);
        prefill_bytes_.store(std::min(2 * prefill, max_prefill_bytes_), std::memory_order_relaxed);
        playing_ = false;
      }
    }
  }
  // Zero bytes are silence in both int16 and float32.
  if (got < want) std::memset(out + got, 0, want - got);
  rendered_frames_.store(rendered + frames, std::memory_order_release);
}

std::chrono::milliseconds PortAudioSink::prefill() const {
  if (frame_bytes_ == 0 || format_.sample_rate_hz == 0) return options_.prefill;
  const uint64_t frames = prefill_bytes_.load(std::memory_order_relaxed) / frame_bytes_;
  return std::chrono::milliseconds(frames * 1000 / format_.sample_rate_hz);
}

Status PortAudioSink::Open(const AudioFormat& format) {
  if (closed_) return MakeError(ErrorCode::kBadRequest, Describe() + " is already closed");
  if (open_) return MakeError(ErrorCode::kBadRequest, Describe() + " is already open");
  if (format.sample_rate_hz == 0 || format.channels == 0) {
    return MakeError(ErrorCode::kBadRequest, "audio format has zero rate or channels");
  }
  if (format.sample_format != protocol::SampleFormat::kS16Le && format.sample_format != protocol::SampleFormat::kF32Le) {
    return MakeError(ErrorCode::kBadRequest, "playback takes s16le or f32le audio");
  }
  format_ = format;
  frame_bytes_ = format.frame_bytes();
  const auto frames_for = [&](std::chrono::milliseconds ms) {
    return static_cast<uint64_t>(ms.count()) * format.sample_rate_hz / 1000;
  };
  ring_ = std::make_unique<SpscByteRing>(frames_for(options_.buffer) * frame_bytes_);
  const size_t prefill_bytes = std::max<uint64_t>(frames_for(options_.prefill), 1) * frame_bytes_;
  prefill_bytes_.store(prefill_bytes, std::memory_order_relaxed);
  max_prefill_bytes_ = std::max(prefill_bytes, frames_for(options_.buffer) / 2 * frame_bytes_);
  warm_up_frames_ = frames_for(options_.warm_up);

  double latency_s = options_.device_latency.count() / 1000.0;
  if (target_.alsa_pcm.empty()) {
    if (const PaDeviceInfo* info = Pa_GetDeviceInfo(target_.device)) {
      latency_s = std::max(latency_s, info->defaultLowOutputLatency);
    }
  }
  PaAlsaStreamInfo alsa_info;
  PaStreamParameters params;
  FillParams(target_.device, target_.alsa_pcm, format, latency_s, &alsa_info, &params);
  {
    QuietStderr quiet(options_.quiet_backend);
    if (!target_.alsa_pcm.empty()) {
      if (auto defined = EnsurePulsePcmDefinition(); !defined) return std::unexpected(defined.error());
    }
    PaStream* stream = nullptr;
    PaError err = Pa_OpenStream(&stream, nullptr, &params, format.sample_rate_hz, paFramesPerBufferUnspecified,
                                paNoFlag, &PortAudioSink::Callback, this);
    if (err != paNoError) {
      return MakeError(ErrorCode::kIo, "cannot open " + target_.description + " for " +
                                           std::to_string(format.sample_rate_hz) + " Hz " +
                                           std::string(protocol::SampleFormatName(format.sample_format)) + " x" +
                                           std::to_string(format.channels) + ": " + PaErrorText(err));
    }
    stream_ = stream;
    if (const PaStreamInfo* info = Pa_GetStreamInfo(stream)) output_latency_s_ = info->outputLatency;
    // The first device buffer of a stream can be lost (the pulse plugin drops it): keep it silence.
    warm_up_frames_ = std::max(warm_up_frames_, static_cast<uint64_t>((output_latency_s_ + 0.01) * format.sample_rate_hz));
    // Sleep in Write/Close for about a fifth of the device buffer: often enough not to let it run low.
    poll_interval_ = std::clamp(std::chrono::milliseconds(static_cast<long>(output_latency_s_ * 200)),
                                std::chrono::milliseconds(1), std::chrono::milliseconds(10));
    err = Pa_StartStream(stream);
    if (err != paNoError) {
      (void)StopAndCloseStream(/*abort=*/true);
      return MakeError(ErrorCode::kIo, "cannot start " + target_.description + ": " + PaErrorText(err));
    }
  }
  open_ = true;
  return {};
}

Status PortAudioSink::WaitForDevice(uint64_t* last_rendered, Clock::time_point* last_progress) {
  std::this_thread::sleep_for(poll_interval_);
  const uint64_t rendered = rendered_frames_.load(std::memory_order_acquire);
  const auto now = Clock::now();
  if (rendered != *last_rendered) {
    *last_rendered = rendered;
    *last_progress = now;
    return {};
  }
  if (Pa_IsStreamActive(stream_) != 1) {
    return MakeError(ErrorCode::kIo, "playback on " + target_.description + " stopped (the device or sound server went away)");
  }
  if (now - *last_progress >= options_.stall_timeout) {
    return MakeError(ErrorCode::kIo, target_.description + " took no audio for " +
                                         std::to_string(options_.stall_timeout.count()) + " ms");
  }
  return {};
}

Status PortAudioSink::Write(std::span<const uint8_t> pcm) {
  if (!open_ || closed_) return MakeError(ErrorCode::kBadRequest, Describe() + " is not open");
  if (pcm.size() % frame_bytes_ != 0) {
    return MakeError(ErrorCode::kBadRequest, "audio chunk of " + std::to_string(pcm.size()) +
                                                 " bytes is not whole frames of " + std::to_string(frame_bytes_));
  }
  uint64_t last_rendered = rendered_frames_.load(std::memory_order_acquire);
  auto last_progress = Clock::now();
  size_t done = 0;
  while (done < pcm.size()) {
    if (Stopped()) return {};  // being cancelled: the rest is not wanted
    const size_t room = ring_->FreeBytes() / frame_bytes_ * frame_bytes_;
    done += ring_->Write(pcm.data() + done, std::min(room, pcm.size() - done));
    if (done == pcm.size()) break;
    if (auto s = WaitForDevice(&last_rendered, &last_progress); !s) return s;
  }
  return {};
}

Status PortAudioSink::StopAndCloseStream(bool abort) {
  if (!stream_) return {};
  QuietStderr quiet(options_.quiet_backend);
  PaStream* stream = stream_;
  stream_ = nullptr;
  PaError stop = abort ? Pa_AbortStream(stream) : Pa_StopStream(stream);
  PaError close = Pa_CloseStream(stream);
  if (stop != paNoError && stop != paStreamIsStopped) {
    return MakeError(ErrorCode::kIo, "cannot stop " + target_.description + ": " + PaErrorText(stop));
  }
  if (close != paNoError) return MakeError(ErrorCode::kIo, "cannot close " + target_.description + ": " + PaErrorText(close));
  return {};
}

Status PortAudioSink::Close() {
  if (closed_) return {};
  closed_ = true;
  if (!open_ || !stream_) return {};
  if (Stopped()) return StopAndCloseStream(/*abort=*/true);

  producer_done_.store(true, std::memory_order_release);
  uint64_t last_rendered = rendered_frames_.load(std::memory_order_acquire);
  auto last_progress = Clock::now();
  // Play out what is buffered.
  while (ring_->AvailableBytes() > 0 && !Stopped()) {
    if (auto s = WaitForDevice(&last_rendered, &last_progress); !s) {
      (void)StopAndCloseStream(/*abort=*/true);
      return s;
    }
  }
  // Then the tail: the device's own buffer still holds the end of the audio, and stopping drops it.
  const double tail_s = options_.tail_silence.count() / 1000.0 + output_latency_s_;
  const uint64_t until = rendered_frames_.load(std::memory_order_acquire) +
                         static_cast<uint64_t>(std::ceil(tail_s * format_.sample_rate_hz));
  while (rendered_frames_.load(std::memory_order_acquire) < until && !Stopped()) {
    if (auto s = WaitForDevice(&last_rendered, &last_progress); !s) {
      (void)StopAndCloseStream(/*abort=*/true);
      return s;
    }
  }
  return StopAndCloseStream(/*abort=*/Stopped());
}

}  // namespace ttsd::client
