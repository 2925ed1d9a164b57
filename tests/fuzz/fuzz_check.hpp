// fuzz_require(): the fuzzers' assertion. A broken invariant aborts, and libFuzzer keeps the input
// that caused it (crash-<sha1>) for a regression test.
#pragma once

#include <cstdlib>

namespace kopiur::fuzz {

inline void fuzz_require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace kopiur::fuzz
