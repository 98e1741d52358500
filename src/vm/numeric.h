/* SPDX-License-Identifier: Apache-2.0 */
/*
 * numeric.h - the exact WebAssembly semantics of the numeric operators, as
 * static inline helpers for the interpreter (and for tests and constant
 * folding).  It owns everything where C's own operators differ from the spec
 * or are undefined: traps of integer division and float-to-int truncation,
 * shift counts taken modulo the width, bit counting, NaN and signed-zero
 * rules of min/max, sign operations on bit patterns (never canonicalising a
 * NaN), round-half-to-even, and little-endian unaligned memory access.
 * Float values travel as bit patterns; conversions use memcpy, not punning.
 */
#ifndef WAPC_VM_NUMERIC_H
#define WAPC_VM_NUMERIC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vm/vm.h"

/* ---- bit patterns <-> floats ----------------------------------------- */

static inline float vm_f32_from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}
static inline uint32_t vm_f32_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}
static inline double vm_f64_from_bits(uint64_t b) {
  double f;
  memcpy(&f, &b, sizeof f);
  return f;
}
static inline uint64_t vm_f64_bits(double f) {
  uint64_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

/* Two's-complement reinterpretation without relying on implementation-defined
 * conversions of out-of-range values. */
static inline int32_t vm_s32(uint32_t x) {
  return x <= 0x7FFFFFFFu ? (int32_t)x : (int32_t)(x - 0x80000000u) - 0x7FFFFFFF - 1;
}
static inline int64_t vm_s64(uint64_t x) {
  return x <= 0x7FFFFFFFFFFFFFFFull ? (int64_t)x
                                    : (int64_t)(x - 0x8000000000000000ull) - 0x7FFFFFFFFFFFFFFFll - 1;
}

/* ---- bit counting ------------------------------------------------------ */

static inline uint32_t vm_clz32(uint32_t x) {
#if defined(__GNUC__)
  return x ? (uint32_t)__builtin_clz(x) : 32;
#else
  uint32_t n = 0;
  if (!x) return 32;
  while (!(x & 0x80000000u))
    x <<= 1, n++;
  return n;
#endif
}
static inline uint32_t vm_ctz32(uint32_t x) {
#if defined(__GNUC__)
  return x ? (uint32_t)__builtin_ctz(x) : 32;
#else
  uint32_t n = 0;
  if (!x) return 32;
  while (!(x & 1u))
    x >>= 1, n++;
  return n;
#endif
}
static inline uint32_t vm_popcnt32(uint32_t x) {
#if defined(__GNUC__)
  return (uint32_t)__builtin_popcount(x);
#else
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0F0F0F0Fu;
  return (x * 0x01010101u) >> 24;
#endif
}
static inline uint64_t vm_clz64(uint64_t x) {
#if defined(__GNUC__)
  return x ? (uint64_t)__builtin_clzll(x) : 64;
#else
  return (x >> 32) ? vm_clz32((uint32_t)(x >> 32)) : 32 + vm_clz32((uint32_t)x);
#endif
}
static inline uint64_t vm_ctz64(uint64_t x) {
#if defined(__GNUC__)
  return x ? (uint64_t)__builtin_ctzll(x) : 64;
#else
  return (uint32_t)x ? vm_ctz32((uint32_t)x) : 32 + vm_ctz32((uint32_t)(x >> 32));
#endif
}
static inline uint64_t vm_popcnt64(uint64_t x) {
#if defined(__GNUC__)
  return (uint64_t)__builtin_popcountll(x);
#else
  return vm_popcnt32((uint32_t)x) + vm_popcnt32((uint32_t)(x >> 32));
#endif
}

/* ---- shifts and rotates (count modulo the width) ----------------------- */

static inline uint32_t vm_shl32(uint32_t a, uint32_t n) {
  return a << (n & 31);
}
static inline uint32_t vm_shru32(uint32_t a, uint32_t n) {
  return a >> (n & 31);
}
/* Arithmetic shift written without right-shifting a negative value. */
static inline uint32_t vm_shrs32(uint32_t a, uint32_t n) {
  n &= 31;
  return (a & 0x80000000u) ? ~(~a >> n) : a >> n;
}
static inline uint32_t vm_rotl32(uint32_t a, uint32_t n) {
  n &= 31;
  return (a << n) | (a >> ((32 - n) & 31));
}
static inline uint32_t vm_rotr32(uint32_t a, uint32_t n) {
  n &= 31;
  return (a >> n) | (a << ((32 - n) & 31));
}
static inline uint64_t vm_shl64(uint64_t a, uint64_t n) {
  return a << (n & 63);
}
static inline uint64_t vm_shru64(uint64_t a, uint64_t n) {
  return a >> (n & 63);
}
static inline uint64_t vm_shrs64(uint64_t a, uint64_t n) {
  n &= 63;
  return (a & 0x8000000000000000ull) ? ~(~a >> n) : a >> n;
}
static inline uint64_t vm_rotl64(uint64_t a, uint64_t n) {
  n &= 63;
  return (a << n) | (a >> ((64 - n) & 63));
}
static inline uint64_t vm_rotr64(uint64_t a, uint64_t n) {
  n &= 63;
  return (a >> n) | (a << ((64 - n) & 63));
}

/* ---- sign extension ---------------------------------------------------- */

static inline uint32_t vm_ext8_32(uint32_t x) {
  return ((x & 0xFFu) ^ 0x80u) - 0x80u;
}
static inline uint32_t vm_ext16_32(uint32_t x) {
  return ((x & 0xFFFFu) ^ 0x8000u) - 0x8000u;
}
static inline uint64_t vm_ext8_64(uint64_t x) {
  return ((x & 0xFFu) ^ 0x80u) - 0x80u;
}
static inline uint64_t vm_ext16_64(uint64_t x) {
  return ((x & 0xFFFFu) ^ 0x8000u) - 0x8000u;
}
static inline uint64_t vm_ext32_64(uint64_t x) {
  return ((x & 0xFFFFFFFFu) ^ 0x80000000u) - 0x80000000u;
}

/* ---- integer division ---------------------------------------------------
 * Each returns VM_TRAP_NONE and stores the result, or returns the trap. */

static inline vm_trap vm_div_s32(uint32_t a, uint32_t b, uint32_t *r) {
  if (b == 0) return VM_TRAP_DIV_ZERO;
  if (a == 0x80000000u && b == 0xFFFFFFFFu) return VM_TRAP_INT_OVERFLOW;
  *r = (uint32_t)(vm_s32(a) / vm_s32(b));
  return VM_TRAP_NONE;
}
static inline vm_trap vm_div_u32(uint32_t a, uint32_t b, uint32_t *r) {
  if (b == 0) return VM_TRAP_DIV_ZERO;
  *r = a / b;
  return VM_TRAP_NONE;
}
static inline vm_trap vm_rem_s32(uint32_t a, uint32_t b, uint32_t *r) {
  if (b == 0) return VM_TRAP_DIV_ZERO;
  /* INT_MIN % -1 overflows in C; the wasm result is 0. */
  *r = b == 0xFFFFFFFFu ? 0 : (uint32_t)(vm_s32(a) % vm_s32(b));
  return VM_TRAP_NONE;
}
static inline vm_trap vm_rem_u32(uint32_t a, uint32_t b, uint32_t *r) {
  if (b == 0) return VM_TRAP_DIV_ZERO;
  *r = a % b;
  return VM_TRAP_NONE;
}
static inline vm_trap vm_div_s64(uint64_t a, uint64_t b, uint64_t *r) {
  if (b == 0) return VM_TRAP_DIV_ZERO;
  if (a == 0x8000000000000000ull && b == 0xFFFFFFFFFFFFFFFFull) return VM_TRAP_INT_OVERFLOW;
  *r = (uint64_t)(vm_s64(a) / vm_s64(b));
  return VM_TRAP_NONE;
}
static inline vm_trap vm_div_u64(uint64_t a, uint64_t b, uint64_t *r) {
  if (b == 0) return VM_TRAP_DIV_ZERO;
  *r = a / b;
  return VM_TRAP_NONE;
}
static inline vm_trap vm_rem_s64(uint64_t a, uint64_t b, uint64_t *r) {
  if (b == 0) return VM_TRAP_DIV_ZERO;
  *r = b == 0xFFFFFFFFFFFFFFFFull ? 0 : (uint64_t)(vm_s64(a) % vm_s64(b));
  return VM_TRAP_NONE;
}
static inline vm_trap vm_rem_u64(uint64_t a, uint64_t b, uint64_t *r) {
  if (b == 0) return VM_TRAP_DIV_ZERO;
  *r = a % b;
  return VM_TRAP_NONE;
}

/* ---- float sign operations: pure bit operations ------------------------ */

#define VM_F32_SIGN 0x80000000u
#define VM_F64_SIGN 0x8000000000000000ull

static inline uint32_t vm_f32_abs(uint32_t a) {
  return a & ~VM_F32_SIGN;
}
static inline uint32_t vm_f32_neg(uint32_t a) {
  return a ^ VM_F32_SIGN;
}
static inline uint32_t vm_f32_copysign(uint32_t a, uint32_t b) {
  return (a & ~VM_F32_SIGN) | (b & VM_F32_SIGN);
}
static inline uint64_t vm_f64_abs(uint64_t a) {
  return a & ~VM_F64_SIGN;
}
static inline uint64_t vm_f64_neg(uint64_t a) {
  return a ^ VM_F64_SIGN;
}
static inline uint64_t vm_f64_copysign(uint64_t a, uint64_t b) {
  return (a & ~VM_F64_SIGN) | (b & VM_F64_SIGN);
}

/* ---- float min/max: NaN propagates, -0 < +0 ------------------------------
 * With a NaN operand the result is the positive canonical NaN: one
 * deterministic choice among the NaNs the spec allows (the reference
 * interpreter's), the same on every tier and for every lane, so that NaN bits
 * reinterpreted as integers (SIMD code does it all the time) never differ. */

static inline float vm_f32_min(float a, float b) {
  if (a != a || b != b) return vm_f32_from_bits(0x7FC00000u);
  if (a == b) return vm_f32_from_bits(vm_f32_bits(a) | vm_f32_bits(b));
  return a < b ? a : b;
}
static inline float vm_f32_max(float a, float b) {
  if (a != a || b != b) return vm_f32_from_bits(0x7FC00000u);
  if (a == b) return vm_f32_from_bits(vm_f32_bits(a) & vm_f32_bits(b));
  return a > b ? a : b;
}
static inline double vm_f64_min(double a, double b) {
  if (a != a || b != b) return vm_f64_from_bits(0x7FF8000000000000u);
  if (a == b) return vm_f64_from_bits(vm_f64_bits(a) | vm_f64_bits(b));
  return a < b ? a : b;
}
static inline double vm_f64_max(double a, double b) {
  if (a != a || b != b) return vm_f64_from_bits(0x7FF8000000000000u);
  if (a == b) return vm_f64_from_bits(vm_f64_bits(a) & vm_f64_bits(b));
  return a > b ? a : b;
}

/* ---- rounding: a NaN input is quieted explicitly (libm may return a
 * signalling NaN unchanged); nearest rounds half to even via rint() in the
 * default rounding mode, which wasm code cannot change. ------------------ */

static inline float vm_f32_ceil(float a) {
  return a != a ? a + a : ceilf(a);
}
static inline float vm_f32_floor(float a) {
  return a != a ? a + a : floorf(a);
}
static inline float vm_f32_trunc(float a) {
  return a != a ? a + a : truncf(a);
}
static inline float vm_f32_nearest(float a) {
  return a != a ? a + a : rintf(a);
}
static inline float vm_f32_sqrt(float a) {
  return a != a ? a + a : sqrtf(a);
}
static inline double vm_f64_ceil(double a) {
  return a != a ? a + a : ceil(a);
}
static inline double vm_f64_floor(double a) {
  return a != a ? a + a : floor(a);
}
static inline double vm_f64_trunc(double a) {
  return a != a ? a + a : trunc(a);
}
static inline double vm_f64_nearest(double a) {
  return a != a ? a + a : rint(a);
}
static inline double vm_f64_sqrt(double a) {
  return a != a ? a + a : sqrt(a);
}

/* ---- float -> int, trapping ---------------------------------------------
 * The range checks are exact: every bound below is representable in the
 * source type, and the comparison happens before the C conversion (which
 * would be undefined out of range). */

static inline vm_trap vm_trunc_f32_s32(float x, uint32_t *r) {
  if (x != x) return VM_TRAP_INVALID_CONVERSION;
  if (!(x >= -2147483648.0f && x < 2147483648.0f)) return VM_TRAP_INT_OVERFLOW;
  *r = (uint32_t)(int32_t)x;
  return VM_TRAP_NONE;
}
static inline vm_trap vm_trunc_f32_u32(float x, uint32_t *r) {
  if (x != x) return VM_TRAP_INVALID_CONVERSION;
  if (!(x > -1.0f && x < 4294967296.0f)) return VM_TRAP_INT_OVERFLOW;
  *r = (uint32_t)x;
  return VM_TRAP_NONE;
}
static inline vm_trap vm_trunc_f64_s32(double x, uint32_t *r) {
  if (x != x) return VM_TRAP_INVALID_CONVERSION;
  if (!(x > -2147483649.0 && x < 2147483648.0)) return VM_TRAP_INT_OVERFLOW;
  *r = (uint32_t)(int32_t)x;
  return VM_TRAP_NONE;
}
static inline vm_trap vm_trunc_f64_u32(double x, uint32_t *r) {
  if (x != x) return VM_TRAP_INVALID_CONVERSION;
  if (!(x > -1.0 && x < 4294967296.0)) return VM_TRAP_INT_OVERFLOW;
  *r = (uint32_t)x;
  return VM_TRAP_NONE;
}
static inline vm_trap vm_trunc_f32_s64(float x, uint64_t *r) {
  if (x != x) return VM_TRAP_INVALID_CONVERSION;
  if (!(x >= -9223372036854775808.0f && x < 9223372036854775808.0f)) return VM_TRAP_INT_OVERFLOW;
  *r = (uint64_t)(int64_t)x;
  return VM_TRAP_NONE;
}
static inline vm_trap vm_trunc_f32_u64(float x, uint64_t *r) {
  if (x != x) return VM_TRAP_INVALID_CONVERSION;
  if (!(x > -1.0f && x < 18446744073709551616.0f)) return VM_TRAP_INT_OVERFLOW;
  *r = (uint64_t)x;
  return VM_TRAP_NONE;
}
static inline vm_trap vm_trunc_f64_s64(double x, uint64_t *r) {
  if (x != x) return VM_TRAP_INVALID_CONVERSION;
  if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)) return VM_TRAP_INT_OVERFLOW;
  *r = (uint64_t)(int64_t)x;
  return VM_TRAP_NONE;
}
static inline vm_trap vm_trunc_f64_u64(double x, uint64_t *r) {
  if (x != x) return VM_TRAP_INVALID_CONVERSION;
  if (!(x > -1.0 && x < 18446744073709551616.0)) return VM_TRAP_INT_OVERFLOW;
  *r = (uint64_t)x;
  return VM_TRAP_NONE;
}

