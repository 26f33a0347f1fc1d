// Real clients against the real ttsd (fixture voices): OpenAI's official Python client (PyPI openai,
// pinned in install-deps.sh, in .venv/openai) asks for every response format, plain and streamed, and
// ffmpeg decodes each to the same speech as the PCM path; curl reads the server-sent events; the
// voices list Open WebUI reads; sample rate, volume and instructions.
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include <gtest/gtest.h>

#include "support/audio-files.h"
#include "support/codec-check.h"
#include "support/daemon-process.h"
#include "support/http-client.h"

namespace ttsd::testing {
namespace {

using json = nlohmann::json;

const std::string kText = "The quick brown fox jumps over the lazy dog. Then it rests in the shade for a while.";
const std::string kOpenAiPython = std::string(TTSD_SOURCE_DIR) + "/.venv/openai/bin/python";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<float> FromS16(std::string_view bytes) {
  std::vector<float> out(bytes.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int16_t v;
    std::memcpy(&v, bytes.data() + 2 * i, 2);
    out[i] = static_cast<float>(v) / 32768.0f;
  }
  return out;
}

std::vector<uint8_t> Bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// ffmpeg's decoding of a file in format (its demuxer's name), mono float at rate.
std::vector<float> Decode(const std::string& path, const char* format, int rate) {
  return DecodeWithFfmpeg(Bytes(ReadFile(path)), format, static_cast<uint32_t>(rate));
}

// The normalized correlation of b against a at the lag (a codec's delay, within max_lag) that fits best
// over one second from a's middle, every lag tried (the fixture voices are noise-like: a coarse search
// would miss the peak).
double Correlation(const std::vector<float>& a, const std::vector<float>& b, long max_lag, long* lag_out = nullptr) {
  const size_t from = a.size() / 2 > 8000 ? a.size() / 2 - 8000 : 0;
  const std::vector<float> window(a.begin() + static_cast<long>(from),
                                  a.begin() + static_cast<long>(std::min(a.size(), from + 16000)));
  long best_lag = 0;
  double best = -2;
  for (long lag = -max_lag; lag <= max_lag; ++lag) {
    const long shifted = static_cast<long>(from) + lag;  // window[i] against b[from + lag + i]
    if (const double c = Ncc(window, b, shifted); c > best) best = c, best_lag = lag;
  }
  if (lag_out) *lag_out = best_lag;
  return Ncc(a, b, best_lag);
}

double Peak(const std::vector<float>& s) {
  float peak = 0;
  for (float x : s) peak = std::max(peak, std::abs(x));
  return peak;
}

class OpenAiClients : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void Start() {
    daemon_.reset();
    daemon_ = std::make_unique<DaemonProcess>(
        std::vector<std::string>{"--http", "127.0.0.1:0", "--voice-store", store_.path() + "/store"});
    port_ = HttpPort(*daemon_);
    ASSERT_GT(port_, 0);
  }
  // curl -F, as a user uploads: returns the status and fills *body.
  int Upload(const std::vector<std::string>& fields, std::string* body) {
    std::vector<std::string> argv = {"curl", "-sS", "-o", store_.path() + "/answer", "-w", "%{http_code}"};
    for (const auto& f : fields) argv.insert(argv.end(), {"-F", f});
    argv.push_back(Url("/v1/voices"));
    auto run = RunCommand(argv);
    EXPECT_TRUE(run && run->exit_code == 0) << "curl failed";
    *body = ReadFile(store_.path() + "/answer");
    return run ? std::atoi(run->out.c_str()) : 0;
  }
  TempDir store_;
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  HttpResponse Post(const json& body) { return HttpRequest(port_, "POST", "/v1/audio/speech", body.dump()); }
  // The PCM path: what every format must sound like.
  std::vector<float> Pcm(const std::string& voice, const std::string& text, int* rate) {
    auto r = Post({{"input", text}, {"voice", voice}, {"response_format", "pcm"}});
    EXPECT_EQ(r.status, 200) << r.body;
    *rate = std::atoi(r.header("x-sample-rate").c_str());
    return FromS16(r.body);
  }
  std::unique_ptr<DaemonProcess> daemon_;
  int port_ = -1;
};

TEST_F(OpenAiClients, TheOfficialClientGetsEveryFormatPlainAndStreamed) {
  ASSERT_EQ(access(kOpenAiPython.c_str(), X_OK), 0) << kOpenAiPython << " is missing: ./install-deps.sh --test makes it";
  const std::string out = daemon_->dir() + "/openai";
  ASSERT_EQ(mkdir(out.c_str(), 0700), 0);
  auto run = RunCommand({kOpenAiPython, std::string(TTSD_SOURCE_DIR) + "/tests/http/openai_client.py", "--base-url",
                         Url("/v1"), "--out", out, "--voice", "fixture-stream", "--text", kText});
  ASSERT_TRUE(run && run->exit_code == 0) << (run ? run->out : run.error().ToString());
  const json report = json::parse(ReadFile(out + "/report.json"));

  int rate = 0;
  const std::vector<float> pcm = Pcm("fixture-stream", kText, &rate);
  ASSERT_EQ(rate, 16000);
  ASSERT_GT(pcm.size(), 16000u);
  EXPECT_EQ(FromS16(ReadFile(out + "/pcm.bin")), pcm);  // the client's plain request, byte for byte
  EXPECT_EQ(FromS16(ReadFile(out + "/pcm-stream.bin")), pcm);  // and streamed
  EXPECT_GT(report["formats"]["pcm"]["chunks"].get<int>(), 1);

  // name, content type, the least correlation with the PCM path (lossless formats all but exact)
  struct Want {
    std::string format, content_type;
    const char* demuxer;
    double min_correlation;
  };
  for (const Want& w : {Want{"mp3", "audio/mpeg", "mp3", 0.95}, Want{"opus", "audio/ogg", "ogg", 0.9},
                        Want{"aac", "audio/aac", "aac", 0.95}, Want{"flac", "audio/flac", "flac", 0.9999},
                        Want{"wav", "audio/wav", "wav", 0.9999}}) {
    const json& f = report["formats"][w.format];
    EXPECT_EQ(f["content_type"], w.content_type) << w.format;
    EXPECT_GT(f["chunks"].get<int>(), 1) << w.format << ": one piece, not streamed";
    for (const std::string& file : {out + "/" + w.format + ".bin", out + "/" + w.format + "-stream.bin"}) {
      const std::vector<float> decoded = Decode(file, w.demuxer, rate);
      ASSERT_FALSE(decoded.empty()) << "ffmpeg could not decode " << file;
      // Lengths agree up to the codec's delay and padding (LAME: 1105 samples ahead, up to 2 frames behind).
      EXPECT_NEAR(static_cast<double>(decoded.size()), static_cast<double>(pcm.size()), 0.2 * rate) << file;
      long lag = 0;
      const double c = Correlation(pcm, decoded, rate / 8, &lag);
      EXPECT_GE(c, w.min_correlation) << file << " (lag " << lag << ")";
    }
  }
  // No response_format: mp3, as OpenAI answers; "alloy" is the default voice.
  const std::vector<float> by_default = Decode(out + "/default.bin", "mp3", rate);
  ASSERT_FALSE(by_default.empty()) << "the default answer is not mp3";
  EXPECT_GE(Correlation(Pcm("", kText, &rate), by_default, rate / 8), 0.95);

  // The voice list, as Open WebUI reads it: {"voices": [{"id", "name"}]}.
  std::set<std::string> ids;
  for (const json& v : report["voices"]["voices"]) {
    ASSERT_TRUE(v["id"].is_string() && v["name"].is_string()) << v;
    ids.insert(v["id"].get<std::string>());
  }
  for (const char* id : {"default", "fixture-stream", "fixture-ar", "fixture-ar:beta"}) EXPECT_TRUE(ids.count(id)) << id;
}

TEST_F(OpenAiClients, CurlReadsTheServerSentEvents) {
  const json body = {{"input", kText}, {"voice", "fixture-stream"}, {"response_format", "pcm"}, {"stream_format", "sse"}};
  auto curl = RunCommand({"curl", "-sS", "-N", "-D", daemon_->dir() + "/headers", "-H", "Content-Type: application/json",
                          "-d", body.dump(), Url("/v1/audio/speech")});
  ASSERT_TRUE(curl && curl->exit_code == 0) << "curl failed";
  const std::string& events = curl->out;
  EXPECT_NE(ReadFile(daemon_->dir() + "/headers").find("text/event-stream"), std::string::npos);
  // data: {"type":"speech.audio.delta","audio":BASE64} ... data: {"type":"speech.audio.done","usage":{...}}
  std::string audio, b64;
  int deltas = 0;
  json done;
  size_t at = 0;
  while ((at = events.find("data: ", at)) != std::string::npos) {
    const size_t end = events.find("\n\n", at);
    ASSERT_NE(end, std::string::npos) << "an event without its blank line";
    const json e = json::parse(events.substr(at + 6, end - at - 6));
    at = end + 2;
    ASSERT_TRUE(done.is_null()) << "an event after speech.audio.done";
    if (e["type"] == "speech.audio.delta") {
      ++deltas;
      b64 = e["audio"].get<std::string>();
      const std::string path = daemon_->dir() + "/delta.b64";
      { std::ofstream(path) << b64; }
      auto decoded = RunCommand({"base64", "-d", path});
      ASSERT_TRUE(decoded && decoded->exit_code == 0) << "not base64: " << b64.substr(0, 40);
      audio += decoded->out;
    } else {
      ASSERT_EQ(e["type"], "speech.audio.done") << e;
      done = e;
    }
  }
  EXPECT_GT(deltas, 1);
  ASSERT_FALSE(done.is_null()) << "no speech.audio.done";
  EXPECT_EQ(done["usage"]["input_tokens"], kText.size());  // ASCII: characters are bytes
  int rate = 0;
  EXPECT_EQ(FromS16(audio), Pcm("fixture-stream", kText, &rate));  // the same bytes as the audio stream
}

TEST_F(OpenAiClients, SampleRateAndVolume) {
  int rate = 0;
  const std::vector<float> pcm = Pcm("fixture-stream", kText, &rate);
  auto r = Post({{"input", kText}, {"voice", "fixture-stream"}, {"response_format", "wav"}, {"sample_rate", 8000},
                 {"volume", 0.5}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-sample-rate"), "8000");
  const std::string path = daemon_->dir() + "/low.wav";
  { std::ofstream(path, std::ios::binary) << r.body; }
  const std::vector<float> low = Decode(path, "wav", rate);  // back to the voice's rate
  ASSERT_FALSE(low.empty());
  EXPECT_NEAR(static_cast<double>(low.size()), static_cast<double>(pcm.size()), 0.01 * rate);
  EXPECT_NEAR(Peak(low) / Peak(pcm), 0.5, 0.1);
  EXPECT_GE(Correlation(pcm, low, 100), 0.9);  // 8 kHz keeps the band below 4 kHz
  for (const json& bad : {json{{"input", "x"}, {"sample_rate", 96000}}, json{{"input", "x"}, {"volume", 9}}}) {
    auto e = Post(bad);
    EXPECT_EQ(e.status, 400) << e.body;
  }
}

TEST_F(OpenAiClients, InstructionsReachAStyleVoiceAndAreIgnoredElsewhere) {
  auto plain = Post({{"input", "Some words."}, {"voice", "fixture-style"}, {"response_format", "pcm"}});
  auto styled = Post({{"input", "Some words."}, {"voice", "fixture-style"}, {"response_format", "pcm"},
                      {"instructions", "angrily, voice trembling"}});
  ASSERT_EQ(plain.status, 200) << plain.body;
  ASSERT_EQ(styled.status, 200) << styled.body;
  EXPECT_NE(plain.body, styled.body);
  // A voice without an emotion-from-text stage speaks as if none were given.
  auto ignored = Post({{"input", "Some words."}, {"voice", "fixture-ar"}, {"response_format", "pcm"},
                       {"instructions", "angrily"}});
  ASSERT_EQ(ignored.status, 200) << ignored.body;
  EXPECT_EQ(ignored.body, Post({{"input", "Some words."}, {"voice", "fixture-ar"}, {"response_format", "pcm"}}).body);
}

// The bodies popular front ends send, field for field (from their sources): each answered with audio
// ffmpeg decodes.
TEST_F(OpenAiClients, RequestsShapedAsPopularClientsSendThem) {
  struct Client {
    std::string name;
    json body;
    std::string content_type;
  };
  const std::string text = "Hello from a chat front end.";
  for (const Client& c : {
           // SillyTavern's "OpenAI Compatible" provider (public/scripts/extensions/tts/openai-compatible.js,
           // forwarded by its server): mp3 hard-coded, its voice list defaults to OpenAI's names.
           Client{"SillyTavern", {{"model", "tts-1"}, {"input", text}, {"voice", "alloy"}, {"response_format", "mp3"},
                                  {"speed", 1}}, "audio/mpeg"},
           // Open WebUI (backend/open_webui/routers/audio.py): the page's body with "model" set, no format.
           Client{"Open WebUI", {{"input", text}, {"voice", "fixture-stream"}, {"model", "tts-1"}}, "audio/mpeg"},
           // Home Assistant's OpenAI TTS integration (sfortis/openai_tts, openaitts_engine.py).
           Client{"Home Assistant", {{"model", "tts-1"}, {"input", text}, {"voice", "nova"}, {"response_format", "wav"},
                                     {"speed", 1.0}}, "audio/wav"},
           // gpt-4o-mini-tts style, with instructions (ignored by a voice that cannot read them).
           Client{"gpt-4o-mini-tts", {{"model", "gpt-4o-mini-tts"}, {"input", text}, {"voice", "coral"},
                                      {"instructions", "Speak in a cheerful and positive tone."}}, "audio/mpeg"}}) {
    auto r = Post(c.body);
    ASSERT_EQ(r.status, 200) << c.name << ": " << r.body;
    EXPECT_EQ(r.header("content-type"), c.content_type) << c.name;
    const std::string path = daemon_->dir() + "/client.bin";
    { std::ofstream(path, std::ios::binary) << r.body; }
    EXPECT_GT(Peak(Decode(path, c.content_type == "audio/wav" ? "wav" : "mp3", 16000)), 0.01)
        << c.name << ": ffmpeg heard nothing";
  }
}

// A voice uploaded over HTTP (multipart, as curl -F and the control page send it) speaks, survives a
// restart and goes with DELETE; bad uploads get the reference errors and leave the store as it was.
TEST_F(OpenAiClients, AVoiceUploadedOverHttpSpeaksAndSurvivesARestart) {
  const std::string low = store_.path() + "/low.wav", notes = store_.path() + "/notes.txt";
  WriteFile(low, AudioFileBytes(SpeechLike(4.0, 44100, 110), 44100, 2));
  WriteFile(store_.path() + "/high.wav", AudioFileBytes(SpeechLike(3.0, 44100, 220, 5), 44100, 2));
  WriteFile(notes, BytesOf("Remember to buy milk.\n"));
  std::string body;
  ASSERT_EQ(Upload({"name=anna", "voice=fixture-style", "file=@" + low, "file=@" + store_.path() + "/high.wav"}, &body),
            201)
      << body;
  const json saved = json::parse(body);
  EXPECT_EQ(saved["name"], "anna");
  EXPECT_EQ(saved["voice"], "fixture-style");
  EXPECT_EQ(saved["references"], 2);
  EXPECT_NEAR(saved["seconds"].get<double>(), 7.0, 0.1);

  const json speak = {{"input", "Hello from an uploaded voice."}, {"voice", "anna"}, {"response_format", "pcm"}};
  auto first = Post(speak);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body, Post({{"input", "Hello from an uploaded voice."}, {"voice", "fixture-style"},
                              {"response_format", "pcm"}}).body);
  // Refusals, each leaving the store as it was.
  struct Bad {
    std::vector<std::string> fields;
    int status;
    std::string code;
  };
  for (const Bad& b : {Bad{{"name=anna", "voice=fixture-style", "file=@" + low}, 409, "voice_exists"},
                       Bad{{"name=bea", "voice=fixture-style", "file=@" + notes}, 400, "bad_audio"},
                       Bad{{"voice=fixture-style", "file=@" + low}, 400, "invalid_value"},
                       Bad{{"name=../evil", "file=@" + low}, 400, "invalid_value"},
                       Bad{{"name=bea", "voice=fixture-style"}, 400, "invalid_value"},
                       Bad{{"name=bea", "voice=fixture-ar", "file=@" + low}, 400, "not_supported"}}) {
    ASSERT_EQ(Upload(b.fields, &body), b.status) << body;
    EXPECT_EQ(json::parse(body)["error"]["code"], b.code) << body;
  }
  auto listed = HttpRequest(port_, "GET", "/v1/voices", "");
  std::set<std::string> names;
  const json list = json::parse(listed.body);
  for (const json& v : list["saved"]) names.insert(v["name"].get<std::string>());
  EXPECT_EQ(names, std::set<std::string>{"anna"}) << listed.body;

  Start();  // a restart: the voice is still there and speaks the same
  EXPECT_EQ(Post(speak).body, first.body);
  auto removed = HttpRequest(port_, "DELETE", "/v1/voices/anna", "");
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(json::parse(removed.body)["deleted"], true);
  EXPECT_EQ(Post(speak).status, 400);
  EXPECT_EQ(HttpRequest(port_, "DELETE", "/v1/voices/anna", "").status, 400);
  // JSON is not an upload; nor is a form from another web page.
  EXPECT_EQ(HttpRequest(port_, "POST", "/v1/voices", "{}", {"Content-Type: application/json"}).status, 415);
  EXPECT_EQ(HttpRequest(port_, "POST", "/v1/voices", "x",
                        {"Content-Type: multipart/form-data; boundary=b", "Origin: http://evil.example"})
                .status,
            403);
}

}  // namespace
}  // namespace ttsd::testing
