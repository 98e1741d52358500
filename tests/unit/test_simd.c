/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_simd.c - the numeric edge cases of the SIMD operations (src/vm/simd.c)
 * called directly: saturation bounds of every lane width, wrapping (abs and
 * neg of the most negative lane, the dot product), shift counts at and past
 * the lane width, NaN and signed-zero rules of min/max/pmin/pmax, rounding
 * ties, float-to-int saturation (NaN, out of range), conversions, narrowing,
 * extension, swizzle and shuffle indices out of range, bitmasks and
 * all_true/any_true, lane extraction with sign extension.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "test.h"
#include "vm/opcodes.h"
#include "vm/simd.h"

static vm_v128 zero(void) {
  vm_v128 v;
  memset(&v, 0, sizeof v);
  return v;
}
static vm_v128 i8s(int8_t x) {
  vm_v128 v;
  for (int i = 0; i < 16; i++)
    v.i8[i] = x;
  return v;
}
static vm_v128 i16s(int16_t x) {
  vm_v128 v;
  for (int i = 0; i < 8; i++)
    v.i16[i] = x;
  return v;
}
static vm_v128 i32s(int32_t x) {
  vm_v128 v;
  for (int i = 0; i < 4; i++)
    v.i32[i] = x;
  return v;
}
static vm_v128 i64s(int64_t x) {
  vm_v128 v;
  v.i64[0] = v.i64[1] = x;
  return v;
}
static vm_v128 f32v(float a, float b, float c, float d) {
  vm_v128 v;
  v.f32[0] = a, v.f32[1] = b, v.f32[2] = c, v.f32[3] = d;
  return v;
}
static vm_v128 f64v(double a, double b) {
  vm_v128 v;
  v.f64[0] = a, v.f64[1] = b;
  return v;
}
static uint32_t f32bits(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}
static uint64_t f64bits(double f) {
  uint64_t b;
  memcpy(&b, &f, 8);
  return b;
}
static bool is_nan32(float f) {
  return f != f;
}

TEST_IMPL(saturation) {
  vm_v128 r = vm_simd_bin(VM_WASM_I8X16_ADD_SAT_S, i8s(127), i8s(1));
  CHECK_INT(r.i8[0], 127);
  r = vm_simd_bin(VM_WASM_I8X16_SUB_SAT_S, i8s(-128), i8s(1));
  CHECK_INT(r.i8[15], -128);
  r = vm_simd_bin(VM_WASM_I8X16_ADD_SAT_U, i8s(-1), i8s(1)); /* 255 + 1 */
  CHECK_INT(r.u8[3], 255);
  r = vm_simd_bin(VM_WASM_I8X16_SUB_SAT_U, i8s(0), i8s(1));
  CHECK_INT(r.u8[3], 0);
  r = vm_simd_bin(VM_WASM_I16X8_ADD_SAT_S, i16s(32767), i16s(32767));
  CHECK_INT(r.i16[7], 32767);
  r = vm_simd_bin(VM_WASM_I16X8_SUB_SAT_S, i16s(-32768), i16s(32767));
  CHECK_INT(r.i16[0], -32768);
  r = vm_simd_bin(VM_WASM_I16X8_ADD_SAT_U, i16s(-1), i16s(-1));
  CHECK_INT(r.u16[1], 65535);
  r = vm_simd_bin(VM_WASM_I16X8_SUB_SAT_U, i16s(1), i16s(2));
  CHECK_INT(r.u16[1], 0);
  /* q15mulr: -1.0 * -1.0 is the one product that saturates */
  r = vm_simd_bin(VM_WASM_I16X8_Q15MULR_SAT_S, i16s(-32768), i16s(-32768));
  CHECK_INT(r.i16[2], 32767);
  r = vm_simd_bin(VM_WASM_I16X8_Q15MULR_SAT_S, i16s(16384), i16s(-32768)); /* 0.5 * -1.0 */
  CHECK_INT(r.i16[2], -16384);
  r = vm_simd_bin(VM_WASM_I16X8_Q15MULR_SAT_S, i16s(1), i16s(16384)); /* rounds half up */
  CHECK_INT(r.i16[2], 1);
}

