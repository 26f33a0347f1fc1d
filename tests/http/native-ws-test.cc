// ttsd's own protocol over WebSocket (GET /v1/ws) against the real ttsd, with Beast as the client:
// streamed text gives the very audio the Unix socket gives for the same pieces, marks and errors come
// as JSON and audio as whole binary frames; the mapping's own errors are typed and leave the socket
// open; a cancel stops a request at once and the next one starts; reference audio in base64 clones
// a speaker; the token and origin rules.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "support/audio-files.h"
#include "support/daemon-process.h"
#include "support/http-client.h"
#include "support/ws-client.h"

namespace ttsd::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using protocol::FrameType;

const std::vector<std::string> kChunks = {"Hello there, ", "this is a test of streamed text. ",
                                          "And here is another sentence ", "that ends the stream."};

json Hello(const std::string& token = "") {
  json h = {{"type", "hello"}, {"min_version", 1}, {"max_version", 3}, {"client", "native-ws-test"}};
  if (!token.empty()) h["token"] = token;
  return h;
}

// What one request gave over the WebSocket.
struct WsResult {
  std::vector<int16_t> samples;
  bool accepted = false, last = false, contiguous = true;
  std::optional<json> error;  // the terminal error's body
  std::vector<json> marks;
  int audio_messages = 0;
};

// Reads until request id ends; binary messages must be whole native audio frames. Messages of other
// requests go to *others (a request sent after a cancel may speak before the cancelled one's end).
WsResult Collect(WsClient& ws, uint32_t id, std::map<uint32_t, WsResult>* others = nullptr) {
  std::map<uint32_t, WsResult> local;
  auto& all = others ? *others : local;
  if (all[id].last || all[id].error) return all[id];
  for (;;) {
    auto m = ws.Read();
    if (!m) {
      ADD_FAILURE() << "the socket ended before request " << id << " did (close " << ws.close_code() << ")";
      return all[id];
    }
    if (m->binary) {
      protocol::FrameDecoder decoder(protocol::kMaxServerPayloadBytes);
      decoder.Feed(std::span(reinterpret_cast<const uint8_t*>(m->data.data()), m->data.size()));
      auto frame = decoder.Next();
      EXPECT_TRUE(frame.has_value() && frame->has_value()) << "a binary message is one whole frame";
      if (!frame || !*frame) return all[id];
      auto more = decoder.Next();
      EXPECT_TRUE(more.has_value() && !more->has_value()) << "and nothing more";
      const protocol::Frame& f = **frame;
      EXPECT_EQ(f.header.type, FrameType::kAudio);
      WsResult& r = all[f.header.request_id];
      std::span<const uint8_t> pcm;
      auto h = protocol::ParseAudioHeader(f.payload, &pcm);
      EXPECT_TRUE(h.has_value());
      if (!h) return all[id];
      if (h->sample_offset != r.samples.size()) r.contiguous = false;
      for (size_t i = 0; i + 1 < pcm.size(); i += 2) r.samples.push_back(static_cast<int16_t>(pcm[i] | pcm[i + 1] << 8));
      r.audio_messages++;
      if (f.header.flags & protocol::kFlagLast) {
        r.last = true;
        if (f.header.request_id == id) return r;
      }
      continue;
    }
    const json j = m->Json();
    EXPECT_TRUE(j.is_object()) << m->data;
    WsResult& r = all[j.value("id", 0u)];
    const std::string type = j.value("type", "");
    if (type == "accepted") r.accepted = true;
    if (type == "marks") {
      for (const json& mark : j["body"]["marks"]) r.marks.push_back(mark);
    }
    if (type == "error") {
      r.error = j["body"];
      if (j.value("id", 0u) == id) return r;
    }
  }
}

