/* SPDX-License-Identifier: Apache-2.0 */
/* crc32: table-driven CRC-32 (IEEE) of a 256 KiB buffer, n times; table lookups and shifts. */
#include "kernel.h"

#define LEN (256u << 10)
static uint8_t buf[LEN];
static uint32_t table[256];

uint32_t bench_default_n(void) {
  return 300;
}

uint32_t bench_kernel(uint32_t n) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  for (uint32_t i = 0; i < LEN; i++)
    buf[i] = (uint8_t)(i * 131 + (i >> 9));
  uint32_t acc = 0;
  for (uint32_t r = 0; r < n; r++) {
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < LEN; i++)
      c = table[(c ^ buf[i]) & 0xFF] ^ (c >> 8);
    c ^= 0xFFFFFFFFu;
    acc = acc * 33 + c;
    buf[r % LEN] = (uint8_t)c;
  }
  return acc;
}
