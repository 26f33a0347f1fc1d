#include "ttsd/client/audio-sink.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "ttsd/client/encoded-file-sink.h"
#include "ttsd/client/http-ogg-sink.h"
#include "ttsd/client/ogg-opus-sink.h"
#include "ttsd/client/portaudio-sink.h"
#include "ttsd/client/raw-pcm-sink.h"
#include "ttsd/client/rtp-opus-sink.h"
#include "ttsd/client/wav-file-sink.h"

namespace ttsd::client {
namespace {

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                    [](char want, char c) { return std::tolower(static_cast<unsigned char>(c)) == want; });
}

OutputSpec Spec(OutputSpec::Kind kind, std::string_view path) {
  OutputSpec spec;
  spec.kind = kind;
  spec.path = std::string(path);
  return spec;
}

OutputSpec Encoded(EncodedFormat format, std::string_view path) {
  OutputSpec spec = Spec(path.empty() ? OutputSpec::Kind::kEncodedStdout : OutputSpec::Kind::kEncodedFile, path);
  spec.encoded_format = format;
  return spec;
}

// The compressed formats: the extension and the prefix ("mp3:-", "mp3:NAME") that name each.
struct EncodedName {
  EncodedFormat format;
  std::string_view extension;
  std::string_view prefix;
};
constexpr EncodedName kEncodedNames[] = {
    {EncodedFormat::kMp3, ".mp3", "mp3:"},
    {EncodedFormat::kFlac, ".flac", "flac:"},
    {EncodedFormat::kAac, ".aac", "aac:"},
};

}  // namespace

Result<OutputSpec> ParseOutputSpec(std::string_view spec) {
  if (spec == "-") return Spec(OutputSpec::Kind::kRawStdout, "");
  if (spec == "ogg:-") return Spec(OutputSpec::Kind::kOggStdout, "");
  if (spec.starts_with("ogg:") && spec.size() > 4) return Spec(OutputSpec::Kind::kOggFile, spec.substr(4));
  for (const auto& name : kEncodedNames) {
    if (spec == std::string(name.prefix) + "-") return Encoded(name.format, "");
    if (spec.starts_with(name.prefix) && spec.size() > name.prefix.size()) {
      return Encoded(name.format, spec.substr(name.prefix.size()));
    }
  }
  for (const auto& name : kEncodedNames) {
    if (EndsWithNoCase(spec, name.extension) && spec.size() > name.extension.size()) return Encoded(name.format, spec);
  }
  if ((EndsWithNoCase(spec, ".opus") && spec.size() > 5) ||
      ((EndsWithNoCase(spec, ".ogg") || EndsWithNoCase(spec, ".oga")) && spec.size() > 4)) {
    return Spec(OutputSpec::Kind::kOggFile, spec);
  }
  if (EndsWithNoCase(spec, ".wav") && spec.size() > 4) return Spec(OutputSpec::Kind::kWavFile, spec);
  if ((EndsWithNoCase(spec, ".raw") || EndsWithNoCase(spec, ".pcm")) && spec.size() > 4) {
    return Spec(OutputSpec::Kind::kRawFile, spec);
  }
  return MakeError(ErrorCode::kBadRequest,
                   "cannot tell what kind of output '" + std::string(spec) +
                       "' is: name a .wav file, a .raw/.pcm file, an .opus/.ogg file (Ogg Opus), an .mp3, .flac or "
                       ".aac file, - for raw PCM on stdout, or ogg:-, mp3:-, flac:- or aac:- for that format on "
                       "stdout");
}

Result<std::unique_ptr<AudioSink>> MakeAudioSink(const OutputSpec& spec) {
  switch (spec.kind) {
    case OutputSpec::Kind::kRawStdout:
      return std::make_unique<RawPcmSink>(STDOUT_FILENO, /*owns_fd=*/false, "stdout");
    case OutputSpec::Kind::kRawFile: {
      auto sink = RawPcmSink::CreateFile(spec.path);
      if (!sink) return std::unexpected(sink.error());
      return std::unique_ptr<AudioSink>(std::move(*sink));
    }
    case OutputSpec::Kind::kWavFile: {
      auto sink = WavFileSink::Create(spec.path);
      if (!sink) return std::unexpected(sink.error());
      return std::unique_ptr<AudioSink>(std::move(*sink));
    }
    case OutputSpec::Kind::kOggStdout:
      return std::make_unique<OggOpusSink>(STDOUT_FILENO, /*owns_fd=*/false, "stdout", spec.opus_bitrate_bps);
    case OutputSpec::Kind::kOggFile: {
      auto sink = OggOpusSink::CreateFile(spec.path, spec.opus_bitrate_bps);
      if (!sink) return std::unexpected(sink.error());
      return std::unique_ptr<AudioSink>(std::move(*sink));
    }
    case OutputSpec::Kind::kEncodedStdout:
      return std::make_unique<EncodedFileSink>(STDOUT_FILENO, /*owns_fd=*/false, "stdout", spec.encoded_format);
    case OutputSpec::Kind::kEncodedFile: {
      auto sink = EncodedFileSink::CreateFile(spec.path, spec.encoded_format);
      if (!sink) return std::unexpected(sink.error());
      return std::unique_ptr<AudioSink>(std::move(*sink));
    }
    case OutputSpec::Kind::kRtp: {
      RtpOptions options;
      options.host = spec.host;
      options.port = spec.port;
      options.sdp_path = spec.sdp_path;
      options.bitrate_bps = spec.opus_bitrate_bps;
      options.pace = spec.pace;
      auto sink = RtpOpusSink::Create(options);
      if (!sink) return std::unexpected(sink.error());
      return std::unique_ptr<AudioSink>(std::move(*sink));
    }
    case OutputSpec::Kind::kHttp: {
      HttpStreamOptions options;
      options.host = spec.host;
      options.port = spec.port;
      options.allow_remote = spec.http_allow_remote;
      auto sink = HttpOggSink::Create(options, spec.opus_bitrate_bps, spec.pace);
      if (!sink) return std::unexpected(sink.error());
      if (spec.http_wait_clients > 0) {
        auto waited = (*sink)->WaitForClients(spec.http_wait_clients, std::chrono::milliseconds(0), spec.cancel);
        if (!waited) return std::unexpected(waited.error());
      }
      return std::unique_ptr<AudioSink>(std::move(*sink));
    }
    case OutputSpec::Kind::kPlayback: {
      PlaybackOptions options;
      options.device = spec.device;
      if (spec.prefill_ms > 0) {
        options.prefill = std::chrono::milliseconds(spec.prefill_ms);
        options.buffer = std::max(options.buffer, 2 * options.prefill);  // room to grow after an underrun
      }
      options.stop = spec.cancel;
      auto sink = PortAudioSink::Create(options);
      if (!sink) return std::unexpected(sink.error());
      return std::unique_ptr<AudioSink>(std::move(*sink));
    }
  }
  return MakeError(ErrorCode::kInternal, "unknown output kind");
}

}  // namespace ttsd::client
