// WavFileSink (read back with libsndfile, sample for sample), RawPcmSink over a pipe, and the output spec.
#include "ttsd/client/audio-sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "client/scripted-server.h"
#include "ttsd/client/raw-pcm-sink.h"
#include "ttsd/client/wav-file-sink.h"

namespace ttsd::client {
namespace {

using protocol::SampleFormat;
using testing::Bytes;
using testing::F32Pcm;
using testing::S16Pcm;

struct WavContents {
  SF_INFO info{};
  std::vector<int16_t> s16;
  std::vector<float> f32;
};

WavContents Read(const std::string& path) {
  WavContents out;
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &out.info);
  if (!f) {
    ADD_FAILURE() << "cannot read " << path << ": " << sf_strerror(nullptr);
    return out;
  }
  const size_t n = static_cast<size_t>(out.info.frames * out.info.channels);
  if ((out.info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_FLOAT) {
    out.f32.resize(n);
    sf_readf_float(f, out.f32.data(), out.info.frames);
  } else {
    out.s16.resize(n);
    sf_readf_short(f, out.s16.data(), out.info.frames);
  }
  sf_close(f);
  return out;
}

TEST(WavFileSink, WritesS16ExactlyAsPcm16) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/a.wav";
  auto sink = WavFileSink::Create(path);
  ASSERT_TRUE(sink.has_value());
  ASSERT_TRUE((*sink)->Open({24000, 1, SampleFormat::kS16Le}).has_value());
  const std::vector<int16_t> a = {0, 1, -1, 32767, -32768, 1234};
  const std::vector<int16_t> b = {-5, 6};
  ASSERT_TRUE((*sink)->Write(S16Pcm(a)).has_value());
  ASSERT_TRUE((*sink)->Write({}).has_value());
  ASSERT_TRUE((*sink)->Write(S16Pcm(b)).has_value());
  ASSERT_TRUE((*sink)->Close().has_value());
  ASSERT_TRUE((*sink)->Close().has_value());  // twice is fine
  auto w = Read(path);
  EXPECT_EQ(w.info.samplerate, 24000);
  EXPECT_EQ(w.info.channels, 1);
  EXPECT_EQ(w.info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  std::vector<int16_t> expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(w.s16, expected);
}

TEST(WavFileSink, WritesF32ExactlyAsFloat) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/f.wav";
  auto sink = WavFileSink::Create(path);
  ASSERT_TRUE(sink.has_value());
  ASSERT_TRUE((*sink)->Open({16000, 2, SampleFormat::kF32Le}).has_value());
  const std::vector<float> a = {0.1f, -0.2f, 0.75f, -1.0f, 1.5f, 3e-8f};  // 1.5: floats are not clipped
  ASSERT_TRUE((*sink)->Write(F32Pcm(a)).has_value());
  ASSERT_TRUE((*sink)->Close().has_value());
  auto w = Read(path);
  EXPECT_EQ(w.info.channels, 2);
  EXPECT_EQ(w.info.frames, 3);
  EXPECT_EQ(w.info.format, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  EXPECT_EQ(w.f32, a);
}

TEST(WavFileSink, FileIsValidAfterEveryChunk) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/live.wav";
  auto sink = WavFileSink::Create(path);
  ASSERT_TRUE(sink.has_value());
  ASSERT_TRUE((*sink)->Open({16000, 1, SampleFormat::kS16Le}).has_value());
  std::vector<int16_t> so_far;
  for (int chunk = 0; chunk < 4; ++chunk) {
    std::vector<int16_t> samples(100 + chunk);
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<int16_t>(chunk * 1000 + i);
    ASSERT_TRUE((*sink)->Write(S16Pcm(samples)).has_value());
    so_far.insert(so_far.end(), samples.begin(), samples.end());
    // Still open: a reader already sees every chunk written so far.
    auto w = Read(path);
    EXPECT_EQ(w.s16, so_far) << "after chunk " << chunk;
  }
  ASSERT_TRUE((*sink)->Close().has_value());
}

TEST(WavFileSink, CloseWithoutOpenRemovesTheFile) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/never.wav";
  auto sink = WavFileSink::Create(path);
  ASSERT_TRUE(sink.has_value());
  EXPECT_TRUE(std::filesystem::exists(path));
  ASSERT_TRUE((*sink)->Close().has_value());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(WavFileSink, UnwritablePathIsIo) {
  testing::TempDir dir;
  auto sink = WavFileSink::Create(dir.path() + "/no/such/dir/a.wav");
  ASSERT_FALSE(sink.has_value());
  EXPECT_EQ(sink.error().code, ErrorCode::kIo);
  EXPECT_NE(sink.error().message.find("No such file or directory"), std::string::npos) << sink.error().message;
}

TEST(WavFileSink, RefusesMisuse) {
  testing::TempDir dir;
  auto sink = WavFileSink::Create(dir.path() + "/m.wav");
  ASSERT_TRUE(sink.has_value());
  EXPECT_EQ((*sink)->Write(S16Pcm({1})).error().code, ErrorCode::kBadRequest);  // before Open
  EXPECT_EQ((*sink)->Open({0, 1, SampleFormat::kS16Le}).error().code, ErrorCode::kBadRequest);
  ASSERT_TRUE((*sink)->Open({8000, 2, SampleFormat::kS16Le}).has_value());
  EXPECT_EQ((*sink)->Open({8000, 2, SampleFormat::kS16Le}).error().code, ErrorCode::kBadRequest);
  EXPECT_EQ((*sink)->Write(S16Pcm({1, 2, 3})).error().code, ErrorCode::kBadRequest);  // 1.5 stereo frames
  EXPECT_TRUE((*sink)->Write(S16Pcm({1, 2})).has_value());
}

TEST(RawPcmSink, WritesEachChunkThroughAtOnce) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  RawPcmSink sink(fds[1], /*owns_fd=*/true, "a pipe");
  ASSERT_TRUE(sink.Open({16000, 1, SampleFormat::kS16Le}).has_value());
  const Bytes chunk = S16Pcm({1, -2, 300});
  ASSERT_TRUE(sink.Write(chunk).has_value());
  // Readable now, before Close: no buffering in between.
  Bytes got(chunk.size());
  ASSERT_EQ(read(fds[0], got.data(), got.size()), static_cast<ssize_t>(chunk.size()));
  EXPECT_EQ(got, chunk);
  EXPECT_EQ(sink.Write(Bytes{1}).error().code, ErrorCode::kBadRequest);  // half a sample
  ASSERT_TRUE(sink.Close().has_value());
  uint8_t byte;
  EXPECT_EQ(read(fds[0], &byte, 1), 0);  // the sink closed its end
  close(fds[0]);
}

