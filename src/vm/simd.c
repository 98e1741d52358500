/* SPDX-License-Identifier: Apache-2.0 */
/*
 * simd.c - the fixed-width SIMD instructions (simd.h): every operation of
 * simdops.def in portable scalar C, lane by lane, on the same scalar
 * helpers as the interpreter's numeric operators (numeric.h), so a lane
 * computes exactly what the scalar instruction would.  Lane loops are plain
 * fixed-count loops that the C compiler vectorises where the result is the
 * same.
 */
#include "vm/simd.h"

#include <math.h>

#include "vm/numeric.h"
#include "vm/opcodes.h"
#include "vm/runtime.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the v128 lane views of simd.h need a little-endian host"
#endif

/* ---- lane helpers -------------------------------------------------------------------------- */

#define LANES(r, n, expr)                                                                                    \
  do {                                                                                                       \
    for (int i = 0; i < (n); i++)                                                                            \
      r = (expr);                                                                                            \
  } while (0)

static int8_t sat_s8(int32_t x) {
  return (int8_t)(x < -128 ? -128 : x > 127 ? 127 : x);
}
static uint8_t sat_u8(int32_t x) {
  return (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x);
}
static int16_t sat_s16(int32_t x) {
  return (int16_t)(x < -32768 ? -32768 : x > 32767 ? 32767 : x);
}
static uint16_t sat_u16(int32_t x) {
  return (uint16_t)(x < 0 ? 0 : x > 65535 ? 65535 : x);
}

/* Comparison results: all ones or all zeros. */
#define MASK8(c) ((uint8_t)((c) ? 0xFF : 0))
#define MASK16(c) ((uint16_t)((c) ? 0xFFFF : 0))
#define MASK32(c) ((uint32_t)((c) ? 0xFFFFFFFFu : 0))
#define MASK64(c) ((uint64_t)((c) ? UINT64_MAX : 0))

static float pmin32(float a, float b) {
  return b < a ? b : a;
}
static float pmax32(float a, float b) {
  return a < b ? b : a;
}
static double pmin64(double a, double b) {
  return b < a ? b : a;
}
static double pmax64(double a, double b) {
  return a < b ? b : a;
}

/* ---- one operand ----------------------------------------------------------------------------- */

