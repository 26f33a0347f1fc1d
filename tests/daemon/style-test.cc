// The real ttsd with fixture-style: speakers cloned from reference files sent in kReference frames
// (stereo 44.1 kHz WAV, FLAC), emotion from weights, a description and a recording, exact duration,
// and every way a request can go wrong, each answered with its typed error while the daemon keeps
// serving.
#include <gtest/gtest.h>

#include <cmath>

#include "support/audio-files.h"
#include "support/daemon-process.h"
#include "ttsd/protocol/voice-messages.h"

namespace ttsd::testing {
namespace {

using protocol::FrameType;
using protocol::SynthesizeRequest;
using File = std::vector<uint8_t>;

const std::string kStyle = "fixture-style";

File SpeechFile(double seconds, double pitch_hz = 140, unsigned seed = 2) {
  return AudioFileBytes(SpeechLike(seconds, 44100, pitch_hz, seed), 44100, 2);
}

SynthesizeRequest Styled(const std::string& text = "Hello there, how are you?") {
  SynthesizeRequest r;
  r.voice = kStyle;
  r.text = text;
  return r;
}

// Sends one file in pieces of at most piece bytes, the last flagged end of file.
void SendFile(RawClient& c, uint32_t id, const File& file, bool emotion = false, size_t piece = 1 << 20) {
  size_t off = 0;
  do {
    const size_t n = std::min(piece, file.size() - off);
    uint8_t flags = (emotion ? protocol::kFlagEmotion : 0) | (off + n == file.size() ? protocol::kFlagEndOfFile : 0);
    ASSERT_TRUE(c.Send(FrameType::kReference, id, std::span<const uint8_t>(file.data() + off, n), flags));
    off += n;
  } while (off < file.size());
}

// A synthesize with its reference files; returns what came back.
RequestResult Speak(RawClient& c, uint32_t id, SynthesizeRequest r, const std::vector<File>& refs = {},
                    const File* emotion = nullptr) {
  r.references = static_cast<uint32_t>(refs.size());
  r.emotion_reference = emotion != nullptr;
  c.Synthesize(id, r);
  for (const auto& f : refs) SendFile(c, id, f);
  if (emotion) SendFile(c, id, *emotion, true);
  return CollectRequest(c, id);
}

ErrorCode CodeOf(const RequestResult& r) { return r.error ? r.error->code : ErrorCode::kOk; }
std::string MessageOf(const RequestResult& r) { return r.error ? r.error->message : ""; }

// The terminal frame of a voice_add / voice_remove: the reply frame, or the error.
struct Reply {
  FrameType type = FrameType::kError;
  std::vector<uint8_t> payload;
  ErrorCode code = ErrorCode::kOk;
  std::string message;
};

Reply AwaitReply(RawClient& c, uint32_t id) {
  for (;;) {
    auto f = c.Read(std::chrono::seconds(30));
    if (!f) {
      ADD_FAILURE() << "no reply for request " << id;
      return {};
    }
    if (f->header.request_id != id) continue;
    Reply r;
    r.type = f->header.type;
    r.payload = f->payload;
    if (f->header.type == FrameType::kError) {
      auto body = protocol::ParseErrorBody(f->payload).value();
      r.code = body.code;
      r.message = body.message;
    }
    return r;
  }
}

Reply AddVoice(RawClient& c, uint32_t id, protocol::VoiceAdd add, const std::vector<File>& refs) {
  add.references = static_cast<uint32_t>(refs.size());
  c.Send(FrameType::kVoiceAdd, id, protocol::Serialize(add));
  for (const auto& f : refs) SendFile(c, id, f);
  return AwaitReply(c, id);
}

Reply RemoveVoice(RawClient& c, uint32_t id, const std::string& name) {
  c.Send(FrameType::kVoiceRemove, id, protocol::Serialize(protocol::VoiceRemove{name}));
  return AwaitReply(c, id);
}

double Difference(const std::vector<float>& a, const std::vector<float>& b) {
  const size_t n = std::min(a.size(), b.size());
  double d = std::abs(static_cast<double>(a.size()) - static_cast<double>(b.size()));
  for (size_t i = 0; i < n; ++i) d += std::abs(a[i] - b[i]);
  return d;
}

class StyleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new DaemonProcess({"--idle-timeout", "2"}); }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  // After every test the daemon still answers a normal request and a cloned one.
  void TearDown() override {
    RawClient c(daemon_->socket_path());
    ASSERT_TRUE(c.connected());
    c.Handshake();
    SynthesizeRequest plain;
    plain.text = "Still here.";
    c.Synthesize(99, plain);
    EXPECT_TRUE(CollectRequest(c, 99).last) << daemon_->Log();
    EXPECT_TRUE(Speak(c, 98, Styled("Still cloning."), {SpeechFile(3.5)}).last) << daemon_->Log();
  }
  static DaemonProcess* daemon_;
};
DaemonProcess* StyleTest::daemon_ = nullptr;

