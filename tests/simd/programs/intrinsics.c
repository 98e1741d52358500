/* SPDX-License-Identifier: Apache-2.0 */
/*
 * intrinsics: small kernels written with <wasm_simd128.h> the way SIMD code
 * is written by hand (ASCII case folding, hex encoding through a swizzle
 * table, RGB to luma with widening multiplies and a saturating narrow, sum of
 * absolute differences, an i16 dot product, float clamping and rounding,
 * byte search with a bitmask, load/store of lanes), each with the plain C it
 * replaces: built with -msimd128 the SIMD version runs, anywhere else the
 * plain one.  Every build must print the same lines.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N 1024

static uint32_t seed = 777;
static uint32_t rnd(void) {
  seed = seed * 1664525u + 1013904223u;
  return seed >> 8;
}

/* ASCII lower case to upper case, everything else unchanged. */
static void upper(uint8_t *s, size_t n) {
  size_t i = 0;
#ifdef __wasm_simd128__
  for (; i + 16 <= n; i += 16) {
    v128_t v = wasm_v128_load(s + i);
    v128_t lower =
        wasm_v128_and(wasm_u8x16_ge(v, wasm_u8x16_splat('a')), wasm_u8x16_le(v, wasm_u8x16_splat('z')));
    wasm_v128_store(s + i, wasm_i8x16_sub(v, wasm_v128_and(lower, wasm_u8x16_splat(32))));
  }
#endif
  for (; i < n; i++)
    if (s[i] >= 'a' && s[i] <= 'z') s[i] -= 32;
}

/* Two lower-case hex digits a byte. */
static void hex(const uint8_t *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  size_t i = 0;
#ifdef __wasm_simd128__
  v128_t table = wasm_v128_load(digits);
  for (; i + 8 <= n; i += 8) {
    v128_t b = wasm_v128_load64_zero(in + i);
    v128_t hi = wasm_u8x16_shr(b, 4), lo = wasm_v128_and(b, wasm_u8x16_splat(15));
    /* interleave: hi0 lo0 hi1 lo1 ... */
    v128_t nib = wasm_i8x16_shuffle(hi, lo, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    wasm_v128_store(out + 2 * i, wasm_i8x16_swizzle(table, nib));
  }
#endif
  for (; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
}

/* luma = (77 r + 150 g + 29 b + 128) >> 8 (the weights sum to 256: at most 255), then a contrast
 * stretch: 2 * luma - 64, saturated to a byte. */
static void luma(const uint8_t *r, const uint8_t *g, const uint8_t *b, uint8_t *y, size_t n) {
  size_t i = 0;
#ifdef __wasm_simd128__
  for (; i + 8 <= n; i += 8) {
    v128_t R = wasm_u16x8_load8x8(r + i), G = wasm_u16x8_load8x8(g + i), B = wasm_u16x8_load8x8(b + i);
    v128_t s =
        wasm_u16x8_add_sat(wasm_i16x8_mul(R, wasm_i16x8_splat(77)), wasm_i16x8_mul(G, wasm_i16x8_splat(150)));
    s = wasm_u16x8_add_sat(s, wasm_i16x8_mul(B, wasm_i16x8_splat(29)));
    s = wasm_u16x8_shr(wasm_i16x8_add(s, wasm_i16x8_splat(128)), 8);
    s = wasm_i16x8_sub(wasm_i16x8_shl(s, 1), wasm_i16x8_splat(64));
    v128_t packed = wasm_u8x16_narrow_i16x8(s, s);
    wasm_v128_store64_lane(y + i, packed, 0);
  }
#endif
  for (; i < n; i++) {
    int s = (77 * r[i] + 150 * g[i] + 29 * b[i] + 128) >> 8;
    s = 2 * s - 64;
    y[i] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
  }
}

/* Sum of absolute differences of two byte strings. */
static uint32_t sad(const uint8_t *a, const uint8_t *b, size_t n) {
  uint32_t total = 0;
  size_t i = 0;
#ifdef __wasm_simd128__
  v128_t acc = wasm_i32x4_splat(0);
  for (; i + 16 <= n; i += 16) {
    v128_t x = wasm_v128_load(a + i), y = wasm_v128_load(b + i);
    v128_t d = wasm_v128_or(wasm_u8x16_sub_sat(x, y), wasm_u8x16_sub_sat(y, x));
    acc = wasm_i32x4_add(acc, wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extadd_pairwise_u8x16(d)));
  }
  total = wasm_u32x4_extract_lane(acc, 0) + wasm_u32x4_extract_lane(acc, 1) +
          wasm_u32x4_extract_lane(acc, 2) + wasm_u32x4_extract_lane(acc, 3);
#endif
  for (; i < n; i++)
    total += (uint32_t)(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
  return total;
}

static int64_t dot16(const int16_t *a, const int16_t *b, size_t n) {
  int64_t total = 0;
  size_t i = 0;
#ifdef __wasm_simd128__
  for (; i + 8 <= n; i += 8) {
    v128_t d = wasm_i32x4_dot_i16x8(wasm_v128_load(a + i), wasm_v128_load(b + i));
    v128_t lo = wasm_i64x2_extend_low_i32x4(d), hi = wasm_i64x2_extend_high_i32x4(d);
    v128_t s = wasm_i64x2_add(lo, hi);
    total += wasm_i64x2_extract_lane(s, 0) + wasm_i64x2_extract_lane(s, 1);
  }
#endif
  /* i32x4.dot adds each pair of products in 32 bits: -32768 * -32768 twice wraps to -2^31. */
  for (; i + 2 <= n; i += 2)
    total += (int32_t)((uint32_t)((int32_t)a[i] * b[i]) + (uint32_t)((int32_t)a[i + 1] * b[i + 1]));
  for (; i < n; i++)
    total += (int32_t)a[i] * b[i];
  return total;
}

/* Clamp to [lo, hi] with the pseudo-min/max (x < lo ? lo : x), then round to nearest, ties to even. */
static void clamp_round(const float *in, float *out, size_t n, float lo, float hi) {
  size_t i = 0;
#ifdef __wasm_simd128__
  v128_t L = wasm_f32x4_splat(lo), H = wasm_f32x4_splat(hi);
  for (; i + 4 <= n; i += 4) {
    v128_t x = wasm_v128_load(in + i);
    x = wasm_f32x4_pmax(L, x); /* lo < x ? x : lo */
    x = wasm_f32x4_pmin(H, x); /* x < hi ? x : hi */
    wasm_v128_store(out + i, wasm_f32x4_nearest(x));
  }
#endif
  for (; i < n; i++) {
    float x = in[i];
    x = lo < x ? x : lo;
    x = x < hi ? x : hi;
    out[i] = nearbyintf(x);
  }
}

/* Index of the first byte equal to c, or n. */
static size_t find(const uint8_t *s, size_t n, uint8_t c) {
  size_t i = 0;
#ifdef __wasm_simd128__
  for (; i + 16 <= n; i += 16) {
    uint32_t m = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(s + i), wasm_i8x16_splat((int8_t)c)));
    if (m) return i + (size_t)__builtin_ctz(m);
  }
#endif
  for (; i < n; i++)
    if (s[i] == c) return i;
  return n;
}

