// G.711 mu-law and A-law (codec/include/ttsd/codec/g711.h): the standard's fixed points, monotone
// coding, and decoding within half a quantization step of every 16-bit value.
#include "ttsd/codec/g711.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace ttsd::codec {
namespace {

TEST(G711, TheStandardsFixedPoints) {
  EXPECT_EQ(LinearToMulaw(0), 0xFF);
  EXPECT_EQ(LinearToMulaw(-1), 0x7F);
  EXPECT_EQ(LinearToMulaw(32767), 0x80);
  EXPECT_EQ(LinearToMulaw(-32768), 0x00);
  EXPECT_EQ(MulawToLinear(0xFF), 0);
  EXPECT_EQ(MulawToLinear(0x80), 32124);
  EXPECT_EQ(MulawToLinear(0x00), -32124);
  EXPECT_EQ(LinearToAlaw(0), 0xD5);
  EXPECT_EQ(LinearToAlaw(-1), 0x55);
  EXPECT_EQ(LinearToAlaw(32767), 0xAA);
  EXPECT_EQ(LinearToAlaw(-32768), 0x2A);
  EXPECT_EQ(AlawToLinear(0xD5), 8);
  EXPECT_EQ(AlawToLinear(0xAA), 32256);
  EXPECT_EQ(AlawToLinear(0x2A), -32256);
}

// Every 16-bit value: decoding its code comes back within the step of its segment (mu-law's steps
// double from 8, A-law's from 16, per segment; the top of the range clips to the largest code).
TEST(G711, EveryValueComesBackWithinItsStep) {
  int last_mu = -40000, last_a = -40000;
  for (int v = -32768; v <= 32767; ++v) {
    const auto s = static_cast<int16_t>(v);
    const int mu = MulawToLinear(LinearToMulaw(s)), a = AlawToLinear(LinearToAlaw(s));
    const int mag = std::abs(v);
    const int mu_step = mag < 128 ? 8 : 8 << (31 - __builtin_clz(static_cast<unsigned>(mag + 132)) - 7);
    const int a_step = mag < 512 ? 16 : 16 << (31 - __builtin_clz(static_cast<unsigned>(mag)) - 8);
    if (mag <= 32124) {
      EXPECT_LE(std::abs(mu - v), mu_step) << v;
    }
    if (mag <= 32256) {
      EXPECT_LE(std::abs(a - v), a_step) << v;
    }
    EXPECT_GE(mu, last_mu) << "mu-law is not monotone at " << v;
    EXPECT_GE(a, last_a) << "A-law is not monotone at " << v;
    last_mu = mu, last_a = a;
  }
}

TEST(G711, CodesRoundTrip) {
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<uint8_t>(c);
    if (code != 0x7F) {  // 0x7F and 0xFF are -0 and +0
      EXPECT_EQ(LinearToMulaw(MulawToLinear(code)), code) << c;
    }
    EXPECT_EQ(LinearToAlaw(AlawToLinear(code)), code) << c;
  }
}

}  // namespace
}  // namespace ttsd::codec