TEST_IMPL(narrowing) {
  vm_v128 a = i16s(300), b = i16s(-300);
  vm_v128 r = vm_simd_bin(VM_WASM_I8X16_NARROW_I16X8_S, a, b);
  CHECK_INT(r.i8[0], 127);
  CHECK_INT(r.i8[8], -128);
  r = vm_simd_bin(VM_WASM_I8X16_NARROW_I16X8_U, a, b);
  CHECK_INT(r.u8[0], 255);
  CHECK_INT(r.u8[8], 0);
  r = vm_simd_bin(VM_WASM_I16X8_NARROW_I32X4_S, i32s(70000), i32s(-70000));
  CHECK_INT(r.i16[0], 32767);
  CHECK_INT(r.i16[4], -32768);
  r = vm_simd_bin(VM_WASM_I16X8_NARROW_I32X4_U, i32s(70000), i32s(-1));
  CHECK_INT(r.u16[3], 65535);
  CHECK_INT(r.u16[7], 0);
  /* extension: the low and high halves, signed and unsigned */
  vm_v128 x = zero();
  x.i8[0] = -128;
  x.i8[8] = -1;
  r = vm_simd_un(VM_WASM_I16X8_EXTEND_LOW_I8X16_S, x);
  CHECK_INT(r.i16[0], -128);
  r = vm_simd_un(VM_WASM_I16X8_EXTEND_HIGH_I8X16_U, x);
  CHECK_INT(r.u16[0], 255);
  x = zero();
  x.i32[2] = INT32_MIN;
  r = vm_simd_un(VM_WASM_I64X2_EXTEND_HIGH_I32X4_S, x);
  CHECK(r.i64[0] == INT32_MIN);
  r = vm_simd_un(VM_WASM_I64X2_EXTEND_HIGH_I32X4_U, x);
  CHECK(r.u64[0] == 0x80000000u);
  uint8_t mem[8] = {0x80, 0x7f, 0xff, 0, 1, 2, 3, 4};
  r = vm_simd_load(VM_WASM_V128_LOAD8X8_S, mem);
  CHECK_INT(r.i16[0], -128);
  CHECK_INT(r.i16[2], -1);
  r = vm_simd_load(VM_WASM_V128_LOAD8X8_U, mem);
  CHECK_INT(r.i16[2], 255);
  r = vm_simd_load(VM_WASM_V128_LOAD32_ZERO, mem);
  CHECK(r.u32[0] == 0x00ff7f80u && r.u32[1] == 0 && r.u64[1] == 0);
}

TEST_IMPL(wrapping) {
  CHECK_INT(vm_simd_un(VM_WASM_I8X16_ABS, i8s(-128)).i8[5], -128);
  CHECK_INT(vm_simd_un(VM_WASM_I8X16_NEG, i8s(-128)).i8[5], -128);
  CHECK_INT(vm_simd_un(VM_WASM_I16X8_ABS, i16s(-32768)).i16[5], -32768);
  CHECK(vm_simd_un(VM_WASM_I32X4_ABS, i32s(INT32_MIN)).i32[1] == INT32_MIN);
  CHECK(vm_simd_un(VM_WASM_I64X2_ABS, i64s(INT64_MIN)).i64[1] == INT64_MIN);
  CHECK(vm_simd_un(VM_WASM_I64X2_NEG, i64s(INT64_MIN)).i64[0] == INT64_MIN);
  CHECK_INT(vm_simd_un(VM_WASM_I32X4_ABS, i32s(-5)).i32[0], 5);
  /* the dot product's one wrapping lane: 2 * 2^30 */
  vm_v128 r = vm_simd_bin(VM_WASM_I32X4_DOT_I16X8_S, i16s(-32768), i16s(-32768));
  CHECK(r.i32[0] == INT32_MIN);
  r = vm_simd_bin(VM_WASM_I16X8_MUL, i16s(300), i16s(300)); /* 90000 mod 2^16 */
  CHECK_INT(r.u16[0], 90000 % 65536);
  r = vm_simd_bin(VM_WASM_I64X2_EXTMUL_LOW_I32X4_S, i32s(INT32_MIN), i32s(INT32_MIN));
  CHECK(r.u64[0] == (uint64_t)1 << 62);
  r = vm_simd_bin(VM_WASM_I32X4_EXTMUL_HIGH_I16X8_U, i16s(-1), i16s(-1));
  CHECK(r.u32[3] == 65535u * 65535u);
  CHECK_INT(vm_simd_bin(VM_WASM_I8X16_AVGR_U, i8s(-1), i8s(-1)).u8[0], 255);
  CHECK_INT(vm_simd_bin(VM_WASM_I8X16_AVGR_U, i8s(0), i8s(1)).u8[0], 1);
  CHECK_INT(vm_simd_bin(VM_WASM_I16X8_AVGR_U, i16s(-1), i16s(0)).u16[0], 32768);
  CHECK_INT(vm_simd_un(VM_WASM_I8X16_POPCNT, i8s(-1)).u8[7], 8);
  r = vm_simd_un(VM_WASM_I16X8_EXTADD_PAIRWISE_I8X16_S, i8s(-128));
  CHECK_INT(r.i16[0], -256);
  r = vm_simd_un(VM_WASM_I32X4_EXTADD_PAIRWISE_I16X8_U, i16s(-1));
  CHECK(r.u32[0] == 131070u);
}

