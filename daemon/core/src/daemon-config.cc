#include "ttsd/daemon/daemon-config.h"

#include <CLI/CLI.hpp>

#include <sstream>

#include "ttsd/daemon/wyoming-endpoint.h"
#include "ttsd/protocol/limits.h"

namespace ttsd::daemon {

Status DaemonConfig::Validate() const {
  if (socket_path.empty()) return MakeError(ErrorCode::kBadRequest, "socket path is empty");
  if (socket_path.size() > protocol::kMaxSocketPathBytes) {
    return MakeError(ErrorCode::kBadRequest,
                     "socket path is longer than " + std::to_string(protocol::kMaxSocketPathBytes) + " bytes");
  }
  if (voice_dirs.empty()) return MakeError(ErrorCode::kBadRequest, "no voice directories given (--voices)");
  if (inference_workers < 1 || inference_workers > 64) {
    return MakeError(ErrorCode::kBadRequest, "inference_workers must be 1..64");
  }
  if (max_batch < 1 || max_batch > 256) return MakeError(ErrorCode::kBadRequest, "max_batch must be 1..256");
  if (max_requests_per_client < 1) return MakeError(ErrorCode::kBadRequest, "max_requests_per_client must be >= 1");
  if (max_requests_total < max_requests_per_client) {
    return MakeError(ErrorCode::kBadRequest, "max_requests_total must be >= max_requests_per_client");
  }
  if (max_connections < 1) return MakeError(ErrorCode::kBadRequest, "max_connections must be >= 1");
  if (max_outbound_bytes < 16 * 1024) return MakeError(ErrorCode::kBadRequest, "max_outbound_bytes must be >= 16384");
  if (idle_timeout_s < 0) return MakeError(ErrorCode::kBadRequest, "idle_timeout_s must be >= 0 (0 disables it)");
  if (drain_timeout_s < 0) return MakeError(ErrorCode::kBadRequest, "drain_timeout_s must be >= 0");
  if (channel_max_queue < 1 || channel_max_queue > kMaxChannelQueue) {
    return MakeError(ErrorCode::kBadRequest, "channel_max_queue must be 1 to " + std::to_string(kMaxChannelQueue));
  }
  if (!(channel_max_queued_s >= 0 && channel_max_queued_s <= kMaxChannelQueuedS)) {
    return MakeError(ErrorCode::kBadRequest, "channel_max_queued_s must be 0 (no cap) to " +
                                                 std::to_string(static_cast<int>(kMaxChannelQueuedS)) + " seconds");
  }
  if (channel_loudness != 0 && !(channel_loudness >= -70 && channel_loudness <= -5)) {
    return MakeError(ErrorCode::kBadRequest, "channel_loudness must be 0 (off) or -70 to -5 LUFS");
  }
  if (max_reference_bytes < 1024 || max_reference_bytes > (1u << 30)) {
    return MakeError(ErrorCode::kBadRequest, "max_reference_bytes must be 1024 to 1073741824");
  }
  if (!(max_reference_s >= 1 && max_reference_s <= 600)) {
    return MakeError(ErrorCode::kBadRequest, "max_reference_s must be 1 to 600");
  }
  // The most a request can send: kMaxReferences files of max_reference_s each.
  if (!(min_reference_s >= 1 && min_reference_s <= protocol::kMaxReferences * max_reference_s)) {
    return MakeError(ErrorCode::kBadRequest,
                     "min_reference_s must be 1 to " + std::to_string(protocol::kMaxReferences) + " x max_reference_s");
  }
  auto wyoming_endpoint = ParseWyomingEndpoint(wyoming);
  if (!wyoming_endpoint) return std::unexpected(wyoming_endpoint.error());
  if (!wyoming_socket.empty()) {
    if (wyoming_socket.front() != '/' || wyoming_socket.size() > protocol::kMaxSocketPathBytes) {
      return MakeError(ErrorCode::kBadRequest, "wyoming_socket must be an absolute path shorter than " +
                                                   std::to_string(protocol::kMaxSocketPathBytes + 1) + " bytes");
    }
    if (wyoming_endpoint->kind == WyomingEndpoint::Kind::kUnix) {
      return MakeError(ErrorCode::kBadRequest, "wyoming is a Unix socket already; leave wyoming_socket empty");
    }
  }
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= log_level == l;
  if (!level_ok) return MakeError(ErrorCode::kBadRequest, "log_level must be trace, debug, info, warn or error");
  if (auto s = http.Validate(); !s) return s;
  return engine.Validate();
}

ReferenceLimits DaemonConfig::reference_limits() const {
  ReferenceLimits limits;
  limits.min_total_s = min_reference_s;
  limits.max_file_s = max_reference_s;
  return limits;
}

void DaemonConfig::AddFlags(CLI::App& app) {
  app.add_option("--voices", voice_dirs, "voice package, or directory of packages (repeatable)");
  app.add_option("--default-voice", default_voice, "voice used when a request names none");
  app.add_option("--workers", inference_workers, "inference threads")->capture_default_str();
  app.add_option("--max-batch", max_batch, "streams one inference thread steps together (1: no batching)")
      ->capture_default_str();
  engine.AddFlags(app);
  app.add_option("--max-requests-per-client", max_requests_per_client)->capture_default_str();
  app.add_option("--max-requests-total", max_requests_total)->capture_default_str();
  app.add_option("--max-connections", max_connections,
                 "native clients connected at once (and Wyoming clients, counted apart); more get busy")
      ->capture_default_str();
  app.add_option("--max-outbound-bytes", max_outbound_bytes, "unread bytes per client before generation pauses")
      ->capture_default_str();
  app.add_option("--idle-timeout", idle_timeout_s, "seconds before an idle connection is closed (0: never)")
      ->capture_default_str();
  app.add_option("--drain-timeout", drain_timeout_s, "seconds open requests may finish after SIGTERM")
      ->capture_default_str();
  app.add_option("--channel-max-queue", channel_max_queue,
                 "items an output channel holds waiting behind the one playing; more are refused (busy)")
      ->capture_default_str();
  app.add_option("--channel-max-queued-s", channel_max_queued_s,
                 "seconds of speech (estimated until synthesized) a channel may hold ahead of a new item; "
                 "more are refused (busy); 0: no cap")
      ->capture_default_str();
  app.add_option("--channel-loudness", channel_loudness,
                 "LUFS each utterance on an output channel is brought to (EBU R128, true peak under -1 dBTP), so "
                 "voices and speakers sound equally loud; 0: off")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  app.add_option("--voice-store", voice_store, "directory of saved voices (default: $XDG_DATA_HOME/ttsd/voices)");
  app.add_option("--max-reference-bytes", max_reference_bytes, "largest reference audio file accepted, bytes")
      ->capture_default_str();
  app.add_option("--min-reference-s", min_reference_s, "seconds of speaker reference audio a clone needs in all")
      ->capture_default_str();
  app.add_option("--max-reference-s", max_reference_s, "longest reference audio file, seconds")->capture_default_str();
  app.add_option("--lexicon", lexicon_path, "user pronunciation lexicon, re-read on SIGHUP");
  app.add_option("--wyoming", wyoming,
                 "Wyoming server for Home Assistant: tcp://HOST:PORT, unix:///PATH, on (= tcp://127.0.0.1:10200) or off")
      ->capture_default_str();
  // The socket key also takes the spelling with an underscore (wyoming_socket) in the config file.
  app.add_option("--wyoming-socket,--wyoming_socket", wyoming_socket, "a Unix socket path to serve Wyoming on as well");
  http.AddFlags(app);
}

std::string DaemonConfig::ToString() const {
  std::ostringstream os;
  os << "socket=" << socket_path << " voices=";
  for (size_t i = 0; i < voice_dirs.size(); ++i) os << (i ? "," : "") << voice_dirs[i];
  os << " default_voice=" << (default_voice.empty() ? "(first)" : default_voice)
     << " workers=" << inference_workers << " max_batch=" << max_batch << " max_requests_per_client=" << max_requests_per_client
     << " max_requests_total=" << max_requests_total << " max_connections=" << max_connections
     << " max_outbound_bytes=" << max_outbound_bytes
     << " voice_store=" << voice_store << " max_reference_bytes=" << max_reference_bytes
     << " min_reference_s=" << min_reference_s << " max_reference_s=" << max_reference_s
     << " idle_timeout_s=" << idle_timeout_s << " drain_timeout_s=" << drain_timeout_s
     << " channel_max_queue=" << channel_max_queue << " channel_max_queued_s=" << channel_max_queued_s << " channel_loudness=" << channel_loudness
     << " lexicon=" << (lexicon_path.empty() ? "(none)" : lexicon_path) << " wyoming=" << wyoming
     << " wyoming_socket=" << (wyoming_socket.empty() ? "(none)" : wyoming_socket) << " " << http.ToString()
     << " " << engine.ToString();
  return os.str();
}

}  // namespace ttsd::daemon
