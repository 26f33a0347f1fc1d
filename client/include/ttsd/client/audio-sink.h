// Where a request's audio goes as it arrives: the AudioSink interface and the factory that picks one
// from an output spec ("-o x.wav" -> WAV file, "-o -" -> raw PCM on stdout).
//   auto sink = MakeAudioSink(ParseOutputSpec("out.wav").value());   // Result<std::unique_ptr<AudioSink>>
//   (*sink)->Open(format); (*sink)->Write(pcm); (*sink)->Close();
// Thread-safety: a sink is used by one thread at a time (the thread that reads the request's frames).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ttsd/protocol/error.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::client {

struct AudioFormat {
  uint32_t sample_rate_hz = 0;
  uint32_t channels = 1;
  protocol::SampleFormat sample_format = protocol::SampleFormat::kS16Le;

  size_t frame_bytes() const { return protocol::BytesPerSample(sample_format) * channels; }
};

class AudioSink {
 public:
  virtual ~AudioSink() = default;

  // Called once, before any Write, when the request is accepted. Errors: kBadRequest (a format the sink
  // cannot take: zero rate or channels), kIo.
  virtual Status Open(const AudioFormat& format) = 0;

  // pcm: interleaved little-endian samples in the opened format, whole frames only; borrowed for the call.
  // The chunk is handed on (written, flushed) before this returns. Errors: kBadRequest (not open, or not
  // whole frames), kIo.
  virtual Status Write(std::span<const uint8_t> pcm) = 0;

  // Finishes the output (headers, buffers). Safe to call more than once and without Open. Errors: kIo.
  virtual Status Close() = 0;

  // For messages: "WAV file out.wav", "raw PCM on stdout".
  virtual std::string Describe() const = 0;
};

// The compressed formats of -o FILE.mp3|.flac|.aac and mp3:-|flac:-|aac:- (encoded-file-sink.h).
enum class EncodedFormat { kMp3, kFlac, kAac };

// What -o (and --rtp, --http, --play: output-options.h) names.
struct OutputSpec {
  enum class Kind {
    kWavFile, kRawFile, kRawStdout, kOggFile, kOggStdout, kRtp, kHttp, kPlayback,
    kEncodedFile, kEncodedStdout,  // MP3, FLAC or AAC (encoded_format)
  };
  Kind kind = Kind::kWavFile;
  std::string path;  // empty for kRawStdout, kOggStdout, kEncodedStdout, kRtp, kHttp

  EncodedFormat encoded_format = EncodedFormat::kMp3;  // kEncodedFile, kEncodedStdout

  // Opus outputs (kOggFile, kOggStdout, kRtp, kHttp): 48 kHz mono, 20 ms frames.
  uint32_t opus_bitrate_bps = 32000;
  std::string host;                 // kRtp: where packets go; kHttp: the address to serve on
  uint16_t port = 0;                // kRtp, kHttp
  std::string sdp_path;             // kRtp: the SDP file to write ("" = none)
  bool http_allow_remote = false;   // kHttp: serve on a non-loopback address
  uint32_t http_wait_clients = 0;   // kHttp: MakeAudioSink returns once this many clients listen
  const std::atomic<bool>* cancel = nullptr;  // not owned; may be null: set to stop that wait
  bool pace = true;                 // kRtp, kHttp: send at real-time pace
  std::string device;               // kPlayback: "" (default output) or a device/sink name (portaudio-sink.h);
                                    // once *cancel is set, playback stops at once
  uint32_t prefill_ms = 0;          // kPlayback: buffered before audio starts (0: PlaybackOptions' default)
};

// "-" -> raw PCM on stdout; a name ending in .wav -> WAV file; .raw or .pcm -> raw PCM file; .opus, .ogg or
// .oga -> Ogg Opus file; .mp3, .flac, .aac -> that format's file (case-insensitive); "ogg:-" -> Ogg Opus on
// stdout, "ogg:NAME" -> Ogg Opus file NAME; likewise "mp3:-", "flac:-", "aac:-" and "mp3:NAME" etc.
// Errors: kBadRequest with a message saying which names are understood.
Result<OutputSpec> ParseOutputSpec(std::string_view spec);

// Opens the output now (a file is created or truncated, a socket bound, an SDP file written), so an unusable
// output fails before any request; kHttp with http_wait_clients then waits for the listeners.
// Errors: kIo; kBadRequest (an Opus option out of range, a host that does not resolve, a non-loopback
// HTTP address without http_allow_remote); kCancelled (*cancel was set while waiting).
Result<std::unique_ptr<AudioSink>> MakeAudioSink(const OutputSpec& spec);

}  // namespace ttsd::client
