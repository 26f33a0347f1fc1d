// Synthesis against a scripted server: audio reassembled into a WAV exactly, stats, typed errors from
// the server, protocol violations, cancellation and the idle timeout.
#include "ttsd/client/synthesis.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "client/scripted-server.h"
#include "ttsd/client/wav-file-sink.h"

namespace ttsd::client {
namespace {

using protocol::FrameType;
using protocol::SampleFormat;
using testing::Bytes;
using testing::F32Pcm;
using testing::S16Pcm;
using testing::ScriptedServer;
using testing::ServerPeer;
using namespace std::chrono_literals;

std::vector<int16_t> Ramp(size_t n, int16_t start) {
  std::vector<int16_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int16_t>(start + static_cast<int>(i) * 97);
  return v;
}

template <typename T>
std::vector<T> ReadWav(const std::string& path, SF_INFO* info) {
  *info = {};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, info);
  if (!f) {
    ADD_FAILURE() << "cannot read " << path << ": " << sf_strerror(nullptr);
    return {};
  }
  std::vector<T> out(static_cast<size_t>(info->frames * info->channels));
  if constexpr (std::is_same_v<T, float>) {
    sf_readf_float(f, out.data(), info->frames);
  } else {
    sf_readf_short(f, out.data(), info->frames);
  }
  sf_close(f);
  return out;
}

// A sink that records calls, and can fail or trip a flag on the first write.
class RecordingSink : public AudioSink {
 public:
  Status Open(const AudioFormat& format) override {
    format_ = format;
    opened++;
    return {};
  }
  Status Write(std::span<const uint8_t> pcm) override {
    writes++;
    bytes.insert(bytes.end(), pcm.begin(), pcm.end());
    if (on_write) on_write->store(true);
    if (fail_writes) return MakeError(ErrorCode::kIo, "disk full");
    return {};
  }
  Status Close() override {
    closed++;
    return {};
  }
  std::string Describe() const override { return "recording"; }

