// A lock-free single-producer/single-consumer ring of bytes: the producer thread writes, the consumer
// (a real-time audio callback) reads, neither ever blocks, allocates or takes a lock. The buffer is allocated
// once, at construction.
//   SpscByteRing ring(64 * 1024);   // capacity rounded up to a power of two
//   producer: size_t n = ring.Write(data, size);   consumer: size_t m = ring.Read(out, want);
// Thread-safety: exactly one producer thread (Write, FreeBytes) and one consumer thread (Read,
// AvailableBytes); AvailableBytes and FreeBytes may also be read from the other side as a snapshot.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ttsd::client {

class SpscByteRing {
 public:
  explicit SpscByteRing(size_t min_capacity_bytes)
      : buffer_(std::bit_ceil(std::max<size_t>(min_capacity_bytes, 2))), mask_(buffer_.size() - 1) {}

  SpscByteRing(const SpscByteRing&) = delete;
  SpscByteRing& operator=(const SpscByteRing&) = delete;

  size_t capacity() const { return buffer_.size(); }

  // Bytes the consumer can read now.
  size_t AvailableBytes() const {
    return static_cast<size_t>(write_.load(std::memory_order_acquire) - read_.load(std::memory_order_acquire));
  }
  // Bytes the producer can write now.
  size_t FreeBytes() const { return capacity() - AvailableBytes(); }

  // Producer: copies up to size bytes from data (borrowed), as many as fit; returns how many.
  size_t Write(const uint8_t* data, size_t size) {
    const uint64_t w = write_.load(std::memory_order_relaxed);
    const uint64_t r = read_.load(std::memory_order_acquire);
    const size_t n = std::min(size, capacity() - static_cast<size_t>(w - r));
    const size_t at = static_cast<size_t>(w) & mask_;
    const size_t first = std::min(n, capacity() - at);
    std::memcpy(buffer_.data() + at, data, first);
    std::memcpy(buffer_.data(), data + first, n - first);
    write_.store(w + n, std::memory_order_release);
    return n;
  }

  // Consumer: copies up to size bytes into out (borrowed), as many as there are; returns how many.
  size_t Read(uint8_t* out, size_t size) {
    const uint64_t r = read_.load(std::memory_order_relaxed);
    const uint64_t w = write_.load(std::memory_order_acquire);
    const size_t n = std::min(size, static_cast<size_t>(w - r));
    const size_t at = static_cast<size_t>(r) & mask_;
    const size_t first = std::min(n, capacity() - at);
    std::memcpy(out, buffer_.data() + at, first);
    std::memcpy(out + first, buffer_.data(), n - first);
    read_.store(r + n, std::memory_order_release);
    return n;
  }

  // Consumer: forgets everything readable now.
  void Drop() { read_.store(write_.load(std::memory_order_acquire), std::memory_order_release); }

 private:
  static_assert(std::atomic<uint64_t>::is_always_lock_free, "the audio callback needs lock-free counters");

  std::vector<uint8_t> buffer_;  // size is a power of two
  const size_t mask_;
  // Monotonic byte counts; the index into buffer_ is the count & mask_. Each on its own cache line.
  alignas(64) std::atomic<uint64_t> write_{0};  // written by the producer only
  alignas(64) std::atomic<uint64_t> read_{0};   // written by the consumer only
};

}  // namespace ttsd::client