// ---- cloning --------------------------------------------------------------------------------

TEST_F(StyleTest, SpeakerClonedFromStereo44kReferencesSpeaksInItsOwnVoice) {
  RawClient c(daemon_->socket_path());
  ASSERT_EQ(c.Handshake().version, protocol::kProtocolVersionMax);
  auto plain = Speak(c, 1, Styled());
  auto low = Speak(c, 2, Styled(), {SpeechFile(4.0, 110), SpeechFile(2.0, 110, 3)});
  auto high = Speak(c, 3, Styled(), {AudioFileBytes(Noise(3.5, 44100, 0.3f), 44100, 2)});
  for (const auto* r : {&plain, &low, &high}) {
    ASSERT_TRUE(r->last) << MessageOf(*r);
    EXPECT_TRUE(r->accepted);
    EXPECT_TRUE(r->offsets_contiguous);
    EXPECT_EQ(r->sample_rate, 16000u);
    EXPECT_GT(r->samples.size(), 8000u);
  }
  EXPECT_GT(Difference(plain.samples, low.samples), 1.0);
  EXPECT_GT(Difference(low.samples, high.samples), 1.0);
  // The same references give the same speaker.
  auto again = Speak(c, 4, Styled(), {SpeechFile(4.0, 110), SpeechFile(2.0, 110, 3)});
  ASSERT_TRUE(again.last);
  EXPECT_LT(Difference(low.samples, again.samples), 1e-3);
}

TEST_F(StyleTest, AcceptedNamesTheVoiceAndNoSpeaker) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto r = Styled();
  r.references = 1;
  c.Synthesize(1, r);
  SendFile(c, 1, SpeechFile(3.5));
  for (;;) {
    auto f = c.Read();
    ASSERT_TRUE(f);
    ASSERT_NE(f->header.type, FrameType::kError) << protocol::ParseErrorBody(f->payload)->message;
    if (f->header.type != FrameType::kAccepted) continue;
    auto accepted = protocol::ParseAccepted(f->payload).value();
    EXPECT_EQ(accepted.voice, kStyle);
    EXPECT_EQ(accepted.speaker, "");  // a cloned speaker has no name
    break;
  }
  EXPECT_TRUE(CollectRequest(c, 1).last);
}

TEST_F(StyleTest, FilesInSmallPiecesFlacAndInterleavedEmotionAllArrive) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  const File a = SpeechFile(2.0), b = AudioFileBytes(SpeechLike(2.0, 44100, 180), 44100, 1, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  const File emotion = SpeechFile(1.5, 250);
  auto r = Styled();
  r.references = 2;
  r.emotion_reference = true;
  c.Synthesize(1, r);
  // a's pieces, emotion's pieces and b's pieces interleaved, 1000 bytes at a time.
  size_t ia = 0, ie = 0, ib = 0;
  auto piece = [&](const File& f, size_t* off, uint8_t kind) {
    if (*off >= f.size()) return;
    const size_t n = std::min<size_t>(1000, f.size() - *off);
    uint8_t flags = kind | (*off + n == f.size() ? protocol::kFlagEndOfFile : 0);
    c.Send(FrameType::kReference, 1, std::span<const uint8_t>(f.data() + *off, n), flags);
    *off += n;
  };
  while (ia < a.size() || ie < emotion.size()) {
    piece(a, &ia, 0);
    piece(emotion, &ie, protocol::kFlagEmotion);
  }
  while (ib < b.size()) piece(b, &ib, 0);
  auto result = CollectRequest(c, 1);
  EXPECT_TRUE(result.last) << MessageOf(result);
}