/* ---- float -> int, saturating (NaN -> 0) ------------------------------- */

static inline uint32_t vm_trunc_sat_f32_s32(float x) {
  if (x != x) return 0;
  if (x < -2147483648.0f) return 0x80000000u;
  if (x >= 2147483648.0f) return 0x7FFFFFFFu;
  return (uint32_t)(int32_t)x;
}
static inline uint32_t vm_trunc_sat_f32_u32(float x) {
  if (x != x || x <= -1.0f) return 0;
  if (x >= 4294967296.0f) return 0xFFFFFFFFu;
  return (uint32_t)x;
}
static inline uint32_t vm_trunc_sat_f64_s32(double x) {
  if (x != x) return 0;
  if (x <= -2147483649.0) return 0x80000000u;
  if (x >= 2147483648.0) return 0x7FFFFFFFu;
  return (uint32_t)(int32_t)x;
}
static inline uint32_t vm_trunc_sat_f64_u32(double x) {
  if (x != x || x <= -1.0) return 0;
  if (x >= 4294967296.0) return 0xFFFFFFFFu;
  return (uint32_t)x;
}
static inline uint64_t vm_trunc_sat_f32_s64(float x) {
  if (x != x) return 0;
  if (x < -9223372036854775808.0f) return 0x8000000000000000ull;
  if (x >= 9223372036854775808.0f) return 0x7FFFFFFFFFFFFFFFull;
  return (uint64_t)(int64_t)x;
}
static inline uint64_t vm_trunc_sat_f32_u64(float x) {
  if (x != x || x <= -1.0f) return 0;
  if (x >= 18446744073709551616.0f) return 0xFFFFFFFFFFFFFFFFull;
  return (uint64_t)x;
}
static inline uint64_t vm_trunc_sat_f64_s64(double x) {
  if (x != x) return 0;
  if (x < -9223372036854775808.0) return 0x8000000000000000ull;
  if (x >= 9223372036854775808.0) return 0x7FFFFFFFFFFFFFFFull;
  return (uint64_t)(int64_t)x;
}
static inline uint64_t vm_trunc_sat_f64_u64(double x) {
  if (x != x || x <= -1.0) return 0;
  if (x >= 18446744073709551616.0) return 0xFFFFFFFFFFFFFFFFull;
  return (uint64_t)x;
}