// The same pieces over the Unix socket.
std::vector<int16_t> NativeSamples(DaemonProcess& daemon, const std::vector<std::string>& pieces,
                                   const std::string& voice = "fixture-stream") {
  RawClient c(daemon.socket_path());
  c.Handshake();
  protocol::SynthesizeRequest r;
  r.voice = voice;
  r.final = false;
  c.Synthesize(1, r);
  for (size_t i = 0; i < pieces.size(); ++i) c.SendText(1, pieces[i], i + 1 == pieces.size());
  const RequestResult result = CollectRequest(c, 1);
  EXPECT_TRUE(result.last);
  std::vector<int16_t> out;
  for (float s : result.samples) out.push_back(static_cast<int16_t>(std::lround(s * 32768.0f)));
  return out;
}

std::string Base64(const std::vector<uint8_t>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

class NativeWs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new DaemonProcess({"--http", "127.0.0.1:0"});
    port_ = HttpPort(*daemon_);
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  // A socket past hello.
  void Open(WsClient& ws) {
    ASSERT_TRUE(ws.Connect(port_, "/v1/ws")) << ws.status() << " " << ws.body();
    ASSERT_TRUE(ws.SendJson(Hello()));
    auto welcome = ws.ReadJson();
    ASSERT_TRUE(welcome.has_value());
    ASSERT_EQ((*welcome)["type"], "welcome") << *welcome;
    EXPECT_EQ((*welcome)["body"]["version"], 3);
    EXPECT_EQ((*welcome)["body"]["max_payload_bytes"], protocol::kMaxClientPayloadBytes);
  }

  static DaemonProcess* daemon_;
  static int port_;
};
DaemonProcess* NativeWs::daemon_ = nullptr;
int NativeWs::port_ = 0;

// Text streamed in pieces: the audio is exactly the Unix socket's for the same pieces, its frames are
// contiguous and end with LAST; the word marks come as JSON before the audio that reaches them.
TEST_F(NativeWs, StreamedTextSpeaksAsOnTheUnixSocket) {
  WsClient ws;
  Open(ws);
  ASSERT_TRUE(ws.SendJson({{"type", "synthesize"}, {"id", 7},
                           {"body", {{"voice", "fixture-stream"}, {"final", false}, {"marks", "words"}}}}));
  for (size_t i = 0; i < kChunks.size(); ++i) {
    ASSERT_TRUE(ws.SendJson({{"type", "text"}, {"id", 7}, {"text", kChunks[i]}, {"final", i + 1 == kChunks.size()}}));
  }
  const WsResult r = Collect(ws, 7);
  ASSERT_TRUE(r.last) << (r.error ? r.error->dump() : "");
  EXPECT_TRUE(r.accepted);
  EXPECT_TRUE(r.contiguous);
  EXPECT_GT(r.audio_messages, 2) << "audio streams in chunks";
  const std::vector<int16_t> native = NativeSamples(*daemon_, kChunks);
  ASSERT_EQ(r.samples.size(), native.size());
  EXPECT_EQ(r.samples, native) << "the same request gives the same audio on both transports";
  std::string words;
  for (const json& m : r.marks) {
    if (m["kind"] == "word") words += m["text"].get<std::string>() + " ";
  }
  EXPECT_EQ(words, "Hello there this is a test of streamed text And here is another sentence that ends the stream ");
}