TEST_F(StyleTest, StreamedTextMayArriveWhileTheReferencesDo) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  SynthesizeRequest r = Styled("The first part, ");
  r.final = false;
  r.references = 1;
  c.Synthesize(1, r);
  c.SendText(1, "then more text ", false);
  SendFile(c, 1, SpeechFile(3.5));
  c.SendText(1, "and the end.", true);
  auto result = CollectRequest(c, 1);
  EXPECT_TRUE(result.last) << MessageOf(result);
  EXPECT_GT(result.samples.size(), 16000u);
}

// ---- bad reference audio ----------------------------------------------------------------------

TEST_F(StyleTest, NotAudioIsBadAudio) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto r = Speak(c, 1, Styled(), {SpeechFile(3.0), BytesOf("This is a text file.\nNot a recording.\n")});
  EXPECT_EQ(CodeOf(r), ErrorCode::kBadAudio);
  EXPECT_NE(MessageOf(r).find("reference 2: not an audio file"), std::string::npos) << MessageOf(r);
  EXPECT_FALSE(r.accepted);
}

TEST_F(StyleTest, SilenceIsBadAudio) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto r = Speak(c, 1, Styled(), {AudioFileBytes(Silence(4.0, 44100), 44100, 2)});
  EXPECT_EQ(CodeOf(r), ErrorCode::kBadAudio);
  EXPECT_NE(MessageOf(r).find("silent"), std::string::npos) << MessageOf(r);
}

TEST_F(StyleTest, TooShortAndTooLongAreBadAudio) {
  // Made before connecting: under a sanitizer, writing 20 s of audio takes longer than the idle timeout.
  const File twenty_s = SpeechFile(20.0);
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto tiny = Speak(c, 1, Styled(), {SpeechFile(0.5), SpeechFile(3.0)});
  EXPECT_EQ(CodeOf(tiny), ErrorCode::kBadAudio);
  EXPECT_NE(MessageOf(tiny).find("reference 1: is 0.50 s long; at least 1 s"), std::string::npos) << MessageOf(tiny);
  auto together = Speak(c, 2, Styled(), {SpeechFile(1.0), SpeechFile(1.0)});
  EXPECT_EQ(CodeOf(together), ErrorCode::kBadAudio);
  EXPECT_NE(MessageOf(together).find("at least 3 s"), std::string::npos) << MessageOf(together);
  auto long_one = Speak(c, 3, Styled(), {twenty_s});
  EXPECT_EQ(CodeOf(long_one), ErrorCode::kBadAudio);
  EXPECT_NE(MessageOf(long_one).find("at most 15 s"), std::string::npos) << MessageOf(long_one);
  auto emotion = SpeechFile(0.4);
  auto short_emotion = Speak(c, 4, Styled(), {}, &emotion);
  EXPECT_EQ(CodeOf(short_emotion), ErrorCode::kBadAudio);
  EXPECT_NE(MessageOf(short_emotion).find("emotion reference"), std::string::npos) << MessageOf(short_emotion);
}

TEST_F(StyleTest, FilesNobodyAnnouncedAreBadRequests) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto r = Styled();
  r.references = 1;
  c.Synthesize(1, r);
  SendFile(c, 1, SpeechFile(1.0), /*emotion=*/true);  // an emotion file the request did not announce
  EXPECT_EQ(CodeOf(CollectRequest(c, 1)), ErrorCode::kBadRequest);
  // A reference for a request that is not open: refused, and nothing else happens.
  SendFile(c, 7, SpeechFile(1.0));
  auto f = c.Read();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.request_id, 7u);
  EXPECT_EQ(protocol::ParseErrorBody(f->payload)->code, ErrorCode::kUnknownRequest);
}

TEST_F(StyleTest, ReferencesAfterAllArrivedAreNotTakenForTheNextFile) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto r = Styled();
  r.references = 1;
  c.Synthesize(1, r);
  SendFile(c, 1, SpeechFile(3.5));
  SendFile(c, 1, SpeechFile(3.5));  // one too many: at most an unknown_request, never a second clone
  std::map<uint32_t, RequestResult> all;
  auto result = CollectRequest(c, 1, &all);
  EXPECT_TRUE(result.last || CodeOf(result) == ErrorCode::kBadRequest) << MessageOf(result);
}

