/* SPDX-License-Identifier: Apache-2.0 */
/* sieve: Sieve of Eratosthenes over 2 Mi bytes, n times; byte loads and stores in tight loops. */
#include "kernel.h"

#define SIEVE_SIZE (2u << 20)
static uint8_t flags[SIEVE_SIZE];

uint32_t bench_default_n(void) {
  return 40;
}

uint32_t bench_kernel(uint32_t n) {
  uint32_t total = 0;
  for (uint32_t r = 0; r < n; r++) {
    uint32_t count = 0;
    for (uint32_t i = 0; i < SIEVE_SIZE; i++)
      flags[i] = 1;
    for (uint32_t i = 2; i < SIEVE_SIZE; i++) {
      if (!flags[i]) continue;
      count++;
      for (uint32_t k = i + i; k < SIEVE_SIZE; k += i)
        flags[k] = 0;
    }
    total = total * 7 + count + r;
  }
  return total;
}
