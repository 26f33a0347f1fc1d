// Text streamed in as an LLM writes it, and barge-in, through three front ends of the same ttsd: the
// native protocol on the Unix socket, the native protocol over WebSocket (/v1/ws) and ElevenLabs'
// multi-context WebSocket API.
//   build/bench/stream-text-bench --spawn build/daemon/ttsd --voices models/fixtures --voice fixture-stream
// Starts its own daemon with --spawn (HTTP on a free loopback port, read from its log), or uses --socket
// and --http-port. Two measurements on each of the eight sentences of bench/texts.h, --repeat passes,
// front ends taking turns to go first:
//   first clause: the sentence goes word by word, one message each, with FLUSH at the end of its first
//     clause (the first word ending in ',', else the fifth); TTFA is from sending the flush to the first
//     audio with samples. Then the rest of the words and the end of the text, read to the end.
//   barge-in: the sentence six times as one text; at its first audio, cancel; times to the last audio
//     received and to the request's end, and the audio bytes that came after the cancel.
// Prints two tables and a JSON line (--json FILE keeps it). To add a front end: write its Link and add it
// to the list in main().
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "support/daemon-spawn.h"
#include "support/stats.h"
#include "support/ws-client.h"
#include "texts.h"
#include "ttsd/client/connection.h"
#include "ttsd/protocol/frame.h"
#include "ttsd/protocol/messages.h"
#include "ttsd/protocol/socket-path.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using ttsd::ErrorCode;

constexpr int kBargeInCopies = 6;  // the barge-in text: the sentence this many times
constexpr auto kReadTimeout = std::chrono::seconds(60);

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// What the daemon sent about the open request, whichever front end carried it.
struct Event {
  Clock::time_point at;      // when the client read it
  size_t audio_bytes = 0;    // PCM bytes (s16le) in it
  bool end = false;          // the request is over: LAST, an error, isFinal
  bool last = false;         // it ended with its LAST audio (native frames only)
  int error_code = 0;        // the error that ended it; 0 for none
};

// One way into the daemon, one request open at a time.
class Link {
 public:
  virtual ~Link() = default;
  // Opens a request with text; final: no more text follows.
  virtual ttsd::Status Open(const std::string& text, bool final) = 0;
  // More text; returns when the message that flushes (or the last message) began to go out.
  virtual ttsd::Result<Clock::time_point> Text(const std::string& text, bool final, bool flush) = 0;
  virtual ttsd::Status Cancel() = 0;
  // The next message about the open request; others are skipped.
  virtual ttsd::Result<Event> Next() = 0;
};

// ----- native protocol on the Unix socket -----

class NativeLink : public Link {
 public:
  NativeLink(ttsd::client::Connection& conn, std::string voice) : conn_(conn), voice_(std::move(voice)) {}

  ttsd::Status Open(const std::string& text, bool final) override {
    ttsd::protocol::SynthesizeRequest req;
    req.voice = voice_;
    req.text = text;
    req.final = final;
    auto id = conn_.StartSynthesis(req);
    if (!id) return std::unexpected(id.error());
    id_ = *id;
    return {};
  }
  ttsd::Result<Clock::time_point> Text(const std::string& text, bool final, bool flush) override {
    const auto at = Clock::now();
    if (auto s = conn_.AppendText(id_, text, final, flush); !s) return std::unexpected(s.error());
    return at;
  }
  ttsd::Status Cancel() override { return conn_.Cancel(id_); }
  ttsd::Result<Event> Next() override {
    for (;;) {
      auto f = conn_.ReadFrame(kReadTimeout);
      if (!f) return std::unexpected(f.error());
      Event e{.at = Clock::now()};
      if (f->header.request_id != id_) continue;
      if (f->header.type == ttsd::protocol::FrameType::kError) {
        auto body = ttsd::protocol::ParseErrorBody(f->payload);
        e.end = true;
        e.error_code = static_cast<int>(body ? body->code : ErrorCode::kInternal);
        return e;
      }
      if (f->header.type != ttsd::protocol::FrameType::kAudio) continue;
      std::span<const uint8_t> pcm;
      auto h = ttsd::protocol::ParseAudioHeader(f->payload, &pcm);
      if (!h) return std::unexpected(h.error());
      sample_rate_ = h->sample_rate;
      e.audio_bytes = pcm.size();
      e.end = e.last = f->header.flags & ttsd::protocol::kFlagLast;
      return e;
    }
  }
  uint32_t sample_rate() const { return sample_rate_; }