TEST_IMPL(shifts) {
  /* counts are taken modulo the lane width */
  CHECK_INT(vm_simd_shift(VM_WASM_I8X16_SHL, i8s(1), 8).u8[0], 1);
  CHECK_INT(vm_simd_shift(VM_WASM_I8X16_SHL, i8s(1), 9).u8[0], 2);
  CHECK_INT(vm_simd_shift(VM_WASM_I8X16_SHR_S, i8s(-128), 7).i8[0], -1);
  CHECK_INT(vm_simd_shift(VM_WASM_I8X16_SHR_U, i8s(-128), 7).u8[0], 1);
  CHECK_INT(vm_simd_shift(VM_WASM_I16X8_SHR_S, i16s(-32768), 16 + 15).i16[0], -1);
  CHECK_INT(vm_simd_shift(VM_WASM_I16X8_SHL, i16s(3), 17).u16[0], 6);
  CHECK(vm_simd_shift(VM_WASM_I32X4_SHL, i32s(1), 32).u32[0] == 1);
  CHECK(vm_simd_shift(VM_WASM_I32X4_SHR_U, i32s(-1), 63).u32[0] == 1);
  CHECK(vm_simd_shift(VM_WASM_I64X2_SHR_S, i64s(INT64_MIN), 64 + 63).i64[0] == -1);
  CHECK(vm_simd_shift(VM_WASM_I64X2_SHL, i64s(1), 0xFFFFFFFFu).u64[1] == (uint64_t)1 << 63);
}

TEST_IMPL(float_min_max) {
  float nan = NAN;
  vm_v128 a = f32v(-0.0f, nan, 1.0f, 0.0f), b = f32v(0.0f, 1.0f, nan, -0.0f);
  vm_v128 r = vm_simd_bin(VM_WASM_F32X4_MIN, a, b);
  CHECK(f32bits(r.f32[0]) == 0x80000000u); /* min(-0, +0) = -0 */
  CHECK(is_nan32(r.f32[1]) && is_nan32(r.f32[2]));
  CHECK(f32bits(r.f32[3]) == 0x80000000u);
  r = vm_simd_bin(VM_WASM_F32X4_MAX, a, b);
  CHECK(f32bits(r.f32[0]) == 0 && f32bits(r.f32[3]) == 0); /* max(-0, +0) = +0 */
  CHECK(is_nan32(r.f32[1]) && is_nan32(r.f32[2]));
  /* pmin(a, b) = b < a ? b : a: NaN and zeros are not ordered, so a comes back */
  r = vm_simd_bin(VM_WASM_F32X4_PMIN, a, b);
  CHECK(f32bits(r.f32[0]) == 0x80000000u);
  CHECK(is_nan32(r.f32[1]));
  CHECK(r.f32[2] == 1.0f);
  CHECK(f32bits(r.f32[3]) == 0);
  r = vm_simd_bin(VM_WASM_F32X4_PMAX, a, b);
  CHECK(f32bits(r.f32[0]) == 0x80000000u && is_nan32(r.f32[1]) && r.f32[2] == 1.0f && f32bits(r.f32[3]) == 0);
  vm_v128 d = vm_simd_bin(VM_WASM_F64X2_MIN, f64v(-0.0, NAN), f64v(0.0, 2.0));
  CHECK(f64bits(d.f64[0]) == 0x8000000000000000u && d.f64[1] != d.f64[1]);
  d = vm_simd_bin(VM_WASM_F64X2_PMAX, f64v(-0.0, NAN), f64v(0.0, 2.0));
  CHECK(f64bits(d.f64[0]) == 0x8000000000000000u && d.f64[1] != d.f64[1]);
  /* comparisons with NaN are false, except ne */
  r = vm_simd_bin(VM_WASM_F32X4_EQ, a, a);
  CHECK(r.u32[0] == 0xFFFFFFFFu && r.u32[1] == 0);
  r = vm_simd_bin(VM_WASM_F32X4_NE, a, a);
  CHECK(r.u32[1] == 0xFFFFFFFFu && r.u32[2] == 0);
  r = vm_simd_bin(VM_WASM_F32X4_LT, f32v(-0.0f, 0, 0, 0), f32v(0.0f, 0, 0, 0));
  CHECK(r.u32[0] == 0);
}

