// ElevenLabs' WebSocket text-to-speech API against the real ttsd (fixture voices), driven by a real
// client: the Python websockets package (pinned in install-deps.sh, in .venv/elevenlabs) running
// tests/http/elevenlabs_client.py, which sends the messages ElevenLabs' docs, Pipecat and LiveKit send.
// Single stream end to end (the PCM against the native path, the alignment against the text), other
// formats decoded, two contexts with a barge-in and a third at once, flush, the token and origin rules,
// bad messages, inactivity, and a client that stops reading.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "support/codec-check.h"
#include "support/daemon-process.h"
#include "support/http-client.h"
#include "ttsd/codec/g711.h"

namespace ttsd::testing {
namespace {

using json = nlohmann::json;

const std::string kPython = std::string(TTSD_SOURCE_DIR) + "/.venv/elevenlabs/bin/python";
const std::string kScript = std::string(TTSD_SOURCE_DIR) + "/tests/http/elevenlabs_client.py";
const std::string kPipecatPython = std::string(TTSD_SOURCE_DIR) + "/.venv/pipecat/bin/python";
const std::vector<std::string> kChunks = {"Hello there, ", "this is a test of streamed text. ",
                                          "And here is another sentence ", "that ends the stream."};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<int16_t> S16(std::string_view bytes) {
  std::vector<int16_t> out(bytes.size() / 2);
  std::memcpy(out.data(), bytes.data(), out.size() * 2);
  return out;
}

std::vector<float> Floats(const std::vector<int16_t>& s) {
  std::vector<float> out(s.size());
  for (size_t i = 0; i < s.size(); ++i) out[i] = static_cast<float>(s[i]) / 32768.0f;
  return out;
}

// The normalized correlation at the lag (within max_lag) that fits best.
double Correlation(const std::vector<float>& a, const std::vector<float>& b, long max_lag) {
  double best = -2;
  for (long lag = -max_lag; lag <= max_lag; ++lag) best = std::max(best, Ncc(a, b, lag, 2));
  return best;
}

std::string Joined(const json& chars) {
  std::string out;
  for (const json& c : chars) out += c.get<std::string>();
  return out;
}

class ElevenLabsWs : public ::testing::Test {
 protected:
  // One daemon for the suite; TokenAndOriginRules starts another, with a token.
  static void SetUpTestSuite() {
    daemon_ = new DaemonProcess({"--http", "127.0.0.1:0"});
    port_ = HttpPort(*daemon_);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(access(kPython.c_str(), X_OK), 0) << kPython << " is missing: ./install-deps.sh --test makes it";
    ASSERT_GT(port_, 0);
  }
  // Runs one scenario of elevenlabs_client.py; its JSON report.
  json Run(const std::string& scenario, std::vector<std::string> extra = {}, int port = 0) {
    std::vector<std::string> argv = {kPython, kScript, scenario, "--port", std::to_string(port ? port : port_),
                                     "--out", out_.path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto run = RunCommand(argv);
    EXPECT_TRUE(run && run->exit_code == 0) << (run ? run->out : run.error().ToString());
    if (!run || run->exit_code != 0) return json::object();
    return json::parse(run->out);
  }
  // The native path: the same text through POST /v1/audio/speech as 16-bit PCM.
  std::vector<int16_t> Native(const std::string& text, int rate = 0, const std::string& voice = "fixture-stream") {
    json body = {{"input", text}, {"voice", voice}, {"response_format", "pcm"}};
    if (rate) body["sample_rate"] = rate;
    auto r = HttpRequest(port_, "POST", "/v1/audio/speech", body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return S16(r.body);
  }
  static std::string AllText() {
    std::string text = " ";
    for (const auto& c : kChunks) text += c;
    return text;
  }
  std::vector<std::string> SingleArgs(const std::string& format) {
    std::vector<std::string> a = {"--format", format, "--text"};
    a.insert(a.end(), kChunks.begin(), kChunks.end());
    return a;
  }

  static DaemonProcess* daemon_;
  static int port_;
  TempDir out_;
};

DaemonProcess* ElevenLabsWs::daemon_ = nullptr;
int ElevenLabsWs::port_ = -1;

// stream-input as ElevenLabs' docs script it: audio, then {"audio": null, "isFinal": true}, close 1000;
// the PCM is the native path's; the alignment covers the text's characters once, in order, with times
// that increase and stay inside the audio, each message's ending where its audio ends.
TEST_F(ElevenLabsWs, SingleStreamEndToEnd) {
  const json r = Run("single", SingleArgs("pcm_16000"));
  ASSERT_EQ(r["close_code"], 1000) << r.dump();
  const json& messages = r["messages"];
  ASSERT_GE(messages.size(), 3u);
  const json& last = messages.back();
  EXPECT_EQ(last["isFinal"], true);
  EXPECT_TRUE(last["audio_bytes"].is_null()) << last;

  const std::vector<int16_t> ws = S16(ReadFile(out_.path() + "/single.bin"));
  const std::vector<int16_t> native = Native(AllText());
  ASSERT_GT(native.size(), 16000u);
  ASSERT_EQ(ws.size(), native.size()) << "the audio differs in length from the native request's";
  int worst = 0;
  for (size_t i = 0; i < ws.size(); ++i) worst = std::max(worst, std::abs(ws[i] - native[i]));
  EXPECT_LE(worst, 1) << "16-bit rounding apart, the samples are the native ones";

  // Pipecat's clock: each message's alignment starts at 0 and its last end is added to the clock.
  std::string chars;
  double clock_ms = 0, audio_ms = 0, last_abs = -1;
  for (size_t i = 0; i + 1 < messages.size(); ++i) {
    const json& m = messages[i];
    ASSERT_EQ(m["keys"], json({"alignment", "audio", "isFinal", "normalizedAlignment"})) << m;
    EXPECT_TRUE(m["isFinal"].is_null());
    audio_ms += m["audio_bytes"].get<double>() / 32.0;
    if (m["alignment"].is_null()) continue;
    EXPECT_EQ(m["alignment"], m["normalizedAlignment"]);
    const json& a = m["alignment"];
    const size_t n = a["chars"].size();
    ASSERT_GT(n, 0u);
    ASSERT_EQ(a["charStartTimesMs"].size(), n);
    ASSERT_EQ(a["charDurationsMs"].size(), n);
    for (size_t k = 0; k < n; ++k) {
      const double start = a["charStartTimesMs"][k].get<double>(), dur = a["charDurationsMs"][k].get<double>();
      EXPECT_GE(start, 0);
      EXPECT_GE(dur, 0);
      EXPECT_GE(clock_ms + start, last_abs) << "a character starts before the one before it";
      last_abs = clock_ms + start;
    }
    clock_ms += a["charStartTimesMs"][n - 1].get<double>() + a["charDurationsMs"][n - 1].get<double>();
    EXPECT_LE(clock_ms, audio_ms + 2) << "alignment ahead of the audio sent";
    chars += Joined(a["chars"]);
  }
  EXPECT_EQ(chars, AllText());
  EXPECT_NEAR(audio_ms, native.size() / 16.0, 1);
  // The alignments add up to the audio up to the last character's message; the pause after the last word
  // has no character to carry it.
  EXPECT_LE(clock_ms, audio_ms + 1);
  EXPECT_GT(clock_ms, audio_ms - 500) << "the messages' alignments do not add up to the audio";
}

// Other output formats: mp3 decodes (ffmpeg) to the same speech, mu-law and A-law are G.711 of the
// native path at 8 kHz.
TEST_F(ElevenLabsWs, Mp3AndG711DecodeToTheSameSpeech) {
  const std::vector<float> native = Floats(Native(AllText()));
  json r = Run("single", SingleArgs("mp3_44100_128"));
  ASSERT_EQ(r["close_code"], 1000) << r.dump();
  const std::string mp3 = ReadFile(out_.path() + "/single.bin");
  const std::vector<float> decoded = DecodeWithFfmpeg(std::vector<uint8_t>(mp3.begin(), mp3.end()), "mp3", 16000);
  ASSERT_FALSE(decoded.empty()) << "ffmpeg could not decode the mp3";
  EXPECT_NEAR(static_cast<double>(decoded.size()), static_cast<double>(native.size()), 0.2 * 16000);
  EXPECT_GE(Correlation(native, decoded, 2000), 0.95);

  const std::vector<int16_t> low = Native(AllText(), 8000);
  for (const char* format : {"ulaw_8000", "alaw_8000"}) {
    r = Run("single", SingleArgs(format));
    ASSERT_EQ(r["close_code"], 1000) << r.dump();
    const std::string bytes = ReadFile(out_.path() + "/single.bin");
    ASSERT_EQ(bytes.size(), low.size()) << format << ": one byte per 8 kHz sample";
    std::vector<float> g711(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) {
      const auto code = static_cast<uint8_t>(bytes[i]);
      g711[i] = (format[0] == 'u' ? codec::MulawToLinear(code) : codec::AlawToLinear(code)) / 32768.0f;
    }
    EXPECT_GE(Ncc(Floats(low), g711, 0), 0.99) << format;
  }
}

// Two contexts on one socket: the first is closed mid-speech (barge-in): its audio stops, isFinal comes
// at once; the second finishes (flush, close_context) with all its audio; a third starts at once.
TEST_F(ElevenLabsWs, MultiContextBargeIn) {
  const json r = Run("multi");
  ASSERT_EQ(r["close_code"], 1000) << r.dump();
  const json& messages = r["messages"];
  int c1_audio = 0, c1_after_close = 0, finals_c1 = 0;
  bool c1_final = false;
  double c3_first = -1, c2_final = -1;
  for (const json& m : messages) {
    ASSERT_FALSE(m.contains("error")) << m;
    ASSERT_TRUE(m["contextId"].is_string()) << m;
    const std::string ctx = m["contextId"];
    const bool audio = m.contains("audio_bytes") && m["audio_bytes"].is_number() && m["audio_bytes"] > 0;
    if (ctx == "c1" && audio) {
      EXPECT_FALSE(c1_final) << "audio of c1 after its isFinal";
      if (++c1_audio > 3) ++c1_after_close;
    }
    if (ctx == "c1" && m["isFinal"] == true) c1_final = true, ++finals_c1;
    if (ctx == "c3" && audio && c3_first < 0) c3_first = m["t"].get<double>();
    if (ctx == "c2" && m["isFinal"] == true) c2_final = m["t"].get<double>();
  }
  std::printf("[ BARGE-IN ] c1: %d audio messages after close_context was sent; c3's first audio %.1f ms after it was sent\n",
              c1_after_close, (c3_first - r["third_sent_at"].get<double>()) * 1000);
  EXPECT_EQ(finals_c1, 1) << "one isFinal for c1 (its second close_context is tolerated silently)";
  // Generation stops at the next chunk boundary; what still arrives was already encoded and on its
  // way (the link's and the two sockets' buffers) when close_context got there: a few messages at
  // most, even on a loaded machine (3 seen under CI's load).
  EXPECT_LE(c1_after_close, 5) << "c1's audio went on after close_context";
  ASSERT_GT(c3_first, 0) << "the third context spoke";
  EXPECT_LT(c3_first - r["third_sent_at"].get<double>(), 2.0);
  ASSERT_GT(c2_final, 0) << "the second context finished";
  // The second context's audio is all there: the native path's for its text.
  const std::vector<int16_t> c2 = S16(ReadFile(out_.path() + "/multi-c2.bin"));
  const std::vector<int16_t> native =
      Native(" The second context says something else entirely. It ends after two sentences. ");
  EXPECT_NEAR(static_cast<double>(c2.size()), static_cast<double>(native.size()), 0.02 * native.size());
  std::string long_text = " ";
  for (int i = 0; i < 6; ++i) long_text += "This is the first context, and it goes on for a good while. ";
  const std::vector<int16_t> c1 = S16(ReadFile(out_.path() + "/multi-c1.bin"));
  EXPECT_LT(c1.size(), Native(long_text).size() / 2) << "c1 was not cut";
}

// An unfinished sentence waits for more text; flush speaks it now and keeps the context open;
// close_context (after the flush) ends it with isFinal once its audio is out.
TEST_F(ElevenLabsWs, FlushSpeaksAnUnfinishedSentence) {
  const json r = Run("flush");
  ASSERT_EQ(r["close_code"], 1000) << r.dump();
  const double flushed = r["flushed_at"], closed = r["closed_at"];
  std::string chars;
  int audio_after_flush = 0;
  bool final = false;
  for (const json& m : r["messages"]) {
    ASSERT_FALSE(m.contains("error")) << m;
    if (m["isFinal"] == true) {
      EXPECT_GT(m["t"].get<double>(), closed) << "isFinal before close_context";
      final = true;
    }
    if (m.contains("audio_bytes") && m["audio_bytes"].is_number() && m["audio_bytes"] > 0) {
      EXPECT_GT(m["t"].get<double>(), flushed) << "audio of an unfinished sentence before the flush";
      ++audio_after_flush;
    }
    if (m.contains("alignment") && !m["alignment"].is_null()) chars += Joined(m["alignment"]["chars"]);
  }
  EXPECT_GT(audio_after_flush, 2);
  EXPECT_TRUE(final);
  EXPECT_EQ(chars, " Hello there, this sentence is not finished and");
}

// With http-token set: the key as xi-api-key, Bearer, the query or the first message; none or a wrong
// one refused (401 at the handshake, or invalid_api_key and 1008 after it); another web page refused.
TEST_F(ElevenLabsWs, TokenAndOriginRules) {
  DaemonProcess guarded({"--http", "127.0.0.1:0", "--http-token", "s3cret"});
  const int port = HttpPort(guarded);
  ASSERT_GT(port, 0);
  const json r = Run("access", {}, port);
  auto spoke = [](const json& a) {
    if (a["status"] != 101 || a["close_code"] != 1000) return false;
    return !a["messages"].empty() && a["messages"].back()["isFinal"] == true &&
           a["messages"][0]["audio_bytes"].is_number();
  };
  for (const char* ok : {"key_in_message", "xi_api_key_header", "bearer_header", "query_key"}) {
    EXPECT_TRUE(spoke(r[ok])) << ok << ": " << r[ok].dump().substr(0, 400);
  }
  for (const char* refused : {"no_key", "wrong_key_in_message"}) {
    const json& a = r[refused];
    EXPECT_EQ(a["status"], 101) << refused;
    EXPECT_EQ(a["close_code"], 1008) << refused;
    ASSERT_EQ(a["messages"].size(), 1u) << refused << ": " << a.dump();
    EXPECT_EQ(a["messages"][0]["error"], "invalid_api_key") << refused;
  }
  EXPECT_EQ(r["wrong_header"]["status"], 401) << r["wrong_header"].dump();
  EXPECT_EQ(r["foreign_origin"]["status"], 403) << r["foreign_origin"].dump();
  // Without Upgrade: the HTTP API says what this is.
  EXPECT_EQ(HttpRequest(port, "GET", "/v1/text-to-speech/fixture-ar/stream-input", "", {"xi-api-key: s3cret"}).status,
            426);
}

// Bad messages and queries: {"message", "error", "code": 1008} then close 1008; the keep-alives and
// flush forms Pipecat and LiveKit send close nothing; text past the daemon's limit is text_too_long.
TEST_F(ElevenLabsWs, BadMessagesGetElevenLabsErrors) {
  const json r = Run("errors");
  struct Want {
    const char* name;
    const char* error;
  };
  for (const Want& w : {Want{"not_json", "invalid_input_message"}, Want{"wrong_type", "invalid_input_message"},
                        Want{"not_an_object", "invalid_input_message"}, Want{"bad_format", "invalid_output_format"},
                        Want{"bad_timeout", "invalid_request"}, Want{"six_contexts", "max_active_conversations"},
                        Want{"flood", "text_too_long"}}) {
    const json& a = r[w.name];
    EXPECT_EQ(a["status"], 101) << w.name;
    EXPECT_EQ(a["close_code"], 1008) << w.name << ": " << a.dump().substr(0, 300);
    ASSERT_FALSE(a["messages"].empty()) << w.name;
    const json& e = a["messages"].back();
    EXPECT_EQ(e["keys"], json({"code", "error", "message"})) << w.name << ": " << e;
    EXPECT_EQ(e["error"], w.error) << w.name;
    EXPECT_EQ(e["code"], 1008) << w.name;
    EXPECT_EQ(a["reason"], e["message"].get<std::string>().substr(0, a["reason"].get<std::string>().size())) << w.name;
  }
  EXPECT_EQ(r["six_contexts"]["messages"].back()["message"],
            "Maximum simultaneous contexts per WebSocket connection exceeded (5). Please close an existing context "
            "before opening a new one.");
  const json& k = r["keepalives"];
  EXPECT_EQ(k["close_code"], 1000) << k.dump();
  for (const json& m : k["messages"]) EXPECT_FALSE(m.contains("error")) << m;
}

// inactivity_timeout=1: stream-input closes with input_timeout_exceeded after a second; on
// multi-stream-input the silent context times out alone (its error names it, then isFinal) while
// the socket's keep-alives keep it open, and the socket closes a second after they stop.
TEST_F(ElevenLabsWs, InactivityTimeout) {
  const json r = Run("timeout");
  const json& single = r["single"];
  EXPECT_EQ(single["close_code"], 1008) << single.dump();
  ASSERT_EQ(single["messages"].size(), 1u);
  EXPECT_EQ(single["messages"][0]["error"], "input_timeout_exceeded");
  EXPECT_NE(single["messages"][0]["message"].get<std::string>().find("timeout of 1 seconds"), std::string::npos);
  EXPECT_GE(single["elapsed"].get<double>(), 0.9);
  EXPECT_LT(single["elapsed"].get<double>(), 3.0);

  const json& multi = r["multi"];
  const json& messages = multi["messages"];
  ASSERT_EQ(messages.size(), 3u) << multi.dump();
  EXPECT_EQ(messages[0]["error"], "input_timeout_exceeded");
  EXPECT_EQ(messages[0]["contextId"], "idle");
  EXPECT_EQ(messages[1]["isFinal"], true);
  EXPECT_EQ(messages[1]["contextId"], "idle");
  EXPECT_EQ(messages[2]["error"], "input_timeout_exceeded");
  EXPECT_FALSE(messages[2].contains("contextId"));
  EXPECT_GE(multi["alive_after"].get<double>(), 2.5) << "the socket closed while it was kept alive";
  EXPECT_EQ(multi["close_code"], 1008);
}

// A client that stops reading: ttsd stops generating for it (the link pauses, as the HTTP API's), so
// its memory does not grow by the minutes of audio it was asked for.
TEST_F(ElevenLabsWs, AClientThatStopsReadingIsThrottled) {
  const json r = Run("deaf", {"--pid", std::to_string(daemon_->pid())});
  const long growth_kb = r["rss_peak_kb"].get<long>() - r["rss_before_kb"].get<long>();
  std::printf("[ DEAF ] ttsd grew by %ld KiB while the client read nothing of ~%d s of speech\n", growth_kb,
              r["text_bytes"].get<int>() / 15);
  EXPECT_LT(growth_kb, 12 * 1024);
  EXPECT_GT(r["read_after"].get<int>(), 0) << "the audio came once it read again";
}

// Pipecat's own ElevenLabsTTSService (pipecat-ai 1.14, .venv/pipecat) with url="ws://127.0.0.1:PORT",
// in a pipeline at 24 kHz: two turns, each its own context, its audio the native path's at that rate,
// its words timed in order from ttsd's alignment.
TEST_F(ElevenLabsWs, PipecatSpeaksThroughTtsd) {
  if (access(kPipecatPython.c_str(), X_OK) != 0) {
    GTEST_SKIP() << kPipecatPython << " is missing: ./install-deps.sh --test makes it";
  }
  const std::string first = "Hello there. This is Pipecat speaking through ttsd.";
  const std::string second = "A second turn, with its own context.";
  auto run = RunCommand({kPipecatPython, std::string(TTSD_SOURCE_DIR) + "/tests/http/pipecat_client.py", "--port",
                         std::to_string(port_), "--rate", "24000", "--out", out_.path(), "--text", first, second});
  ASSERT_TRUE(run && run->exit_code == 0) << (run ? run->out : run.error().ToString());
  const json r = json::parse(run->out.substr(run->out.rfind("{\"frames\"")));
  EXPECT_TRUE(r["errors"].empty()) << r["errors"];
  EXPECT_EQ(r["started"], 2);
  EXPECT_EQ(r["stopped"], 2) << "isFinal ended each turn";
  ASSERT_EQ(r["turns"].size(), 2u);
  const json& turn = r["turns"][0];
  EXPECT_EQ(turn["rates"], json({24000}));
  const double native = static_cast<double>(Native(" " + first, 24000).size() * 2);
  EXPECT_NEAR(turn["audio_bytes"].get<double>(), native, 0.02 * native);
  std::vector<std::string> words;
  double last = -1;
  for (const json& w : turn["words"]) {
    words.push_back(w[0]);
    ASSERT_TRUE(w[1].is_number()) << w;
    EXPECT_GE(w[1].get<double>(), last) << "word times go back";
    last = w[1].get<double>();
  }
  EXPECT_EQ(words, (std::vector<std::string>{"Hello", "there.", "This", "is", "Pipecat", "speaking", "through", "ttsd."}));
  const double span = turn["words"].back()[1].get<double>() - turn["words"][0][1].get<double>();
  EXPECT_GT(span, 1.0);
  EXPECT_LT(span, turn["audio_bytes"].get<double>() / 48000.0) << "words timed past the audio";
  EXPECT_GT(r["turns"][1]["audio_bytes"].get<int>(), 24000);
}

}  // namespace
}  // namespace ttsd::testing