 private:
  ttsd::client::Connection& conn_;  // not owned
  const std::string voice_;
  uint32_t id_ = 0;
  uint32_t sample_rate_ = 0;
};

// The WebSocket links use tests/support/ws-client.h (TCP_NODELAY on, as voice agents' clients have it).
bool g_nagle = false;  // --nagle: Nagle on instead, to show what it costs

// ----- the native protocol over WebSocket: GET /v1/ws (protocol/README.md) -----

class WsNativeLink : public Link {
 public:
  explicit WsNativeLink(std::string voice) : voice_(std::move(voice)) {}

  ttsd::Status Connect(int port) {
    ws_.set_nagle(g_nagle);
    if (!ws_.Connect(port, "/v1/ws")) return ttsd::MakeError(ErrorCode::kIo, "WebSocket /v1/ws refused");
    ws_.SendJson({{"type", "hello"}, {"min_version", 3}, {"max_version", 3}, {"client", "stream-text-bench"}});
    auto welcome = ws_.Read(kReadTimeout);
    if (!welcome || json::parse(welcome->data, nullptr, false).value("type", "") != "welcome") {
      return ttsd::MakeError(ErrorCode::kIo, "no welcome on /v1/ws");
    }
    return {};
  }
  ttsd::Status Open(const std::string& text, bool final) override {
    id_ = next_id_++;
    json body = {{"text", text}, {"final", final}};
    if (!voice_.empty()) body["voice"] = voice_;
    return Send({{"type", "synthesize"}, {"id", id_}, {"body", body}});
  }
  ttsd::Result<Clock::time_point> Text(const std::string& text, bool final, bool flush) override {
    const auto at = Clock::now();
    if (auto s = Send({{"type", "text"}, {"id", id_}, {"text", text}, {"final", final}, {"flush", flush}}); !s) {
      return std::unexpected(s.error());
    }
    return at;
  }
  ttsd::Status Cancel() override { return Send({{"type", "cancel"}, {"id", id_}}); }
  ttsd::Result<Event> Next() override {
    for (;;) {
      auto m = ws_.Read(kReadTimeout);
      if (!m) return ttsd::MakeError(ErrorCode::kIo, "/v1/ws ended (close " + std::to_string(ws_.close_code()) + ")");
      Event e{.at = Clock::now()};
      if (m->binary) {  // one whole audio frame: 12-byte header, 16-byte audio header, PCM
        const auto* b = reinterpret_cast<const uint8_t*>(m->data.data());
        if (m->data.size() < ttsd::protocol::kHeaderBytes + ttsd::protocol::kAudioHeaderBytes) {
          return ttsd::MakeError(ErrorCode::kMalformedFrame, "short audio message");
        }
        const uint32_t id = b[8] | b[9] << 8 | b[10] << 16 | static_cast<uint32_t>(b[11]) << 24;
        if (id != id_) continue;
        e.audio_bytes = m->data.size() - ttsd::protocol::kHeaderBytes - ttsd::protocol::kAudioHeaderBytes;
        e.end = e.last = b[5] & ttsd::protocol::kFlagLast;
        return e;
      }
      const json j = json::parse(m->data, nullptr, false);
      if (j.value("type", "") != "error") continue;
      if (j.value("id", 0u) == 0) return ttsd::MakeError(ErrorCode::kInternal, "/v1/ws: " + m->data);
      if (j.value("id", 0u) != id_) continue;
      e.end = true;
      e.error_code = j["body"].value("code", static_cast<int>(ErrorCode::kInternal));
      return e;
    }
  }

 private:
  ttsd::Status Send(const json& message) {
    if (!ws_.SendJson(message)) return ttsd::MakeError(ErrorCode::kIo, "/v1/ws send failed");
    return {};
  }
  ttsd::testing::WsClient ws_;
  const std::string voice_;
  uint32_t next_id_ = 1;
  uint32_t id_ = 0;
};

