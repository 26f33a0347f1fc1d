// Throughput through HAProxy with 1, 2, 3 ... ttsd instances behind it, at a fixed number of clients.
//   build/bench/haproxy-scale-bench --spawn build/daemon/ttsd --voices models/voices --instances 1,2,3 --clients 6
// For each N: starts N ttsd (--daemon-args, by default --threads 1 --workers 1: one core apiece, so that instances
// are what scales), writes deploy/haproxy/haproxy.cfg with their ports (server lines beyond N removed; the frontends
// on free loopback ports and the stats socket in a private directory, through the variables the recipe reads), runs
// `haproxy -db -f`, waits for the N servers UP, then runs --clients keep-alive HTTP clients for --duration-s, each
// POSTing the ten-word sentences of texts.h (response_format pcm) back to back, as an OpenAI client does. --direct
// adds a row with the clients on one instance without HAProxy. Prints a table and a JSON line (--json FILE keeps
// it): requests/s, audio seconds per second, request time p50/p95, CPU of the instances, of HAProxy, of the clients
// (this program) and of every other process on the machine (what the instances could not have), the load average.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon-spawn.h"
#include "support/haproxy-process.h"
#include "support/proc-stats.h"
#include "support/stats.h"
#include "texts.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "haproxy-scale-bench";

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  return ok ? ntohs(addr.sin_port) : -1;
}

// One HTTP/1.1 connection kept alive across requests (reopened after an error), as OpenAI's clients keep theirs.
class SpeechClient {
 public:
  explicit SpeechClient(int port) : port_(port) {}
  ~SpeechClient() { Drop(); }

  // POST /v1/audio/speech with pcm; the audio's seconds, or nullopt when the request failed.
  std::optional<double> Speak(const std::string& text) {
    if (fd_ < 0 && (fd_ = Connect(port_)) < 0) return std::nullopt;
    const std::string body = json{{"model", "tts-1"}, {"input", text}, {"response_format", "pcm"}}.dump();
    const std::string req =
        "POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + std::string(kToken) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return Drop();
    size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return Drop();
    }
    std::string head = in_.substr(0, end);
    in_.erase(0, end + 4);
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (head.compare(0, 12, "http/1.1 200") != 0 || head.find("transfer-encoding: chunked") == std::string::npos) {
      return Drop();
    }
    const size_t at = head.find("x-sample-rate: ");
    const int rate = at == std::string::npos ? 0 : std::atoi(head.c_str() + at + 15);
    size_t bytes = 0;
    for (;;) {
      while ((end = in_.find("\r\n")) == std::string::npos) {
        if (!Fill()) return Drop();
      }
      const size_t size = std::stoul(in_.substr(0, end), nullptr, 16);
      while (in_.size() < end + 2 + size + 2) {
        if (!Fill()) return Drop();
      }
      in_.erase(0, end + 2 + size + 2);
      bytes += size;
      if (size == 0) break;
    }
    if (head.find("connection: close") != std::string::npos) Drop();
    return rate > 0 ? static_cast<double>(bytes / 2) / rate : 0.0;
  }

 private:
  bool Fill() {
    pollfd p{fd_, POLLIN, 0};
    char buf[65536];
    const ssize_t n = poll(&p, 1, 30'000) > 0 ? recv(fd_, buf, sizeof(buf), 0) : -1;
    if (n <= 0) return false;
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }
  std::nullopt_t Drop() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    in_.clear();
    return std::nullopt;
  }
  int port_;
  int fd_ = -1;
  std::string in_;
};

// How many servers of backend ttsd_http HAProxy reports UP.
int ServersUp(const std::string& socket_path) {
  int up = 0;
  for (const auto& [server, state] : ttsd::testing::HaproxyServerStates(socket_path)) {
    up += server.starts_with("ttsd_http/") && state == "UP";
  }
  return up;
}

