// ttsd and ttsc together, as a user runs them: real daemon, real client binary, real files.
#include <sndfile.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon-process.h"

namespace ttsd::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a shell command line; returns its exit status.
int Shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<float> ReadWav(const std::string& path, int* rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return {};
  std::vector<float> samples(static_cast<size_t>(info.frames));
  sf_readf_float(f, samples.data(), info.frames);
  sf_close(f);
  *rate = info.samplerate;
  return samples;
}

class TtscEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { daemon_ = new DaemonProcess(); }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  std::string Ttsc() const { return TtscBinary() + " --socket " + daemon_->socket_path(); }
  static DaemonProcess* daemon_;
  TempDir tmp_;
};
DaemonProcess* TtscEndToEnd::daemon_ = nullptr;

TEST_F(TtscEndToEnd, SayWritesAWavInSeveralChunksWithStats) {
  const std::string wav = tmp_.path() + "/x.wav", err = tmp_.path() + "/err";
  ASSERT_EQ(Shell(Ttsc() + " say --stats -o " + wav + " 'Hello there. This sentence is spoken in chunks.' 2>" + err), 0)
      << ReadFile(err);
  auto stats = nlohmann::json::parse(ReadFile(err));
  EXPECT_GT(stats["chunks"].get<int>(), 3);
  EXPECT_GT(stats["ttfa_ms"].get<double>(), 0);
  EXPECT_LT(stats["ttfa_ms"].get<double>(), stats["wall_s"].get<double>() * 1000);
  int rate = 0;
  auto samples = ReadWav(wav, &rate);
  EXPECT_EQ(rate, 16000);
  EXPECT_NEAR(samples.size() / 16000.0, stats["audio_s"].get<double>(), 0.001);

  // The same request over the raw protocol gives the same samples.
  RawClient c(daemon_->socket_path());
  c.Handshake();
  protocol::SynthesizeRequest r;
  r.text = "Hello there. This sentence is spoken in chunks.";
  c.Synthesize(1, r);
  auto raw = CollectRequest(c, 1);
  ASSERT_EQ(raw.samples.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) ASSERT_NEAR(raw.samples[i], samples[i], 1.0 / 32768);
}

TEST_F(TtscEndToEnd, StdinStreamsOneRequestAsTextArrives) {
  const std::string out = tmp_.path() + "/out.raw", err = tmp_.path() + "/err";
  // Text trickles in like an LLM's output; ttsc must keep one request open and close it at EOF.
  const std::string writer =
      "(printf 'The first sentence arrives. '; sleep 0.3; printf 'Then a second one'; sleep 0.3; printf ' ends it.')";
  ASSERT_EQ(Shell(writer + " | " + Ttsc() + " say --stdin --stats -o - >" + out + " 2>" + err), 0) << ReadFile(err);
  auto stats = nlohmann::json::parse(ReadFile(err));
  const std::string pcm = ReadFile(out);
  EXPECT_EQ(pcm.size(), static_cast<size_t>(stats["samples"].get<int>()) * 2);
  // Same audio as the whole text in one request.
  RawClient c(daemon_->socket_path());
  c.Handshake();
  protocol::SynthesizeRequest r;
  r.text = "The first sentence arrives. Then a second one ends it.";
  c.Synthesize(1, r);
  auto whole = CollectRequest(c, 1);
  EXPECT_EQ(whole.samples.size() * 2, pcm.size());
}

TEST_F(TtscEndToEnd, MarksAndSubtitlesFollowTheAudio) {
  const std::string wav = tmp_.path() + "/x.wav", marks = tmp_.path() + "/m.jsonl", vtt = tmp_.path() + "/s.vtt",
                    srt = tmp_.path() + "/s.srt", err = tmp_.path() + "/err";
  const std::string text = "Hello there, Dr. Smith. [pause:400ms] It costs $5.50 today!";
  ASSERT_EQ(Shell(Ttsc() + " say -o " + wav + " --marks " + marks + " --subtitles " + vtt + " '" + text + "' 2>" + err), 0)
      << ReadFile(err);
  int rate = 0;
  const auto samples = ReadWav(wav, &rate);
  std::vector<nlohmann::json> words;
  std::istringstream lines(ReadFile(marks));
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["kind"] == "word") words.push_back(j);
  }
  ASSERT_EQ(words.size(), 8u);
  for (const auto& w : words) {
    const auto begin = w["text_begin"].get<size_t>(), end = w["text_end"].get<size_t>();
    EXPECT_EQ(w["text"].get<std::string>(), text.substr(begin, end - begin));
    EXPECT_LE(w["end_sample"].get<size_t>(), samples.size());
    EXPECT_NEAR(w["start"].get<double>() * rate, w["start_sample"].get<double>(), 1);
  }
  EXPECT_EQ(words[4]["start_sample"].get<size_t>() - words[3]["end_sample"].get<size_t>(), 400u * rate / 1000);
  // One cue per sentence, with each later word's time inside it.
  const std::string cues = ReadFile(vtt);
  EXPECT_EQ(cues.rfind("WEBVTT\n\n", 0), 0u) << cues;
  EXPECT_NE(cues.find("Hello <"), std::string::npos) << cues;
  EXPECT_NE(cues.find(">Smith.\n"), std::string::npos) << cues;
  EXPECT_NE(cues.find(">$5.50 <"), std::string::npos) << cues;
  ASSERT_EQ(Shell(Ttsc() + " say -o " + wav + " --subtitles " + srt + " '" + text + "' 2>" + err), 0) << ReadFile(err);
  EXPECT_EQ(ReadFile(srt).rfind("1\n00:00:00,", 0), 0u) << ReadFile(srt);
  EXPECT_NE(ReadFile(srt).find("\n2\n"), std::string::npos);
  EXPECT_EQ(Shell(Ttsc() + " say -o " + wav + " --subtitles " + tmp_.path() + "/s.txt hi 2>" + err), 2) << ReadFile(err);
}