// ----- ElevenLabs' multi-stream-input (daemon/http/README.md): one context per request -----

class ElevenLabsLink : public Link {
 public:
  ttsd::Status Connect(int port, const std::string& voice, const std::string& output_format) {
    const std::string target = "/v1/text-to-speech/" + (voice.empty() ? std::string("default") : voice) +
                               "/multi-stream-input?output_format=" + output_format +
                               "&auto_mode=false&inactivity_timeout=180";
    ws_.set_nagle(g_nagle);
    if (!ws_.Connect(port, target)) return ttsd::MakeError(ErrorCode::kIo, "ElevenLabs WebSocket refused");
    return {};
  }
  // The text stays open and unflushed even when final: an agent's context when the user barges in.
  ttsd::Status Open(const std::string& text, bool /*final*/) override {
    context_ = "c" + std::to_string(++contexts_);
    if (auto s = Send({{"text", " "}, {"context_id", context_}}); !s) return s;
    if (!text.empty()) return Send({{"text", text}, {"context_id", context_}});
    return {};
  }
  // final: flush, then close_context (Pipecat's end of a turn).
  ttsd::Result<Clock::time_point> Text(const std::string& text, bool final, bool flush) override {
    auto at = Clock::now();
    if (!text.empty()) {
      if (auto s = Send({{"text", text}, {"context_id", context_}}); !s) return std::unexpected(s.error());
    }
    if (flush || final) {
      at = Clock::now();
      if (auto s = Send({{"context_id", context_}, {"flush", true}}); !s) return std::unexpected(s.error());
    }
    if (final) {
      if (auto s = Send({{"context_id", context_}, {"close_context", true}}); !s) return std::unexpected(s.error());
    }
    return at;
  }
  // close_context of a context whose text was not flushed: ttsd cancels it at once.
  ttsd::Status Cancel() override { return Send({{"context_id", context_}, {"close_context", true}}); }
  ttsd::Result<Event> Next() override {
    for (;;) {
      auto m = ws_.Read(kReadTimeout);
      if (!m) return ttsd::MakeError(ErrorCode::kIo, "ElevenLabs WebSocket ended (close " + std::to_string(ws_.close_code()) + ")");
      Event e{.at = Clock::now()};
      const json j = json::parse(m->data, nullptr, false);
      if (!j.is_object() || j.value("contextId", "") != context_) continue;
      if (j.contains("error")) return ttsd::MakeError(ErrorCode::kInternal, "ElevenLabs: " + m->data);
      if (j.contains("audio") && j["audio"].is_string()) e.audio_bytes = Base64Bytes(j["audio"].get_ref<const std::string&>());
      e.end = j.value("isFinal", json()).is_boolean() && j["isFinal"].get<bool>();
      if (e.audio_bytes == 0 && !e.end) continue;
      return e;
    }
  }

 private:
  static size_t Base64Bytes(const std::string& b64) {
    size_t pad = 0;
    while (pad < 2 && pad < b64.size() && b64[b64.size() - 1 - pad] == '=') ++pad;
    return b64.size() / 4 * 3 - pad;
  }
  ttsd::Status Send(const json& message) {
    if (!ws_.SendJson(message)) return ttsd::MakeError(ErrorCode::kIo, "ElevenLabs send failed");
    return {};
  }
  ttsd::testing::WsClient ws_;
  std::string context_;
  int contexts_ = 0;
};

// ----- the two measurements, the same for every link -----

struct ClauseSample {
  double ttfa_ms = 0;  // flush sent -> first audio with samples
  size_t audio_bytes = 0;
};

struct BargeInSample {
  double last_audio_ms = 0;  // cancel sent -> the last audio received (0 when none came after it)
  double end_ms = 0;         // cancel sent -> the request's end
  size_t bytes_after = 0;    // audio bytes received after the cancel was sent
  bool raced = false;        // it ended with its LAST audio instead: the cancel came too late
};

// Each word with the space after it; the last without.
std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w + " ");
  if (!words.empty()) words.back().pop_back();
  return words;
}

