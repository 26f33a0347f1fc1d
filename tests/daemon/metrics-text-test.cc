// Metrics without a daemon: the bucket bounds, the resident-memory parser, and the text a scrape gets
// for known counts (every line checked against what was recorded).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "ttsd/daemon/metrics.h"

namespace ttsd::daemon {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool HasLine(const std::string& text, const std::string& line) {
  for (const auto& l : Lines(text)) {
    if (l == line) return true;
  }
  return false;
}

size_t CountPrefix(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (const auto& l : Lines(text)) n += l.starts_with(prefix);
  return n;
}

Metrics Make() { return Metrics({"1.2.3", "1.13.0", "cpu"}, 8); }

TEST(MetricsBuckets, DecadeOneTwoFiveFromLowToHigh) {
  const double steps[] = {1, 2, 5};
  EXPECT_EQ(DecadeBuckets(0.005, 10, steps), (std::vector<double>{0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10}));
}

TEST(MetricsBuckets, DecadeValuesAreTheDoublesOfTheirDecimals) {
  const double steps[] = {1, 1.5, 2, 3, 5, 7.5};
  const auto b = DecadeBuckets(0.001, 5, steps);
  ASSERT_EQ(b.size(), 23u);
  EXPECT_EQ(b.front(), 0.001);
  EXPECT_EQ(b[1], 0.0015);
  EXPECT_EQ(b[4], 0.005);
  EXPECT_EQ(b[11], 0.075);
  EXPECT_EQ(b.back(), 5.0);
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
}

TEST(MetricsBuckets, BatchEverySizeToEightThenDoublingToTheMax) {
  EXPECT_EQ(BatchBuckets(0), std::vector<double>{1});
  EXPECT_EQ(BatchBuckets(1), std::vector<double>{1});
  EXPECT_EQ(BatchBuckets(3), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(BatchBuckets(8), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(BatchBuckets(12), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 12}));
  EXPECT_EQ(BatchBuckets(64), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64}));
}

TEST(MetricsResidentBytes, SecondFieldOfStatmTimesThePage) {
  EXPECT_EQ(ResidentBytes("52340 12004 3000 200 0 9000 0\n", 4096), 12004u * 4096);
  EXPECT_EQ(ResidentBytes("", 4096), std::nullopt);
  EXPECT_EQ(ResidentBytes("52340", 4096), std::nullopt);
  EXPECT_EQ(ResidentBytes("52340 x", 4096), std::nullopt);
}

TEST(MetricsFrontEndName, TheLabelValues) {
  EXPECT_EQ(FrontEndName(FrontEndKind::kNative), "native");
  EXPECT_EQ(FrontEndName(FrontEndKind::kHttp), "http");
  EXPECT_EQ(FrontEndName(FrontEndKind::kWyoming), "wyoming");
}

TEST(Metrics, BuildInfoAndSampledGaugesWithNothingCounted) {
  Metrics m = Make();
  MetricsSample s;
  s.requests_active = 3;
  s.requests_queued = 2;
  s.streams_behind = 1;
  s.voices_loaded = 4;
  const std::string text = m.Text(s);
  EXPECT_TRUE(HasLine(text, R"(ttsd_build_info{device="cpu",libtorch="1.13.0",version="1.2.3"} 1)")) << text;
  EXPECT_TRUE(HasLine(text, "# TYPE ttsd_build_info gauge"));
  EXPECT_TRUE(HasLine(text, "ttsd_requests_active 3"));
  EXPECT_TRUE(HasLine(text, "ttsd_requests_queued 2"));
  EXPECT_TRUE(HasLine(text, "ttsd_streams_behind 1"));
  EXPECT_TRUE(HasLine(text, "ttsd_voices_loaded 4"));
  EXPECT_TRUE(HasLine(text, "ttsd_stream_underruns_total 0"));
  EXPECT_TRUE(HasLine(text, "ttsd_batch_size_count 0"));
  EXPECT_EQ(CountPrefix(text, "ttsd_requests_total{"), 0u);
  EXPECT_EQ(CountPrefix(text, "ttsd_channel_"), 0u);  // no channel: no channel families
  EXPECT_EQ(CountPrefix(text, "process_resident_memory_bytes "), 1u);
}