TEST_F(TtscEndToEnd, MarksComeBeforeTheAudioThatReachesThemAndNeedVersionThree) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  protocol::SynthesizeRequest r;
  r.text = "One two three. Four five six seven eight nine ten.";
  r.marks = protocol::MarkLevel::kPhones;
  c.Synthesize(1, r);
  auto got = CollectRequest(c, 1);
  ASSERT_FALSE(got.error) << got.error->message;
  EXPECT_EQ(got.late_marks, 0);
  size_t words = 0, phones = 0, sentences = 0;
  for (const auto& m : got.marks) {
    words += m.kind == protocol::MarkInfo::Kind::kWord;
    phones += m.kind == protocol::MarkInfo::Kind::kPhone;
    sentences += m.kind == protocol::MarkInfo::Kind::kSentence;
  }
  EXPECT_EQ(words, 10u);
  EXPECT_EQ(sentences, 2u);
  EXPECT_GT(phones, 25u);
  // Without marks asked, no kMarks frame; a version 2 connection may not ask.
  r.marks = protocol::MarkLevel::kNone;
  c.Synthesize(2, r);
  EXPECT_TRUE(CollectRequest(c, 2).marks.empty());
  RawClient old(daemon_->socket_path());
  EXPECT_EQ(old.Handshake(2).version, 2u);
  r.marks = protocol::MarkLevel::kWords;
  old.Synthesize(3, r);
  auto refused = CollectRequest(old, 3);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, ErrorCode::kBadRequest);
}

// A FLUSH text frame has ttsd speak an unfinished sentence now; without it, it waits for the end.
TEST_F(TtscEndToEnd, FlushSpeaksAnUnfinishedSentenceNow) {
  RawClient c(daemon_->socket_path());
  c.Handshake();
  protocol::SynthesizeRequest r;
  r.text = "So the answer is";
  r.final = false;
  r.marks = protocol::MarkLevel::kWords;
  c.Synthesize(1, r);
  auto first = c.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->header.type, protocol::FrameType::kAccepted);
  EXPECT_FALSE(c.Read(std::chrono::milliseconds(400))) << "spoke before the sentence ended or was flushed";
  c.Send(protocol::FrameType::kText, 1, std::span<const uint8_t>(), protocol::kFlagFlush);
  std::vector<std::string> words;
  for (auto f = c.Read(); f && words.size() < 4; f = c.Read()) {
    if (f->header.type != protocol::FrameType::kMarks) continue;
    const auto marks = protocol::ParseMarks(f->payload).value();
    for (const auto& m : marks.marks) {
      if (m.kind == protocol::MarkInfo::Kind::kWord) words.push_back(m.text);
    }
  }
  EXPECT_EQ(words, (std::vector<std::string>{"So", "the", "answer", "is"}));
  c.SendText(1, " forty two.", true);
  auto rest = CollectRequest(c, 1);
  ASSERT_FALSE(rest.error) << rest.error->message;
  ASSERT_FALSE(rest.marks.empty());
  EXPECT_EQ(rest.marks.back().text, "two");
}

TEST_F(TtscEndToEnd, VoicesListsEveryFixture) {
  const std::string out = tmp_.path() + "/out";
  ASSERT_EQ(Shell(Ttsc() + " voices --json >" + out), 0);
  auto voices = nlohmann::json::parse(ReadFile(out));
  EXPECT_EQ(voices["default_voice"], "fixture-ar");
  EXPECT_EQ(voices["voices"].size(), 3u);  // fixture-ar, fixture-stream, fixture-style
}

TEST_F(TtscEndToEnd, UnknownVoiceExitsOneWithTheErrorName) {
  const std::string err = tmp_.path() + "/err";
  EXPECT_EQ(Shell(Ttsc() + " say --voice nobody -o " + tmp_.path() + "/x.wav hi 2>" + err), 1);
  EXPECT_NE(ReadFile(err).find("unknown_voice"), std::string::npos) << ReadFile(err);
}