// The recipe for n instances: their ports on server lines 1..n (127.0.0.1:510I and :1020I in the file), lines
// beyond n removed. Empty when the file has fewer than n of either. The frontends and the stats socket come from
// the environment the recipe reads (HaproxyProcess).
std::string Recipe(const std::string& path, const std::vector<std::pair<int, int>>& ports) {
  std::stringstream in(ReadFile(path));
  std::string out;
  size_t substituted = 0;
  for (std::string line; std::getline(in, line);) {
    bool keep = true;
    for (size_t i = 1; i <= 9; ++i) {
      for (const bool wyoming : {false, true}) {
        const std::string addr = (wyoming ? "127.0.0.1:1020" : "127.0.0.1:510") + std::to_string(i);
        if (!line.ends_with(addr)) continue;
        if (i > ports.size()) {
          keep = false;
          continue;
        }
        const int port = wyoming ? ports[i - 1].second : ports[i - 1].first;
        line.replace(line.size() - addr.size(), addr.size(), "127.0.0.1:" + std::to_string(port));
        ++substituted;
      }
    }
    if (keep) out += line + "\n";
  }
  return substituted == 2 * ports.size() ? out : "";
}

struct Row {
  std::string label;
  int instances = 0;
  bool haproxy = true;
  int requests = 0, failed = 0;
  double wall_s = 0, audio_s = 0;
  std::vector<double> request_ms;
  double ttsd_cpu_s = 0, haproxy_cpu_s = 0;
  double self_cpu_s = 0, machine_busy_s = 0;  // this program (the clients); all cores together
  std::string load_before, load_after;
};