// The word that ends the first clause: the first ending in ',', else the fifth.
size_t ClauseEnd(const std::vector<std::string>& words) {
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i].ends_with(", ") || words[i].ends_with(",")) return i;
  }
  return std::min<size_t>(4, words.size() - 1);
}

ttsd::Result<ClauseSample> FirstClause(Link& link, const std::string& text) {
  const auto words = Words(text);
  const size_t flush_at = ClauseEnd(words);
  if (auto s = link.Open("", false); !s) return std::unexpected(s.error());
  Clock::time_point flushed;
  for (size_t i = 0; i <= flush_at; ++i) {
    auto at = link.Text(words[i], false, i == flush_at);
    if (!at) return std::unexpected(at.error());
    flushed = *at;
  }
  ClauseSample s;
  for (;;) {
    auto e = link.Next();
    if (!e) return std::unexpected(e.error());
    if (e->error_code) return ttsd::MakeError(static_cast<ErrorCode>(e->error_code), "the request failed");
    if (e->end) return ttsd::MakeError(ErrorCode::kInternal, "the request ended before any audio");
    if (e->audio_bytes == 0) continue;
    s.ttfa_ms = Ms(e->at - flushed);
    s.audio_bytes += e->audio_bytes;
    break;
  }
  // The rest of the words, the last closing the text.
  for (size_t i = flush_at + 1; i < words.size(); ++i) {
    if (auto at = link.Text(words[i], i + 1 == words.size(), false); !at) return std::unexpected(at.error());
  }
  if (flush_at + 1 == words.size()) {
    if (auto at = link.Text("", true, false); !at) return std::unexpected(at.error());
  }
  for (;;) {
    auto e = link.Next();
    if (!e) return std::unexpected(e.error());
    if (e->error_code) return ttsd::MakeError(static_cast<ErrorCode>(e->error_code), "the request failed");
    s.audio_bytes += e->audio_bytes;
    if (e->end) return s;
  }
}

ttsd::Result<BargeInSample> BargeIn(Link& link, const std::string& sentence) {
  std::string text;
  for (int i = 0; i < kBargeInCopies; ++i) text += sentence + " ";
  if (auto s = link.Open(text, true); !s) return std::unexpected(s.error());
  for (;;) {
    auto e = link.Next();
    if (!e) return std::unexpected(e.error());
    if (e->end) return ttsd::MakeError(ErrorCode::kInternal, "the request ended before the cancel");
    if (e->audio_bytes > 0) break;
  }
  const auto cancelled = Clock::now();
  if (auto s = link.Cancel(); !s) return std::unexpected(s.error());
  BargeInSample s;
  for (;;) {
    auto e = link.Next();
    if (!e) return std::unexpected(e.error());
    if (e->audio_bytes > 0) {
      s.bytes_after += e->audio_bytes;
      s.last_audio_ms = Ms(e->at - cancelled);
    }
    if (!e->end) continue;
    if (e->error_code && e->error_code != static_cast<int>(ErrorCode::kCancelled)) {
      return ttsd::MakeError(static_cast<ErrorCode>(e->error_code), "the request failed");
    }
    s.end_ms = Ms(e->at - cancelled);
    s.raced = e->last;
    return s;
  }
}