vm_v128 vm_simd_un(uint32_t code, vm_v128 a) {
  vm_v128 r;
  memset(&r, 0, sizeof r);
  switch (code) {
  case VM_WASM_V128_NOT: LANES(r.u64[i], 2, ~a.u64[i]); break;
  case VM_WASM_F32X4_DEMOTE_F64X2_ZERO: LANES(r.f32[i], 2, (float)a.f64[i]); break;
  case VM_WASM_F64X2_PROMOTE_LOW_F32X4: LANES(r.f64[i], 2, (double)a.f32[i]); break;
  case VM_WASM_I8X16_ABS: LANES(r.u8[i], 16, (uint8_t)(a.i8[i] < 0 ? -(uint8_t)a.u8[i] : a.u8[i])); break;
  case VM_WASM_I8X16_NEG: LANES(r.u8[i], 16, (uint8_t)-a.u8[i]); break;
  case VM_WASM_I8X16_POPCNT: LANES(r.u8[i], 16, (uint8_t)vm_popcnt32(a.u8[i])); break;
  case VM_WASM_F32X4_CEIL: LANES(r.f32[i], 4, vm_f32_ceil(a.f32[i])); break;
  case VM_WASM_F32X4_FLOOR: LANES(r.f32[i], 4, vm_f32_floor(a.f32[i])); break;
  case VM_WASM_F32X4_TRUNC: LANES(r.f32[i], 4, vm_f32_trunc(a.f32[i])); break;
  case VM_WASM_F32X4_NEAREST: LANES(r.f32[i], 4, vm_f32_nearest(a.f32[i])); break;
  case VM_WASM_F64X2_CEIL: LANES(r.f64[i], 2, vm_f64_ceil(a.f64[i])); break;
  case VM_WASM_F64X2_FLOOR: LANES(r.f64[i], 2, vm_f64_floor(a.f64[i])); break;
  case VM_WASM_F64X2_TRUNC: LANES(r.f64[i], 2, vm_f64_trunc(a.f64[i])); break;
  case VM_WASM_F64X2_NEAREST: LANES(r.f64[i], 2, vm_f64_nearest(a.f64[i])); break;
  case VM_WASM_I16X8_EXTADD_PAIRWISE_I8X16_S:
    LANES(r.i16[i], 8, (int16_t)(a.i8[2 * i] + a.i8[2 * i + 1]));
    break;
  case VM_WASM_I16X8_EXTADD_PAIRWISE_I8X16_U:
    LANES(r.u16[i], 8, (uint16_t)(a.u8[2 * i] + a.u8[2 * i + 1]));
    break;
  case VM_WASM_I32X4_EXTADD_PAIRWISE_I16X8_S:
    LANES(r.i32[i], 4, (int32_t)a.i16[2 * i] + a.i16[2 * i + 1]);
    break;
  case VM_WASM_I32X4_EXTADD_PAIRWISE_I16X8_U:
    LANES(r.u32[i], 4, (uint32_t)a.u16[2 * i] + a.u16[2 * i + 1]);
    break;
  case VM_WASM_I16X8_ABS:
    LANES(r.u16[i], 8, (uint16_t)(a.i16[i] < 0 ? -(uint16_t)a.u16[i] : a.u16[i]));
    break;
  case VM_WASM_I16X8_NEG: LANES(r.u16[i], 8, (uint16_t)-a.u16[i]); break;
  case VM_WASM_I16X8_EXTEND_LOW_I8X16_S: LANES(r.i16[i], 8, a.i8[i]); break;
  case VM_WASM_I16X8_EXTEND_HIGH_I8X16_S: LANES(r.i16[i], 8, a.i8[i + 8]); break;
  case VM_WASM_I16X8_EXTEND_LOW_I8X16_U: LANES(r.u16[i], 8, a.u8[i]); break;
  case VM_WASM_I16X8_EXTEND_HIGH_I8X16_U: LANES(r.u16[i], 8, a.u8[i + 8]); break;
  case VM_WASM_I32X4_ABS: LANES(r.u32[i], 4, a.i32[i] < 0 ? 0u - a.u32[i] : a.u32[i]); break;
  case VM_WASM_I32X4_NEG: LANES(r.u32[i], 4, 0u - a.u32[i]); break;
  case VM_WASM_I32X4_EXTEND_LOW_I16X8_S: LANES(r.i32[i], 4, a.i16[i]); break;
  case VM_WASM_I32X4_EXTEND_HIGH_I16X8_S: LANES(r.i32[i], 4, a.i16[i + 4]); break;
  case VM_WASM_I32X4_EXTEND_LOW_I16X8_U: LANES(r.u32[i], 4, a.u16[i]); break;
  case VM_WASM_I32X4_EXTEND_HIGH_I16X8_U: LANES(r.u32[i], 4, a.u16[i + 4]); break;
  case VM_WASM_I64X2_ABS: LANES(r.u64[i], 2, a.i64[i] < 0 ? 0u - a.u64[i] : a.u64[i]); break;
  case VM_WASM_I64X2_NEG: LANES(r.u64[i], 2, 0u - a.u64[i]); break;
  case VM_WASM_I64X2_EXTEND_LOW_I32X4_S: LANES(r.i64[i], 2, a.i32[i]); break;
  case VM_WASM_I64X2_EXTEND_HIGH_I32X4_S: LANES(r.i64[i], 2, a.i32[i + 2]); break;
  case VM_WASM_I64X2_EXTEND_LOW_I32X4_U: LANES(r.u64[i], 2, a.u32[i]); break;
  case VM_WASM_I64X2_EXTEND_HIGH_I32X4_U: LANES(r.u64[i], 2, a.u32[i + 2]); break;
  case VM_WASM_F32X4_ABS: LANES(r.u32[i], 4, vm_f32_abs(a.u32[i])); break;
  case VM_WASM_F32X4_NEG: LANES(r.u32[i], 4, vm_f32_neg(a.u32[i])); break;
  case VM_WASM_F32X4_SQRT: LANES(r.f32[i], 4, vm_f32_sqrt(a.f32[i])); break;
  case VM_WASM_F64X2_ABS: LANES(r.u64[i], 2, vm_f64_abs(a.u64[i])); break;
  case VM_WASM_F64X2_NEG: LANES(r.u64[i], 2, vm_f64_neg(a.u64[i])); break;
  case VM_WASM_F64X2_SQRT: LANES(r.f64[i], 2, vm_f64_sqrt(a.f64[i])); break;
  case VM_WASM_I32X4_TRUNC_SAT_F32X4_S: LANES(r.u32[i], 4, vm_trunc_sat_f32_s32(a.f32[i])); break;
  case VM_WASM_I32X4_TRUNC_SAT_F32X4_U: LANES(r.u32[i], 4, vm_trunc_sat_f32_u32(a.f32[i])); break;
  case VM_WASM_F32X4_CONVERT_I32X4_S: LANES(r.f32[i], 4, vm_f32_convert_s32(a.u32[i])); break;
  case VM_WASM_F32X4_CONVERT_I32X4_U: LANES(r.f32[i], 4, vm_f32_convert_u32(a.u32[i])); break;
  case VM_WASM_I32X4_TRUNC_SAT_F64X2_S_ZERO: LANES(r.u32[i], 2, vm_trunc_sat_f64_s32(a.f64[i])); break;
  case VM_WASM_I32X4_TRUNC_SAT_F64X2_U_ZERO: LANES(r.u32[i], 2, vm_trunc_sat_f64_u32(a.f64[i])); break;
  case VM_WASM_F64X2_CONVERT_LOW_I32X4_S: LANES(r.f64[i], 2, vm_f64_convert_s32(a.u32[i])); break;
  case VM_WASM_F64X2_CONVERT_LOW_I32X4_U: LANES(r.f64[i], 2, vm_f64_convert_u32(a.u32[i])); break;
  default: break;
  }
  return r;
}

/* ---- two operands ---------------------------------------------------------------------------- */

vm_v128 vm_simd_ter(uint32_t code, vm_v128 a, vm_v128 b, vm_v128 c) {
  vm_v128 r;
  memset(&r, 0, sizeof r);
  switch (code) {
  /* never fused: the product rounded, then the sum (simdops.def) */
  case VM_WASM_F32X4_RELAXED_MADD: LANES(r.f32[i], 4, a.f32[i] * b.f32[i] + c.f32[i]); break;
  case VM_WASM_F32X4_RELAXED_NMADD: LANES(r.f32[i], 4, -(a.f32[i] * b.f32[i]) + c.f32[i]); break;
  case VM_WASM_F64X2_RELAXED_MADD: LANES(r.f64[i], 2, a.f64[i] * b.f64[i] + c.f64[i]); break;
  case VM_WASM_F64X2_RELAXED_NMADD: LANES(r.f64[i], 2, -(a.f64[i] * b.f64[i]) + c.f64[i]); break;
  case VM_WASM_I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S: /* four signed * signed products, exact; + c wraps */
    LANES(r.u32[i], 4,
          (uint32_t)((int32_t)a.i8[4 * i] * b.i8[4 * i] + (int32_t)a.i8[4 * i + 1] * b.i8[4 * i + 1] +
                     (int32_t)a.i8[4 * i + 2] * b.i8[4 * i + 2] +
                     (int32_t)a.i8[4 * i + 3] * b.i8[4 * i + 3]) +
              c.u32[i]);
    break;
  default: break;
  }
  return r;
}

