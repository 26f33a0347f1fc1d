#include "ttsd/codec/g711.h"

namespace ttsd::codec {
namespace {

constexpr int kMulawBias = 0x84;   // 132: shifts every magnitude so that each segment is a power of two
constexpr int kMulawClip = 32635;  // the largest magnitude that still fits with the bias added

}  // namespace

// Sign, a 3-bit segment (the position of the magnitude's highest bit) and 4 bits of mantissa below it,
// all inverted.
uint8_t LinearToMulaw(int16_t sample) {
  int magnitude = sample;
  uint8_t sign = 0;
  if (magnitude < 0) {
    sign = 0x80;
    magnitude = -magnitude;
  }
  if (magnitude > kMulawClip) magnitude = kMulawClip;
  magnitude += kMulawBias;
  int segment = 7;
  while (segment > 0 && (magnitude & (0x80 << segment)) == 0) --segment;
  const int mantissa = (magnitude >> (segment + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (segment << 4) | mantissa));
}

int16_t MulawToLinear(uint8_t code) {
  const int u = static_cast<uint8_t>(~code);
  const int segment = (u >> 4) & 0x07;
  const int mantissa = u & 0x0F;
  const int magnitude = (((mantissa << 3) + kMulawBias) << segment) - kMulawBias;
  return static_cast<int16_t>((u & 0x80) ? -magnitude : magnitude);
}

// On the top 13 bits: segment 0 and 1 are linear (step 2), each further segment doubles the step.
// Even bits are inverted (0x55), and positive values carry the sign bit (0xD5).
uint8_t LinearToAlaw(int16_t sample) {
  int v = sample >> 3;
  uint8_t mask = 0xD5;
  if (v < 0) {
    mask = 0x55;
    v = -v - 1;
  }
  int segment = 0;
  while (segment < 8 && v >= (0x20 << segment)) ++segment;
  if (segment == 8) return static_cast<uint8_t>(0x7F ^ mask);
  const int mantissa = (segment < 2 ? v >> 1 : v >> segment) & 0x0F;
  return static_cast<uint8_t>(((segment << 4) | mantissa) ^ mask);
}

int16_t AlawToLinear(uint8_t code) {
  const int a = code ^ 0x55;
  const int segment = (a & 0x70) >> 4;
  int magnitude = (a & 0x0F) << 4;
  magnitude += segment == 0 ? 8 : 0x108;
  if (segment > 1) magnitude <<= segment - 1;
  return static_cast<int16_t>((a & 0x80) ? magnitude : -magnitude);
}

}  // namespace ttsd::codec