struct FrontEnd {
  std::string name;
  Link* link;  // not owned
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stream-text-bench: streamed text and barge-in through the native socket and two WebSocket APIs"};
  std::string socket, spawn, voices = "models/fixtures", voice, json_path, daemon_args;
  int repeat = 5;
  int http_port = 0;
  app.add_option("--socket", socket, "use a running daemon (native protocol)");
  app.add_option("--http-port", http_port, "its HTTP API port on 127.0.0.1");
  app.add_option("--spawn", spawn, "start this ttsd binary on a private socket and a free HTTP port");
  app.add_option("--voices", voices, "voices for --spawn")->capture_default_str();
  app.add_option("--daemon-args", daemon_args, "more flags for --spawn, e.g. \"--threads 2\"");
  app.add_option("--voice", voice, "voice to speak with (default: the daemon's)");
  app.add_option("--repeat", repeat, "passes over the text set")->capture_default_str();
  app.add_option("--json", json_path, "write the results here");
  app.add_flag("--nagle", g_nagle, "leave Nagle's algorithm on in the WebSocket clients (no TCP_NODELAY)");
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<ttsd::testing::SpawnedDaemon> daemon;
  if (!spawn.empty()) {
    std::vector<std::string> extra = {"--http", "127.0.0.1:0"};
    for (auto& a : ttsd::testing::SplitArgs(daemon_args)) extra.push_back(a);
    auto d = ttsd::testing::SpawnedDaemon::Start({.binary = spawn, .voices = {voices}, .extra_args = extra, .log_level = "info"});
    if (!d) {
      std::fprintf(stderr, "stream-text-bench: %s\n", d.error().ToString().c_str());
      return 1;
    }
    daemon = std::move(*d);
    socket = daemon->socket_path();
    const std::string http = daemon->WaitForLog(R"(HTTP API on http://[^ ]*:(\d+)/)");
    http_port = http.empty() ? 0 : std::stoi(http);
  }
  if (socket.empty()) socket = ttsd::protocol::ResolveSocketPath("");
  std::unique_ptr<ttsd::client::Connection> conn;
  for (int i = 0; i < 600 && !conn; ++i) {
    auto c = ttsd::client::Connection::Connect(socket);
    if (c) conn = std::move(*c);
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!conn || http_port <= 0) {
    std::fprintf(stderr, "stream-text-bench: cannot reach the daemon (socket %s, HTTP port %d)\n", socket.c_str(), http_port);
    return 1;
  }
  NativeLink native(*conn, voice);
  // The voice's own rate for ElevenLabs' pcm, so that nothing is resampled.
  if (auto w = FirstClause(native, "Warming up, once more."); !w) {
    std::fprintf(stderr, "stream-text-bench: native: %s\n", w.error().ToString().c_str());
    return 1;
  }
  const uint32_t rate = native.sample_rate();
  const std::string output_format = "pcm_" + std::to_string(rate);
  WsNativeLink ws_native(voice);
  ElevenLabsLink elevenlabs;
  if (auto s = ws_native.Connect(http_port); !s) {
    std::fprintf(stderr, "stream-text-bench: %s\n", s.error().ToString().c_str());
    return 1;
  }
  if (auto s = elevenlabs.Connect(http_port, voice, output_format); !s) {
    std::fprintf(stderr, "stream-text-bench: %s\n", s.error().ToString().c_str());
    return 1;
  }
  // The first is the reference the others are compared with.
  const std::vector<FrontEnd> front_ends = {{"native", &native}, {"ws-native", &ws_native}, {"ws-elevenlabs", &elevenlabs}};

  // Untimed: nothing measured pays a first-use cost.
  for (const auto& f : front_ends) {
    auto a = FirstClause(*f.link, "Warming up, once more.");
    auto b = a ? BargeIn(*f.link, "Warming up, once more.") : ttsd::Result<BargeInSample>(std::unexpected(a.error()));
    if (!b) {
      std::fprintf(stderr, "stream-text-bench: %s: %s\n", f.name.c_str(), b.error().ToString().c_str());
      return 1;
    }
  }
  std::map<std::string, std::vector<ClauseSample>> clauses;
  std::map<std::string, std::vector<BargeInSample>> barge_ins;
  const auto& texts = ttsd::bench::ShortSentences();
  const int total = repeat * static_cast<int>(texts.size() * front_ends.size() * 2);
  int done = 0;
  size_t turn = 0;
  auto fail = [](const FrontEnd& f, const ttsd::Error& e) {
    std::fprintf(stderr, "\nstream-text-bench: %s: %s\n", f.name.c_str(), e.ToString().c_str());
    return 1;
  };
  for (int r = 0; r < repeat; ++r) {
    for (const auto& text : texts) {
      // Each front end goes first in turn, so that none always follows another.
      for (size_t k = 0; k < front_ends.size(); ++k) {
        const auto& f = front_ends[(k + turn) % front_ends.size()];
        auto s = FirstClause(*f.link, text);
        if (!s) return fail(f, s.error());
        clauses[f.name].push_back(*s);
        std::fprintf(stderr, "\r[%d/%d]", ++done, total);
      }
      for (size_t k = 0; k < front_ends.size(); ++k) {
        const auto& f = front_ends[(k + turn) % front_ends.size()];
        auto s = BargeIn(*f.link, text);
        if (!s) return fail(f, s.error());
        barge_ins[f.name].push_back(*s);
        std::fprintf(stderr, "\r[%d/%d]", ++done, total);
      }
      ++turn;
    }
  }
  std::fprintf(stderr, "\n");
  if (daemon) daemon->Stop();

