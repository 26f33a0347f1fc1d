#include "ttsd/client/audio-sink.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "ttsd/client/raw-pcm-sink.h"
#include "ttsd/client/wav-file-sink.h"

namespace ttsd::client {
namespace {

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                    [](char want, char c) { return std::tolower(static_cast<unsigned char>(c)) == want; });
}

}  // namespace

Result<OutputSpec> ParseOutputSpec(std::string_view spec) {
  if (spec == "-") return OutputSpec{OutputSpec::Kind::kRawStdout, ""};
  if (EndsWithNoCase(spec, ".wav") && spec.size() > 4) return OutputSpec{OutputSpec::Kind::kWavFile, std::string(spec)};
  if ((EndsWithNoCase(spec, ".raw") || EndsWithNoCase(spec, ".pcm")) && spec.size() > 4) {
    return OutputSpec{OutputSpec::Kind::kRawFile, std::string(spec)};
  }
  return MakeError(ErrorCode::kBadRequest, "cannot tell what kind of output '" + std::string(spec) +
                                               "' is: name a .wav file, a .raw/.pcm file, or - for raw PCM on stdout");
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
  }
  return MakeError(ErrorCode::kInternal, "unknown output kind");
}

}  // namespace ttsd::client