vm_v128 vm_simd_bin(uint32_t code, vm_v128 a, vm_v128 b) {
  vm_v128 r;
  memset(&r, 0, sizeof r);
  switch (code) {
  case VM_WASM_I8X16_SWIZZLE: LANES(r.u8[i], 16, b.u8[i] < 16 ? a.u8[b.u8[i]] : 0); break;
  /* comparisons */
  case VM_WASM_I8X16_EQ: LANES(r.u8[i], 16, MASK8(a.u8[i] == b.u8[i])); break;
  case VM_WASM_I8X16_NE: LANES(r.u8[i], 16, MASK8(a.u8[i] != b.u8[i])); break;
  case VM_WASM_I8X16_LT_S: LANES(r.u8[i], 16, MASK8(a.i8[i] < b.i8[i])); break;
  case VM_WASM_I8X16_LT_U: LANES(r.u8[i], 16, MASK8(a.u8[i] < b.u8[i])); break;
  case VM_WASM_I8X16_GT_S: LANES(r.u8[i], 16, MASK8(a.i8[i] > b.i8[i])); break;
  case VM_WASM_I8X16_GT_U: LANES(r.u8[i], 16, MASK8(a.u8[i] > b.u8[i])); break;
  case VM_WASM_I8X16_LE_S: LANES(r.u8[i], 16, MASK8(a.i8[i] <= b.i8[i])); break;
  case VM_WASM_I8X16_LE_U: LANES(r.u8[i], 16, MASK8(a.u8[i] <= b.u8[i])); break;
  case VM_WASM_I8X16_GE_S: LANES(r.u8[i], 16, MASK8(a.i8[i] >= b.i8[i])); break;
  case VM_WASM_I8X16_GE_U: LANES(r.u8[i], 16, MASK8(a.u8[i] >= b.u8[i])); break;
  case VM_WASM_I16X8_EQ: LANES(r.u16[i], 8, MASK16(a.u16[i] == b.u16[i])); break;
  case VM_WASM_I16X8_NE: LANES(r.u16[i], 8, MASK16(a.u16[i] != b.u16[i])); break;
  case VM_WASM_I16X8_LT_S: LANES(r.u16[i], 8, MASK16(a.i16[i] < b.i16[i])); break;
  case VM_WASM_I16X8_LT_U: LANES(r.u16[i], 8, MASK16(a.u16[i] < b.u16[i])); break;
  case VM_WASM_I16X8_GT_S: LANES(r.u16[i], 8, MASK16(a.i16[i] > b.i16[i])); break;
  case VM_WASM_I16X8_GT_U: LANES(r.u16[i], 8, MASK16(a.u16[i] > b.u16[i])); break;
  case VM_WASM_I16X8_LE_S: LANES(r.u16[i], 8, MASK16(a.i16[i] <= b.i16[i])); break;
  case VM_WASM_I16X8_LE_U: LANES(r.u16[i], 8, MASK16(a.u16[i] <= b.u16[i])); break;
  case VM_WASM_I16X8_GE_S: LANES(r.u16[i], 8, MASK16(a.i16[i] >= b.i16[i])); break;
  case VM_WASM_I16X8_GE_U: LANES(r.u16[i], 8, MASK16(a.u16[i] >= b.u16[i])); break;
  case VM_WASM_I32X4_EQ: LANES(r.u32[i], 4, MASK32(a.u32[i] == b.u32[i])); break;
  case VM_WASM_I32X4_NE: LANES(r.u32[i], 4, MASK32(a.u32[i] != b.u32[i])); break;
  case VM_WASM_I32X4_LT_S: LANES(r.u32[i], 4, MASK32(a.i32[i] < b.i32[i])); break;
  case VM_WASM_I32X4_LT_U: LANES(r.u32[i], 4, MASK32(a.u32[i] < b.u32[i])); break;
  case VM_WASM_I32X4_GT_S: LANES(r.u32[i], 4, MASK32(a.i32[i] > b.i32[i])); break;
  case VM_WASM_I32X4_GT_U: LANES(r.u32[i], 4, MASK32(a.u32[i] > b.u32[i])); break;
  case VM_WASM_I32X4_LE_S: LANES(r.u32[i], 4, MASK32(a.i32[i] <= b.i32[i])); break;
  case VM_WASM_I32X4_LE_U: LANES(r.u32[i], 4, MASK32(a.u32[i] <= b.u32[i])); break;
  case VM_WASM_I32X4_GE_S: LANES(r.u32[i], 4, MASK32(a.i32[i] >= b.i32[i])); break;
  case VM_WASM_I32X4_GE_U: LANES(r.u32[i], 4, MASK32(a.u32[i] >= b.u32[i])); break;
  case VM_WASM_I64X2_EQ: LANES(r.u64[i], 2, MASK64(a.u64[i] == b.u64[i])); break;
  case VM_WASM_I64X2_NE: LANES(r.u64[i], 2, MASK64(a.u64[i] != b.u64[i])); break;
  case VM_WASM_I64X2_LT_S: LANES(r.u64[i], 2, MASK64(a.i64[i] < b.i64[i])); break;
  case VM_WASM_I64X2_GT_S: LANES(r.u64[i], 2, MASK64(a.i64[i] > b.i64[i])); break;
  case VM_WASM_I64X2_LE_S: LANES(r.u64[i], 2, MASK64(a.i64[i] <= b.i64[i])); break;
  case VM_WASM_I64X2_GE_S: LANES(r.u64[i], 2, MASK64(a.i64[i] >= b.i64[i])); break;
  case VM_WASM_F32X4_EQ: LANES(r.u32[i], 4, MASK32(a.f32[i] == b.f32[i])); break;
  case VM_WASM_F32X4_NE: LANES(r.u32[i], 4, MASK32(a.f32[i] != b.f32[i])); break;
  case VM_WASM_F32X4_LT: LANES(r.u32[i], 4, MASK32(a.f32[i] < b.f32[i])); break;
  case VM_WASM_F32X4_GT: LANES(r.u32[i], 4, MASK32(a.f32[i] > b.f32[i])); break;
  case VM_WASM_F32X4_LE: LANES(r.u32[i], 4, MASK32(a.f32[i] <= b.f32[i])); break;
  case VM_WASM_F32X4_GE: LANES(r.u32[i], 4, MASK32(a.f32[i] >= b.f32[i])); break;
  case VM_WASM_F64X2_EQ: LANES(r.u64[i], 2, MASK64(a.f64[i] == b.f64[i])); break;
  case VM_WASM_F64X2_NE: LANES(r.u64[i], 2, MASK64(a.f64[i] != b.f64[i])); break;
  case VM_WASM_F64X2_LT: LANES(r.u64[i], 2, MASK64(a.f64[i] < b.f64[i])); break;
  case VM_WASM_F64X2_GT: LANES(r.u64[i], 2, MASK64(a.f64[i] > b.f64[i])); break;
  case VM_WASM_F64X2_LE: LANES(r.u64[i], 2, MASK64(a.f64[i] <= b.f64[i])); break;
  case VM_WASM_F64X2_GE: LANES(r.u64[i], 2, MASK64(a.f64[i] >= b.f64[i])); break;
  /* bitwise */
  case VM_WASM_V128_AND: LANES(r.u64[i], 2, a.u64[i] & b.u64[i]); break;
  case VM_WASM_V128_ANDNOT: LANES(r.u64[i], 2, a.u64[i] & ~b.u64[i]); break;
  case VM_WASM_V128_OR: LANES(r.u64[i], 2, a.u64[i] | b.u64[i]); break;
  case VM_WASM_V128_XOR: LANES(r.u64[i], 2, a.u64[i] ^ b.u64[i]); break;
  /* narrowing: a's lanes, then b's */
  case VM_WASM_I8X16_NARROW_I16X8_S: LANES(r.i8[i], 16, sat_s8(i < 8 ? a.i16[i] : b.i16[i - 8])); break;
  case VM_WASM_I8X16_NARROW_I16X8_U: LANES(r.u8[i], 16, sat_u8(i < 8 ? a.i16[i] : b.i16[i - 8])); break;
  case VM_WASM_I16X8_NARROW_I32X4_S: LANES(r.i16[i], 8, sat_s16(i < 4 ? a.i32[i] : b.i32[i - 4])); break;
  case VM_WASM_I16X8_NARROW_I32X4_U: {
    for (int i = 0; i < 8; i++) {
      int32_t x = i < 4 ? a.i32[i] : b.i32[i - 4];
      r.u16[i] = x < 0 ? 0 : x > 65535 ? 65535 : (uint16_t)x;
    }
    break;
  }
  /* i8x16 arithmetic */
  case VM_WASM_I8X16_ADD: LANES(r.u8[i], 16, (uint8_t)(a.u8[i] + b.u8[i])); break;
  case VM_WASM_I8X16_ADD_SAT_S: LANES(r.i8[i], 16, sat_s8(a.i8[i] + b.i8[i])); break;
  case VM_WASM_I8X16_ADD_SAT_U: LANES(r.u8[i], 16, sat_u8(a.u8[i] + b.u8[i])); break;
  case VM_WASM_I8X16_SUB: LANES(r.u8[i], 16, (uint8_t)(a.u8[i] - b.u8[i])); break;
  case VM_WASM_I8X16_SUB_SAT_S: LANES(r.i8[i], 16, sat_s8(a.i8[i] - b.i8[i])); break;
  case VM_WASM_I8X16_SUB_SAT_U: LANES(r.u8[i], 16, sat_u8(a.u8[i] - b.u8[i])); break;
  case VM_WASM_I8X16_MIN_S: LANES(r.i8[i], 16, a.i8[i] < b.i8[i] ? a.i8[i] : b.i8[i]); break;
  case VM_WASM_I8X16_MIN_U: LANES(r.u8[i], 16, a.u8[i] < b.u8[i] ? a.u8[i] : b.u8[i]); break;
  case VM_WASM_I8X16_MAX_S: LANES(r.i8[i], 16, a.i8[i] > b.i8[i] ? a.i8[i] : b.i8[i]); break;
  case VM_WASM_I8X16_MAX_U: LANES(r.u8[i], 16, a.u8[i] > b.u8[i] ? a.u8[i] : b.u8[i]); break;
  case VM_WASM_I8X16_AVGR_U: LANES(r.u8[i], 16, (uint8_t)((a.u8[i] + b.u8[i] + 1) >> 1)); break;
  /* i16x8 arithmetic */
  case VM_WASM_I16X8_Q15MULR_SAT_S: LANES(r.i16[i], 8, sat_s16((a.i16[i] * b.i16[i] + 0x4000) >> 15)); break;
  case VM_WASM_I16X8_ADD: LANES(r.u16[i], 8, (uint16_t)(a.u16[i] + b.u16[i])); break;
  case VM_WASM_I16X8_ADD_SAT_S: LANES(r.i16[i], 8, sat_s16(a.i16[i] + b.i16[i])); break;
  case VM_WASM_I16X8_ADD_SAT_U: LANES(r.u16[i], 8, sat_u16(a.u16[i] + b.u16[i])); break;
  case VM_WASM_I16X8_SUB: LANES(r.u16[i], 8, (uint16_t)(a.u16[i] - b.u16[i])); break;
  case VM_WASM_I16X8_SUB_SAT_S: LANES(r.i16[i], 8, sat_s16(a.i16[i] - b.i16[i])); break;
  case VM_WASM_I16X8_SUB_SAT_U: LANES(r.u16[i], 8, sat_u16(a.u16[i] - b.u16[i])); break;
  case VM_WASM_I16X8_MUL: LANES(r.u16[i], 8, (uint16_t)((uint32_t)a.u16[i] * b.u16[i])); break;
  case VM_WASM_I16X8_MIN_S: LANES(r.i16[i], 8, a.i16[i] < b.i16[i] ? a.i16[i] : b.i16[i]); break;
  case VM_WASM_I16X8_MIN_U: LANES(r.u16[i], 8, a.u16[i] < b.u16[i] ? a.u16[i] : b.u16[i]); break;
  case VM_WASM_I16X8_MAX_S: LANES(r.i16[i], 8, a.i16[i] > b.i16[i] ? a.i16[i] : b.i16[i]); break;
  case VM_WASM_I16X8_MAX_U: LANES(r.u16[i], 8, a.u16[i] > b.u16[i] ? a.u16[i] : b.u16[i]); break;
  case VM_WASM_I16X8_AVGR_U: LANES(r.u16[i], 8, (uint16_t)((a.u16[i] + b.u16[i] + 1) >> 1)); break;
  case VM_WASM_I16X8_EXTMUL_LOW_I8X16_S: LANES(r.i16[i], 8, (int16_t)(a.i8[i] * b.i8[i])); break;
  case VM_WASM_I16X8_EXTMUL_HIGH_I8X16_S: LANES(r.i16[i], 8, (int16_t)(a.i8[i + 8] * b.i8[i + 8])); break;
  case VM_WASM_I16X8_EXTMUL_LOW_I8X16_U: LANES(r.u16[i], 8, (uint16_t)(a.u8[i] * b.u8[i])); break;
  case VM_WASM_I16X8_EXTMUL_HIGH_I8X16_U: LANES(r.u16[i], 8, (uint16_t)(a.u8[i + 8] * b.u8[i + 8])); break;
  /* i32x4 arithmetic */
  case VM_WASM_I32X4_ADD: LANES(r.u32[i], 4, a.u32[i] + b.u32[i]); break;
  case VM_WASM_I32X4_SUB: LANES(r.u32[i], 4, a.u32[i] - b.u32[i]); break;
  case VM_WASM_I32X4_MUL: LANES(r.u32[i], 4, a.u32[i] * b.u32[i]); break;
  case VM_WASM_I32X4_MIN_S: LANES(r.i32[i], 4, a.i32[i] < b.i32[i] ? a.i32[i] : b.i32[i]); break;
  case VM_WASM_I32X4_MIN_U: LANES(r.u32[i], 4, a.u32[i] < b.u32[i] ? a.u32[i] : b.u32[i]); break;
  case VM_WASM_I32X4_MAX_S: LANES(r.i32[i], 4, a.i32[i] > b.i32[i] ? a.i32[i] : b.i32[i]); break;
  case VM_WASM_I32X4_MAX_U: LANES(r.u32[i], 4, a.u32[i] > b.u32[i] ? a.u32[i] : b.u32[i]); break;
  case VM_WASM_I16X8_RELAXED_DOT_I8X16_I7X16_S: /* signed * signed, the pair's sum wrapped (simdops.def) */
    LANES(r.u16[i], 8,
          (uint16_t)((int32_t)a.i8[2 * i] * b.i8[2 * i] + (int32_t)a.i8[2 * i + 1] * b.i8[2 * i + 1]));
    break;
  case VM_WASM_I32X4_DOT_I16X8_S:
    /* The sum of two products can be 2^31 exactly (both -32768 * -32768): it wraps. */
    LANES(r.u32[i], 4,
          (uint32_t)((int32_t)a.i16[2 * i] * b.i16[2 * i]) +
              (uint32_t)((int32_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]));
    break;
  case VM_WASM_I32X4_EXTMUL_LOW_I16X8_S: LANES(r.u32[i], 4, (uint32_t)((int32_t)a.i16[i] * b.i16[i])); break;
  case VM_WASM_I32X4_EXTMUL_HIGH_I16X8_S:
    LANES(r.u32[i], 4, (uint32_t)((int32_t)a.i16[i + 4] * b.i16[i + 4]));
    break;
  case VM_WASM_I32X4_EXTMUL_LOW_I16X8_U: LANES(r.u32[i], 4, (uint32_t)a.u16[i] * b.u16[i]); break;
  case VM_WASM_I32X4_EXTMUL_HIGH_I16X8_U: LANES(r.u32[i], 4, (uint32_t)a.u16[i + 4] * b.u16[i + 4]); break;
  /* i64x2 arithmetic */
  case VM_WASM_I64X2_ADD: LANES(r.u64[i], 2, a.u64[i] + b.u64[i]); break;
  case VM_WASM_I64X2_SUB: LANES(r.u64[i], 2, a.u64[i] - b.u64[i]); break;
  case VM_WASM_I64X2_MUL: LANES(r.u64[i], 2, a.u64[i] * b.u64[i]); break;
  case VM_WASM_I64X2_EXTMUL_LOW_I32X4_S: LANES(r.u64[i], 2, (uint64_t)((int64_t)a.i32[i] * b.i32[i])); break;
  case VM_WASM_I64X2_EXTMUL_HIGH_I32X4_S:
    LANES(r.u64[i], 2, (uint64_t)((int64_t)a.i32[i + 2] * b.i32[i + 2]));
    break;
  case VM_WASM_I64X2_EXTMUL_LOW_I32X4_U: LANES(r.u64[i], 2, (uint64_t)a.u32[i] * b.u32[i]); break;
  case VM_WASM_I64X2_EXTMUL_HIGH_I32X4_U: LANES(r.u64[i], 2, (uint64_t)a.u32[i + 2] * b.u32[i + 2]); break;
  /* floats */
  case VM_WASM_F32X4_ADD: LANES(r.f32[i], 4, a.f32[i] + b.f32[i]); break;
  case VM_WASM_F32X4_SUB: LANES(r.f32[i], 4, a.f32[i] - b.f32[i]); break;
  case VM_WASM_F32X4_MUL: LANES(r.f32[i], 4, a.f32[i] * b.f32[i]); break;
  case VM_WASM_F32X4_DIV: LANES(r.f32[i], 4, a.f32[i] / b.f32[i]); break;
  case VM_WASM_F32X4_MIN: LANES(r.f32[i], 4, vm_f32_min(a.f32[i], b.f32[i])); break;
  case VM_WASM_F32X4_MAX: LANES(r.f32[i], 4, vm_f32_max(a.f32[i], b.f32[i])); break;
  case VM_WASM_F32X4_PMIN: LANES(r.f32[i], 4, pmin32(a.f32[i], b.f32[i])); break;
  case VM_WASM_F32X4_PMAX: LANES(r.f32[i], 4, pmax32(a.f32[i], b.f32[i])); break;
  case VM_WASM_F64X2_ADD: LANES(r.f64[i], 2, a.f64[i] + b.f64[i]); break;
  case VM_WASM_F64X2_SUB: LANES(r.f64[i], 2, a.f64[i] - b.f64[i]); break;
  case VM_WASM_F64X2_MUL: LANES(r.f64[i], 2, a.f64[i] * b.f64[i]); break;
  case VM_WASM_F64X2_DIV: LANES(r.f64[i], 2, a.f64[i] / b.f64[i]); break;
  case VM_WASM_F64X2_MIN: LANES(r.f64[i], 2, vm_f64_min(a.f64[i], b.f64[i])); break;
  case VM_WASM_F64X2_MAX: LANES(r.f64[i], 2, vm_f64_max(a.f64[i], b.f64[i])); break;
  case VM_WASM_F64X2_PMIN: LANES(r.f64[i], 2, pmin64(a.f64[i], b.f64[i])); break;
  case VM_WASM_F64X2_PMAX: LANES(r.f64[i], 2, pmax64(a.f64[i], b.f64[i])); break;
  default: break;
  }
  return r;
}

