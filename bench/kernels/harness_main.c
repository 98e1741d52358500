/* SPDX-License-Identifier: Apache-2.0 */
/*
 * harness_main.c - main() for the native and the WASI command builds of a
 * kernel: `kernel [N]` runs bench_kernel(N) (default: bench_default_n()) and
 * prints "checksum <value>".  Only write() is used, so the WASI build needs
 * no printf (whose long-double code would need compiler-rt).
 */
#include "kernel.h"

#include <unistd.h>

int main(int argc, char **argv) {
  uint32_t n = bench_default_n();
  if (argc > 1) {
    n = 0;
    for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
      n = n * 10 + (uint32_t)(*p - '0');
  }
  uint32_t sum = bench_kernel(n);
  char out[32] = "checksum ";
  char digits[12];
  int nd = 0;
  do
    digits[nd++] = (char)('0' + sum % 10), sum /= 10;
  while (sum);
  int len = 9;
  while (nd)
    out[len++] = digits[--nd];
  out[len++] = '\n';
  return write(1, out, (size_t)len) == len ? 0 : 1;
}