/* ---- int -> float --------------------------------------------------------
 * Direct conversions round once, to nearest even (IEC 60559 / C Annex F);
 * in particular u64 -> f32 must not go through double (double rounding). */

static inline float vm_f32_convert_s32(uint32_t x) {
  return (float)vm_s32(x);
}
static inline float vm_f32_convert_u32(uint32_t x) {
  return (float)x;
}
static inline float vm_f32_convert_s64(uint64_t x) {
  return (float)vm_s64(x);
}
static inline float vm_f32_convert_u64(uint64_t x) {
#if defined(__GNUC__) || defined(_MSC_VER)
  return (float)x;
#else
  /* Portable: halve with a sticky bit so the one rounding happens in the
   * signed conversion, then double exactly. */
  if (x <= 0x7FFFFFFFFFFFFFFFull) return (float)(int64_t)x;
  return 2.0f * (float)(int64_t)((x >> 1) | (x & 1));
#endif
}
static inline double vm_f64_convert_s32(uint32_t x) {
  return (double)vm_s32(x);
}
static inline double vm_f64_convert_u32(uint32_t x) {
  return (double)x;
}
static inline double vm_f64_convert_s64(uint64_t x) {
  return (double)vm_s64(x);
}
static inline double vm_f64_convert_u64(uint64_t x) {
#if defined(__GNUC__) || defined(_MSC_VER)
  return (double)x;
#else
  if (x <= 0x7FFFFFFFFFFFFFFFull) return (double)(int64_t)x;
  return 2.0 * (double)(int64_t)((x >> 1) | (x & 1));
#endif
}

/* ---- little-endian unaligned memory access ------------------------------ */

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VM_BIG_ENDIAN 1
#else
#define VM_BIG_ENDIAN 0
#endif

static inline uint16_t vm_load16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, sizeof v);
#if VM_BIG_ENDIAN
  v = __builtin_bswap16(v);
#endif
  return v;
}
static inline uint32_t vm_load32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
#if VM_BIG_ENDIAN
  v = __builtin_bswap32(v);
#endif
  return v;
}
static inline uint64_t vm_load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
#if VM_BIG_ENDIAN
  v = __builtin_bswap64(v);
#endif
  return v;
}
static inline void vm_store16(uint8_t *p, uint16_t v) {
#if VM_BIG_ENDIAN
  v = __builtin_bswap16(v);
#endif
  memcpy(p, &v, sizeof v);
}
static inline void vm_store32(uint8_t *p, uint32_t v) {
#if VM_BIG_ENDIAN
  v = __builtin_bswap32(v);
#endif
  memcpy(p, &v, sizeof v);
}
static inline void vm_store64(uint8_t *p, uint64_t v) {
#if VM_BIG_ENDIAN
  v = __builtin_bswap64(v);
#endif
  memcpy(p, &v, sizeof v);
}

#endif