  AudioFormat format_;
  int opened = 0, writes = 0, closed = 0;
  Bytes bytes;
  std::atomic<bool>* on_write = nullptr;
  bool fail_writes = false;
};

struct Fixture {
  explicit Fixture(ScriptedServer::Script script) : server(std::move(script)) {
    auto c = Connection::Connect(server.path());
    EXPECT_TRUE(c.has_value()) << c.error().ToString();
    if (c) conn = std::move(*c);
  }
  ScriptedServer server;
  std::unique_ptr<Connection> conn;
};

TEST(Synthesis, ReassemblesS16ChunksIntoWavExactly) {
  const std::vector<std::vector<int16_t>> chunks = {Ramp(160, -30000), Ramp(1, 5), Ramp(3200, 100), {}};
  Fixture fx([&](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendAccepted(req->first, 22050);
    uint64_t offset = 0;
    for (size_t i = 0; i < chunks.size(); ++i) {
      std::this_thread::sleep_for(i == 0 ? 20ms : 1ms);
      p.SendAudio(req->first, S16Pcm(chunks[i]), &offset, i + 1 == chunks.size(), 22050);
    }
  });
  testing::TempDir dir;
  const std::string path = dir.path() + "/out.wav";
  auto sink = WavFileSink::Create(path);
  ASSERT_TRUE(sink.has_value());
  protocol::SynthesizeRequest r;
  r.text = "Hello.";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  auto status = syn->Receive(sink->get());
  ASSERT_TRUE(status.has_value()) << status.error().ToString();

  std::vector<int16_t> expected;
  for (const auto& c : chunks) expected.insert(expected.end(), c.begin(), c.end());
  SF_INFO info;
  auto got = ReadWav<int16_t>(path, &info);
  EXPECT_EQ(info.samplerate, 22050);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  EXPECT_EQ(got, expected);

  const RequestStats& st = syn->stats();
  EXPECT_EQ(st.request_id, syn->request_id());
  EXPECT_EQ(st.voice, "scripted-voice");
  EXPECT_EQ(st.speaker, "spk0");
  EXPECT_EQ(st.sample_rate_hz, 22050u);
  EXPECT_EQ(st.chunks, 4u);
  EXPECT_EQ(st.samples, expected.size());
  EXPECT_DOUBLE_EQ(st.audio_s, expected.size() / 22050.0);
  ASSERT_TRUE(st.ttfa_ms.has_value());
  EXPECT_GE(*st.ttfa_ms, 20.0);
  EXPECT_GE(st.wall_s * 1000, *st.ttfa_ms);
  EXPECT_EQ(st.status, "ok");
  const std::string line = st.ToJsonLine();
  for (const char* key : {"\"ttfa_ms\":", "\"audio_s\":", "\"wall_s\":", "\"chunks\":4", "\"sample_rate\":22050",
                          "\"voice\":\"scripted-voice\"", "\"status\":\"ok\""}) {
    EXPECT_NE(line.find(key), std::string::npos) << key << " missing from " << line;
  }
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(Synthesis, ReassemblesF32StereoChunksIntoWavExactly) {
  const std::vector<float> a = {0.0f, -1.0f, 0.5f, 0.25f, 1e-7f, -0.333333f};
  const std::vector<float> b = {0.125f, 0.999f};
  Fixture fx([&](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    EXPECT_EQ(req->second.sample_format, SampleFormat::kF32Le);
    p.SendAccepted(req->first, 16000, SampleFormat::kF32Le, 2);
    uint64_t offset = 0;
    p.SendAudio(req->first, F32Pcm(a), &offset, false, 16000, SampleFormat::kF32Le, 2);
    p.SendAudio(req->first, F32Pcm(b), &offset, true, 16000, SampleFormat::kF32Le, 2);
  });
  testing::TempDir dir;
  const std::string path = dir.path() + "/out.wav";
  auto sink = WavFileSink::Create(path);
  ASSERT_TRUE(sink.has_value());
  protocol::SynthesizeRequest r;
  r.text = "x";
  r.sample_format = SampleFormat::kF32Le;
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  ASSERT_TRUE(syn->Receive(sink->get()).has_value());
  SF_INFO info;
  auto got = ReadWav<float>(path, &info);
  EXPECT_EQ(info.channels, 2);
  EXPECT_EQ(info.format, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  std::vector<float> expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(syn->stats().samples, 4u);  // per channel
}

TEST(Synthesis, ServerErrorIsTypedAndLeavesNoEmptyFile) {
  Fixture fx([](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendError(req->first, ErrorCode::kUnknownVoice, "no voice named 'nope'");
  });
  testing::TempDir dir;
  const std::string path = dir.path() + "/out.wav";
  auto sink = WavFileSink::Create(path);
  ASSERT_TRUE(sink.has_value());
  protocol::SynthesizeRequest r;
  r.voice = "nope";
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  auto status = syn->Receive(sink->get());
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kUnknownVoice);
  EXPECT_EQ(status.error().ToString(), "unknown_voice: no voice named 'nope'");
  EXPECT_EQ(syn->stats().status, "unknown_voice");
  EXPECT_FALSE(syn->stats().ttfa_ms.has_value());
  EXPECT_NE(syn->stats().ToJsonLine().find("\"ttfa_ms\":null"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Synthesis, ErrorMidStreamKeepsTheAudioSoFar) {
  const auto chunk = Ramp(400, 7);
  Fixture fx([&](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendAccepted(req->first);
    uint64_t offset = 0;
    p.SendAudio(req->first, S16Pcm(chunk), &offset, false);
    p.SendError(req->first, ErrorCode::kModelError, "vocoder failed");
  });
  testing::TempDir dir;
  const std::string path = dir.path() + "/out.wav";
  auto sink = WavFileSink::Create(path);
  ASSERT_TRUE(sink.has_value());
  protocol::SynthesizeRequest r;
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  auto status = syn->Receive(sink->get());
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kModelError);
  SF_INFO info;
  EXPECT_EQ(ReadWav<int16_t>(path, &info), chunk);
}

TEST(Synthesis, ConnectionLevelErrorEndsTheRequest) {
  Fixture fx([](ServerPeer& p) {
    p.Handshake();
    p.ExpectSynthesize();
    p.SendError(0, ErrorCode::kShuttingDown, "bye");
  });
  RecordingSink sink;
  protocol::SynthesizeRequest r;
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  auto status = syn->Receive(&sink);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kShuttingDown);
  EXPECT_EQ(sink.closed, 1);
}

TEST(Synthesis, FramesOfOtherRequestsAreSkipped) {
  const auto chunk = Ramp(50, 1);
  Fixture fx([&](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    uint64_t other = 0, offset = 0;
    p.SendAccepted(req->first + 1);
    p.SendAccepted(req->first);
    p.SendAudio(req->first + 1, S16Pcm(Ramp(10, 0)), &other, true);
    p.SendError(req->first + 2, ErrorCode::kBusy, "not yours");
    p.SendAudio(req->first, S16Pcm(chunk), &offset, true);
  });
  RecordingSink sink;
  protocol::SynthesizeRequest r;
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  ASSERT_TRUE(syn->Receive(&sink).has_value());
  EXPECT_EQ(sink.bytes, S16Pcm(chunk));
  EXPECT_EQ(sink.opened, 1);
}

// Protocol violations by the server end the request with kMalformedFrame (and a cancel), never a crash.
struct Violation {
  const char* name;
  std::function<void(ServerPeer&, uint32_t)> send;
};

class SynthesisViolation : public ::testing::TestWithParam<Violation> {};

TEST_P(SynthesisViolation, IsMalformedFrame) {
  std::optional<protocol::Frame> after;
  Fixture fx([&](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    GetParam().send(p, req->first);
    after = p.Read(2s);
  });
  RecordingSink sink;
  protocol::SynthesizeRequest r;
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  auto status = syn->Receive(&sink);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kMalformedFrame) << status.error().ToString();
  EXPECT_EQ(sink.closed, 1);
  fx.server.Join();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->header.type, FrameType::kCancel);
}