/* Swap the two halves of every 32-bit word: a shuffle, or shifts. */
static void swap16(uint32_t *w, size_t n) {
  size_t i = 0;
#ifdef __wasm_simd128__
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(w + i);
    wasm_v128_store(w + i, wasm_i16x8_shuffle(v, v, 1, 0, 3, 2, 5, 4, 7, 6));
  }
#endif
  for (; i < n; i++)
    w[i] = w[i] >> 16 | w[i] << 16;
}

static uint8_t text[N + 7], r[N], g[N], b[N], y[N], other[N];
static char hexout[2 * (N + 8)];
static int16_t s16a[N], s16b[N];
static float fin[N], fout[N];
static uint32_t words[N];

int main(void) {
  for (int i = 0; i < N + 7; i++)
    text[i] = (uint8_t)(32 + rnd() % 95);
  for (int i = 0; i < N; i++) {
    r[i] = (uint8_t)rnd();
    g[i] = (uint8_t)rnd();
    b[i] = (uint8_t)rnd();
    other[i] = (uint8_t)rnd();
    s16a[i] = (int16_t)rnd();
    s16b[i] = (int16_t)rnd();
    fin[i] = (float)((int)(rnd() % 4001) - 2000) / 8.0f;
    words[i] = rnd() * 2654435761u;
  }
  s16a[0] = s16b[0] = -32768; /* the one dot product lane that wraps */
  s16a[1] = s16b[1] = -32768;
  fin[3] = 2.5f;
  fin[4] = -3.5f;
  fin[5] = -0.0f;

  upper(text, N + 7);
  printf("upper      %08x\n", hash(text, sizeof text));
  hex(text, N + 3, hexout);
  printf("hex        %08x %.16s\n", hash(hexout, 2 * (N + 3)), hexout);
  luma(r, g, b, y, N);
  printf("luma       %08x\n", hash(y, sizeof y));
  printf("sad        %u\n", sad(r, other, N));
  printf("dot16      %lld\n", (long long)dot16(s16a, s16b, N));
  clamp_round(fin, fout, N, -100.25f, 150.5f);
  printf("clamp      %08x %g %g %g\n", hash(fout, sizeof fout), (double)fout[3], (double)fout[4],
         (double)fout[5]);
  printf("find       %zu %zu %zu\n", find(text, N, 'Q'), find(text, N, '~'), find(text, N, 200));
  swap16(words, N);
  printf("swap16     %08x\n", hash(words, sizeof words));
  return 0;
}
