// The lock-free ring between Write and the audio callback: capacity, partial writes and reads, wrap-around,
// and a producer and a consumer thread moving a few megabytes through it intact.
#include "ttsd/client/spsc-byte-ring.h"

#include <gtest/gtest.h>

#include <numeric>
#include <thread>
#include <vector>

namespace ttsd::client {
namespace {

TEST(SpscByteRing, CapacityIsAPowerOfTwo) {
  EXPECT_EQ(SpscByteRing(1000).capacity(), 1024u);
  EXPECT_EQ(SpscByteRing(1024).capacity(), 1024u);
  EXPECT_EQ(SpscByteRing(0).capacity(), 2u);
}

TEST(SpscByteRing, WritesWhatFitsAndReadsWhatIsThere) {
  SpscByteRing ring(8);
  std::vector<uint8_t> in(12);
  std::iota(in.begin(), in.end(), 1);
  EXPECT_EQ(ring.Write(in.data(), in.size()), 8u);
  EXPECT_EQ(ring.AvailableBytes(), 8u);
  EXPECT_EQ(ring.FreeBytes(), 0u);
  uint8_t out[16] = {};
  EXPECT_EQ(ring.Read(out, 5), 5u);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[4], 5);
  // Wraps around the end of the buffer.
  EXPECT_EQ(ring.Write(in.data() + 8, 4), 4u);
  EXPECT_EQ(ring.Read(out, 16), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(out[i], 6 + i);
  EXPECT_EQ(ring.Read(out, 16), 0u);
  ring.Write(in.data(), 3);
  ring.Drop();
  EXPECT_EQ(ring.AvailableBytes(), 0u);
}

TEST(SpscByteRing, TwoThreadsMoveTheBytesIntact) {
  SpscByteRing ring(1000);
  constexpr size_t kTotal = 4 << 20;
  std::thread producer([&] {
    std::vector<uint8_t> chunk(777);
    size_t sent = 0;
    while (sent < kTotal) {
      const size_t n = std::min(chunk.size(), kTotal - sent);
      for (size_t i = 0; i < n; ++i) chunk[i] = static_cast<uint8_t>((sent + i) * 31 + 7);
      size_t done = 0;
      while (done < n) {
        done += ring.Write(chunk.data() + done, n - done);
        if (done < n) std::this_thread::yield();
      }
      sent += n;
    }
  });
  size_t received = 0, errors = 0;
  std::vector<uint8_t> buf(333);
  while (received < kTotal) {
    const size_t n = ring.Read(buf.data(), buf.size());
    for (size_t i = 0; i < n; ++i) errors += buf[i] != static_cast<uint8_t>((received + i) * 31 + 7);
    received += n;
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_EQ(errors, 0u);
  EXPECT_EQ(ring.AvailableBytes(), 0u);
}

}  // namespace
}  // namespace ttsd::client