// Errors of the mapping are typed and the socket stays open; the daemon's errors come as they are.
TEST_F(NativeWs, BadMessagesGetTypedErrorsAndTheSocketStaysOpen) {
  WsClient ws;
  Open(ws);
  auto expect_error = [&](const std::string& sent, uint32_t id, int code) {
    ASSERT_TRUE(ws.SendText(sent));
    auto e = ws.ReadJson();
    ASSERT_TRUE(e.has_value()) << sent;
    EXPECT_EQ((*e)["type"], "error") << sent << " -> " << *e;
    EXPECT_EQ((*e)["id"], id) << sent << " -> " << *e;
    EXPECT_EQ((*e)["body"]["code"], code) << sent << " -> " << *e;
    EXPECT_FALSE((*e)["body"]["message"].get<std::string>().empty());
  };
  expect_error("not json", 0, 2);
  expect_error("[1,2]", 0, 2);
  expect_error(R"({"id":1})", 0, 2);
  expect_error(R"({"type":"dance","id":1})", 0, 4);
  expect_error(R"({"type":"accepted","id":1})", 0, 4);  // a server frame
  expect_error(R"({"type":"synthesize"})", 0, 5);
  expect_error(R"({"type":"synthesize","id":-1})", 0, 5);
  expect_error(R"({"type":"synthesize","id":3,"body":"Hello"})", 3, 5);
  expect_error(R"({"type":"text","id":3,"text":5})", 3, 5);
  expect_error(R"({"type":"reference","id":3,"data":"not base64!"})", 3, 2);
  expect_error(R"({"type":"hello","min_version":1,"max_version":3})", 0, 5);
  // The daemon's own: an unknown voice ends that request; a text for no request is unknown_request.
  expect_error(R"({"type":"synthesize","id":4,"body":{"text":"Hi.","voice":"nobody"}})", 4, 6);
  expect_error(R"({"type":"text","id":40,"text":"Hi."})", 40, 12);
  ASSERT_TRUE(ws.SendBinary("\x01\x02"));
  auto e = ws.ReadJson();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ((*e)["body"]["code"], 4);
  // Still open and working.
  ASSERT_TRUE(ws.SendJson({{"type", "ping"}, {"id", 9}}));
  auto pong = ws.ReadJson();
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(*pong, (json{{"type", "pong"}, {"id", 9}}));
  ASSERT_TRUE(ws.SendJson({{"type", "list_voices"}, {"id", 10}}));
  auto voices = ws.ReadJson();
  ASSERT_TRUE(voices.has_value());
  EXPECT_EQ((*voices)["type"], "voices");
  EXPECT_GE((*voices)["body"]["voices"].size(), 2u);
  ASSERT_TRUE(ws.SendJson({{"type", "synthesize"}, {"id", 11}, {"body", {{"text", "Still here."}}}}));
  EXPECT_TRUE(Collect(ws, 11).last);
}

// A cancel ends the request at once (its audio still on its way is dropped) and the next request on
// the same socket starts without waiting.
TEST_F(NativeWs, CancelStopsARequestAndTheNextStartsAtOnce) {
  const std::string sentence = "This sentence is one of many, and it takes a while to say. ";
  std::string long_text;
  // Long enough (11 MB of audio) that the socket buffers between ttsd and this client, which fill while
  // it reads nothing, cannot hold it all: the cancel finds it still being generated.
  for (int i = 0; i < 100; ++i) long_text += sentence;
  const size_t whole = 100 * NativeSamples(*daemon_, {sentence}).size();
  WsClient ws;
  Open(ws);
  ASSERT_TRUE(ws.SendJson({{"type", "synthesize"}, {"id", 1}, {"body", {{"voice", "fixture-stream"}, {"text", long_text}}}}));
  std::map<uint32_t, WsResult> results;
  int audio = 0;
  while (audio < 2) {
    auto m = ws.Read();
    ASSERT_TRUE(m.has_value());
    if (m->binary) ++audio;
  }
  ASSERT_TRUE(ws.SendJson({{"type", "cancel"}, {"id", 1}}));
  const auto cancelled_at = Clock::now();
  ASSERT_TRUE(ws.SendJson({{"type", "synthesize"}, {"id", 2}, {"body", {{"voice", "fixture-stream"}, {"text", "Next."}}}}));
  const WsResult first = Collect(ws, 1, &results);
  ASSERT_TRUE(first.error.has_value()) << "the request ended before the cancel took effect";
  EXPECT_EQ((*first.error)["code"], 13);
  std::printf("[ CANCEL ] %d audio messages read after the cancel (%.1f%% of the text's audio); its end %.1f ms after it\n",
              first.audio_messages, 100.0 * first.samples.size() / whole,
              std::chrono::duration<double, std::milli>(Clock::now() - cancelled_at).count());
  // What still arrives was already on the wire (the socket buffers between ttsd and this client).
  EXPECT_LT(first.samples.size(), whole / 2) << "audio went on after the cancel";
  const WsResult second = Collect(ws, 2, &results);
  EXPECT_TRUE(second.last);
  EXPECT_GT(second.samples.size(), 0u);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - cancelled_at).count(), 2.0);
}

