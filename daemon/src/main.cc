// ttsd: keeps voices resident and streams speech over a Unix socket. See README.md.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "ttsd/daemon/http-server.h"
#include "ttsd/daemon/logging.h"
#include "ttsd/daemon/server.h"
#include "ttsd/daemon/wyoming-server.h"
#include "ttsd/engine/user-lexicon.h"
#include "ttsd/protocol/socket-path.h"
#include "ttsd/version.h"

namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string Home() { return EnvOr("HOME", "/"); }

std::vector<std::string> DefaultVoiceDirs() {
  std::vector<std::string> dirs;
  for (const std::string& d : {EnvOr("XDG_DATA_HOME", Home() + "/.local/share") + "/ttsd/voices",
                               std::string(TTSD_INSTALLED_VOICES_DIR)}) {
    std::error_code ec;
    if (std::filesystem::is_directory(d, ec)) dirs.push_back(d);
  }
  return dirs;
}

int Run(int argc, char** argv) {
  using ttsd::daemon::DaemonConfig;
  DaemonConfig config;
  std::string socket_flag;
  bool no_warmup = false;
  bool print_config = false;

  CLI::App app{"ttsd " TTSD_VERSION " — streaming text-to-speech daemon"};
  app.set_version_flag("--version", "ttsd " TTSD_VERSION);
  const std::string config_file = EnvOr("XDG_CONFIG_HOME", Home() + "/.config") + "/ttsd/ttsd.toml";
  app.set_config("--config", config_file, "config file (TOML; keys are the long option names)");
  app.add_option("--socket", socket_flag, "Unix socket path (default: $TTSD_SOCKET, else $XDG_RUNTIME_DIR/ttsd/ttsd.sock)");
  app.add_option("--voices", config.voice_dirs, "voice package, or directory of packages (repeatable)");
  app.add_option("--default-voice", config.default_voice, "voice used when a request names none");
  app.add_option("--workers", config.inference_workers, "inference threads")->capture_default_str();
  app.add_option("--max-batch", config.max_batch, "streams one inference thread steps together (1: no batching)")
      ->capture_default_str();
  app.add_option("--threads", config.engine.threads, "threads per matrix product (torch intra-op and OpenBLAS)")->capture_default_str();
  app.add_option("--device", config.engine.device, "cpu or cuda[:N]")->capture_default_str();
  app.add_option("--dtype", config.engine.dtype, "fp32 or fp16 (cuda only)")->capture_default_str();
  app.add_flag("--jit-fusion", config.engine.jit_fusion,
               "let TorchScript fuse kernels (CUDA): a stream's fp16 audio then depends on its batch");
  app.add_option("--first-chunk-frames", config.engine.first_chunk_frames, "acoustic frames in a request's first chunk")->capture_default_str();
  app.add_option("--chunk-frames", config.engine.chunk_frames, "acoustic frames in later chunks")->capture_default_str();
  app.add_option("--max-text-bytes", config.engine.max_text_bytes, "text limit per request")->capture_default_str();
  app.add_option("--max-requests-per-client", config.max_requests_per_client)->capture_default_str();
  app.add_option("--max-requests-total", config.max_requests_total)->capture_default_str();
  app.add_option("--max-connections", config.max_connections,
                 "native clients connected at once (and Wyoming clients, counted apart); more get busy")
      ->capture_default_str();
  app.add_option("--max-outbound-bytes", config.max_outbound_bytes, "unread bytes per client before generation pauses")->capture_default_str();
  app.add_option("--idle-timeout", config.idle_timeout_s, "seconds before an idle connection is closed (0: never)")->capture_default_str();
  app.add_option("--drain-timeout", config.drain_timeout_s, "seconds open requests may finish after SIGTERM")->capture_default_str();
  app.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")->capture_default_str();
  app.add_option("--voice-store", config.voice_store, "directory of saved voices (default: $XDG_DATA_HOME/ttsd/voices)");
  app.add_option("--max-reference-bytes", config.max_reference_bytes, "largest reference audio file accepted, bytes")->capture_default_str();
  app.add_option("--min-reference-s", config.min_reference_s, "seconds of speaker reference audio a clone needs in all")->capture_default_str();
  app.add_option("--max-reference-s", config.max_reference_s, "longest reference audio file, seconds")->capture_default_str();
  const std::string lexicon_file = EnvOr("XDG_CONFIG_HOME", Home() + "/.config") + "/ttsd/lexicon.txt";
  app.add_option("--lexicon", config.lexicon_path,
                 "user pronunciation lexicon, re-read on SIGHUP (default: " + lexicon_file + " if it exists)");
  app.add_option("--wyoming", config.wyoming,
                 "Wyoming server for Home Assistant: tcp://HOST:PORT, unix:///PATH, on (= tcp://127.0.0.1:10200) or off")
      ->capture_default_str();
  // The socket key also takes the spelling with an underscore (wyoming_socket) in the config file.
  app.add_option("--wyoming-socket,--wyoming_socket", config.wyoming_socket,
                 "a Unix socket path to serve Wyoming on as well");
  auto* http_option = app.add_option("--http", config.http.listen,
                                     "HTTP API (OpenAI-compatible speech, control page): HOST:PORT, or off")
                          ->capture_default_str();
  // The token keys also take the spelling with underscores (http_token) in the config file.
  app.add_option("--http-token,--http_token", config.http.token,
                 "bearer token HTTP requests must carry (required beyond loopback)");
  app.add_option("--http-token-file,--http_token_file", config.http.token_file,
                 "read the bearer token from this file's first line");
  app.add_option("--http-max-connections", config.http.max_connections, "HTTP connections open at once")
      ->capture_default_str();
  app.add_flag("--no-warmup", no_warmup, "skip warming voices up at load");
  app.add_flag("--print-config", print_config, "print the effective configuration and exit");
  CLI11_PARSE(app, argc, argv);

  config.engine.warmup = !no_warmup;
  config.socket_path = ttsd::protocol::ResolveSocketPath(socket_flag);
  if (config.voice_dirs.empty()) config.voice_dirs = DefaultVoiceDirs();
  if (config.voice_store.empty()) config.voice_store = EnvOr("XDG_DATA_HOME", Home() + "/.local/share") + "/ttsd/voices";
  if (std::error_code ec; config.lexicon_path.empty() && std::filesystem::exists(lexicon_file, ec)) {
    config.lexicon_path = lexicon_file;
  }
  ttsd::daemon::SetupLogging(config.log_level);
  if (auto s = config.http.LoadToken(); !s) {
    spdlog::critical("bad configuration: {}", s.error().message);
    return 2;
  }
  if (auto s = config.Validate(); !s) {
    spdlog::critical("bad configuration: {}", s.error().message);
    return 2;
  }
  if (print_config) {
    std::printf("%s\n", config.ToString().c_str());
    return 0;
  }
  spdlog::info("ttsd {} starting: {}", TTSD_VERSION, config.ToString());
  if (!config.lexicon_path.empty()) {
    auto lexicon = ttsd::engine::UserLexicon::Load(config.lexicon_path);
    if (!lexicon) {
      spdlog::critical("bad configuration: {}", lexicon.error().message);
      return 2;
    }
    ttsd::engine::UserLexicon::Install(*lexicon);
    spdlog::info("lexicon {}: {} entries", config.lexicon_path, (*lexicon)->size());
  }
  std::signal(SIGPIPE, SIG_IGN);

  auto voices = ttsd::daemon::VoiceRegistry::Load(config);
  if (!voices) {
    spdlog::critical("cannot load voices: {}", voices.error().ToString());
    return 1;
  }
  boost::asio::io_context io;
  ttsd::daemon::InferenceScheduler scheduler(config.inference_workers, static_cast<size_t>(config.max_batch));
  {  // the front ends and their signal handlers live in here
    ttsd::daemon::VoiceStore store(config.voice_store);
    for (const auto& saved : store.List()) {
      if (!voices->Find(saved->voice)) {
        spdlog::warn("saved voice '{}' is made from voice '{}', which is not loaded: kept, not served", saved->name, saved->voice);
      } else if (voices->Find(saved->name)) {
        spdlog::warn("saved voice '{}' has the name of a voice package: kept, not served", saved->name);
      }
    }
    spdlog::info("voice store {}: {} saved voices", config.voice_store, store.List().size());
    ttsd::daemon::Server server(io, config, *voices, scheduler, &store);
    // Home Assistant's protocol (config wyoming, wyoming_socket), on the native server's context.
    // It listens first: a bad Wyoming address leaves no native socket file.
    ttsd::daemon::WyomingServer wyoming(io, server.context());
    if (auto s = wyoming.Listen(); !s) {
      spdlog::critical("{}", s.error().ToString());
      return 1;
    }
    server.AddFrontEnd(&wyoming);
    if (auto s = server.Listen(); !s) {
      spdlog::critical("{}", s.error().ToString());
      return 1;
    }
    server.Start();
    wyoming.Start();
    // The HTTP API. An address given explicitly must work; the default one may be taken by something else.
    std::unique_ptr<ttsd::daemon::HttpServer> http;
    if (config.http.enabled()) {
      http = std::make_unique<ttsd::daemon::HttpServer>(io, config.http, [&server] { return server.ConnectInProcess(); });
      if (auto s = http->Listen(); !s) {
        if (http_option->count() > 0) {
          spdlog::critical("{}", s.error().ToString());
          return 1;
        }
        spdlog::warn("{}; the HTTP API is off (set http = HOST:PORT, or off)", s.error().message);
        http.reset();
      } else {
        http->Start();
        server.AddFrontEnd(http.get());
      }
    }
    sd_notifyf(0, "READY=1\nSTATUS=serving %zu voices, default %s", voices->Describe().voices.size(),
               voices->default_voice().c_str());
    spdlog::info("ready: default voice '{}'", voices->default_voice());
    io.run();
    scheduler.Stop();
  }
  // Exiting cleanly: a repeated stop signal must not turn that into death by signal.
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ttsd: fatal: %s\n", e.what());
    return 1;
  }
}
