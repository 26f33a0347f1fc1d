#include "ttsd/engine/engine-config.h"

#include <CLI/CLI.hpp>

#include <sstream>

namespace ttsd::engine {

Status EngineConfig::Validate() const {
  if (device != "cpu" && device.rfind("cuda", 0) != 0) {
    return MakeError(ErrorCode::kBadRequest, "device must be 'cpu' or 'cuda[:N]', not '" + device + "'");
  }
  if (dtype != "fp32" && dtype != "fp16") {
    return MakeError(ErrorCode::kBadRequest, "dtype must be 'fp32' or 'fp16', not '" + dtype + "'");
  }
  if (dtype == "fp16" && device == "cpu") {
    return MakeError(ErrorCode::kBadRequest, "dtype fp16 needs a cuda device");
  }
  if (threads < 1 || threads > 256) return MakeError(ErrorCode::kBadRequest, "threads must be 1..256");
  if (first_chunk_frames < 1 || first_chunk_frames > 1000) {
    return MakeError(ErrorCode::kBadRequest, "first_chunk_frames must be 1..1000");
  }
  if (chunk_frames < 1 || chunk_frames > 1000) return MakeError(ErrorCode::kBadRequest, "chunk_frames must be 1..1000");
  if (max_text_bytes < 1 || max_text_bytes > 100 * kMaxTextBytes) {
    return MakeError(ErrorCode::kBadRequest, "max_text_bytes out of range");
  }
  return {};
}

std::string EngineConfig::ToString() const {
  std::ostringstream os;
  os << "device=" << device << " dtype=" << dtype << " threads=" << threads << " jit_fusion=" << (jit_fusion ? "on" : "off")
     << " first_chunk_frames=" << first_chunk_frames << " chunk_frames=" << chunk_frames
     << " max_text_bytes=" << max_text_bytes << " warmup=" << (warmup ? "on" : "off");
  return os.str();
}

void EngineConfig::AddFlags(CLI::App& app) {
  app.add_option("--threads", threads, "threads per matrix product (torch intra-op and OpenBLAS)")->capture_default_str();
  app.add_option("--device", device, "cpu or cuda[:N]")->capture_default_str();
  app.add_option("--dtype", dtype, "fp32 or fp16 (cuda only)")->capture_default_str();
  app.add_flag("--jit-fusion", jit_fusion,
               "let TorchScript fuse kernels (CUDA): a stream's fp16 audio then depends on its batch");
  app.add_option("--first-chunk-frames", first_chunk_frames, "acoustic frames in a request's first chunk")
      ->capture_default_str();
  app.add_option("--chunk-frames", chunk_frames, "acoustic frames in later chunks")->capture_default_str();
  app.add_option("--max-text-bytes", max_text_bytes, "text limit per request")->capture_default_str();
}

}  // namespace ttsd::engine