TEST_F(StyleTest, SilentStalledUploadTimesOut) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto r = Styled();
  r.references = 2;
  c.Synthesize(1, r);
  SendFile(c, 1, SpeechFile(2.0));
  const auto start = std::chrono::steady_clock::now();
  auto result = CollectRequest(c, 1);  // the second file never comes; --idle-timeout 2
  EXPECT_EQ(CodeOf(result), ErrorCode::kTimeout) << MessageOf(result);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(StyleTest, CancelWhileWaitingForReferences) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto r = Styled();
  r.references = 1;
  c.Synthesize(1, r);
  c.Send(FrameType::kCancel, 1, {});
  EXPECT_EQ(CodeOf(CollectRequest(c, 1)), ErrorCode::kCancelled);
  // The id is free again.
  EXPECT_TRUE(Speak(c, 1, Styled(), {SpeechFile(3.5)}).last);
}

TEST(StyleLimits, AFileOverMaxReferenceBytesIsBadAudio) {
  DaemonProcess daemon({"--max-reference-bytes", "100000"});
  RawClient c(daemon.socket_path());
  c.Handshake();
  auto r = Speak(c, 1, Styled(), {SpeechFile(3.5)}, nullptr);  // about 600 kB
  EXPECT_EQ(CodeOf(r), ErrorCode::kBadAudio);
  EXPECT_NE(MessageOf(r).find("larger than 100000 bytes"), std::string::npos) << MessageOf(r);
  auto ok = Speak(c, 2, Styled(), {AudioFileBytes(SpeechLike(3.0, 16000), 16000, 1)});  // 96 kB
  EXPECT_TRUE(ok.last) << MessageOf(ok);
}

// ---- requests the voice or the fields refuse -----------------------------------------------------

TEST_F(StyleTest, VoicesWithoutTheStageAreNotSupported) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto clone = Styled();
  clone.voice = "fixture-ar";
  clone.references = 1;
  c.Synthesize(1, clone);  // refused before any file is sent
  auto r = CollectRequest(c, 1);
  EXPECT_EQ(CodeOf(r), ErrorCode::kNotSupported);
  EXPECT_NE(MessageOf(r).find("cannot clone"), std::string::npos) << MessageOf(r);
  auto emotion = Styled();
  emotion.voice = "fixture-stream";
  emotion.emotion = protocol::EmotionWeights{0, 1};
  c.Synthesize(2, emotion);
  EXPECT_EQ(CodeOf(CollectRequest(c, 2)), ErrorCode::kNotSupported);
  auto text = Styled();
  text.voice = "fixture-ar";
  text.emotion_text = "angrily";
  c.Synthesize(3, text);
  EXPECT_EQ(CodeOf(CollectRequest(c, 3)), ErrorCode::kNotSupported);
  // A transcript of the references is for GPT-SoVITS voices (gpt-sovits-daemon-test) only.
  auto transcript = Styled();
  transcript.voice = kStyle;
  transcript.references = 1;
  transcript.reference_text = "Hello there.";
  c.Synthesize(4, transcript);
  r = CollectRequest(c, 4);
  EXPECT_EQ(CodeOf(r), ErrorCode::kNotSupported);
  EXPECT_NE(MessageOf(r).find("takes no reference transcript"), std::string::npos) << MessageOf(r);
  EXPECT_EQ(AddVoice(c, 5, {"bob", kStyle, 0, false, "Hello there."}, {SpeechFile(3.5)}).code,
            ErrorCode::kNotSupported);
}

