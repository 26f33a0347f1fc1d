// Client-measured time to first audio of the same texts through each of ttsd's front ends.
//   build/bench/frontend-ttfa-bench --spawn build/daemon/ttsd --voices models/fixtures --voice fixture-stream
// Starts its own daemon with --spawn (Wyoming and HTTP on free loopback ports), or uses --socket,
// --wyoming-port and --http-port. Each front end is one function that speaks a text and reports when its first
// audio arrived; runs alternate between front ends so that load drifts hit them alike. Prints a
// table and a JSON line (--json FILE keeps it). To add a front end: write its Speak function and
// add it to the list in main().
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "support/daemon-spawn.h"
#include "support/stats.h"
#include "support/timed-request.h"
#include "texts.h"
#include "ttsd/client/connection.h"
#include "ttsd/protocol/socket-path.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Sample {
  double ttfa_ms = 0;  // request sent (or connect started) -> first audio with samples received
  double audio_s = 0;
};

// One way into the daemon: speaks text with voice and times it.
struct FrontEnd {
  std::string name;
  std::function<ttsd::Result<Sample>(const std::string& text)> speak;
};

// ----- native protocol: one connection kept open, as ttsc and libraries use it -----

ttsd::Result<Sample> SpeakNative(ttsd::client::Connection& conn, const std::string& voice, const std::string& text) {
  ttsd::protocol::SynthesizeRequest req;
  req.voice = voice;
  req.text = text;
  auto r = ttsd::bench::SpeakTimed(conn, req);
  if (!r) return std::unexpected(r.error());
  return Sample{r->ttfa_ms, r->audio_s()};
}

// ----- Wyoming over TCP, written from the protocol's README -----

class WyomingLink {
 public:
  ~WyomingLink() {
    if (fd_ >= 0) close(fd_);
  }
  ttsd::Status Connect(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return ttsd::MakeError(ttsd::ErrorCode::kIo, "cannot connect to Wyoming port " + std::to_string(port));
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return {};
  }
  ttsd::Status Send(const std::string& type, const json& data) {
    const std::string block = data.dump();
    const std::string bytes = json{{"type", type}, {"data_length", block.size()}}.dump() + "\n" + block;
    if (send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
      return ttsd::MakeError(ttsd::ErrorCode::kIo, "Wyoming send failed");
    }
    return {};
  }
  // The next event's type, data and payload size.
  ttsd::Result<std::tuple<std::string, json, size_t>> Read() {
    std::string line;
    for (size_t nl; (nl = buffer_.find('\n')) == std::string::npos;) {
      if (auto s = Fill(); !s) return std::unexpected(s.error());
    }
    const size_t nl = buffer_.find('\n');
    json header = json::parse(buffer_.substr(0, nl));
    buffer_.erase(0, nl + 1);
    const size_t data_length = header.value("data_length", size_t{0});
    const size_t payload_length = header.value("payload_length", size_t{0});
    while (buffer_.size() < data_length + payload_length) {
      if (auto s = Fill(); !s) return std::unexpected(s.error());
    }
    json data = header.value("data", json::object());
    if (data_length) data.update(json::parse(buffer_.substr(0, data_length)));
    buffer_.erase(0, data_length + payload_length);
    return std::make_tuple(header["type"].get<std::string>(), data, payload_length);
  }