TEST_F(TtscEndToEnd, ListenHearsWhatIsSaidOnTheChannel) {
  const std::string wav = tmp_.path() + "/listen.wav", err = tmp_.path() + "/err";
  // ttsc listen runs until interrupted; start it in the background and stop it with SIGINT.
  const std::string listen = Ttsc() + " listen --channel stream -o " + wav + " 2>" + tmp_.path() + "/listen.err & echo $! > " +
                             tmp_.path() + "/pid";
  ASSERT_EQ(Shell(listen), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(Shell(Ttsc() + " say --channel stream --stats 'Hello chat, welcome to the stream.' 2>" + err), 0)
      << ReadFile(err);
  auto stats = nlohmann::json::parse(ReadFile(err));
  const double audio_s = stats["audio_s"].get<double>();
  // Waited while it played.
  EXPECT_GE(stats["wall_s"].get<double>(), audio_s - 0.3);
  EXPECT_LE(stats["wall_s"].get<double>(), audio_s + kPlayoutLateS);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string pid = ReadFile(tmp_.path() + "/pid");
  pid.erase(pid.find_last_not_of(" \n") + 1);
  ASSERT_EQ(Shell("kill -INT " + pid + " && while kill -0 " + pid + " 2>/dev/null; do sleep 0.05; done"), 0);
  int rate = 0;
  auto samples = ReadWav(wav, &rate);
  EXPECT_EQ(rate, 48000);
  size_t first = samples.size(), last = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (std::abs(samples[i]) > 1e-3f) {
      first = std::min(first, i);
      last = i;
    }
  }
  ASSERT_LT(first, last);
  EXPECT_NEAR((last - first) / 48000.0, audio_s, 0.3);
  EXPECT_GT(samples.size() / 48000.0, audio_s + 0.3);  // silence around it: one continuous stream
}

TEST_F(TtscEndToEnd, ListenEventsFollowTheWordsAsTheyArePlayed) {
  const std::string events = tmp_.path() + "/events.jsonl", err = tmp_.path() + "/err";
  // Events only: no audio output, nothing played here.
  ASSERT_EQ(Shell(Ttsc() + " listen --channel captions --events " + events + " 2>" + tmp_.path() + "/listen.err & echo $! > " +
                  tmp_.path() + "/pid"),
            0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(Shell(Ttsc() + " say --channel captions 'Hello chat, welcome in.' 2>" + err), 0) << ReadFile(err);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string pid = ReadFile(tmp_.path() + "/pid");
  pid.erase(pid.find_last_not_of(" \n") + 1);
  ASSERT_EQ(Shell("kill -INT " + pid + " && while kill -0 " + pid + " 2>/dev/null; do sleep 0.05; done"), 0);
  std::vector<std::string> seen;
  std::istringstream lines(ReadFile(events));
  double last_start = -1;
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    const std::string type = j["type"];
    if (type == "word") {
      seen.push_back(j["text"]);
      EXPECT_GE(j["start_s"].get<double>(), last_start);
      last_start = j["start_s"].get<double>();
    } else if (type != "sentence") {
      seen.push_back(type + (type == "utterance_end" ? ":" + j["reason"].get<std::string>() : ""));
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"utterance_start", "Hello", "chat", "welcome", "in", "utterance_end:played"}))
      << ReadFile(events) << ReadFile(tmp_.path() + "/listen.err");
}

TEST(DaemonConfigFile, FlagsOverrideTheTomlFile) {
  TempDir home;
  std::filesystem::create_directories(home.path() + "/ttsd");
  std::ofstream(home.path() + "/ttsd/ttsd.toml") << "voices = [\"" << FixturesDir() << "\"]\n"
                                                 << "workers = 3\nchunk-frames = 12\njit-fusion = true\n";
  const std::string out = home.path() + "/out";
  ASSERT_EQ(Shell("XDG_CONFIG_HOME=" + home.path() + " " + TtsdBinary() +
                  " --socket /tmp/unused.sock --workers 1 --print-config >" + out),
            0);
  const std::string config = ReadFile(out);
  EXPECT_NE(config.find("workers=1"), std::string::npos) << config;
  EXPECT_NE(config.find("chunk_frames=12"), std::string::npos) << config;
  EXPECT_NE(config.find("jit_fusion=on"), std::string::npos) << config;
  EXPECT_NE(config.find("voices=" + FixturesDir()), std::string::npos) << config;
  // A bad value in the file is a clear startup error.
  std::ofstream(home.path() + "/ttsd/ttsd.toml") << "voices = [\"x\"]\nthreads = 0\n";
  EXPECT_EQ(Shell("XDG_CONFIG_HOME=" + home.path() + " " + TtsdBinary() + " --socket /tmp/unused.sock --print-config 2>" +
                  out),
            2);
  EXPECT_NE(ReadFile(out).find("threads"), std::string::npos) << ReadFile(out);
}

}  // namespace
}  // namespace ttsd::testing