/* ---- tests, shifts ----------------------------------------------------------------------------- */

uint32_t vm_simd_test(uint32_t code, vm_v128 a) {
  uint32_t r = 0;
  switch (code) {
  case VM_WASM_V128_ANY_TRUE: return (a.u64[0] | a.u64[1]) != 0;
  case VM_WASM_I8X16_ALL_TRUE:
    r = 1;
    for (int i = 0; i < 16; i++)
      r &= a.u8[i] != 0;
    return r;
  case VM_WASM_I16X8_ALL_TRUE:
    r = 1;
    for (int i = 0; i < 8; i++)
      r &= a.u16[i] != 0;
    return r;
  case VM_WASM_I32X4_ALL_TRUE:
    r = 1;
    for (int i = 0; i < 4; i++)
      r &= a.u32[i] != 0;
    return r;
  case VM_WASM_I64X2_ALL_TRUE: return a.u64[0] != 0 && a.u64[1] != 0;
  case VM_WASM_I8X16_BITMASK:
    for (int i = 0; i < 16; i++)
      r |= (uint32_t)(a.u8[i] >> 7) << i;
    return r;
  case VM_WASM_I16X8_BITMASK:
    for (int i = 0; i < 8; i++)
      r |= (uint32_t)(a.u16[i] >> 15) << i;
    return r;
  case VM_WASM_I32X4_BITMASK:
    for (int i = 0; i < 4; i++)
      r |= (a.u32[i] >> 31) << i;
    return r;
  case VM_WASM_I64X2_BITMASK: return (uint32_t)(a.u64[0] >> 63) | (uint32_t)(a.u64[1] >> 63) << 1;
  default: return 0;
  }
}

