// G.711 companding (ITU-T G.711): 16-bit linear PCM to 8-bit mu-law and A-law and back, one sample at a
// time, for telephone audio at 8 kHz (the WebSocket API's ulaw_8000 and alaw_8000, which Twilio and
// other telephony bridges take as they are).
//   for (int16_t s : pcm) out.push_back(codec::LinearToMulaw(s));
// Thread-safety: pure functions.
//
// No library: Debian has none that is both small and kept (spandsp is a whole telephony stack), and the
// encoding is the standard's segment table, a few lines each. Mu-law clips at +-32635 (the bias leaves
// no room above); A-law uses the top 13 bits. Decoding gives the middle of each quantization step.
#pragma once

#include <cstdint>

namespace ttsd::codec {

uint8_t LinearToMulaw(int16_t sample);
int16_t MulawToLinear(uint8_t code);
uint8_t LinearToAlaw(int16_t sample);
int16_t AlawToLinear(uint8_t code);

}  // namespace ttsd::codec