  using ttsd::bench::Quantile;
  json out = {{"voice", voice.empty() ? "(default)" : voice}, {"daemon_args", daemon_args},
              {"texts", "10 words"}, {"elevenlabs_output_format", output_format},
              {"barge_in_copies", kBargeInCopies}, {"nagle", g_nagle}};
  // Paired: each run against the native run of the same text in the same pass (they ran back to back),
  // which cancels most of the drift a loaded machine adds.
  std::printf("| front end | runs | first clause TTFA p50 ms | p95 ms | minus native, paired p50 ms | paired p95 ms |\n"
              "|---|---|---|---|---|---|\n");
  const auto& reference = clauses[front_ends.front().name];
  for (const auto& f : front_ends) {
    std::vector<double> ttfa, paired;
    for (size_t i = 0; i < clauses[f.name].size(); ++i) {
      ttfa.push_back(clauses[f.name][i].ttfa_ms);
      paired.push_back(clauses[f.name][i].ttfa_ms - reference[i].ttfa_ms);
    }
    const double p50 = Quantile(ttfa, 0.5), p95 = Quantile(ttfa, 0.95);
    const double d50 = Quantile(paired, 0.5), d95 = Quantile(paired, 0.95);
    out["first_clause"][f.name] = {{"runs", ttfa.size()}, {"ttfa_ms_p50", p50}, {"ttfa_ms_p95", p95},
                                   {"minus_native_paired_ms_p50", d50}, {"minus_native_paired_ms_p95", d95}};
    std::printf("| %s | %zu | %.2f | %.2f | %+.2f | %+.2f |\n", f.name.c_str(), ttfa.size(), p50, p95, d50, d95);
  }
  std::printf("\n| front end | runs | cancel to last audio p50 ms | p95 ms | cancel to end p50 ms | p95 ms | "
              "audio after cancel p50 bytes | p95 bytes | ended with its last audio |\n"
              "|---|---|---|---|---|---|---|---|---|\n");
  const double bytes_per_ms = std::max(1u, rate) * 2 / 1000.0;
  for (const auto& f : front_ends) {
    std::vector<double> last, end, bytes;
    int raced = 0;
    for (const auto& s : barge_ins[f.name]) {
      last.push_back(s.last_audio_ms);
      end.push_back(s.end_ms);
      bytes.push_back(static_cast<double>(s.bytes_after));
      raced += s.raced;
    }
    const double b50 = Quantile(bytes, 0.5), b95 = Quantile(bytes, 0.95);
    out["barge_in"][f.name] = {{"runs", last.size()},
                               {"last_audio_ms_p50", Quantile(last, 0.5)},
                               {"last_audio_ms_p95", Quantile(last, 0.95)},
                               {"end_ms_p50", Quantile(end, 0.5)},
                               {"end_ms_p95", Quantile(end, 0.95)},
                               {"bytes_after_p50", b50},
                               {"bytes_after_p95", b95},
                               {"audio_ms_after_p50", b50 / bytes_per_ms},
                               {"audio_ms_after_p95", b95 / bytes_per_ms},
                               {"ended_with_last_audio", raced}};
    std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f | %.0f (%.0f ms) | %.0f (%.0f ms) | %d |\n", f.name.c_str(),
                last.size(), Quantile(last, 0.5), Quantile(last, 0.95), Quantile(end, 0.5), Quantile(end, 0.95), b50,
                b50 / bytes_per_ms, b95, b95 / bytes_per_ms, raced);
  }
  std::printf("%s\n", out.dump().c_str());
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return 0;
}