vm_v128 vm_simd_shift(uint32_t code, vm_v128 a, uint32_t n) {
  vm_v128 r;
  memset(&r, 0, sizeof r);
  switch (code) {
  case VM_WASM_I8X16_SHL: LANES(r.u8[i], 16, (uint8_t)(a.u8[i] << (n & 7))); break;
  case VM_WASM_I8X16_SHR_S: LANES(r.i8[i], 16, (int8_t)(a.i8[i] >> (n & 7))); break;
  case VM_WASM_I8X16_SHR_U: LANES(r.u8[i], 16, (uint8_t)(a.u8[i] >> (n & 7))); break;
  case VM_WASM_I16X8_SHL: LANES(r.u16[i], 8, (uint16_t)(a.u16[i] << (n & 15))); break;
  case VM_WASM_I16X8_SHR_S: LANES(r.i16[i], 8, (int16_t)(a.i16[i] >> (n & 15))); break;
  case VM_WASM_I16X8_SHR_U: LANES(r.u16[i], 8, (uint16_t)(a.u16[i] >> (n & 15))); break;
  case VM_WASM_I32X4_SHL: LANES(r.u32[i], 4, vm_shl32(a.u32[i], n)); break;
  case VM_WASM_I32X4_SHR_S: LANES(r.u32[i], 4, vm_shrs32(a.u32[i], n)); break;
  case VM_WASM_I32X4_SHR_U: LANES(r.u32[i], 4, vm_shru32(a.u32[i], n)); break;
  case VM_WASM_I64X2_SHL: LANES(r.u64[i], 2, vm_shl64(a.u64[i], n)); break;
  case VM_WASM_I64X2_SHR_S: LANES(r.u64[i], 2, vm_shrs64(a.u64[i], n)); break;
  case VM_WASM_I64X2_SHR_U: LANES(r.u64[i], 2, vm_shru64(a.u64[i], n)); break;
  default: break;
  }
  return r;
}

