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
#include "ttsd/frontend/user-lexicon.h"
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
  config.AddFlags(app);  // every DaemonConfig flag, the engine's and HTTP's among them, in --help's order
  const std::string lexicon_file = EnvOr("XDG_CONFIG_HOME", Home() + "/.config") + "/ttsd/lexicon.txt";
  CLI::Option* lexicon_option = app.get_option("--lexicon");
  lexicon_option->description(lexicon_option->get_description() + " (default: " + lexicon_file + " if it exists)");
  auto* http_option = app.get_option("--http");
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
    auto lexicon = ttsd::frontend::UserLexicon::Load(config.lexicon_path);
    if (!lexicon) {
      spdlog::critical("bad configuration: {}", lexicon.error().message);
      return 2;
    }
    ttsd::frontend::UserLexicon::Install(*lexicon);
    spdlog::info("lexicon {}: {} entries", config.lexicon_path, (*lexicon)->size());
  }
  std::signal(SIGPIPE, SIG_IGN);

  auto voices = ttsd::daemon::VoiceRegistry::Load(config.voice_dirs, config.default_voice, config.engine);
  if (!voices) {
    spdlog::critical("cannot load voices: {}", voices.error().ToString());
    return 1;
  }
  // Before io and the scheduler: sessions and workers count into it until they are gone.
  ttsd::daemon::Metrics metrics({TTSD_VERSION, ttsd::engine::LibtorchVersion(), config.engine.device},
                                static_cast<size_t>(config.max_batch));
  boost::asio::io_context io;
  ttsd::daemon::InferenceScheduler scheduler(config.inference_workers, static_cast<size_t>(config.max_batch), &metrics);
  {  // the front ends and their signal handlers live in here
    ttsd::daemon::VoiceStore store(config.voice_store);
    for (const auto& saved : store.List()) {
      if (!(*voices)->Find(saved->voice)) {
        spdlog::warn("saved voice '{}' is made from voice '{}', which is not loaded: kept, not served", saved->name, saved->voice);
      } else if ((*voices)->Find(saved->name)) {
        spdlog::warn("saved voice '{}' has the name of a voice package: kept, not served", saved->name);
      }
    }
    spdlog::info("voice store {}: {} saved voices", config.voice_store, store.List().size());
    ttsd::daemon::Server server(io, config, **voices, scheduler, &store, &metrics);
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
      http = std::make_unique<ttsd::daemon::HttpServer>(
          io, config.http, [&server] { return server.ConnectInProcess(); }, [&server] { return server.MetricsText(); });
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
    sd_notifyf(0, "READY=1\nSTATUS=serving %zu voices, default %s", (*voices)->Describe().voices.size(),
               (*voices)->default_voice().c_str());
    spdlog::info("ready: default voice '{}'", (*voices)->default_voice());
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