// clients threads on port for duration (after warmup), counting what they got.
void Drive(int port, int clients, double warmup_s, double duration_s, Row& row) {
  std::atomic<bool> measuring{false}, stop{false};
  std::mutex mutex;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      SpeechClient client(port);
      const auto& texts = ttsd::bench::ShortSentences();
      for (size_t i = static_cast<size_t>(c); !stop; ++i) {
        const bool counted = measuring;
        const auto start = Clock::now();
        const auto audio = client.Speak(texts[i % texts.size()]);
        const double ms = Seconds(Clock::now() - start) * 1000;
        if (!counted || !measuring) continue;  // only requests wholly inside the window
        std::lock_guard lock(mutex);
        if (!audio) {
          ++row.failed;
          continue;
        }
        ++row.requests;
        row.audio_s += *audio;
        row.request_ms.push_back(ms);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup_s));
  {
    std::lock_guard lock(mutex);
    measuring = true;
  }
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(duration_s));
  {
    std::lock_guard lock(mutex);
    measuring = false;
  }
  row.wall_s = Seconds(Clock::now() - start);
  stop = true;
  for (auto& t : threads) t.join();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"haproxy-scale-bench: requests/s through HAProxy with 1..N ttsd instances behind it"};
  std::string spawn = "build/daemon/ttsd", voices = "models/voices", recipe = "deploy/haproxy/haproxy.cfg",
              haproxy_name = "haproxy", json_path, daemon_args = "--threads 1 --workers 1";
  std::vector<int> instances = {1, 2, 3};
  int clients = 6;
  double duration_s = 20, warmup_s = 3;
  bool direct = false;
  app.add_option("--spawn", spawn, "the ttsd binary")->capture_default_str();
  app.add_option("--voices", voices, "voices for the instances")->capture_default_str();
  app.add_option("--daemon-args", daemon_args, "each instance's ttsd flags besides its ports and token")
      ->capture_default_str();
  app.add_option("--recipe", recipe, "the HAProxy config to run")->capture_default_str();
  app.add_option("--haproxy", haproxy_name, "the haproxy binary")->capture_default_str();
  app.add_option("--instances", instances, "instance counts to run")->delimiter(',')->capture_default_str();
  app.add_option("--clients", clients, "concurrent clients, the same for every row")->capture_default_str();
  app.add_option("--duration-s", duration_s, "seconds measured per row")->capture_default_str();
  app.add_option("--warmup-s", warmup_s, "seconds of load before measuring")->capture_default_str();
  app.add_flag("--direct", direct, "add a row: the clients on one instance, no HAProxy");
  app.add_option("--json", json_path, "write the results here");
  CLI11_PARSE(app, argc, argv);

  const std::string haproxy = ttsd::testing::FindHaproxy(haproxy_name);
  if (haproxy.empty()) {
    std::fprintf(stderr, "haproxy-scale-bench: no haproxy (apt-get install -y haproxy)\n");
    return 1;
  }
  char dir_template[] = "/tmp/haproxy-scale-bench-XXXXXX";
  const std::string dir = mkdtemp(dir_template);

  std::vector<std::pair<int, bool>> plan;  // instances, through HAProxy
  if (direct) plan.push_back({1, false});
  for (int n : instances) plan.push_back({n, true});
  std::vector<Row> rows;
  for (const auto& [n, through_haproxy] : plan) {
    Row row;
    row.instances = n;
    row.haproxy = through_haproxy;
    row.label = std::to_string(n) + (through_haproxy ? " behind HAProxy" : ", direct");
    std::vector<std::unique_ptr<ttsd::testing::SpawnedDaemon>> daemons;
    std::vector<std::pair<int, int>> ports;
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> extra = {"--http",       "127.0.0.1:0", "--wyoming", "tcp://127.0.0.1:0",
                                        "--http-token", kToken};
      for (auto& a : ttsd::testing::SplitArgs(daemon_args)) extra.push_back(a);
      auto d = ttsd::testing::SpawnedDaemon::Start(
          {.binary = spawn, .voices = {voices}, .extra_args = extra, .log_level = "info"});
      if (!d) {
        std::fprintf(stderr, "haproxy-scale-bench: %s\n", d.error().ToString().c_str());
        return 1;
      }
      const std::string http = (*d)->WaitForLog(R"(HTTP API on http://[^ ]*:(\d+)/)");
      const std::string wyoming = (*d)->WaitForLog(R"(wyoming: listening on tcp://[^ ]*:(\d+))");
      ports.push_back({std::stoi(http), std::stoi(wyoming)});
      daemons.push_back(std::move(*d));
    }
    std::unique_ptr<ttsd::testing::HaproxyProcess> proxy;
    int port = ports.front().first;
    if (through_haproxy) {
      port = FreePort();
      const std::string stats = dir + "/admin.sock", cfg = dir + "/haproxy.cfg";
      const std::string text = Recipe(recipe, ports);
      if (text.empty()) {
        std::fprintf(stderr, "haproxy-scale-bench: %s has no server lines for %d instances\n", recipe.c_str(), n);
        return 1;
      }
      std::ofstream(cfg) << text;
      proxy = std::make_unique<ttsd::testing::HaproxyProcess>(
          haproxy, cfg, dir + "/haproxy.log",
          std::vector<std::string>{
              "TTSD_LB_HTTP=127.0.0.1:" + std::to_string(port),
              "TTSD_LB_WYOMING=127.0.0.1:" + std::to_string(FreePort()), "TTSD_LB_STATS=" + stats});
      const auto deadline = Clock::now() + 20s;
      while (ServersUp(stats) < n) {
        if (Clock::now() > deadline) {
          std::fprintf(stderr, "haproxy-scale-bench: HAProxy did not report %d servers up:\n%s\n", n,
                       ReadFile(dir + "/haproxy.log").c_str());
          return 1;
        }
        std::this_thread::sleep_for(50ms);
      }
    }
    std::fprintf(stderr, "haproxy-scale-bench: %s, %d clients ...\n", row.label.c_str(), clients);
    // CPU over the measured window only: sampled when the warm-up ends.
    std::vector<double> cpu0(daemons.size());
    double haproxy_cpu0 = 0, self_cpu0 = 0;
    ttsd::testing::MachineCpu machine0;
    std::thread sampler([&] {
      std::this_thread::sleep_for(std::chrono::duration<double>(warmup_s));
      for (size_t i = 0; i < daemons.size(); ++i) cpu0[i] = ttsd::testing::ProcessCpuSeconds(daemons[i]->pid());
      if (proxy) haproxy_cpu0 = ttsd::testing::ProcessCpuSeconds(proxy->pid());
      row.load_before = ttsd::testing::LoadAverage();
      self_cpu0 = ttsd::testing::SelfCpuSeconds();
      machine0 = ttsd::testing::ReadMachineCpu();
    });
    Drive(port, clients, warmup_s, duration_s, row);
    sampler.join();
    for (size_t i = 0; i < daemons.size(); ++i) {
      row.ttsd_cpu_s += ttsd::testing::ProcessCpuSeconds(daemons[i]->pid()) - cpu0[i];
    }
    if (proxy) row.haproxy_cpu_s = ttsd::testing::ProcessCpuSeconds(proxy->pid()) - haproxy_cpu0;
    row.load_after = ttsd::testing::LoadAverage();
    row.self_cpu_s = ttsd::testing::SelfCpuSeconds() - self_cpu0;
    row.machine_busy_s = ttsd::testing::ReadMachineCpu().busy_s - machine0.busy_s;
    proxy.reset();
    for (auto& d : daemons) d->Stop();
    rows.push_back(std::move(row));
  }
  std::filesystem::remove_all(dir);

  json out = {{"clients", clients},
              {"duration_s", duration_s},
              {"voices", voices},
              {"daemon_args", daemon_args},
              {"cores", std::thread::hardware_concurrency()},
              {"texts", "bench/texts.h ShortSentences, response_format pcm, keep-alive"}};
  std::printf(
      "| instances | requests/s | audio s/s | failed | request p50 ms | p95 ms | ttsd CPU %% | audio s per ttsd CPU s "
      "| HAProxy CPU %% | clients CPU %% | other processes CPU %% | load avg before → after |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    const auto s = ttsd::bench::Summarize(r.request_ms);
    const double rps = r.requests / r.wall_s, audio = r.audio_s / r.wall_s;
    const double ttsd_pct = 100 * r.ttsd_cpu_s / r.wall_s, haproxy_pct = 100 * r.haproxy_cpu_s / r.wall_s;
    const double clients_pct = 100 * r.self_cpu_s / r.wall_s;
    const double others_pct = 100 * r.machine_busy_s / r.wall_s - ttsd_pct - haproxy_pct - clients_pct;
    const std::string haproxy_text = r.haproxy ? std::to_string(static_cast<int>(haproxy_pct + 0.5)) : "-";
    std::printf("| %s | %.1f | %.1f | %d | %.0f | %.0f | %.0f | %.1f | %s | %.0f | %.0f | %s → %s |\n", r.label.c_str(),
                rps, audio, r.failed, s.p50, s.p95, ttsd_pct, r.audio_s / std::max(r.ttsd_cpu_s, 1e-9),
                haproxy_text.c_str(), clients_pct, others_pct, r.load_before.c_str(), r.load_after.c_str());
    out["rows"].push_back({{"label", r.label},
                           {"instances", r.instances},
                           {"haproxy", r.haproxy},
                           {"requests", r.requests},
                           {"failed", r.failed},
                           {"wall_s", r.wall_s},
                           {"requests_per_s", rps},
                           {"audio_s_per_s", audio},
                           {"request_ms", s.ToJson()},
                           {"ttsd_cpu_pct", ttsd_pct},
                           {"haproxy_cpu_pct", haproxy_pct},
                           {"clients_cpu_pct", clients_pct},
                           {"other_processes_cpu_pct", others_pct},
                           {"loadavg_before", r.load_before},
                           {"loadavg_after", r.load_after}});
  }
  std::printf("%s\n", out.dump().c_str());
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return 0;
}
