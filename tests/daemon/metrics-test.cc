// GET /metrics against the real ttsd: requests through the Unix socket, HTTP and Wyoming (one of them
// failing, one cancelled) counted exactly by front end, voice and outcome; first-audio histograms and
// audio seconds that match the audio the clients received; channels, voices, memory, build info; the
// token rules; and Prometheus' own checker (promtool check metrics) finding nothing to say.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "support/daemon-process.h"
#include "support/http-client.h"
#include "support/wyoming-client.h"

namespace ttsd::testing {
namespace {

using protocol::FrameType;

const std::string kToken = "metrics-token";
const std::string kAuth = "Authorization: Bearer " + kToken;

// Series (name and labels exactly as written) to value; comments skipped.
std::map<std::string, double> ParseSeries(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// The series whose names start with prefix.
std::map<std::string, double> WithPrefix(const std::map<std::string, double>& series, const std::string& prefix) {
  std::map<std::string, double> out;
  for (const auto& [k, v] : series) {
    if (k.starts_with(prefix)) out[k] = v;
  }
  return out;
}

// Runs promtool check metrics on text: its exit status, and what it printed.
std::pair<int, std::string> Promtool(const std::string& text) {
  TempDir dir;
  const std::string path = dir.path() + "/metrics.txt";
  std::ofstream(path) << text;
  std::string out;
  FILE* p = popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) out.append(buf, n);
  const int rc = pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

bool HavePromtool() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

class MetricsTest : public ::testing::Test {
 protected:
  void Start() {
    daemon_ = std::make_unique<DaemonProcess>(std::vector<std::string>{
        "--http", "127.0.0.1:0", "--http-token", kToken, "--wyoming", "tcp://127.0.0.1:0"});
    port_ = HttpPort(*daemon_);
    ASSERT_GT(port_, 0);
  }
  HttpResponse Scrape() { return HttpRequest(port_, "GET", "/metrics", "", {kAuth}); }
  // A scrape that must succeed and pass promtool.
  std::string CheckedScrape() {
    HttpResponse r = Scrape();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    auto [rc, out] = Promtool(r.body);
    EXPECT_EQ(rc, 0) << out << "\n" << r.body;
    EXPECT_EQ(out, "") << r.body;
    return r.body;
  }

  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = -1;
};

TEST_F(MetricsTest, NeedsTheTokenLikeTheApi) {
  Start();
  EXPECT_EQ(HttpRequest(port_, "GET", "/metrics").status, 401);
  EXPECT_EQ(HttpRequest(port_, "GET", "/metrics", "", {"Authorization: Bearer wrong"}).status, 401);
  EXPECT_EQ(HttpRequest(port_, "GET", "/metrics", "", {"Origin: http://evil.example", kAuth}).status, 403);
  EXPECT_EQ(HttpRequest(port_, "POST", "/metrics", "", {kAuth}).status, 405);
  EXPECT_EQ(Scrape().status, 200);
}

TEST_F(MetricsTest, CountsEveryFrontEndAndMatchesTheAudio) {
  ASSERT_TRUE(HavePromtool()) << "install promtool: ./install-deps.sh --test, or apt-get install prometheus";
  Start();
  double audio_s = 0;  // what the clients received

  // The Unix socket: one spoken, one unknown voice, one cancelled while it waits for text.
  RawClient native(daemon_->socket_path());
  ASSERT_TRUE(native.connected());
  native.Handshake();
  protocol::SynthesizeRequest spoken;
  spoken.voice = "fixture-ar";
  spoken.text = "Hello there. How are you today?";
  ASSERT_TRUE(native.Synthesize(1, spoken));
  RequestResult one = CollectRequest(native, 1);
  ASSERT_TRUE(one.last && !one.error);
  audio_s += static_cast<double>(one.samples.size()) / one.sample_rate;

  protocol::SynthesizeRequest unknown = spoken;
  unknown.voice = "no-such-voice";
  ASSERT_TRUE(native.Synthesize(2, unknown));
  RequestResult two = CollectRequest(native, 2);
  ASSERT_TRUE(two.error);
  EXPECT_EQ(two.error->code, ErrorCode::kUnknownVoice);

  protocol::SynthesizeRequest open = spoken;
  open.text = "";
  open.final = false;
  ASSERT_TRUE(native.Synthesize(3, open));
  auto accepted = native.Read();
  ASSERT_TRUE(accepted && accepted->header.type == FrameType::kAccepted);
  ASSERT_TRUE(native.Send(FrameType::kCancel, 3, {}));
  RequestResult three = CollectRequest(native, 3);
  ASSERT_TRUE(three.error);
  EXPECT_EQ(three.error->code, ErrorCode::kCancelled);
  EXPECT_TRUE(three.samples.empty());

  // HTTP: raw PCM at the voice's rate.
  HttpResponse http = HttpRequest(port_, "POST", "/v1/audio/speech",
                                  R"({"input": "Speech over HTTP.", "voice": "fixture-ar", "response_format": "pcm"})",
                                  {kAuth});
  ASSERT_EQ(http.status, 200) << http.body;
  audio_s += static_cast<double>(http.body.size() / 2) / std::stoi(http.header("x-sample-rate"));

  // Wyoming.
  WyomingClient wyoming(WyomingPort(*daemon_));
  ASSERT_TRUE(wyoming.connected());
  wyoming.Send("synthesize", {{"text", "Speech over Wyoming."}, {"voice", {{"name", "fixture-ar"}}}});
  WyAudio wy = Collect(wyoming.ReadUntil("audio-stop"));
  ASSERT_TRUE(wy.stopped && !wy.error);
  audio_s += static_cast<double>(wy.samples) / wy.rate;

  native.Send(FrameType::kListVoices, 9, {});
  auto voices_frame = native.Read();
  ASSERT_TRUE(voices_frame && voices_frame->header.type == FrameType::kVoices);
  const size_t voices = protocol::ParseVoiceList(voices_frame->payload).value().voices.size();

  const std::string text = CheckedScrape();
  const auto series = ParseSeries(text);
  // Exactly these requests, each once.
  const std::map<std::string, double> requests = {
      {R"(ttsd_requests_total{front_end="http",outcome="ok",voice="fixture-ar"})", 1},
      {R"(ttsd_requests_total{front_end="native",outcome="cancelled",voice="fixture-ar"})", 1},
      {R"(ttsd_requests_total{front_end="native",outcome="ok",voice="fixture-ar"})", 1},
      {R"(ttsd_requests_total{front_end="native",outcome="unknown_voice",voice="none"})", 1},
      {R"(ttsd_requests_total{front_end="wyoming",outcome="ok",voice="fixture-ar"})", 1},
  };
  EXPECT_EQ(WithPrefix(series, "ttsd_requests_total{"), requests) << text;
  // First audio: once per request that spoke, per front end; every observation within the buckets' range.
  for (const char* front_end : {"native", "http", "wyoming"}) {
    const std::string labels = std::string(R"({front_end=")") + front_end + R"(",voice="fixture-ar")";
    EXPECT_EQ(series.at("ttsd_time_to_first_audio_seconds_count" + labels + "}"), 1) << front_end;
    EXPECT_EQ(series.at("ttsd_time_to_first_audio_seconds_bucket" + labels + R"(,le="+Inf"})"), 1);
    EXPECT_EQ(series.at("ttsd_time_to_first_audio_seconds_bucket" + labels + R"(,le="5"})"), 1);
    EXPECT_GT(series.at("ttsd_time_to_first_audio_seconds_sum" + labels + "}"), 0);
  }
  EXPECT_EQ(WithPrefix(series, "ttsd_time_to_first_audio_seconds_count").size(), 3u);
  EXPECT_NEAR(series.at(R"(ttsd_audio_seconds_total{voice="fixture-ar"})"), audio_s, 0.001) << text;
  EXPECT_EQ(series.at(R"(ttsd_real_time_factor_count{voice="fixture-ar"})"), 3);  // the finished ones
  EXPECT_GT(series.at(R"(ttsd_real_time_factor_sum{voice="fixture-ar"})"), 0);
  EXPECT_GE(series.at("ttsd_batch_size_count"), 3);
  EXPECT_EQ(series.at("ttsd_requests_active"), 0);
  EXPECT_EQ(series.at("ttsd_requests_queued"), 0);
  EXPECT_EQ(series.at("ttsd_streams_behind"), 0);
  EXPECT_TRUE(series.contains("ttsd_stream_underruns_total"));
  EXPECT_EQ(series.at("ttsd_voices_loaded"), static_cast<double>(voices));
  const double rss = series.at("process_resident_memory_bytes");
  const double status_rss = static_cast<double>(daemon_->RssKb()) * 1024;
  EXPECT_GT(rss, 10e6);
  EXPECT_NEAR(rss, status_rss, status_rss * 0.25);
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(\nttsd_build_info\{device="cpu",libtorch="\d+\.\d+[^"]*",version="[^"]+"\} 1\n)")))
      << text;
}

TEST_F(MetricsTest, ChannelsHaveTheirListenersAndQueue) {
  ASSERT_TRUE(HavePromtool()) << "install promtool: ./install-deps.sh --test, or apt-get install prometheus";
  Start();
  RawClient listener(daemon_->socket_path());
  listener.Handshake();
  protocol::ListenRequest listen;
  listen.channel = "metrics";
  ASSERT_TRUE(listener.Send(FrameType::kListen, 1, protocol::Serialize(listen)));
  auto accepted = listener.Read();
  ASSERT_TRUE(accepted && accepted->header.type == FrameType::kAccepted);

  const std::string text = CheckedScrape();
  const auto series = ParseSeries(text);
  EXPECT_EQ(series.at(R"(ttsd_channel_listeners{channel="metrics"})"), 1) << text;
  EXPECT_EQ(series.at(R"(ttsd_channel_queued_utterances{channel="metrics"})"), 0);
  EXPECT_EQ(series.at(R"(ttsd_channel_underruns_total{channel="metrics"})"), 0);
  EXPECT_EQ(series.at("ttsd_requests_active"), 0);  // a listen is no speech request

  // Queued on the channel: a native request that ends when played.
  RawClient speaker(daemon_->socket_path());
  speaker.Handshake();
  protocol::SynthesizeRequest r;
  r.voice = "fixture-ar";
  r.text = "On the channel.";
  r.channel = "metrics";
  ASSERT_TRUE(speaker.Synthesize(1, r));
  for (;;) {
    auto f = speaker.Read();
    ASSERT_TRUE(f);
    if (f->header.type == FrameType::kDone) break;
    ASSERT_NE(f->header.type, FrameType::kError);
  }
  const auto after = ParseSeries(CheckedScrape());
  EXPECT_EQ(after.at(R"(ttsd_requests_total{front_end="native",outcome="ok",voice="fixture-ar"})"), 1);
  EXPECT_GT(after.at(R"(ttsd_audio_seconds_total{voice="fixture-ar"})"), 0.5);
  EXPECT_EQ(after.at("ttsd_requests_active"), 0);
}

// Paused channels and each channel's volume, as the HTTP API sets them (issue 21).
TEST_F(MetricsTest, ChannelsHaveTheirPauseAndVolume) {
  ASSERT_TRUE(HavePromtool()) << "install promtool: ./install-deps.sh --test, or apt-get install prometheus";
  Start();
  RawClient listener(daemon_->socket_path());
  listener.Handshake();
  protocol::ListenRequest listen;
  listen.channel = "desk";
  ASSERT_TRUE(listener.Send(FrameType::kListen, 1, protocol::Serialize(listen)));
  auto accepted = listener.Read();
  ASSERT_TRUE(accepted && accepted->header.type == FrameType::kAccepted);

  const auto before = ParseSeries(CheckedScrape());
  EXPECT_EQ(before.at(R"(ttsd_channel_paused{channel="desk"})"), 0);
  EXPECT_EQ(before.at(R"(ttsd_channel_volume{channel="desk"})"), 1);

  const std::vector<std::string> json_auth = {kAuth, "Content-Type: application/json"};
  EXPECT_EQ(HttpRequest(port_, "POST", "/v1/channels/desk/pause", "", {kAuth}).status, 200);
  EXPECT_EQ(HttpRequest(port_, "POST", "/v1/channels/desk/volume", R"({"gain": 0.5})", json_auth).status, 200);
  const std::string text = CheckedScrape();
  const auto paused = ParseSeries(text);
  EXPECT_EQ(paused.at(R"(ttsd_channel_paused{channel="desk"})"), 1) << text;
  EXPECT_EQ(paused.at(R"(ttsd_channel_volume{channel="desk"})"), 0.5) << text;
  EXPECT_NE(text.find("# TYPE ttsd_channel_paused gauge"), std::string::npos);
  EXPECT_NE(text.find("# TYPE ttsd_channel_volume gauge"), std::string::npos);

  EXPECT_EQ(HttpRequest(port_, "POST", "/v1/channels/desk/resume", "", {kAuth}).status, 200);
  const auto resumed = ParseSeries(CheckedScrape());
  EXPECT_EQ(resumed.at(R"(ttsd_channel_paused{channel="desk"})"), 0);
  EXPECT_EQ(resumed.at(R"(ttsd_channel_volume{channel="desk"})"), 0.5);
}

}  // namespace
}  // namespace ttsd::testing
