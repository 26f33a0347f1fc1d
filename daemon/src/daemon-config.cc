#include "ttsd/daemon/daemon-config.h"

#include <sstream>

namespace ttsd::daemon {

Status DaemonConfig::Validate() const {
  if (socket_path.empty()) return MakeError(ErrorCode::kBadRequest, "socket path is empty");
  if (socket_path.size() >= 108) return MakeError(ErrorCode::kBadRequest, "socket path is longer than 107 bytes");
  if (voice_dirs.empty()) return MakeError(ErrorCode::kBadRequest, "no voice directories given (--voices)");
  if (inference_workers < 1 || inference_workers > 64) {
    return MakeError(ErrorCode::kBadRequest, "inference_workers must be 1..64");
  }
  if (max_requests_per_client < 1) return MakeError(ErrorCode::kBadRequest, "max_requests_per_client must be >= 1");
  if (max_requests_total < max_requests_per_client) {
    return MakeError(ErrorCode::kBadRequest, "max_requests_total must be >= max_requests_per_client");
  }
  if (max_outbound_bytes < 16 * 1024) return MakeError(ErrorCode::kBadRequest, "max_outbound_bytes must be >= 16384");
  if (idle_timeout_s < 0) return MakeError(ErrorCode::kBadRequest, "idle_timeout_s must be >= 0 (0 disables it)");
  if (drain_timeout_s < 0) return MakeError(ErrorCode::kBadRequest, "drain_timeout_s must be >= 0");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= log_level == l;
  if (!level_ok) return MakeError(ErrorCode::kBadRequest, "log_level must be trace, debug, info, warn or error");
  return engine.Validate();
}

std::string DaemonConfig::ToString() const {
  std::ostringstream os;
  os << "socket=" << socket_path << " voices=";
  for (size_t i = 0; i < voice_dirs.size(); ++i) os << (i ? "," : "") << voice_dirs[i];
  os << " default_voice=" << (default_voice.empty() ? "(first)" : default_voice)
     << " workers=" << inference_workers << " max_requests_per_client=" << max_requests_per_client
     << " max_requests_total=" << max_requests_total << " max_outbound_bytes=" << max_outbound_bytes
     << " idle_timeout_s=" << idle_timeout_s << " drain_timeout_s=" << drain_timeout_s << " " << engine.ToString();
  return os.str();
}

}  // namespace ttsd::daemon
