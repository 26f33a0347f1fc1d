// DaemonConfig: the defaults of the reference-audio limits, their checks and the limits they become;
// AddFlags (with EngineConfig's and HttpConfig's): ttsd's flags and config file keys exist under their
// names, show the struct's defaults, and fill the fields they name.
#include "ttsd/daemon/daemon-config.h"

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

namespace ttsd::daemon {
namespace {

TEST(DaemonConfig, ReferenceDefaultsAreCheckedAndBecomeLimits) {
  DaemonConfig c;
  EXPECT_EQ(c.max_reference_bytes, 16u << 20);
  EXPECT_EQ(c.min_reference_s, 3.0);
  EXPECT_EQ(c.max_reference_s, 15.0);
  EXPECT_EQ(c.voice_store, "");  // main fills in $XDG_DATA_HOME/ttsd/voices
  c.socket_path = "/tmp/x.sock";
  c.voice_dirs = {"/tmp"};
  ASSERT_TRUE(c.Validate());
  c.max_reference_s = 20;
  c.min_reference_s = 5;
  EXPECT_EQ(c.reference_limits().max_file_s, 20.0);
  EXPECT_EQ(c.reference_limits().min_total_s, 5.0);
  for (auto bad : {std::pair{0.5, 15.0}, std::pair{3.0, 0.5}, std::pair{3.0, 601.0}, std::pair{200.0, 15.0}}) {
    DaemonConfig b = c;
    b.min_reference_s = bad.first;
    b.max_reference_s = bad.second;
    auto s = b.Validate();
    ASSERT_FALSE(s) << bad.first << " " << bad.second;
    EXPECT_EQ(s.error().code, ErrorCode::kBadRequest);
  }
  c.max_reference_bytes = 100;
  EXPECT_FALSE(c.Validate());
  EXPECT_NE(DaemonConfig{}.ToString().find("max_reference_bytes=16777216"), std::string::npos);
}

TEST(DaemonConfig, ChannelCapsAreChecked) {
  DaemonConfig c;
  EXPECT_EQ(c.channel_max_queue, 64u);
  EXPECT_EQ(c.channel_max_queued_s, 300.0);
  EXPECT_EQ(c.channel_loudness, -16.0);
  c.socket_path = "/tmp/x.sock";
  c.voice_dirs = {"/tmp"};
  c.channel_max_queued_s = 0;  // no time cap
  EXPECT_TRUE(c.Validate());
  for (auto [queue, seconds] : {std::pair{size_t{0}, 300.0}, std::pair{size_t{10001}, 300.0},
                                std::pair{size_t{64}, -1.0}, std::pair{size_t{64}, 86401.0}}) {
    DaemonConfig b = c;
    b.channel_max_queue = queue;
    b.channel_max_queued_s = seconds;
    auto s = b.Validate();
    ASSERT_FALSE(s) << queue << " " << seconds;
    EXPECT_NE(s.error().message.find("channel_max_queue"), std::string::npos) << s.error().message;
  }
  EXPECT_NE(DaemonConfig{}.ToString().find("channel_max_queue=64 channel_max_queued_s=300 channel_loudness=-16"),
            std::string::npos);
  for (double lufs : {0.0, -23.0, -70.0, -5.0}) {  // 0: off
    DaemonConfig b = c;
    b.channel_loudness = lufs;
    EXPECT_TRUE(b.Validate()) << lufs;
  }
  for (double lufs : {-3.0, -71.0, 5.0}) {
    DaemonConfig b = c;
    b.channel_loudness = lufs;
    auto s = b.Validate();
    ASSERT_FALSE(s) << lufs;
    EXPECT_NE(s.error().message.find("channel_loudness"), std::string::npos) << s.error().message;
  }
}

TEST(DaemonConfig, AddFlagsRegistersEveryFlagWithItsDefault) {
  DaemonConfig c;
  CLI::App app;
  c.AddFlags(app);
  const std::pair<const char*, const char*> with_defaults[] = {
      {"--workers", "2"},          {"--max-batch", "8"},
      {"--threads", "1"},          {"--device", "cpu"},
      {"--dtype", "fp32"},         {"--first-chunk-frames", "4"},
      {"--chunk-frames", "24"},    {"--max-text-bytes", "100000"},
      {"--max-requests-per-client", "16"}, {"--max-requests-total", "256"},
      {"--max-connections", "128"}, {"--max-outbound-bytes", "524288"},
      {"--idle-timeout", "600"},   {"--drain-timeout", "10"},
      {"--channel-max-queue", "64"}, {"--channel-max-queued-s", "300"}, {"--channel-loudness", "-16"},
      {"--log-level", "info"},     {"--max-reference-bytes", "16777216"},
      {"--min-reference-s", "3"},  {"--max-reference-s", "15"},
      {"--wyoming", "off"},        {"--http", "127.0.0.1:5002"},
      {"--http-max-connections", "64"}};
  for (const auto& [name, default_value] : with_defaults) {
    const CLI::Option* option = app.get_option_no_throw(name);
    ASSERT_NE(option, nullptr) << name;
    EXPECT_EQ(option->get_default_str(), default_value) << name;
  }
  // No default shown; the underscore spellings are config file keys.
  for (const char* name : {"--voices", "--default-voice", "--jit-fusion", "--voice-store", "--lexicon",
                           "--wyoming-socket", "--wyoming_socket", "--http-token", "--http_token", "--http-token-file",
                           "--http_token_file"}) {
    const CLI::Option* option = app.get_option_no_throw(name);
    ASSERT_NE(option, nullptr) << name;
    EXPECT_EQ(option->get_default_str(), "") << name;
  }
  // main's own: not the config's.
  for (const char* name : {"--socket", "--no-warmup", "--print-config"}) {
    EXPECT_EQ(app.get_option_no_throw(name), nullptr) << name;
  }
}

TEST(DaemonConfig, FlagsFillTheirFields) {
  DaemonConfig c;
  CLI::App app;
  c.AddFlags(app);
  app.parse("--voices a --voices b --workers 3 --threads 2 --device cuda:1 --dtype fp16 --jit-fusion "
            "--max-text-bytes 500 --max-reference-s 20 --wyoming on --http off --http_token t",
            false);
  EXPECT_EQ(c.voice_dirs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.inference_workers, 3);
  EXPECT_EQ(c.engine.threads, 2);
  EXPECT_EQ(c.engine.device, "cuda:1");
  EXPECT_EQ(c.engine.dtype, "fp16");
  EXPECT_TRUE(c.engine.jit_fusion);
  EXPECT_EQ(c.engine.max_text_bytes, 500u);
  EXPECT_EQ(c.max_reference_s, 20.0);
  EXPECT_EQ(c.wyoming, "on");
  EXPECT_EQ(c.http.listen, "off");
  EXPECT_EQ(c.http.token, "t");
}

TEST(DaemonConfig, ConfigFileKeysAreTheLongFlagNames) {
  const std::string path = ::testing::TempDir() + "ttsd-config-test.toml";
  std::ofstream(path) << "workers = 4\nchunk-frames = 12\nwyoming_socket = \"/run/w.sock\"\nhttp_token = \"s3cret\"\n"
                         "http-max-connections = 5\n";
  DaemonConfig c;
  CLI::App app;
  app.set_config("--config", path);
  c.AddFlags(app);
  app.parse("", false);
  std::remove(path.c_str());
  EXPECT_EQ(c.inference_workers, 4);
  EXPECT_EQ(c.engine.chunk_frames, 12);
  EXPECT_EQ(c.wyoming_socket, "/run/w.sock");
  EXPECT_EQ(c.http.token, "s3cret");
  EXPECT_EQ(c.http.max_connections, 5u);
}

TEST(DaemonConfig, LimitMessagesNameTheirNumbers) {
  DaemonConfig c;
  c.socket_path = "/" + std::string(106, 's');  // 107 bytes: the most a socket path holds
  c.voice_dirs = {"/tmp"};
  ASSERT_TRUE(c.Validate());
  auto message = [](const DaemonConfig& d) { return d.Validate().error().message; };
  DaemonConfig b = c;
  b.socket_path += "s";
  EXPECT_EQ(message(b), "socket path is longer than 107 bytes");
  b = c;
  b.wyoming_socket = "/" + std::string(107, 'w');
  EXPECT_EQ(message(b), "wyoming_socket must be an absolute path shorter than 108 bytes");
  b = c;
  b.min_reference_s = 8 * b.max_reference_s + 1;
  EXPECT_EQ(message(b), "min_reference_s must be 1 to 8 x max_reference_s");
}

}  // namespace
}  // namespace ttsd::daemon
