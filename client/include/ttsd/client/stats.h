// Figures for one synthesis request, printed by `ttsc say --stats` as one JSON line on stderr.
//   std::cerr << synthesis.stats().ToJsonLine() << '\n';
//   {"request_id":1,"voice":"fixture-ar","speaker":"a","sample_rate":16000,"channels":1,"ttfa_ms":31.2,
//    "audio_s":2.4,"wall_s":0.9,"rtf":0.375,"chunks":7,"samples":38400,"status":"ok"}
//   With --play the line also has "underruns":0,"played_s":2.4,"device_underflows":0,"prefill_ms":50
//   (playback figures).
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ttsd::client {

struct RequestStats {
  uint32_t request_id = 0;
  std::string voice;    // as kAccepted named them
  std::string speaker;
  uint32_t sample_rate_hz = 0;
  uint32_t channels = 0;
  // kSynthesize sent -> first kAudio frame carrying samples received; empty when no samples came.
  std::optional<double> ttfa_ms;
  double audio_s = 0;   // audio received, in seconds
  double wall_s = 0;    // kSynthesize sent -> the request ended
  uint64_t chunks = 0;  // kAudio frames received, the (possibly empty) last one included
  uint64_t samples = 0; // samples per channel received
  std::string status = "ok";  // "ok", or the name of the error that ended the request ("cancelled", ...)

  // Playback only (empty otherwise): times the player's buffer ran dry in the middle of the audio, seconds
  // of audio played, and underflows the audio device itself reported (portaudio-sink.h).
  std::optional<uint64_t> underruns;
  std::optional<double> played_s;
  std::optional<uint64_t> device_underflows;
  std::optional<double> prefill_ms;  // the prefill playback ended with (--prefill, doubled per underrun)

  // wall_s / audio_s: below 1 is faster than real time; empty without audio.
  std::optional<double> real_time_factor() const;

  // One line of JSON, no newline. Keys as in the example above; ttfa_ms and rtf are null when empty; the
  // playback keys only when set.
  std::string ToJsonLine() const;
};

}  // namespace ttsd::client
