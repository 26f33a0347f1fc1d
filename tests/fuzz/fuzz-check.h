// FUZZ_CHECK: an invariant the fuzzed code must keep. A broken one prints what and where, then
// aborts, which libFuzzer reports as a crash with the input that caused it.
//   FUZZ_CHECK(again == first, "decoding in pieces gave other frames");
// Thread-safety: fuzzers run one input at a time on one thread.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                       \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, __LINE__, \
                   #cond, what);                                                     \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)
