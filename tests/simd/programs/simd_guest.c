/* SPDX-License-Identifier: Apache-2.0 */
/*
 * simd_guest: a waPC guest (tests/guests/c/guest.c, no libc) whose handlers
 * are written with <wasm_simd128.h>, built with -msimd128: "upper" answers
 * the payload with ASCII letters upper-cased, "hex" its bytes as lower-case
 * hex digits (a swizzle table), "sum" the sum of its bytes in decimal
 * (widening pairwise adds).
 */
#include <wasm_simd128.h>

#include "guest.h"

static int upper(const uint8_t *p, size_t n) {
  uint8_t *out = guest_alloc(n + 16);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v128_t v = wasm_v128_load(p + i);
    v128_t lower =
        wasm_v128_and(wasm_u8x16_ge(v, wasm_u8x16_splat('a')), wasm_u8x16_le(v, wasm_u8x16_splat('z')));
    wasm_v128_store(out + i, wasm_i8x16_sub(v, wasm_v128_and(lower, wasm_u8x16_splat(32))));
  }
  for (; i < n; i++)
    out[i] = p[i] >= 'a' && p[i] <= 'z' ? (uint8_t)(p[i] - 32) : p[i];
  guest_respond(out, n);
  return 1;
}

static int hex(const uint8_t *p, size_t n) {
  static const char digits[16] = "0123456789abcdef";
  char *out = guest_alloc(2 * n + 16);
  v128_t table = wasm_v128_load(digits);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t b = wasm_v128_load64_zero(p + i);
    v128_t nib = wasm_i8x16_shuffle(wasm_u8x16_shr(b, 4), wasm_v128_and(b, wasm_u8x16_splat(15)), 0, 16, 1,
                                    17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    wasm_v128_store(out + 2 * i, wasm_i8x16_swizzle(table, nib));
  }
  for (; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  guest_respond(out, 2 * n);
  return 1;
}

static int sum(const uint8_t *p, size_t n) {
  v128_t acc = wasm_i32x4_splat(0);
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    acc = wasm_i32x4_add(
        acc, wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extadd_pairwise_u8x16(wasm_v128_load(p + i))));
  uint64_t total = (uint64_t)wasm_u32x4_extract_lane(acc, 0) + wasm_u32x4_extract_lane(acc, 1) +
                   wasm_u32x4_extract_lane(acc, 2) + wasm_u32x4_extract_lane(acc, 3);
  for (; i < n; i++)
    total += p[i];
  char buf[24];
  guest_respond(buf, guest_format_u64(total, buf));
  return 1;
}

void guest_init(void) {
  guest_register("upper", upper);
  guest_register("hex", hex);
  guest_register("sum", sum);
}