/* ---- lanes, splats, shuffles ---------------------------------------------------------------------- */

vm_v128 vm_simd_splat(uint32_t code, uint64_t x) {
  vm_v128 r;
  memset(&r, 0, sizeof r);
  switch (code) {
  case VM_WASM_I8X16_SPLAT: LANES(r.u8[i], 16, (uint8_t)x); break;
  case VM_WASM_I16X8_SPLAT: LANES(r.u16[i], 8, (uint16_t)x); break;
  case VM_WASM_I32X4_SPLAT:
  case VM_WASM_F32X4_SPLAT: LANES(r.u32[i], 4, (uint32_t)x); break;
  default: LANES(r.u64[i], 2, x); break; /* i64x2, f64x2 */
  }
  return r;
}

uint64_t vm_simd_extract(uint32_t code, vm_v128 a, uint32_t lane) {
  switch (code) {
  case VM_WASM_I8X16_EXTRACT_LANE_S: return (uint32_t)(int32_t)a.i8[lane & 15];
  case VM_WASM_I8X16_EXTRACT_LANE_U: return a.u8[lane & 15];
  case VM_WASM_I16X8_EXTRACT_LANE_S: return (uint32_t)(int32_t)a.i16[lane & 7];
  case VM_WASM_I16X8_EXTRACT_LANE_U: return a.u16[lane & 7];
  case VM_WASM_I32X4_EXTRACT_LANE:
  case VM_WASM_F32X4_EXTRACT_LANE: return a.u32[lane & 3];
  default: return a.u64[lane & 1]; /* i64x2, f64x2 */
  }
}