INSTANTIATE_TEST_SUITE_P(
    Frames, SynthesisViolation,
    ::testing::Values(
        Violation{"audio_before_accepted",
                  [](ServerPeer& p, uint32_t id) {
                    uint64_t o = 0;
                    p.SendAudio(id, S16Pcm({1, 2}), &o, true);
                  }},
        Violation{"gap_in_offsets",
                  [](ServerPeer& p, uint32_t id) {
                    p.SendAccepted(id);
                    uint64_t o = 0;
                    p.SendAudio(id, S16Pcm({1, 2}), &o, false);
                    o += 5;
                    p.SendAudio(id, S16Pcm({3, 4}), &o, true);
                  }},
        Violation{"rate_differs_from_accepted",
                  [](ServerPeer& p, uint32_t id) {
                    p.SendAccepted(id, 16000);
                    uint64_t o = 0;
                    p.SendAudio(id, S16Pcm({1, 2}), &o, true, 24000);
                  }},
        Violation{"odd_byte_count",
                  [](ServerPeer& p, uint32_t id) {
                    p.SendAccepted(id);
                    p.Send(FrameType::kAudio, id,
                           protocol::SerializeAudio({16000, SampleFormat::kS16Le, 1, 0}, Bytes{1, 2, 3}));
                  }},
        Violation{"short_audio_header",
                  [](ServerPeer& p, uint32_t id) {
                    p.SendAccepted(id);
                    p.Send(FrameType::kAudio, id, Bytes{1, 2, 3});
                  }},
        Violation{"accepted_not_json",
                  [](ServerPeer& p, uint32_t id) { p.Send(FrameType::kAccepted, id, testing::ToBytes("[1,2")); }},
        Violation{"accepted_twice",
                  [](ServerPeer& p, uint32_t id) {
                    p.SendAccepted(id);
                    p.SendAccepted(id);
                  }},
        Violation{"pong_for_request", [](ServerPeer& p, uint32_t id) { p.Send(FrameType::kPong, id, {}); }}),
    [](const ::testing::TestParamInfo<Violation>& info) { return std::string(info.param.name); });

TEST(Synthesis, OversizedAudioFrameIsFrameTooLarge) {
  Fixture fx([](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendAccepted(req->first);
    protocol::FrameHeader h{protocol::kMaxServerPayloadBytes + 1, FrameType::kAudio, 0, req->first};
    uint8_t bytes[protocol::kHeaderBytes];
    protocol::EncodeHeader(h, bytes);
    p.SendRaw(bytes);
  });
  RecordingSink sink;
  protocol::SynthesizeRequest r;
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  auto status = syn->Receive(&sink);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kFrameTooLarge);
  EXPECT_EQ(syn->stats().status, "frame_too_large");
}

TEST(Synthesis, CancelSendsCancelAndReturnsCancelled) {
  std::atomic<bool> cancel{false};
  uint32_t cancelled_id = 0;
  Fixture fx([&](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendAccepted(req->first);
    uint64_t o = 0;
    p.SendAudio(req->first, S16Pcm(Ramp(100, 0)), &o, false);
    auto f = p.Expect(FrameType::kCancel);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->payload.empty());
    cancelled_id = f->header.request_id;
    p.SendError(req->first, ErrorCode::kCancelled, "cancelled by the client");
  });
  RecordingSink sink;
  sink.on_write = &cancel;  // "Ctrl-C" as soon as audio arrives
  protocol::SynthesizeRequest r;
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  ReceiveOptions options;
  options.cancel = &cancel;
  options.poll_interval = 10ms;
  auto status = syn->Receive(&sink, options);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(syn->stats().status, "cancelled");
  EXPECT_EQ(sink.closed, 1);
  fx.server.Join();
  EXPECT_EQ(cancelled_id, syn->request_id());
}