TEST_IMPL(rounding) {
  vm_v128 r = vm_simd_un(VM_WASM_F32X4_NEAREST, f32v(2.5f, -2.5f, 0.5f, -0.5f));
  CHECK(r.f32[0] == 2.0f && r.f32[1] == -2.0f && f32bits(r.f32[2]) == 0 && f32bits(r.f32[3]) == 0x80000000u);
  r = vm_simd_un(VM_WASM_F32X4_CEIL, f32v(-0.5f, 1.1f, -1.1f, NAN));
  CHECK(f32bits(r.f32[0]) == 0x80000000u && r.f32[1] == 2.0f && r.f32[2] == -1.0f && is_nan32(r.f32[3]));
  r = vm_simd_un(VM_WASM_F32X4_FLOOR, f32v(0.5f, -1.1f, INFINITY, -0.0f));
  CHECK(f32bits(r.f32[0]) == 0 && r.f32[1] == -2.0f && r.f32[2] == INFINITY &&
        f32bits(r.f32[3]) == 0x80000000u);
  r = vm_simd_un(VM_WASM_F32X4_TRUNC, f32v(-0.7f, 1.9f, -1.9f, 0));
  CHECK(f32bits(r.f32[0]) == 0x80000000u && r.f32[1] == 1.0f && r.f32[2] == -1.0f);
  vm_v128 d = vm_simd_un(VM_WASM_F64X2_NEAREST, f64v(-1.5, 4503599627370497.0));
  CHECK(d.f64[0] == -2.0 && d.f64[1] == 4503599627370497.0);
  d = vm_simd_un(VM_WASM_F64X2_SQRT, f64v(-1.0, 4.0));
  CHECK(d.f64[0] != d.f64[0] && d.f64[1] == 2.0);
}

TEST_IMPL(conversions) {
  vm_v128 r = vm_simd_un(VM_WASM_I32X4_TRUNC_SAT_F32X4_S, f32v(NAN, 3e9f, -3e9f, -1.9f));
  CHECK(r.i32[0] == 0 && r.i32[1] == INT32_MAX && r.i32[2] == INT32_MIN && r.i32[3] == -1);
  r = vm_simd_un(VM_WASM_I32X4_TRUNC_SAT_F32X4_U, f32v(-1.0f, 5e9f, 4294967040.0f, NAN));
  CHECK(r.u32[0] == 0 && r.u32[1] == UINT32_MAX && r.u32[2] == 4294967040u && r.u32[3] == 0);
  r = vm_simd_un(VM_WASM_I32X4_TRUNC_SAT_F64X2_S_ZERO, f64v(-2147483648.9, 2147483647.9));
  CHECK(r.i32[0] == INT32_MIN && r.i32[1] == INT32_MAX && r.u64[1] == 0);
  r = vm_simd_un(VM_WASM_I32X4_TRUNC_SAT_F64X2_U_ZERO, f64v(-0.9, 1e10));
  CHECK(r.u32[0] == 0 && r.u32[1] == UINT32_MAX && r.u64[1] == 0);
  vm_v128 x = i32s(-1);
  r = vm_simd_un(VM_WASM_F32X4_CONVERT_I32X4_U, x);
  CHECK(r.f32[0] == 4294967296.0f);
  r = vm_simd_un(VM_WASM_F32X4_CONVERT_I32X4_S, i32s(16777217)); /* rounds to even */
  CHECK(r.f32[0] == 16777216.0f);
  r = vm_simd_un(VM_WASM_F64X2_CONVERT_LOW_I32X4_U, x);
  CHECK(r.f64[1] == 4294967295.0);
  r = vm_simd_un(VM_WASM_F32X4_DEMOTE_F64X2_ZERO, f64v(1e300, -0.0));
  CHECK(r.f32[0] == INFINITY && f32bits(r.f32[1]) == 0x80000000u && r.u64[1] == 0);
  r = vm_simd_un(VM_WASM_F64X2_PROMOTE_LOW_F32X4, f32v(NAN, 0.1f, 7, 7));
  CHECK(r.f64[0] != r.f64[0] && r.f64[1] == (double)0.1f);
  /* abs and neg touch only the sign bit, NaN payloads included */
  r = vm_simd_un(VM_WASM_F32X4_NEG, f32v(0, 0, 0, 0));
  CHECK(r.u32[0] == 0x80000000u);
  vm_v128 n = zero();
  n.u32[0] = 0xFFC00001u;
  r = vm_simd_un(VM_WASM_F32X4_ABS, n);
  CHECK(r.u32[0] == 0x7FC00001u);
}