TEST_F(StyleTest, BadStyleFieldsAreBadRequests) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto send = [&](uint32_t id, const std::string& json) {
    c.Send(FrameType::kSynthesize, id, BytesOf(json));
    return CollectRequest(c, id);
  };
  auto axis = send(1, R"({"voice":"fixture-style","text":"Hi.","emotion":{"joyful":0.5}})");
  EXPECT_EQ(CodeOf(axis), ErrorCode::kBadRequest);
  EXPECT_NE(MessageOf(axis).find("joyful"), std::string::npos);
  EXPECT_EQ(CodeOf(send(2, R"({"voice":"fixture-style","text":"Hi.","emotion":{"sad":1.5}})")), ErrorCode::kBadRequest);
  EXPECT_EQ(CodeOf(send(3, R"({"voice":"fixture-style","text":"Hi.","final":false,"duration":2})")),
            ErrorCode::kBadRequest);
  EXPECT_EQ(CodeOf(send(4, R"({"voice":"fixture-style","text":"Hi.","references":9})")), ErrorCode::kBadRequest);
  EXPECT_EQ(CodeOf(send(5, R"({"voice":"fixture-style","text":"Hi.","emotion_alpha":2})")), ErrorCode::kBadRequest);
  EXPECT_EQ(CodeOf(send(6, R"({"voice":"fixture-style","text":"Hi.","speaker":"beta","references":1})")),
            ErrorCode::kBadRequest);
}

TEST_F(StyleTest, VersionOneConnectionsHaveNoReferenceFrames) {
  RawClient c(daemon_->socket_path());
  c.Send(FrameType::kHello, 0, protocol::Serialize(protocol::Hello{1, 1, "old"}));
  ASSERT_EQ(protocol::ParseWelcome(c.Read()->payload)->version, 1u);
  auto r = Styled();
  r.references = 1;
  c.Synthesize(1, r);
  auto refused = CollectRequest(c, 1);
  EXPECT_EQ(CodeOf(refused), ErrorCode::kBadRequest);
  EXPECT_NE(MessageOf(refused).find("version 2"), std::string::npos);
  // Old requests work as they always did.
  c.Synthesize(2, Styled());
  EXPECT_TRUE(CollectRequest(c, 2).last);
  // A version-2 frame type on a version-1 connection is an unknown frame type: fatal.
  SendFile(c, 3, SpeechFile(1.0));
  auto f = c.Read();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.request_id, 0u);
  EXPECT_EQ(protocol::ParseErrorBody(f->payload)->code, ErrorCode::kUnknownFrameType);
  EXPECT_TRUE(c.WaitClosed());
}

// ---- emotion and duration -----------------------------------------------------------------------

TEST_F(StyleTest, EachEmotionSourceChangesTheAudio) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  auto none = Speak(c, 1, Styled());
  auto angry = Styled();
  angry.emotion = protocol::EmotionWeights{0, 1};
  auto weights = Speak(c, 2, angry);
  auto described = Styled();
  described.emotion_text = "angrily, voice trembling";
  auto text = Speak(c, 3, described);
  const File recording = AudioFileBytes(Noise(2.0, 44100, 0.4f, 9), 44100, 2);
  auto heard = Speak(c, 4, Styled(), {}, &recording);
  auto half = angry;
  half.emotion_alpha = 0.3;
  auto weaker = Speak(c, 5, half);
  for (const auto* r : {&none, &weights, &text, &heard, &weaker}) ASSERT_TRUE(r->last) << MessageOf(*r);
  EXPECT_GT(Difference(none.samples, weights.samples), 1.0);
  EXPECT_GT(Difference(none.samples, text.samples), 1.0);
  EXPECT_GT(Difference(none.samples, heard.samples), 1.0);
  EXPECT_GT(Difference(weights.samples, weaker.samples), 1.0);
}

TEST_F(StyleTest, DurationIsMetWithinThreePercent) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  uint32_t id = 1;
  for (double target : {2.0, 1.5, 5.0}) {  // the text's natural length is about 4.4 s
    auto r = Styled("Hello there. This is a sentence of a usual length.");
    r.duration_s = target;
    auto result = Speak(c, id++, r);
    ASSERT_TRUE(result.last) << MessageOf(result);
    const double seconds = static_cast<double>(result.samples.size()) / 16000;
    EXPECT_NEAR(seconds, target, 0.03 * target) << target;
  }
  // Cloned and emotional at once, still on time.
  auto r = Styled("Hello there. This is a sentence of a usual length.");
  r.duration_s = 2;
  r.emotion = protocol::EmotionWeights{0, 0, 1};
  auto result = Speak(c, id++, r, {SpeechFile(3.5)});
  ASSERT_TRUE(result.last) << MessageOf(result);
  EXPECT_NEAR(static_cast<double>(result.samples.size()) / 16000, 2.0, 0.06);
}