 private:
  ttsd::Status Fill() {
    pollfd p{fd_, POLLIN, 0};
    char buf[65536];
    ssize_t n = poll(&p, 1, 60'000) > 0 ? recv(fd_, buf, sizeof(buf), 0) : -1;
    if (n <= 0) return ttsd::MakeError(ttsd::ErrorCode::kIo, "Wyoming connection ended");
    buffer_.append(buf, static_cast<size_t>(n));
    return {};
  }
  int fd_ = -1;
  std::string buffer_;
};

// A synthesize on link; start is when the request (or its connection) began.
ttsd::Result<Sample> SpeakWyoming(WyomingLink& link, Clock::time_point start, const std::string& voice,
                                  const std::string& text) {
  json data = {{"text", text}};
  if (!voice.empty()) data["voice"] = {{"name", voice}};
  if (auto s = link.Send("synthesize", data); !s) return std::unexpected(s.error());
  Sample s;
  uint64_t bytes = 0;
  int rate = 0;
  for (;;) {
    auto e = link.Read();
    if (!e) return std::unexpected(e.error());
    const auto& [type, body, payload] = *e;
    if (type == "error") return ttsd::MakeError(ttsd::ErrorCode::kInternal, body.dump());
    if (type == "audio-start") rate = body.value("rate", 0);
    if (type == "audio-chunk" && payload > 0) {
      if (bytes == 0) s.ttfa_ms = Ms(Clock::now() - start);
      bytes += payload;
    }
    if (type == "audio-stop") break;
  }
  s.audio_s = rate ? static_cast<double>(bytes / 2) / rate : 0;
  return s;
}

// ----- HTTP: POST /v1/audio/speech with "response_format": "pcm", as an OpenAI client sends it -----

class HttpLink {
 public:
  ~HttpLink() {
    if (fd_ >= 0) close(fd_);
  }
  ttsd::Status Connect(uint16_t port) {
    port_ = port;
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return ttsd::MakeError(ttsd::ErrorCode::kIo, "cannot connect to HTTP port " + std::to_string(port));
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return {};
  }
  // One request on the kept-alive connection; start is when the request (or its connection) began.
  // TTFA: the first body bytes that carry audio: for pcm, mp3 and aac the body's first chunk; wav,
  // opus and flac first send their header in a chunk of its own, at once, which does not count.
  ttsd::Result<Sample> Speak(Clock::time_point start, const std::string& voice, const std::string& text,
                             const std::string& format = "pcm") {
    json body = {{"model", "tts-1"}, {"input", text}, {"response_format", format}};
    if (!voice.empty()) body["voice"] = voice;
    const std::string b = body.dump();
    const std::string req = "POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(b.size()) +
                            "\r\n\r\n" + b;
    if (send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      return ttsd::MakeError(ttsd::ErrorCode::kIo, "HTTP send failed");
    }
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (auto s = Fill(); !s) return std::unexpected(s.error());
    }
    const std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    if (head.compare(9, 3, "200") != 0) return ttsd::MakeError(ttsd::ErrorCode::kInternal, head);
    std::smatch m;
    const int rate = std::regex_search(head, m, std::regex("X-Sample-Rate: (\\d+)")) ? std::stoi(m[1]) : 0;
    Sample s;
    size_t bytes = 0;
    int header_chunks = format == "wav" || format == "opus" || format == "flac" ? 1 : 0;
    for (;;) {  // chunked body
      while ((end = buffer_.find("\r\n")) == std::string::npos) {
        if (auto st = Fill(); !st) return std::unexpected(st.error());
      }
      const size_t size = std::stoul(buffer_.substr(0, end), nullptr, 16);
      if (size > 0 && header_chunks-- == 0) s.ttfa_ms = Ms(Clock::now() - start);
      while (buffer_.size() < end + 2 + size + 2) {
        if (auto st = Fill(); !st) return std::unexpected(st.error());
      }
      buffer_.erase(0, end + 2 + size + 2);
      bytes += size;
      if (size == 0) break;
    }
    s.audio_s = rate && format == "pcm" ? static_cast<double>(bytes / 2) / rate : 0;
    return s;
  }