TEST(Synthesis, CancelWithoutAnswerGivesUpAfterGrace) {
  std::atomic<bool> cancel{true};
  Fixture fx([](ServerPeer& p) {
    p.Handshake();
    p.ExpectSynthesize();
    p.Expect(FrameType::kCancel);
    p.WaitClosed();
  });
  RecordingSink sink;
  protocol::SynthesizeRequest r;
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  ReceiveOptions options;
  options.cancel = &cancel;
  options.cancel_grace = 100ms;
  options.poll_interval = 10ms;
  auto start = std::chrono::steady_clock::now();
  auto status = syn->Receive(&sink, options);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kCancelled);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  fx.conn.reset();
}

TEST(Synthesis, RequestThatEndsDespiteCancelIsOk) {
  std::atomic<bool> cancel{true};
  Fixture fx([](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendAccepted(req->first);
    uint64_t o = 0;
    p.SendAudio(req->first, S16Pcm({1}), &o, true);  // crossed the cancel on the wire
    p.Expect(FrameType::kCancel);
  });
  RecordingSink sink;
  protocol::SynthesizeRequest r;
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  ReceiveOptions options;
  options.cancel = &cancel;
  EXPECT_TRUE(syn->Receive(&sink, options).has_value());
}

TEST(Synthesis, SinkFailureCancelsTheRequest) {
  std::optional<protocol::Frame> after;
  Fixture fx([&](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendAccepted(req->first);
    uint64_t o = 0;
    p.SendAudio(req->first, S16Pcm({1, 2}), &o, false);
    after = p.Read();
  });
  RecordingSink sink;
  sink.fail_writes = true;
  protocol::SynthesizeRequest r;
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  auto status = syn->Receive(&sink);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().ToString(), "io_error: disk full");
  fx.server.Join();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->header.type, FrameType::kCancel);
}

TEST(Synthesis, IdleTimeoutWaitsWhileTextIsOpen) {
  std::atomic<bool> text_open{true};
  Fixture fx([](ServerPeer& p) {
    p.Handshake();
    p.ExpectSynthesize();
    p.WaitClosed();
  });
  RecordingSink sink;
  protocol::SynthesizeRequest r;
  r.final = false;
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  std::thread closer([&] {
    std::this_thread::sleep_for(300ms);
    text_open = false;
  });
  ReceiveOptions options;
  options.idle_timeout = 100ms;
  options.text_open = &text_open;
  options.poll_interval = 10ms;
  auto start = std::chrono::steady_clock::now();
  auto status = syn->Receive(&sink, options);
  closer.join();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 350ms);  // not 100 ms: the open text held the timer
  fx.conn.reset();
}

TEST(Synthesis, LostConnectionIsIo) {
  Fixture fx([](ServerPeer& p) {
    p.Handshake();
    auto req = p.ExpectSynthesize();
    ASSERT_TRUE(req);
    p.SendAccepted(req->first);
  });
  RecordingSink sink;
  protocol::SynthesizeRequest r;
  r.text = "x";
  auto syn = Synthesis::Start(fx.conn.get(), r);
  ASSERT_TRUE(syn.has_value());
  auto status = syn->Receive(&sink);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kIo);
  EXPECT_EQ(sink.opened, 1);
  EXPECT_EQ(sink.closed, 1);
}

TEST(RequestStats, JsonLineHasEveryKey) {
  RequestStats st;
  st.request_id = 3;
  st.voice = "v";
  st.speaker = "s";
  st.sample_rate_hz = 16000;
  st.channels = 1;
  st.ttfa_ms = 12.34567;
  st.audio_s = 2.0;
  st.wall_s = 0.5;
  st.chunks = 9;
  st.samples = 32000;
  EXPECT_EQ(st.ToJsonLine(),
            "{\"request_id\":3,\"voice\":\"v\",\"speaker\":\"s\",\"sample_rate\":16000,\"channels\":1,"
            "\"ttfa_ms\":12.346,\"audio_s\":2.0,\"wall_s\":0.5,\"rtf\":0.25,\"chunks\":9,\"samples\":32000,"
            "\"status\":\"ok\"}");
}

}  // namespace
}  // namespace ttsd::client