TEST(Metrics, RequestsByFrontEndVoiceAndOutcome) {
  Metrics m = Make();
  m.RequestEnded(FrontEndKind::kNative, "fixture-ar", "ok");
  m.RequestEnded(FrontEndKind::kNative, "fixture-ar", "ok");
  m.RequestEnded(FrontEndKind::kHttp, kNoVoice, "unknown_voice");
  m.RequestEnded(FrontEndKind::kWyoming, "fixture-ar", "cancelled");
  const std::string text = m.Text({});
  EXPECT_TRUE(HasLine(text, "# TYPE ttsd_requests_total counter"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_requests_total{front_end="native",outcome="ok",voice="fixture-ar"} 2)")) << text;
  EXPECT_TRUE(HasLine(text, R"(ttsd_requests_total{front_end="http",outcome="unknown_voice",voice="none"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_requests_total{front_end="wyoming",outcome="cancelled",voice="fixture-ar"} 1)"));
  EXPECT_EQ(CountPrefix(text, "ttsd_requests_total{"), 3u);
}

TEST(Metrics, HistogramsAudioAndUnderruns) {
  Metrics m = Make();
  m.FirstAudio(FrontEndKind::kNative, "v", 0.004);
  m.FirstAudio(FrontEndKind::kNative, "v", 0.012);
  m.FirstAudio(FrontEndKind::kNative, "v", 9);  // past the last bound: +Inf only
  m.AudioProduced("v", 1.5);
  m.AudioProduced("v", 0.25);
  m.RealTimeFactor("v", 0.1, 2);    // 0.05
  m.RealTimeFactor("v", 1, 0);      // no audio: not observed
  m.BatchStep(1);
  m.BatchStep(3);
  m.StreamUnderrun();
  const std::string text = m.Text({});
  const std::string ttfa = R"(ttsd_time_to_first_audio_seconds_bucket{front_end="native",voice="v",le=")";
  EXPECT_TRUE(HasLine(text, ttfa + R"(0.003"} 0)")) << text;
  EXPECT_TRUE(HasLine(text, ttfa + R"(0.005"} 1)"));
  EXPECT_TRUE(HasLine(text, ttfa + R"(0.015"} 2)"));
  EXPECT_TRUE(HasLine(text, ttfa + R"(5"} 2)"));
  EXPECT_TRUE(HasLine(text, ttfa + R"(+Inf"} 3)"));
  EXPECT_EQ(CountPrefix(text, ttfa), 24u);  // 23 bounds and +Inf
  EXPECT_TRUE(HasLine(text, R"(ttsd_time_to_first_audio_seconds_count{front_end="native",voice="v"} 3)"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_audio_seconds_total{voice="v"} 1.75)"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_real_time_factor_count{voice="v"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_real_time_factor_bucket{voice="v",le="0.05"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_real_time_factor_bucket{voice="v",le="0.02"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_batch_size_bucket{le="2"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_batch_size_bucket{le="8"} 2)"));
  EXPECT_TRUE(HasLine(text, "ttsd_batch_size_sum 4"));
  EXPECT_TRUE(HasLine(text, "ttsd_stream_underruns_total 1"));
}

TEST(Metrics, ChannelsSampledByName) {
  Metrics m = Make();
  MetricsSample s;
  s.channels.push_back({"stream", 2, 1, 5});
  s.channels.push_back({"quiet", 0, 0, 0});
  const std::string text = m.Text(s);
  EXPECT_TRUE(HasLine(text, "# TYPE ttsd_channel_queued_utterances gauge"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_channel_queued_utterances{channel="stream"} 2)")) << text;
  EXPECT_TRUE(HasLine(text, R"(ttsd_channel_listeners{channel="stream"} 1)"));
  EXPECT_TRUE(HasLine(text, "# TYPE ttsd_channel_underruns_total counter"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_channel_underruns_total{channel="stream"} 5)"));
  EXPECT_TRUE(HasLine(text, R"(ttsd_channel_queued_utterances{channel="quiet"} 0)"));
}

}  // namespace
}  // namespace ttsd::daemon