// Reference audio goes as base64: a speaker cloned from it, as on the Unix socket (fixture-style).
TEST_F(NativeWs, ReferenceAudioInBase64ClonesASpeaker) {
  WsClient ws;
  Open(ws);
  const std::vector<uint8_t> reference = AudioFileBytes(SpeechLike(3.5, 22050, 140), 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  ASSERT_TRUE(ws.SendJson({{"type", "synthesize"}, {"id", 5},
                           {"body", {{"voice", "fixture-style"}, {"text", "Hello there."}, {"references", 1}}}}));
  // In two pieces, the second FINAL.
  const size_t half = reference.size() / 2;
  ASSERT_TRUE(ws.SendJson({{"type", "reference"}, {"id", 5}, {"data", Base64(std::vector<uint8_t>(reference.begin(), reference.begin() + half))}}));
  ASSERT_TRUE(ws.SendJson({{"type", "reference"}, {"id", 5}, {"final", true},
                           {"data", Base64(std::vector<uint8_t>(reference.begin() + half, reference.end()))}}));
  const WsResult r = Collect(ws, 5);
  EXPECT_TRUE(r.last) << (r.error ? r.error->dump() : "") << daemon_->Log();
  EXPECT_GT(r.samples.size(), 22050u / 2);
}

// Without a token only loopback names; with one: the header, or hello's token. Another page's Origin
// is refused before the handshake; a first message that is not hello closes the socket.
TEST(NativeWsAccess, TokenAndOriginRules) {
  DaemonProcess daemon({"--http", "127.0.0.1:0", "--http-token", "s3cret"});
  const int port = HttpPort(daemon);
  ASSERT_GT(port, 0);
  {
    WsClient ws;
    EXPECT_FALSE(ws.Connect(port, "/v1/ws", {{"Authorization", "Bearer wrong"}}));
    EXPECT_EQ(ws.status(), 401) << ws.body();
  }
  {
    WsClient ws;
    EXPECT_FALSE(ws.Connect(port, "/v1/ws", {{"Origin", "http://evil.example"}}));
    EXPECT_EQ(ws.status(), 403) << ws.body();
  }
  {
    auto r = HttpRequest(port, "GET", "/v1/ws", "");
    EXPECT_EQ(r.status, 426) << r.body;
  }
  for (const std::string& token : {std::string(""), std::string("wrong")}) {
    WsClient ws;
    ASSERT_TRUE(ws.Connect(port, "/v1/ws"));
    ASSERT_TRUE(ws.SendJson(Hello(token)));
    auto e = ws.ReadJson();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ((*e)["type"], "error");
    EXPECT_EQ((*e)["body"]["code"], 5);
    EXPECT_FALSE(ws.Read().has_value());
    EXPECT_EQ(ws.close_code(), 1008) << "token '" << token << "'";
  }
  {
    WsClient ws;
    ASSERT_TRUE(ws.Connect(port, "/v1/ws"));
    ASSERT_TRUE(ws.SendJson({{"type", "ping"}, {"id", 1}}));
    auto e = ws.ReadJson();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ((*e)["body"]["code"], 5) << *e;
    EXPECT_FALSE(ws.Read().has_value());
    EXPECT_EQ(ws.close_code(), 1008);
  }
  for (bool in_header : {false, true}) {
    WsClient ws;
    ASSERT_TRUE(ws.Connect(port, "/v1/ws", in_header ? WsClient::Headers{{"Authorization", "Bearer s3cret"}} : WsClient::Headers{},
                           std::chrono::seconds(10)));
    ASSERT_TRUE(ws.SendJson(Hello(in_header ? "" : "s3cret")));
    auto w = ws.ReadJson();
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ((*w)["type"], "welcome") << *w;
    ASSERT_TRUE(ws.SendJson({{"type", "synthesize"}, {"id", 1}, {"body", {{"text", "Hi there."}}}}));
    EXPECT_TRUE(Collect(ws, 1).last);
  }
}

}  // namespace
}  // namespace ttsd::testing
