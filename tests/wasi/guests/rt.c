/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rt.c - the one compiler-rt helper that wasi-libc's clock_nanosleep needs
 * (__muloti4: signed 128-bit multiply with overflow), because Debian ships the
 * wasm32 compiler-rt builtins in a separate package that the test machines
 * need not have.  Written with 32-bit pieces only, so it needs no other helper.
 */
#include <stdint.h>

typedef __int128 ti;

typedef union {
  ti s;
  uint32_t w[4]; /* little-endian: w[0] is the least significant */
} ti_words;

/* |x| as words; *neg tells the sign.  INT128_MIN's magnitude fits unsigned. */
static void magnitude(ti x, ti_words *m, int *neg) {
  ti_words v;
  v.s = x;
  *neg = (v.w[3] >> 31) != 0;
  if (*neg) { /* two's complement negate, word by word */
    uint64_t carry = 1;
    for (int i = 0; i < 4; i++) {
      uint64_t t = (uint64_t)(uint32_t)~v.w[i] + carry;
      v.w[i] = (uint32_t)t;
      carry = t >> 32;
    }
  }
  *m = v;
}

ti __muloti4(ti a, ti b, int *overflow);
ti __muloti4(ti a, ti b, int *overflow) {
  ti_words x, y, r;
  int nx, ny;
  magnitude(a, &x, &nx);
  magnitude(b, &y, &ny);
  uint32_t acc[8] = {0};
  for (int i = 0; i < 4; i++) {
    uint64_t carry = 0;
    for (int j = 0; j < 4; j++) {
      uint64_t t = (uint64_t)x.w[i] * y.w[j] + acc[i + j] + carry;
      acc[i + j] = (uint32_t)t;
      carry = t >> 32;
    }
    for (int k = i + 4; carry && k < 8; k++) {
      uint64_t t = (uint64_t)acc[k] + carry;
      acc[k] = (uint32_t)t;
      carry = t >> 32;
    }
  }
  int ovf = acc[4] || acc[5] || acc[6] || acc[7];
  for (int i = 0; i < 4; i++)
    r.w[i] = acc[i];
  int neg = nx != ny;
  /* The magnitude must fit: < 2^127, or exactly 2^127 for a negative result. */
  if (r.w[3] >> 31) {
    if (!(neg && r.w[3] == 0x80000000u && !r.w[2] && !r.w[1] && !r.w[0])) ovf = 1;
  }
  if (neg) {
    uint64_t carry = 1;
    for (int i = 0; i < 4; i++) {
      uint64_t t = (uint64_t)(uint32_t)~r.w[i] + carry;
      r.w[i] = (uint32_t)t;
      carry = t >> 32;
    }
  }
  *overflow = ovf;
  return r.s;
}
