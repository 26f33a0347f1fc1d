// The CUDA path: runs only where libtorch sees a CUDA device, skips cleanly elsewhere.
#include <gtest/gtest.h>

#include "ttsd/engine/voice.h"

namespace ttsd::engine {
namespace {

TEST(Cuda, Fp16MatchesCpu) {
  EngineConfig gpu;
  gpu.device = "cuda";
  gpu.dtype = "fp16";
  const std::string dir = std::string(TTSD_SOURCE_DIR) + "/models/fixtures/fixture-stream";
  auto on_gpu = Voice::Load(dir, gpu);
  if (!on_gpu && on_gpu.error().message.find("no CUDA device") != std::string::npos) {
    GTEST_SKIP() << "no CUDA device";
  }
  ASSERT_TRUE(on_gpu) << on_gpu.error().ToString();
  auto on_cpu = Voice::Load(dir, EngineConfig{});
  ASSERT_TRUE(on_cpu);
  auto speak = [](const Voice& v) {
    StreamOptions o;
    o.text = "Same words on both devices.";
    auto s = v.Start(o).value();
    std::vector<float> audio;
    Chunk c;
    do {
      EXPECT_TRUE(s->Next(&c));
      audio.insert(audio.end(), c.samples.begin(), c.samples.end());
    } while (!c.is_last);
    return audio;
  };
  auto a = speak(**on_gpu);
  auto b = speak(**on_cpu);
  ASSERT_EQ(a.size(), b.size());
  double err = 0;
  for (size_t i = 0; i < a.size(); ++i) err = std::max(err, double(std::abs(a[i] - b[i])));
  EXPECT_LT(err, 0.02);
}

}  // namespace
}  // namespace ttsd::engine
