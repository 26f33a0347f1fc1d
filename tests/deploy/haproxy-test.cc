// Three real ttsd instances behind the real HAProxy (Debian's 2.6), run with the committed recipe
// deploy/haproxy/haproxy.cfg: the instances' ports are substituted on its server lines (each must occur in the
// file exactly once, so a changed recipe fails here instead of being tested half); the frontends' addresses, the
// stats socket and the token come from the environment variables the recipe reads. Load through the HTTP frontend
// spreads over all three (leastconn); a SIGKILLed instance's open requests end at once and later requests go to
// the others; a SIGTERMed instance finishes its open request while new ones go elsewhere; a Wyoming request
// passes the TCP frontend. The figures deploy/haproxy/README.md quotes are the [ HAPROXY ] lines this prints.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon-process.h"
#include "support/haproxy-process.h"
#include "support/http-client.h"
#include "support/wyoming-client.h"

namespace ttsd::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kToken = "haproxy-test-token";
constexpr int kInstances = 3;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t Count(const std::string& haystack, const std::string& needle, size_t from = 0) {
  size_t n = 0;
  for (size_t at = haystack.find(needle, from); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// A TCP port nothing listens on now (the kernel's choice for an ephemeral bind).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// One request through the load balancer, on its own connection.
struct Outcome {
  Clock::time_point start, end;
  int status = 0;         // 0: no response head
  bool complete = false;  // the chunked body ended with its last chunk
  size_t bytes = 0;
  bool connected = true;
};

Outcome Speak(int port, const std::string& text, std::chrono::milliseconds read_timeout = 15s) {
  Outcome o;
  o.start = Clock::now();
  const std::string body = nlohmann::json{{"model", "tts-1"}, {"input", text}, {"response_format", "pcm"}}.dump();
  const std::string req =
      "POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nAuthorization: Bearer " +
      kToken +
      "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  const int fd = ConnectTcp(port);
  if (fd < 0) {
    o.connected = false;
  } else {
    send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    const HttpResponse r = ReadHttpResponse(fd, o.start, read_timeout);
    close(fd);
    o.status = r.status;
    o.complete = r.complete;
    o.bytes = r.body.size();
  }
  o.end = Clock::now();
  return o;
}

bool Ok(const Outcome& o) { return o.status == 200 && o.complete && o.bytes > 0; }

// The committed recipe with the instances' ports on its server lines (each must match exactly once). The
// frontends and the stats socket come from the environment the recipe reads (HaproxyProcess).
std::string RecipeFor(const std::vector<int>& http_ports, const std::vector<int>& wyoming_ports) {
  std::string cfg = ReadFile(std::string(TTSD_SOURCE_DIR) + "/deploy/haproxy/haproxy.cfg");
  std::vector<std::pair<std::string, std::string>> subs;
  for (int i = 0; i < kInstances; ++i) {
    subs.push_back(
        {"127.0.0.1:510" + std::to_string(i + 1) + "\n", "127.0.0.1:" + std::to_string(http_ports[i]) + "\n"});
    subs.push_back(
        {"127.0.0.1:1020" + std::to_string(i + 1) + "\n", "127.0.0.1:" + std::to_string(wyoming_ports[i]) + "\n"});
  }
  for (const char* variable : {"${TTSD_LB_HTTP-", "${TTSD_LB_WYOMING-", "${TTSD_LB_STATS-"}) {
    subs.push_back({variable, variable});
  }
  for (const auto& [from, to] : subs) {
    const size_t n = Count(cfg, from);
    EXPECT_EQ(n, 1u) << "deploy/haproxy/haproxy.cfg has '" << from << "' " << n
                     << " times, the test expects it once: update tests/deploy/haproxy-test.cc with the recipe";
    if (const size_t at = cfg.find(from); at != std::string::npos) cfg.replace(at, from.size(), to);
  }
  return cfg;
}

// Three instances and HAProxy in front of them, all up.
class Cluster {
 public:
  Cluster() {
    haproxy_binary_ = FindHaproxy();
    if (haproxy_binary_.empty()) {
      ADD_FAILURE() << "haproxy is not installed: sudo apt-get install -y haproxy (or ./install-deps.sh --test); "
                       "the test runs it itself with -f and needs no service";
      return;
    }
    for (int i = 0; i < kInstances; ++i) {
      // --threads 1 --workers 1: one core each, as the scaling figures in bench/README.md are taken.
      // --drain-timeout 30: the drain check's long request must not meet the deadline on a loaded machine.
      instances_.push_back(std::make_unique<DaemonProcess>(
          std::vector<std::string>{"--http", "127.0.0.1:0", "--wyoming", "tcp://127.0.0.1:0", "--http-token", kToken,
                                   "--threads", "1", "--workers", "1", "--drain-timeout", "30"}));
    }
    std::vector<int> http_ports, wyoming_ports;
    for (auto& d : instances_) {
      http_ports.push_back(HttpPort(*d));
      wyoming_ports.push_back(WyomingPort(*d));
    }
    lb_http_ = FreePort();
    lb_wyoming_ = FreePort();
    stats_socket_ = dir_.path() + "/admin.sock";
    const std::string cfg_path = dir_.path() + "/haproxy.cfg";
    std::ofstream(cfg_path) << RecipeFor(http_ports, wyoming_ports);
    haproxy_ = std::make_unique<HaproxyProcess>(
        haproxy_binary_, cfg_path, dir_.path() + "/haproxy.log",
        std::vector<std::string>{
            "TTSD_LB_HTTP=127.0.0.1:" + std::to_string(lb_http_),
            "TTSD_LB_WYOMING=127.0.0.1:" + std::to_string(lb_wyoming_), "TTSD_LB_STATS=" + stats_socket_});
    const auto deadline = Clock::now() + 20s;
    for (;;) {
      const auto states = HaproxyServerStates(stats_socket_);
      const bool all_up = states.size() == 2 * kInstances &&
                          std::ranges::all_of(states, [](const auto& s) { return s.second == "UP"; });
      if (all_up) break;
      if (Clock::now() > deadline || !haproxy_->Running()) {
        ADD_FAILURE() << "HAProxy did not report all " << 2 * kInstances << " servers UP; its log:\n"
                      << haproxy_->Log();
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
    up_ = true;
  }

  bool up() const { return up_; }
  int http_port() const { return lb_http_; }
  int wyoming_port() const { return lb_wyoming_; }
  DaemonProcess& instance(int i) { return *instances_[i]; }
  std::string HaproxyLog() const { return haproxy_ ? haproxy_->Log() : ""; }
  std::map<std::string, std::string> States() const { return HaproxyServerStates(stats_socket_); }
  // Milliseconds from since until HAProxy reports server ("backend/server") in state; -1 if not within 10 s.
  double MsUntil(const std::string& server, const std::string& state, Clock::time_point since) const {
    while (Clock::now() < since + 10s) {
      const auto states = States();
      if (auto it = states.find(server); it != states.end() && it->second == state) return Ms(Clock::now() - since);
      std::this_thread::sleep_for(5ms);
    }
    return -1;
  }

  // Speech requests that instance i has read (its debug log names each one).
  size_t SpeechRequests(int i, size_t from = 0) const {
    return Count(instances_[i]->Log(), "http: POST /v1/audio/speech", from);
  }

  // How many requests with exactly this many bytes of text each instance has logged.
  std::vector<size_t> WithText(size_t text_bytes) const {
    std::vector<size_t> n;
    for (int i = 0; i < kInstances; ++i)
      n.push_back(Count(instances_[i]->Log(), " " + std::to_string(text_bytes) + " bytes of text"));
    return n;
  }
  // The instance that logs one more such request than it had in `before`; -1 if none within timeout.
  int InstanceWith(size_t text_bytes, const std::vector<size_t>& before,
                   std::chrono::milliseconds timeout = 10s) const {
    for (const auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
      const auto now = WithText(text_bytes);
      for (int i = 0; i < kInstances; ++i) {
        if (now[i] > before[i]) return i;
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

 private:
  TempDir dir_;
  std::string haproxy_binary_, stats_socket_;
  std::vector<std::unique_ptr<DaemonProcess>> instances_;
  std::unique_ptr<HaproxyProcess> haproxy_;
  int lb_http_ = -1, lb_wyoming_ = -1;
  bool up_ = false;
};

// Client threads speaking short texts through the balancer back to back until stopped.
class Load {
 public:
  Load(int port, int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, port] {
        while (!stop_) {
          Outcome o = Speak(port, "Hello there, how are you today?");
          std::lock_guard lock(mutex_);
          outcomes_.push_back(o);
        }
      });
    }
  }
  ~Load() { Stop(); }
  std::vector<Outcome> Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    std::lock_guard lock(mutex_);
    return outcomes_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<Outcome> outcomes_;
  std::vector<std::thread> threads_;
};

// Sentences of the fixture voice: 100 of them are 375 s of audio (12 MB of PCM), about 2.5 s of compute on one
// idle core.
std::string LongText(int sentences) {
  std::string text;
  for (int i = 0; i < sentences; ++i) text += "The quick brown fox jumps over the lazy dog. ";
  return text;
}

TEST(Haproxy, LeastconnSpreadsKilledInstanceFailsFastDrainedInstanceFinishes) {
  Cluster cluster;
  ASSERT_TRUE(cluster.up());
  const int port = cluster.http_port();

  // The size a whole long response has, from an undisturbed run (the fixture voice is deterministic).
  const std::string long_a = LongText(100), long_b = LongText(101);
  const Outcome reference = Speak(port, long_b);
  ASSERT_TRUE(Ok(reference)) << "status " << reference.status;
  std::printf("[ HAPROXY ] long request alone: %zu bytes in %.0f ms\n", reference.bytes,
              Ms(reference.end - reference.start));

  Load load(port, 4);
  std::this_thread::sleep_for(2s);
  size_t before_kill[kInstances];
  for (int i = 0; i < kInstances; ++i) before_kill[i] = cluster.SpeechRequests(i);
  std::printf("[ HAPROXY ] leastconn, 4 clients for 2 s: speech requests per instance %zu, %zu, %zu\n", before_kill[0],
              before_kill[1], before_kill[2]);
  for (int i = 0; i < kInstances; ++i) EXPECT_GT(before_kill[i], 0u) << "instance " << i + 1 << " got no request";

  // SIGKILL the instance that is streaming a long response, amid the load.
  Outcome killed_long;
  const auto seen_a = cluster.WithText(long_a.size());
  std::jthread long_thread([&] { killed_long = Speak(port, long_a); });  // jthread: joined if an ASSERT returns
  const int victim = cluster.InstanceWith(long_a.size(), seen_a);
  ASSERT_GE(victim, 0) << "no instance logged the long request";
  std::this_thread::sleep_for(300ms);  // well into its response
  const auto kill_at = Clock::now();
  ASSERT_EQ(kill(cluster.instance(victim).pid(), SIGKILL), 0);
  const double victim_down_ms = cluster.MsUntil("ttsd_http/ttsd" + std::to_string(victim + 1), "DOWN", kill_at);
  long_thread.join();
  std::printf(
      "[ HAPROXY ] SIGKILL ttsd%d while it streamed a long response: that response ended %.0f ms later, "
      "status %d, %s, %zu of %zu bytes\n",
      victim + 1, Ms(killed_long.end - kill_at), killed_long.status, killed_long.complete ? "complete" : "cut",
      killed_long.bytes, reference.bytes);
  EXPECT_FALSE(killed_long.complete) << "the killed instance's response completed";
  EXPECT_LT(killed_long.end - kill_at, 10s);
  std::this_thread::sleep_for(3s);

  // SIGTERM the instance that streams the next long response: it finishes it; new requests go elsewhere.
  Outcome drained_long;
  const auto seen_b = cluster.WithText(long_b.size());
  std::jthread drain_thread([&] { drained_long = Speak(port, long_b, 40s); });
  const int drained = cluster.InstanceWith(long_b.size(), seen_b);
  ASSERT_GE(drained, 0) << "no instance logged the second long request";
  ASSERT_NE(drained, victim);
  std::this_thread::sleep_for(300ms);
  const auto term_at = Clock::now();
  ASSERT_EQ(kill(cluster.instance(drained).pid(), SIGTERM), 0);
  const double drained_down_ms = cluster.MsUntil("ttsd_http/ttsd" + std::to_string(drained + 1), "DOWN", term_at);
  ASSERT_TRUE(cluster.instance(drained).WaitForLog("signal SIGTERM: shutting down"));
  const size_t drained_at_term = cluster.instance(drained).Log().find("signal SIGTERM: shutting down");
  drain_thread.join();
  std::this_thread::sleep_for(1500ms);  // load on the last instance alone
  const std::vector<Outcome> outcomes = load.Stop();
  const int last = 3 - victim - drained;
  std::printf(
      "[ HAPROXY ] SIGTERM ttsd%d while it streamed a long response: it finished %.0f ms later, status %d, "
      "%s, %zu of %zu bytes\n",
      drained + 1, Ms(drained_long.end - term_at), drained_long.status, drained_long.complete ? "complete" : "cut",
      drained_long.bytes, reference.bytes);
  EXPECT_TRUE(Ok(drained_long));
  EXPECT_EQ(drained_long.bytes, reference.bytes) << "the draining instance's response is not whole";
  // The draining instance read no request after the signal (its listener closed at once).
  const size_t after_term = cluster.SpeechRequests(drained, drained_at_term);
  EXPECT_EQ(after_term, 0u) << "the draining instance took new requests";
  for (int i = 0; i < 100 && !cluster.instance(drained).Exited(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(cluster.instance(drained).Exited()) << "the drained instance did not exit after its request";
  EXPECT_EQ(cluster.instance(drained).exit_status(), 0) << "wait status";
  std::printf("[ HAPROXY ] HAProxy marked ttsd%d DOWN %.0f ms after the SIGKILL, ttsd%d %.0f ms after the SIGTERM\n",
              victim + 1, victim_down_ms, drained + 1, drained_down_ms);
  EXPECT_GE(victim_down_ms, 0);
  EXPECT_GE(drained_down_ms, 0);

  // The short requests, by when they ran.
  int in_flight_at_kill = 0, failed_in_flight_at_kill = 0, after_kill = 0, failed_after_kill = 0, after_term_n = 0,
      failed_after_term = 0, before_kill_n = 0, failed_before_kill = 0;
  double slowest_failure_ms = 0, slowest_after_kill_ms = 0;
  for (const Outcome& o : outcomes) {
    if (!Ok(o)) {
      slowest_failure_ms = std::max(slowest_failure_ms, Ms(o.end - o.start));
      std::printf("[ HAPROXY ] failed: started %+.0f ms from the kill, took %.0f ms: %s, status %d, %zu bytes%s\n",
                  Ms(o.start - kill_at), Ms(o.end - o.start), o.connected ? "connected" : "no connection", o.status,
                  o.bytes, o.complete ? "" : ", cut");
    }
    if (o.start >= kill_at) slowest_after_kill_ms = std::max(slowest_after_kill_ms, Ms(o.end - o.start));
    if (o.end < kill_at) {
      ++before_kill_n;
      failed_before_kill += !Ok(o);
    } else if (o.start < kill_at) {
      ++in_flight_at_kill;
      failed_in_flight_at_kill += !Ok(o);
    } else if (o.start < term_at) {
      ++after_kill;
      failed_after_kill += !Ok(o);
    } else {
      ++after_term_n;
      failed_after_term += !Ok(o);
    }
  }
  std::printf(
      "[ HAPROXY ] short requests: %d before the kill (%d failed); %d in flight at the kill (%d failed); "
      "%d between kill and SIGTERM (%d failed); %d after SIGTERM "
      "(%d failed); slowest failure %.0f ms; slowest request started after the kill %.0f ms\n",
      before_kill_n, failed_before_kill, in_flight_at_kill, failed_in_flight_at_kill, after_kill, failed_after_kill,
      after_term_n, failed_after_term, slowest_failure_ms, slowest_after_kill_ms);
  EXPECT_EQ(failed_before_kill, 0);
  EXPECT_LT(slowest_failure_ms, 10'000) << "a failed request hung";
  EXPECT_LT(slowest_after_kill_ms, 10'000) << "a request after the kill hung";
  // Retries on another instance (retry-on conn-failure empty-response, redispatch) save every request that
  // the dead instance had not begun to answer, and the refused connections mark it down at once.
  EXPECT_EQ(failed_after_kill, 0);
  EXPECT_EQ(failed_after_term, 0);
  EXPECT_GT(after_term_n, 0);
  EXPECT_GT(cluster.SpeechRequests(last), before_kill[last]);

  // What HAProxy told: its state changes, and per server the requests it logged (option httplog), those the
  // server cut (termination state S.) and those retried (the retries field, '+' when sent to another server).
  std::stringstream log(cluster.HaproxyLog());
  std::map<std::string, std::array<int, 3>> per_server;  // requests, cut by the server, retried
  const std::regex request_line(
      R"(ttsd_http ttsd_http/(\S+) \S+ (\d+) \d+ \S+ \S+ (\S{4}) \d+/\d+/\d+/\d+/(\+?)(\d+) )");
  for (std::string line; std::getline(log, line);) {
    if (line.find("[WARNING]") != std::string::npos || line.find("[ALERT]") != std::string::npos) {
      std::printf("[ HAPROXY ] log: %s\n", line.c_str());
    }
    std::smatch m;
    if (!std::regex_search(line, m, request_line)) continue;
    auto& counts = per_server[m[1]];
    counts[0]++;
    counts[1] += m[3].str()[0] == 'S';
    if (m[5] != "0") {
      counts[2]++;
      std::printf("[ HAPROXY ] retried: %s\n", line.c_str());
    }
  }
  for (const auto& [server, counts] : per_server) {
    std::printf("[ HAPROXY ] httplog: %s answered %d requests, %d cut by the server, %d after a retry\n",
                server.c_str(), counts[0], counts[1], counts[2]);
  }
  const auto states = cluster.States();
  EXPECT_EQ(states.at("ttsd_http/ttsd" + std::to_string(victim + 1)), "DOWN");
  EXPECT_EQ(states.at("ttsd_http/ttsd" + std::to_string(drained + 1)), "DOWN");
  EXPECT_EQ(states.at("ttsd_http/ttsd" + std::to_string(last + 1)), "UP");
}

TEST(Haproxy, WyomingThroughTheTcpFrontend) {
  Cluster cluster;
  ASSERT_TRUE(cluster.up());
  // Home Assistant's way: a connection per request. Three of them, one after another.
  for (int round = 0; round < 3; ++round) {
    WyomingClient client(static_cast<uint16_t>(cluster.wyoming_port()));
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.Send("synthesize", {{"text", "Hello from behind the load balancer."}}));
    const auto events = client.ReadUntil("audio-stop");
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.front().type, "audio-start");
    EXPECT_EQ(events.back().type, "audio-stop");
    size_t bytes = 0;
    for (const auto& e : events) {
      if (e.type == "audio-chunk") bytes += e.payload.size();
    }
    EXPECT_GT(bytes, 16000u) << "less than half a second of 16 kHz audio";
  }
  // HAProxy's Wyoming check (describe -> info) keeps all three UP.
  for (const auto& [server, state] : cluster.States()) EXPECT_EQ(state, "UP") << server;
}

}  // namespace
}  // namespace ttsd::testing
