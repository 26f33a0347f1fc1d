// The output options that `ttsc say` (and later `ttsc listen`) share, and their translation to an OutputSpec:
//   -o FILE|-|ogg:-|mp3:-|flac:-|aac:-   --rtp HOST:PORT [--sdp FILE]   --http HOST:PORT [--http-wait N] [--http-allow-remote]
//   --opus-bitrate KBPS   --play [--device NAME]
//   OutputOptions out; AddOutputOptions(say_cmd, &out); ... auto spec = ToOutputSpec(out);   // after parsing
// Thread-safety: plain values and functions; CLI11 writes into the struct while it parses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ttsd/client/audio-sink.h"

namespace CLI {
class App;
}

namespace ttsd::client {

struct OutputOptions {
  static constexpr double kDefaultOpusBitrateKbps = 32;

  std::string output;              // -o: FILE.wav, FILE.raw/.pcm, FILE.opus/.ogg, FILE.mp3/.flac/.aac,
                                   // ogg:FILE, -, ogg:-, mp3:- flac:- aac:-
  std::string rtp;                 // --rtp HOST:PORT (or PORT: 127.0.0.1)
  std::string sdp;                 // --sdp FILE
  std::string http;                // --http HOST:PORT (or PORT: 127.0.0.1)
  uint32_t http_wait = 0;          // --http-wait N
  bool http_allow_remote = false;  // --http-allow-remote
  double opus_bitrate_kbps = kDefaultOpusBitrateKbps;  // --opus-bitrate
  bool play = false;               // --play: through the sound card (portaudio-sink.h)
  std::string device;              // --device NAME: which output device or PulseAudio sink --play uses
  uint32_t prefill_ms = 0;         // --prefill MS: audio --play buffers before it starts (0: the sink's default)

  // True when any output was named.
  bool any() const { return !output.empty() || !rtp.empty() || !http.empty() || play; }
};

// Adds the options above to app (not owned), writing into *options (not owned; must outlive parsing).
void AddOutputOptions(CLI::App* app, OutputOptions* options);

// Exactly one of -o, --rtp, --http. Errors: kBadRequest saying what is wrong (none or several outputs, --sdp
// without --rtp, --http-wait without --http, a HOST:PORT that does not parse, a non-loopback --http address
// without --http-allow-remote, a name -o does not know).
Result<OutputSpec> ToOutputSpec(const OutputOptions& options);

// "127.0.0.1:5004", "[::1]:5004", "localhost:8090", or a bare "8090" (host 127.0.0.1); port 1..65535.
// Errors: kBadRequest.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> ParseHostPort(std::string_view text);

}  // namespace ttsd::client
