/* SPDX-License-Identifier: Apache-2.0 */
/*
 * autovec: loops that clang -O2 -msimd128 turns into SIMD code by itself
 * (saturating and averaging byte arithmetic, min/max, widening multiplies,
 * shifts, conversions, float arithmetic, byte search), each folded into a
 * checksum.  Built natively, as scalar wasm and as SIMD wasm: every build
 * must print the same lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"

#define N 4099 /* not a multiple of any vector width: the scalar tails run too */

static uint8_t u8a[N], u8b[N], u8r[N];
static int8_t s8a[N], s8r[N];
static int16_t s16a[N], s16b[N], s16r[N];
static uint16_t u16r[N];
static int32_t s32a[N], s32b[N], s32r[N];
static int64_t s64a[N], s64r[N];
static float fa[N], fb[N], fr[N];
static double da[N], db[N], dr[N];

static uint32_t seed = 12345;
static uint32_t rnd(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}

#define REPORT(name, arr) printf("%-14s %08x\n", name, hash(arr, sizeof arr))

int main(void) {
  for (int i = 0; i < N; i++) {
    u8a[i] = (uint8_t)rnd();
    u8b[i] = (uint8_t)rnd();
    s8a[i] = (int8_t)rnd();
    s16a[i] = (int16_t)rnd();
    s16b[i] = (int16_t)rnd();
    s32a[i] = (int32_t)(rnd() * 2654435761u);
    s32b[i] = (int32_t)rnd() - (1 << 23);
    s64a[i] = (int64_t)rnd() * 1000003 - ((int64_t)1 << 40);
    fa[i] = (float)((int)(rnd() % 20001) - 10000) / 16.0f;
    fb[i] = (float)((int)(rnd() % 2001) - 1000) / 8.0f + 0.5f;
    da[i] = (double)((int)(rnd() % 200001) - 100000) / 64.0;
    db[i] = (double)((int)(rnd() % 2001) + 1) / 4.0;
  }
  fa[7] = -0.0f;
  fb[7] = 0.0f;

  for (int i = 0; i < N; i++) {
    unsigned s = (unsigned)u8a[i] + u8b[i];
    u8r[i] = (uint8_t)(s > 255 ? 255 : s);
  }
  REPORT("u8 add_sat", u8r);
  for (int i = 0; i < N; i++)
    u8r[i] = (uint8_t)((u8a[i] + u8b[i] + 1) >> 1);
  REPORT("u8 avgr", u8r);
  for (int i = 0; i < N; i++)
    u8r[i] = u8a[i] < u8b[i] ? u8a[i] : u8b[i];
  REPORT("u8 min", u8r);
  for (int i = 0; i < N; i++)
    s8r[i] = (int8_t)(s8a[i] < 0 ? -s8a[i] : s8a[i]);
  REPORT("s8 abs", s8r);
  for (int i = 0; i < N; i++) {
    int s = s16a[i] + s16b[i];
    s16r[i] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : s);
  }
  REPORT("s16 add_sat", s16r);
  for (int i = 0; i < N; i++)
    s16r[i] = (int16_t)(s16a[i] * s16b[i]);
  REPORT("s16 mul", s16r);
  for (int i = 0; i < N; i++)
    u16r[i] = (uint16_t)((uint16_t)s16a[i] >> 3 | (uint16_t)((uint16_t)s16b[i] << 5));
  REPORT("u16 shifts", u16r);
  for (int i = 0; i < N; i++)
    s32r[i] = (int32_t)((uint32_t)s32a[i] * 3u + (uint32_t)(s32a[i] >> 3)) ^ s32b[i];
  REPORT("s32 arith", s32r);
  for (int i = 0; i < N; i++)
    s32r[i] = s32a[i] > s32b[i] ? s32a[i] : s32b[i];
  REPORT("s32 max", s32r);
  for (int i = 0; i < N; i++)
    s32r[i] = (int32_t)s16a[i] * s16b[i];
  REPORT("s16 extmul", s32r);
  int64_t dot = 0;
  for (int i = 0; i < N; i++)
    dot += (int32_t)s16a[i] * s16b[i];
  printf("%-14s %lld\n", "s16 dot", (long long)dot);
  for (int i = 0; i < N; i++)
    s64r[i] = (int64_t)((uint64_t)s64a[i] * 3u) + (s64a[i] >> 7);
  REPORT("s64 arith", s64r);
  for (int i = 0; i < N; i++)
    fr[i] = fa[i] * fb[i] + 1.0f;
  REPORT("f32 mul add", fr);
  for (int i = 0; i < N; i++)
    fr[i] = fa[i] < fb[i] ? fa[i] : fb[i];
  REPORT("f32 pmin", fr);
  for (int i = 0; i < N; i++)
    fr[i] = fa[i] / fb[i] - (fa[i] < 0 ? -fa[i] : fa[i]);
  REPORT("f32 div abs", fr);
  for (int i = 0; i < N; i++)
    s32r[i] = (int32_t)(fa[i] * 4.0f);
  REPORT("f32 to s32", s32r);
  for (int i = 0; i < N; i++)
    fr[i] = (float)s32b[i] * 0.25f;
  REPORT("s32 to f32", fr);
  for (int i = 0; i < N; i++)
    dr[i] = da[i] * db[i] - da[i] / db[i];
  REPORT("f64 arith", dr);
  for (int i = 0; i < N; i++)
    dr[i] = da[i] > db[i] ? da[i] : db[i];
  REPORT("f64 pmax", dr);
  int count = 0;
  for (int i = 0; i < N; i++)
    count += u8a[i] == 'x';
  printf("%-14s %d\n", "count 'x'", count);
  return 0;
}