TEST_IMPL(lanes) {
  vm_v128 a = zero(), b = zero();
  for (int i = 0; i < 16; i++) {
    a.u8[i] = (uint8_t)i;
    b.u8[i] = (uint8_t)(100 + i);
  }
  /* swizzle: indices 16 and up give 0 */
  vm_v128 idx = zero();
  idx.u8[0] = 15;
  idx.u8[1] = 16;
  idx.u8[2] = 255;
  idx.u8[3] = 0x80;
  vm_v128 r = vm_simd_bin(VM_WASM_I8X16_SWIZZLE, a, idx);
  CHECK(r.u8[0] == 15 && r.u8[1] == 0 && r.u8[2] == 0 && r.u8[3] == 0 && r.u8[4] == 0);
  uint8_t lanes[16] = {31, 0, 16, 15, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22};
  r = vm_simd_shuffle(a, b, lanes);
  CHECK(r.u8[0] == 115 && r.u8[1] == 0 && r.u8[2] == 100 && r.u8[3] == 15);
  /* extract: sign extension to i32, zero extension into the slot */
  vm_v128 m = i8s(-2);
  CHECK(vm_simd_extract(VM_WASM_I8X16_EXTRACT_LANE_S, m, 15) == 0xFFFFFFFEu);
  CHECK(vm_simd_extract(VM_WASM_I8X16_EXTRACT_LANE_U, m, 15) == 0xFEu);
  CHECK(vm_simd_extract(VM_WASM_I16X8_EXTRACT_LANE_S, i16s(-2), 7) == 0xFFFFFFFEu);
  CHECK(vm_simd_extract(VM_WASM_I64X2_EXTRACT_LANE, i64s(-2), 1) == (uint64_t)-2);
  r = vm_simd_replace(VM_WASM_I16X8_REPLACE_LANE, zero(), 0x12345, 7);
  CHECK(r.u16[7] == 0x2345 && r.u16[6] == 0);
  r = vm_simd_splat(VM_WASM_I8X16_SPLAT, 0x1FF);
  CHECK(r.u8[0] == 0xFF && r.u8[15] == 0xFF);
  r = vm_simd_splat(VM_WASM_F64X2_SPLAT, f64bits(-0.0));
  CHECK(r.u64[1] == 0x8000000000000000u);
  /* bitmask, all_true, any_true */
  vm_v128 t = zero();
  t.u8[0] = 0x80;
  t.u8[15] = 0xFF;
  CHECK(vm_simd_test(VM_WASM_I8X16_BITMASK, t) == 0x8001u);
  CHECK(vm_simd_test(VM_WASM_I16X8_BITMASK, t) == 0x80u);
  CHECK(vm_simd_test(VM_WASM_I32X4_BITMASK, i32s(-1)) == 0xFu);
  CHECK(vm_simd_test(VM_WASM_I64X2_BITMASK, t) == 2u);
  CHECK(vm_simd_test(VM_WASM_V128_ANY_TRUE, t) == 1 && vm_simd_test(VM_WASM_V128_ANY_TRUE, zero()) == 0);
  CHECK(vm_simd_test(VM_WASM_I8X16_ALL_TRUE, t) == 0 && vm_simd_test(VM_WASM_I8X16_ALL_TRUE, i8s(1)) == 1);
  CHECK(vm_simd_test(VM_WASM_I16X8_ALL_TRUE, i16s(256)) == 1);
  CHECK(vm_simd_test(VM_WASM_I32X4_ALL_TRUE, i32s(INT32_MIN)) == 1);
  t = i64s(1);
  t.u64[1] = 0;
  CHECK(vm_simd_test(VM_WASM_I64X2_ALL_TRUE, t) == 0);
  /* comparisons give all-ones lanes; signed and unsigned differ */
  r = vm_simd_bin(VM_WASM_I8X16_LT_S, i8s(-1), i8s(0));
  CHECK(r.u8[0] == 0xFF);
  r = vm_simd_bin(VM_WASM_I8X16_LT_U, i8s(-1), i8s(0));
  CHECK(r.u8[0] == 0);
  r = vm_simd_bin(VM_WASM_I64X2_GE_S, i64s(INT64_MIN), i64s(INT64_MAX));
  CHECK(r.u64[0] == 0);
}

TEST_LIST_BEGIN
TEST_ENTRY(saturation)
TEST_ENTRY(narrowing)
TEST_ENTRY(wrapping)
TEST_ENTRY(shifts)
TEST_ENTRY(float_min_max)
TEST_ENTRY(rounding)
TEST_ENTRY(conversions)
TEST_ENTRY(lanes)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "unit.simd", test_cases, NULL, NULL);
}