TEST(RawPcmSink, ClosedReaderIsIo) {
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  RawPcmSink sink(fds[1], /*owns_fd=*/true, "stdout");
  ASSERT_TRUE(sink.Open({16000, 1, SampleFormat::kS16Le}).has_value());
  auto s = sink.Write(S16Pcm({1, 2}));
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find("Broken pipe"), std::string::npos) << s.error().message;
  sigaction(SIGPIPE, &old, nullptr);
}

TEST(OutputSpec, NamesPickTheSink) {
  EXPECT_EQ(ParseOutputSpec("-")->kind, OutputSpec::Kind::kRawStdout);
  EXPECT_EQ(ParseOutputSpec("out.wav")->kind, OutputSpec::Kind::kWavFile);
  EXPECT_EQ(ParseOutputSpec("/tmp/OUT.WAV")->path, "/tmp/OUT.WAV");
  EXPECT_EQ(ParseOutputSpec("x.raw")->kind, OutputSpec::Kind::kRawFile);
  EXPECT_EQ(ParseOutputSpec("x.pcm")->kind, OutputSpec::Kind::kRawFile);
  for (const char* bad : {"out.mp4", "out", "", ".wav", "--"}) {
    auto s = ParseOutputSpec(bad);
    ASSERT_FALSE(s.has_value()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kBadRequest);
  }
}