// ---- saved voices -------------------------------------------------------------------------------

TEST_F(StyleTest, VoiceAddSavesAVoiceThatSpeaksLikeItsReferences) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  const std::vector<File> refs{SpeechFile(2.5, 120), SpeechFile(2.0, 125, 4)};
  auto reply = AddVoice(c, 1, {"anna", kStyle, 0, false}, refs);
  ASSERT_EQ(reply.type, FrameType::kVoiceSaved) << reply.message;
  auto saved = protocol::ParseVoiceSaved(reply.payload).value();
  EXPECT_EQ(saved.name, "anna");
  EXPECT_EQ(saved.voice, kStyle);
  EXPECT_EQ(saved.references, 2u);
  EXPECT_NEAR(saved.seconds, 4.5, 0.01);

  auto list = [&] {
    c.Send(FrameType::kListVoices, 50, {});
    return protocol::ParseVoiceList(AwaitReply(c, 50).payload).value();
  };
  auto voices = list();
  ASSERT_EQ(voices.saved.size(), 1u);
  EXPECT_EQ(voices.saved[0].name, "anna");
  EXPECT_EQ(voices.saved[0].voice, kStyle);
  EXPECT_EQ(voices.saved[0].created.size(), 20u);  // 2026-11-22T06:10:40Z

  auto by_name = Styled();
  by_name.voice = "anna";
  auto spoken = Speak(c, 2, by_name);
  auto one_off = Speak(c, 3, Styled(), refs);
  ASSERT_TRUE(spoken.last) << MessageOf(spoken);
  ASSERT_TRUE(one_off.last);
  EXPECT_LT(Difference(spoken.samples, one_off.samples), 1e-3);

  // A saved voice takes emotion and duration like any other.
  by_name.emotion_text = "sadly";
  by_name.duration_s = 1.5;
  auto styled = Speak(c, 4, by_name);
  ASSERT_TRUE(styled.last) << MessageOf(styled);
  EXPECT_NEAR(static_cast<double>(styled.samples.size()) / 16000, 1.5, 0.045);

  auto exists = AddVoice(c, 5, {"anna", kStyle, 0, false}, {SpeechFile(3.5)});
  EXPECT_EQ(exists.code, ErrorCode::kVoiceExists);
  auto replaced = AddVoice(c, 6, {"anna", kStyle, 0, true}, {SpeechFile(3.5, 200)});
  ASSERT_EQ(replaced.type, FrameType::kVoiceSaved) << replaced.message;
  auto after = Speak(c, 7, Styled("Hello there, how are you?"));
  by_name.emotion_text.clear();
  by_name.duration_s = 0;
  auto changed = Speak(c, 8, by_name);
  EXPECT_GT(Difference(changed.samples, spoken.samples), 1.0);

  ASSERT_EQ(RemoveVoice(c, 9, "anna").type, FrameType::kVoiceRemoved);
  EXPECT_TRUE(list().saved.empty());
  EXPECT_EQ(CodeOf(Speak(c, 10, by_name)), ErrorCode::kUnknownVoice);
  EXPECT_EQ(RemoveVoice(c, 11, "anna").code, ErrorCode::kUnknownVoice);
}

