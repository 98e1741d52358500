/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h - the monotonic clock in nanoseconds, for every layer's deadlines,
 * waits and timings (0 if the clock cannot be read, which POSIX allows only
 * for an unsupported clock).
 */
#ifndef WAPC_UTIL_CLOCK_H
#define WAPC_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_mono_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
