// Internal to the sinks: a request's PCM chunk as mono float, and all of a buffer written to a file
// descriptor.
//   if (auto s = ToMono(pcm, format, 32768.0f, &mono); !s) return s;
//   if (auto s = WriteAll(fd, bytes, "out.mp3"); !s) return s;
// Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ttsd/client/audio-sink.h"

namespace ttsd::client {

// pcm: whole frames in format (s16le or f32le, interleaved); *mono gets one float per frame, the
// channels averaged, 16-bit samples divided by int16_full_scale (32768 for -1..1; 32767 undoes an
// encoder's lround(x * 32767) exactly). Errors: kBadRequest for a partial frame.
Status ToMono(std::span<const uint8_t> pcm, const AudioFormat& format, float int16_full_scale, std::vector<float>* mono);

// Writes every byte (retrying after signals). Errors: kIo "cannot write <what>: <reason>".
Status WriteAll(int fd, std::span<const uint8_t> bytes, const std::string& what);

}  // namespace ttsd::client