TEST_F(StyleTest, VoiceAddRefusals) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  EXPECT_EQ(AddVoice(c, 1, {"fixture-ar", kStyle, 0, false}, {SpeechFile(3.5)}).code, ErrorCode::kBadRequest);
  EXPECT_EQ(AddVoice(c, 2, {"bob", "fixture-ar", 0, false}, {SpeechFile(3.5)}).code, ErrorCode::kNotSupported);
  EXPECT_EQ(AddVoice(c, 3, {"bob", "nobody", 0, false}, {SpeechFile(3.5)}).code, ErrorCode::kUnknownVoice);
  EXPECT_EQ(AddVoice(c, 4, {"bob", kStyle, 0, false}, {AudioFileBytes(Silence(4, 44100), 44100)}).code,
            ErrorCode::kBadAudio);
  c.Send(FrameType::kVoiceAdd, 5, BytesOf(R"({"name":"../escape","references":1})"));
  EXPECT_EQ(AwaitReply(c, 5).code, ErrorCode::kBadRequest);
  c.Send(FrameType::kVoiceAdd, 6, BytesOf(R"({"name":"bob","references":0})"));
  EXPECT_EQ(AwaitReply(c, 6).code, ErrorCode::kBadRequest);
  EXPECT_EQ(RemoveVoice(c, 7, "fixture-ar").code, ErrorCode::kBadRequest);
  EXPECT_FALSE(std::filesystem::exists(daemon_->dir() + "/escape.json"));
  // Nothing was saved by any of them.
  c.Send(FrameType::kListVoices, 8, {});
  EXPECT_TRUE(protocol::ParseVoiceList(AwaitReply(c, 8).payload)->saved.empty());
  // A saved voice speaks only as itself.
  ASSERT_EQ(AddVoice(c, 9, {"carol", "", 0, false}, {SpeechFile(3.5)}).code, ErrorCode::kNotSupported)
      << "the default voice, fixture-ar, cannot clone";
  ASSERT_EQ(AddVoice(c, 10, {"carol", kStyle, 0, false}, {SpeechFile(3.5)}).type, FrameType::kVoiceSaved);
  auto with_speaker = Styled();
  with_speaker.voice = "carol";
  with_speaker.speaker = "beta";
  EXPECT_EQ(CodeOf(Speak(c, 11, with_speaker)), ErrorCode::kBadRequest);
  auto with_refs = Styled();
  with_refs.voice = "carol";
  EXPECT_EQ(CodeOf(Speak(c, 12, with_refs, {SpeechFile(3.5)})), ErrorCode::kBadRequest);
  EXPECT_EQ(RemoveVoice(c, 13, "carol").type, FrameType::kVoiceRemoved);
}

TEST(SavedVoices, SurviveARestartAndWaitForTheirBaseVoice) {
  TempDir store;
  std::vector<float> before;
  {
    DaemonProcess daemon({"--voice-store", store.path()});
    RawClient c(daemon.socket_path());
    c.Handshake();
    ASSERT_EQ(AddVoice(c, 1, {"dora", kStyle, 0, false}, {SpeechFile(4.0, 160)}).type, FrameType::kVoiceSaved);
    auto r = Styled();
    r.voice = "dora";
    auto spoken = Speak(c, 2, r);
    ASSERT_TRUE(spoken.last);
    before = spoken.samples;
    EXPECT_EQ(daemon.Stop(), 0);
  }
  // A voice saved from a package that is not loaded: kept on disk, not served.
  std::ofstream(store.path() + "/orphan.json")
      << R"({"format":1,"name":"orphan","voice":"not-loaded","embedding":[0.5,0.5],"references":1,"seconds":3,"created":"2026-01-01T00:00:00Z"})";
  DaemonProcess daemon({"--voice-store", store.path()});
  RawClient c(daemon.socket_path());
  c.Handshake();
  c.Send(FrameType::kListVoices, 1, {});
  auto list = protocol::ParseVoiceList(AwaitReply(c, 1).payload).value();
  ASSERT_EQ(list.saved.size(), 1u);
  EXPECT_EQ(list.saved[0].name, "dora");
  auto r = Styled();
  r.voice = "dora";
  auto spoken = Speak(c, 2, r);
  ASSERT_TRUE(spoken.last) << MessageOf(spoken);
  EXPECT_LT(Difference(before, spoken.samples), 1e-3);
  r.voice = "orphan";
  auto orphan = Speak(c, 3, r);
  EXPECT_EQ(CodeOf(orphan), ErrorCode::kUnknownVoice);
  EXPECT_NE(MessageOf(orphan).find("not-loaded"), std::string::npos) << MessageOf(orphan);
  EXPECT_TRUE(std::filesystem::exists(store.path() + "/orphan.json"));
  EXPECT_TRUE(daemon.WaitForLog("saved voice 'orphan' is made from voice 'not-loaded'"));
}

}  // namespace
}  // namespace ttsd::testing
