/* SPDX-License-Identifier: Apache-2.0 */
/* fib: naive doubly recursive Fibonacci; measures call and return. */
#include "kernel.h"

static uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

uint32_t bench_default_n(void) {
  return 38;
}

uint32_t bench_kernel(uint32_t n) {
  uint32_t s = 0;
  for (uint32_t i = 0; i < 4; i++)
    s = s * 31 + fib(n - (i & 1));
  return s;
}