TEST(OutputSpec, CompressedFormatsByExtensionOrPrefix) {
  struct Case {
    const char* spec;
    OutputSpec::Kind kind;
    EncodedFormat format;
    const char* path;
  };
  const Case cases[] = {
      {"out.mp3", OutputSpec::Kind::kEncodedFile, EncodedFormat::kMp3, "out.mp3"},
      {"/tmp/A.MP3", OutputSpec::Kind::kEncodedFile, EncodedFormat::kMp3, "/tmp/A.MP3"},
      {"speech.flac", OutputSpec::Kind::kEncodedFile, EncodedFormat::kFlac, "speech.flac"},
      {"Speech.Flac", OutputSpec::Kind::kEncodedFile, EncodedFormat::kFlac, "Speech.Flac"},
      {"x.aac", OutputSpec::Kind::kEncodedFile, EncodedFormat::kAac, "x.aac"},
      {"X.AAC", OutputSpec::Kind::kEncodedFile, EncodedFormat::kAac, "X.AAC"},
      {"mp3:-", OutputSpec::Kind::kEncodedStdout, EncodedFormat::kMp3, ""},
      {"flac:-", OutputSpec::Kind::kEncodedStdout, EncodedFormat::kFlac, ""},
      {"aac:-", OutputSpec::Kind::kEncodedStdout, EncodedFormat::kAac, ""},
      {"mp3:speech.bin", OutputSpec::Kind::kEncodedFile, EncodedFormat::kMp3, "speech.bin"},
      {"aac:out.m4a", OutputSpec::Kind::kEncodedFile, EncodedFormat::kAac, "out.m4a"},
      {"flac:x.wav", OutputSpec::Kind::kEncodedFile, EncodedFormat::kFlac, "x.wav"},  // the prefix wins
  };
  for (const auto& c : cases) {
    auto s = ParseOutputSpec(c.spec);
    ASSERT_TRUE(s.has_value()) << c.spec << ": " << s.error().message;
    EXPECT_EQ(s->kind, c.kind) << c.spec;
    EXPECT_EQ(s->encoded_format, c.format) << c.spec;
    EXPECT_EQ(s->path, c.path) << c.spec;
  }
  EXPECT_EQ(ParseOutputSpec("ogg:x.mp3")->kind, OutputSpec::Kind::kOggFile);
  for (const char* bad : {".mp3", ".flac", ".aac", "mp3:", "flac:", "x.mp3.tmp", "x.fla", "x.m4a"}) {
    auto s = ParseOutputSpec(bad);
    ASSERT_FALSE(s.has_value()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kBadRequest);
  }
  // The error lists every kind of name -o understands.
  const std::string message = ParseOutputSpec("x.m4a").error().message;
  EXPECT_NE(message.find("'x.m4a'"), std::string::npos) << message;
  for (const char* listed : {".wav", ".raw", ".opus", ".mp3", ".flac", ".aac", "ogg:-", "mp3:-", "flac:-", "aac:-"}) {
    EXPECT_NE(message.find(listed), std::string::npos) << listed << " missing from: " << message;
  }
}

TEST(OutputSpec, FactoryOpensTheOutputAtOnce) {
  testing::TempDir dir;
  auto wav = MakeAudioSink(*ParseOutputSpec(dir.path() + "/a.wav"));
  ASSERT_TRUE(wav.has_value());
  EXPECT_EQ((*wav)->Describe(), "WAV file " + dir.path() + "/a.wav");
  auto raw = MakeAudioSink(*ParseOutputSpec(dir.path() + "/a.raw"));
  ASSERT_TRUE(raw.has_value());
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/a.raw"));
  auto out = MakeAudioSink(*ParseOutputSpec("-"));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)->Describe(), "raw PCM on stdout");
  auto bad = MakeAudioSink(*ParseOutputSpec(dir.path() + "/missing/a.wav"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kIo);

  for (const char* name : {"/a.mp3", "/a.flac", "/a.aac"}) {
    auto sink = MakeAudioSink(*ParseOutputSpec(dir.path() + name));
    ASSERT_TRUE(sink.has_value()) << name;
    EXPECT_TRUE(std::filesystem::exists(dir.path() + name)) << name;
  }
  EXPECT_EQ((*MakeAudioSink(*ParseOutputSpec(dir.path() + "/b.mp3")))->Describe(), "MP3 file " + dir.path() + "/b.mp3");
  EXPECT_EQ((*MakeAudioSink(*ParseOutputSpec("flac:-")))->Describe(), "FLAC on stdout");
  EXPECT_EQ((*MakeAudioSink(*ParseOutputSpec("aac:-")))->Describe(), "AAC on stdout");
  auto missing = MakeAudioSink(*ParseOutputSpec(dir.path() + "/missing/a.flac"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace ttsd::client
