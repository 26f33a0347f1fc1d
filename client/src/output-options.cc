#include "ttsd/client/output-options.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>

#include "ttsd/client/http-stream-server.h"
#include "ttsd/codec/ogg-opus-encoder.h"

namespace ttsd::client {

void AddOutputOptions(CLI::App* app, OutputOptions* options) {
  app->add_flag("--play", options->play,
                "play the audio through the sound card as it arrives (the default when no -o, --rtp or --http "
                "is given); 'ttsc devices' lists the outputs");
  app->add_option("--device", options->device,
                  "with --play: the first output device whose name contains NAME (case-insensitive), else the "
                  "PulseAudio/PipeWire sink named NAME (pactl list short sinks), e.g. a virtual microphone's "
                  "null sink (default: the default output)")
      ->type_name("NAME");
  app->add_option("--prefill", options->prefill_ms,
                  "with --play: milliseconds of audio buffered before playback starts (default 50); a machine "
                  "that speaks slower than it looked at first stutters less with more. It doubles after each "
                  "underrun anyway")
      ->type_name("MS")
      ->check(CLI::Range(1u, 30000u));
  app->add_option("-o,--output", options->output,
                  "where the audio goes: FILE.wav (WAV), FILE.raw or FILE.pcm (raw PCM), FILE.opus or FILE.ogg "
                  "(Ogg Opus, 48 kHz), FILE.mp3 (MP3, 64 kb/s), FILE.flac (FLAC, lossless), FILE.aac (AAC-LC in "
                  "ADTS, 64 kb/s), - (raw PCM on stdout), ogg:-, mp3:-, flac:- or aac:- (that format on stdout)")
      ->type_name("FILE");
  app->add_option("--rtp", options->rtp,
                  "stream Opus over RTP/UDP to HOST:PORT (48 kHz, payload type 111), at real-time pace")
      ->type_name("HOST:PORT");
  app->add_option("--sdp", options->sdp,
                  "with --rtp: write the SDP that ffmpeg or OBS open to receive the stream to FILE")
      ->type_name("FILE");
  app->add_option("--http", options->http,
                  "serve the audio live as Ogg Opus over HTTP on HOST:PORT (loopback), at http://HOST:PORT/ "
                  "and /stream.ogg, to any number of clients")
      ->type_name("HOST:PORT");
  app->add_option("--http-wait", options->http_wait,
                  "with --http: hold the audio until N clients are listening (Ctrl-C gives up)")
      ->type_name("N")
      ->check(CLI::Range(0u, 1024u));
  app->add_flag("--http-allow-remote", options->http_allow_remote,
                "with --http: allow an address other than loopback (anyone who can reach it can listen)");
  app->add_option("--opus-bitrate", options->opus_bitrate_kbps, "Opus bitrate in kb/s for the Opus outputs")
      ->type_name("KBPS")
      ->capture_default_str()
      ->check(CLI::Range(codec::OggOpusEncoder::kMinBitrateBps / 1000.0, codec::OggOpusEncoder::kMaxBitrateBps / 1000.0));
}

Result<HostPort> ParseHostPort(std::string_view text) {
  HostPort out;
  std::string_view port = text;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return MakeError(ErrorCode::kBadRequest, "'" + std::string(text) + "' is not [IPV6]:PORT");
    }
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) {
      return MakeError(ErrorCode::kBadRequest, "write an IPv6 address in brackets: [" + out.host + "]:PORT");
    }
  }
  if (out.host.empty()) out.host = "127.0.0.1";
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return MakeError(ErrorCode::kBadRequest, "'" + std::string(text) + "' is not HOST:PORT with a port 1..65535");
  }
  out.port = static_cast<uint16_t>(value);
  return out;
}

Result<OutputSpec> ToOutputSpec(const OutputOptions& options) {
  const int outputs = !options.output.empty() + !options.rtp.empty() + !options.http.empty() + options.play;
  if (outputs == 0) {
    return MakeError(ErrorCode::kBadRequest,
                     "no output: give --play, -o FILE.wav|.opus|.mp3|.flac|.aac|-|ogg:-|mp3:-, --rtp HOST:PORT or "
                     "--http HOST:PORT");
  }
  if (outputs > 1) return MakeError(ErrorCode::kBadRequest, "give only one of --play, -o, --rtp and --http");
  if (!options.device.empty() && !options.play) {
    return MakeError(ErrorCode::kBadRequest, "--device picks the sound device for --play; it does not go with -o, "
                                             "--rtp or --http");
  }
  if (options.prefill_ms > 0 && !options.play) {
    return MakeError(ErrorCode::kBadRequest, "--prefill is for --play; it does not go with -o, --rtp or --http");
  }
  if (!options.sdp.empty() && options.rtp.empty()) {
    return MakeError(ErrorCode::kBadRequest, "--sdp describes an RTP stream: it needs --rtp");
  }
  if ((options.http_wait > 0 || options.http_allow_remote) && options.http.empty()) {
    return MakeError(ErrorCode::kBadRequest, "--http-wait and --http-allow-remote need --http");
  }
  OutputSpec spec;
  if (options.play) {
    spec.kind = OutputSpec::Kind::kPlayback;
    spec.device = options.device;
    spec.prefill_ms = options.prefill_ms;
  } else if (!options.output.empty()) {
    auto parsed = ParseOutputSpec(options.output);
    if (!parsed) return std::unexpected(parsed.error());
    spec = *parsed;
  } else if (!options.rtp.empty()) {
    auto where = ParseHostPort(options.rtp);
    if (!where) return MakeError(ErrorCode::kBadRequest, "--rtp: " + where.error().message);
    spec.kind = OutputSpec::Kind::kRtp;
    spec.host = where->host;
    spec.port = where->port;
    spec.sdp_path = options.sdp;
  } else {
    auto where = ParseHostPort(options.http);
    if (!where) return MakeError(ErrorCode::kBadRequest, "--http: " + where.error().message);
    spec.kind = OutputSpec::Kind::kHttp;
    spec.host = where->host;
    spec.port = where->port;
    spec.http_wait_clients = options.http_wait;
    spec.http_allow_remote = options.http_allow_remote;
    HttpStreamOptions server;
    server.host = spec.host;
    server.allow_remote = spec.http_allow_remote;
    if (auto valid = server.Validate(); !valid) return MakeError(ErrorCode::kBadRequest, "--http: " + valid.error().message);
  }
  spec.opus_bitrate_bps = static_cast<uint32_t>(std::lround(options.opus_bitrate_kbps * 1000));
  return spec;
}

}  // namespace ttsd::client