 private:
  ttsd::Status Fill() {
    pollfd p{fd_, POLLIN, 0};
    char buf[65536];
    ssize_t n = poll(&p, 1, 60'000) > 0 ? recv(fd_, buf, sizeof(buf), 0) : -1;
    if (n <= 0) return ttsd::MakeError(ttsd::ErrorCode::kIo, "HTTP connection ended");
    buffer_.append(buf, static_cast<size_t>(n));
    return {};
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::string buffer_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"frontend-ttfa-bench: time to first audio of the same texts through each ttsd front end"};
  std::string socket, spawn, voices = "models/fixtures", voice, json_path, daemon_args;
  int repeat = 5;
  int wyoming_port = 0;
  int http_port = 0;
  app.add_option("--socket", socket, "use a running daemon (native protocol)");
  app.add_option("--wyoming-port", wyoming_port, "its Wyoming port on 127.0.0.1");
  app.add_option("--http-port", http_port, "its HTTP API port on 127.0.0.1");
  app.add_option("--spawn", spawn, "start this ttsd binary on a private socket and a free Wyoming port");
  app.add_option("--voices", voices, "voices for --spawn")->capture_default_str();
  app.add_option("--daemon-args", daemon_args, "more flags for --spawn, e.g. \"--threads 2\"");
  app.add_option("--voice", voice, "voice to speak with (default: the daemon's)");
  app.add_option("--repeat", repeat, "passes over the text set")->capture_default_str();
  app.add_option("--json", json_path, "write the results here");
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<ttsd::testing::SpawnedDaemon> daemon;
  if (!spawn.empty()) {
    std::vector<std::string> extra = {"--wyoming", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"};
    for (auto& a : ttsd::testing::SplitArgs(daemon_args)) extra.push_back(a);
    auto d = ttsd::testing::SpawnedDaemon::Start({.binary = spawn, .voices = {voices}, .extra_args = extra, .log_level = "info"});
    if (!d) {
      std::fprintf(stderr, "frontend-ttfa-bench: %s\n", d.error().ToString().c_str());
      return 1;
    }
    daemon = std::move(*d);
    socket = daemon->socket_path();
    // Ports the daemon chose, from its log.
    const std::string wyoming = daemon->WaitForLog(R"(wyoming: listening on tcp://[^ ]*:(\d+))");
    const std::string http = daemon->WaitForLog(R"(HTTP API on http://[^ ]*:(\d+)/)");
    wyoming_port = wyoming.empty() ? 0 : std::stoi(wyoming);
    http_port = http.empty() ? 0 : std::stoi(http);
  }
  if (socket.empty()) socket = ttsd::protocol::ResolveSocketPath("");
  std::unique_ptr<ttsd::client::Connection> conn;
  for (int i = 0; i < 600 && !conn; ++i) {
    auto c = ttsd::client::Connection::Connect(socket);
    if (c) conn = std::move(*c);
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  WyomingLink wyoming;
  HttpLink http;
  if (!conn || wyoming_port <= 0 || !wyoming.Connect(static_cast<uint16_t>(wyoming_port)) || http_port <= 0 ||
      !http.Connect(static_cast<uint16_t>(http_port))) {
    std::fprintf(stderr, "frontend-ttfa-bench: cannot reach the daemon (socket %s, Wyoming port %d, HTTP port %d)\n",
                 socket.c_str(), wyoming_port, http_port);
    return 1;
  }

  const uint16_t port = static_cast<uint16_t>(wyoming_port);
  // The first is the reference the others are compared with.
  std::vector<FrontEnd> front_ends = {
      {"native", [&](const std::string& text) { return SpeakNative(*conn, voice, text); }},
      {"wyoming", [&](const std::string& text) { return SpeakWyoming(wyoming, Clock::now(), voice, text); }},
      // What Home Assistant does: a new TCP connection per request, its setup included in the time.
      {"wyoming-new-connection",
       [&](const std::string& text) -> ttsd::Result<Sample> {
         const auto start = Clock::now();
         WyomingLink link;
         if (auto s = link.Connect(port); !s) return std::unexpected(s.error());
         return SpeakWyoming(link, start, voice, text);
       }},
      // OpenAI's clients keep their HTTP connection alive between requests.
      {"http", [&](const std::string& text) { return http.Speak(Clock::now(), voice, text); }},
      {"http-new-connection",
       [&](const std::string& text) -> ttsd::Result<Sample> {
         const auto start = Clock::now();
         HttpLink link;
         if (auto s = link.Connect(static_cast<uint16_t>(http_port)); !s) return std::unexpected(s.error());
         return link.Speak(start, voice, text);
       }},
  };
  // OpenAI's other response formats: what encoding adds to the first audio (compare with "http").
  for (const char* format : {"mp3", "opus", "aac", "flac", "wav"}) {
    front_ends.push_back({std::string("http-") + format, [&http, &voice, format](const std::string& text) {
                            return http.Speak(Clock::now(), voice, text, format);
                          }});
  }

  // Untimed: nothing measured pays a first-use cost.
  for (auto& f : front_ends) (void)f.speak("Warming up.");
  std::map<std::string, std::vector<Sample>> runs;
  const auto& texts = ttsd::bench::ShortSentences();
  const int total = repeat * static_cast<int>(texts.size() * front_ends.size());
  int done = 0;
  size_t turn = 0;
  for (int r = 0; r < repeat; ++r) {
    for (const auto& text : texts) {
      // Each front end goes first in turn, so that none always follows another.
      for (size_t k = 0; k < front_ends.size(); ++k) {
        auto& f = front_ends[(k + turn) % front_ends.size()];
        auto s = f.speak(text);
        if (!s) {
          std::fprintf(stderr, "frontend-ttfa-bench: %s: %s\n", f.name.c_str(), s.error().ToString().c_str());
          return 1;
        }
        runs[f.name].push_back(*s);
        std::fprintf(stderr, "\r[%d/%d]", ++done, total);
      }
      ++turn;
    }
  }
  std::fprintf(stderr, "\n");
  if (daemon) daemon->Stop();

  json out = {{"voice", voice.empty() ? "(default)" : voice}, {"daemon_args", daemon_args}, {"texts", "10 words"}};
  // Paired: each run against the native run of the same text in the same pass (they ran back to back),
  // which cancels most of the drift a loaded machine adds.
  std::printf("| front end | runs | TTFA p50 ms | TTFA p95 ms | mean ms | minus native, paired p50 ms | paired p95 ms |\n"
              "|---|---|---|---|---|---|---|\n");
  const auto& native = runs[front_ends.front().name];
  for (auto& f : front_ends) {
    std::vector<double> ttfa, paired;
    double sum = 0;
    for (size_t i = 0; i < runs[f.name].size(); ++i) {
      ttfa.push_back(runs[f.name][i].ttfa_ms);
      paired.push_back(runs[f.name][i].ttfa_ms - native[i].ttfa_ms);
      sum += ttfa.back();
    }
    const double p50 = ttsd::bench::Quantile(ttfa, 0.5), p95 = ttsd::bench::Quantile(ttfa, 0.95), mean = sum / std::max<size_t>(1, ttfa.size());
    const double d50 = ttsd::bench::Quantile(paired, 0.5), d95 = ttsd::bench::Quantile(paired, 0.95);
    out["front_ends"][f.name] = {{"runs", ttfa.size()},           {"ttfa_ms_p50", p50},
                                 {"ttfa_ms_p95", p95},            {"ttfa_ms_mean", mean},
                                 {"minus_native_paired_ms_p50", d50}, {"minus_native_paired_ms_p95", d95}};
    std::printf("| %s | %zu | %.2f | %.2f | %.2f | %+.2f | %+.2f |\n", f.name.c_str(), ttfa.size(), p50, p95, mean, d50,
                d95);
  }
  std::printf("%s\n", out.dump().c_str());
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return 0;
}