vm_v128 vm_simd_replace(uint32_t code, vm_v128 a, uint64_t x, uint32_t lane) {
  switch (code) {
  case VM_WASM_I8X16_REPLACE_LANE: a.u8[lane & 15] = (uint8_t)x; break;
  case VM_WASM_I16X8_REPLACE_LANE: a.u16[lane & 7] = (uint16_t)x; break;
  case VM_WASM_I32X4_REPLACE_LANE:
  case VM_WASM_F32X4_REPLACE_LANE: a.u32[lane & 3] = (uint32_t)x; break;
  default: a.u64[lane & 1] = x; break; /* i64x2, f64x2 */
  }
  return a;
}

vm_v128 vm_simd_shuffle(vm_v128 a, vm_v128 b, const uint8_t lanes[16]) {
  vm_v128 r;
  LANES(r.u8[i], 16, lanes[i] < 16 ? a.u8[lanes[i]] : b.u8[lanes[i] & 15]);
  return r;
}

/* ---- memory ------------------------------------------------------------------------------------ */

uint32_t vm_simd_load_bytes(uint32_t code) {
  switch (code) {
  case VM_WASM_V128_LOAD: return 16;
  case VM_WASM_V128_LOAD8_SPLAT: return 1;
  case VM_WASM_V128_LOAD16_SPLAT: return 2;
  case VM_WASM_V128_LOAD32_SPLAT:
  case VM_WASM_V128_LOAD32_ZERO: return 4;
  default: return 8; /* the extending loads, load64_splat, load64_zero */
  }
}

vm_v128 vm_simd_load(uint32_t code, const uint8_t *p) {
  vm_v128 r, s;
  memset(&r, 0, sizeof r);
  memset(&s, 0, sizeof s);
  memcpy(&s, p, vm_simd_load_bytes(code));
  switch (code) {
  case VM_WASM_V128_LOAD:
  case VM_WASM_V128_LOAD32_ZERO:
  case VM_WASM_V128_LOAD64_ZERO: return s;
  case VM_WASM_V128_LOAD8X8_S: LANES(r.i16[i], 8, s.i8[i]); break;
  case VM_WASM_V128_LOAD8X8_U: LANES(r.u16[i], 8, s.u8[i]); break;
  case VM_WASM_V128_LOAD16X4_S: LANES(r.i32[i], 4, s.i16[i]); break;
  case VM_WASM_V128_LOAD16X4_U: LANES(r.u32[i], 4, s.u16[i]); break;
  case VM_WASM_V128_LOAD32X2_S: LANES(r.i64[i], 2, s.i32[i]); break;
  case VM_WASM_V128_LOAD32X2_U: LANES(r.u64[i], 2, s.u32[i]); break;
  case VM_WASM_V128_LOAD8_SPLAT: return vm_simd_splat(VM_WASM_I8X16_SPLAT, s.u8[0]);
  case VM_WASM_V128_LOAD16_SPLAT: return vm_simd_splat(VM_WASM_I16X8_SPLAT, s.u16[0]);
  case VM_WASM_V128_LOAD32_SPLAT: return vm_simd_splat(VM_WASM_I32X4_SPLAT, s.u32[0]);
  default: return vm_simd_splat(VM_WASM_I64X2_SPLAT, s.u64[0]); /* load64_splat */
  }
  return r;
}

