// How a fuzz target states a property: when it does not hold, say which and abort, so
// that libFuzzer saves the input and the replay test fails. Not assert(): the normal
// build defines NDEBUG.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property does not hold: %s\n", __FILE__, __LINE__,    \
                   #cond);                                                               \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)