uint32_t vm_simd_lane_bytes(uint32_t code) {
  switch (code) {
  case VM_WASM_V128_LOAD8_LANE:
  case VM_WASM_V128_STORE8_LANE: return 1;
  case VM_WASM_V128_LOAD16_LANE:
  case VM_WASM_V128_STORE16_LANE: return 2;
  case VM_WASM_V128_LOAD32_LANE:
  case VM_WASM_V128_STORE32_LANE: return 4;
  default: return 8;
  }
}

/* ---- one internal instruction ------------------------------------------------------------------ */

uint32_t vm_simd_exec(uint32_t op, const uint32_t *ip, uint64_t *fp, vm_instance *inst) {
#define RV(k) vm_v128_get(fp + ip[k])
#define WV(k, v)                                                                                             \
  do {                                                                                                       \
    vm_v128 v_ = (v);                                                                                        \
    vm_v128_put(fp + ip[k], &v_);                                                                            \
  } while (0)
/* The host address of [fp[a] + offset, n bytes) in memory 0, or a trap (vm_instance_memory_range). */
#define ACCESS(p, a, o, n)                                                                                   \
  uint8_t *p = vm_instance_memory_range(inst, (uint64_t)(uint32_t)fp[ip[a]] + ip[o], (n));                   \
  if (!p) return VM_TRAP_MEMORY_OOB
  switch ((vm_op)op) {
  case VM_OP_V128_CONST: {
    vm_v128 v;
    memcpy(&v, ip + 2, sizeof v);
    WV(1, v);
    break;
  }
  case VM_OP_V128_UN: WV(1, vm_simd_un(ip[3], RV(2))); break;
  case VM_OP_V128_BIN: WV(1, vm_simd_bin(ip[4], RV(2), RV(3))); break;
  case VM_OP_V128_BITSELECT: {
    vm_v128 a = RV(2), b = RV(3), m = RV(4), r;
    r.u64[0] = (a.u64[0] & m.u64[0]) | (b.u64[0] & ~m.u64[0]);
    r.u64[1] = (a.u64[1] & m.u64[1]) | (b.u64[1] & ~m.u64[1]);
    WV(1, r);
    break;
  }
  case VM_OP_V128_TER: WV(1, vm_simd_ter(ip[5], RV(2), RV(3), RV(4))); break;
  case VM_OP_V128_TEST: fp[ip[1]] = vm_simd_test(ip[3], RV(2)); break;
  case VM_OP_V128_SHIFT: WV(1, vm_simd_shift(ip[4], RV(2), (uint32_t)fp[ip[3]])); break;
  case VM_OP_V128_SPLAT: WV(1, vm_simd_splat(ip[3], fp[ip[2]])); break;
  case VM_OP_V128_EXTRACT: fp[ip[1]] = vm_simd_extract(ip[3], RV(2), ip[4]); break;
  case VM_OP_V128_REPLACE: WV(1, vm_simd_replace(ip[4], RV(2), fp[ip[3]], ip[5])); break;
  case VM_OP_V128_SHUFFLE: {
    uint8_t lanes[16];
    memcpy(lanes, ip + 4, sizeof lanes);
    WV(1, vm_simd_shuffle(RV(2), RV(3), lanes));
    break;
  }
  case VM_OP_V128_LOAD: {
    ACCESS(p, 2, 3, vm_simd_load_bytes(ip[4]));
    WV(1, vm_simd_load(ip[4], p));
    break;
  }
  case VM_OP_V128_STORE: {
    ACCESS(p, 1, 3, 16);
    memcpy(p, fp + ip[2], 16);
    break;
  }
  case VM_OP_V128_LOAD_LANE: {
    uint32_t n = vm_simd_lane_bytes(ip[5]);
    ACCESS(p, 2, 4, n);
    vm_v128 v = RV(3);
    memcpy(v.u8 + ip[6] * n, p, n);
    WV(1, v);
    break;
  }
  case VM_OP_V128_STORE_LANE: {
    uint32_t n = vm_simd_lane_bytes(ip[4]);
    ACCESS(p, 1, 3, n);
    vm_v128 v = RV(2);
    memcpy(p, v.u8 + ip[5] * n, n);
    break;
  }
  case VM_OP_V128_SELECT: WV(1, (uint32_t)fp[ip[4]] ? RV(2) : RV(3)); break;
  case VM_OP_V128_GLOBAL_GET: {
    const vm_global *g = inst->globals[ip[2]];
    fp[ip[1]] = g->value;
    fp[ip[1] + 1] = g->hi;
    break;
  }
  case VM_OP_V128_GLOBAL_SET: {
    vm_global *g = inst->globals[ip[2]];
    g->value = fp[ip[1]];
    g->hi = fp[ip[1] + 1];
    break;
  }
  default: return VM_TRAP_UNREACHABLE;
  }
  return VM_TRAP_NONE;
#undef RV
#undef WV
#undef ACCESS
}
