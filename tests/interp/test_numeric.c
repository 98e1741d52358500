/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_numeric.c - the exact numeric semantics of numeric.h against the
 * WebAssembly spec's edge cases (mostly taken from the spec test suite's
 * i32/i64/f32/f64/conversions tests): traps, wrap-around, NaN and signed
 * zero rules, rounding of conversions.
 */
#include <stdio.h>
#include <string.h>

#include "vm/numeric.h"
#include "test.h"

#define F32(bits) vm_f32_from_bits(bits)
#define F64(bits) vm_f64_from_bits(bits)
#define B32(x) vm_f32_bits(x)
#define B64(x) vm_f64_bits(x)

static int is_nan32(uint32_t b) {
  return (b & 0x7F800000u) == 0x7F800000u && (b & 0x007FFFFFu) != 0;
}
static int is_nan64(uint64_t b) {
  return (b & 0x7FF0000000000000ull) == 0x7FF0000000000000ull && (b & 0x000FFFFFFFFFFFFFull) != 0;
}
/* An arithmetic NaN: quiet bit set. */
static int is_qnan32(uint32_t b) {
  return is_nan32(b) && (b & 0x00400000u);
}
static int is_qnan64(uint64_t b) {
  return is_nan64(b) && (b & 0x0008000000000000ull);
}

TEST_IMPL(integer) {
  uint32_t r = 0;
  uint64_t q = 0;
  CHECK(vm_div_s32(0x80000000u, 0xFFFFFFFFu, &r) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_div_s32(1, 0, &r) == VM_TRAP_DIV_ZERO);
  CHECK(vm_div_s32((uint32_t)-7, 2, &r) == VM_TRAP_NONE && r == (uint32_t)-3);
  CHECK(vm_div_u32(0x80000000u, 2, &r) == VM_TRAP_NONE && r == 0x40000000u);
  CHECK(vm_div_u32(0, 0, &r) == VM_TRAP_DIV_ZERO);
  CHECK(vm_rem_s32(0x80000000u, 0xFFFFFFFFu, &r) == VM_TRAP_NONE && r == 0);
  CHECK(vm_rem_s32((uint32_t)-7, 2, &r) == VM_TRAP_NONE && r == (uint32_t)-1);
  CHECK(vm_rem_s32(7, (uint32_t)-2, &r) == VM_TRAP_NONE && r == 1);
  CHECK(vm_rem_s32(1, 0, &r) == VM_TRAP_DIV_ZERO);
  CHECK(vm_rem_u32(0x80000001u, 0x10u, &r) == VM_TRAP_NONE && r == 1);
  CHECK(vm_div_s64(0x8000000000000000ull, ~0ull, &q) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_div_s64(5, 0, &q) == VM_TRAP_DIV_ZERO);
  CHECK(vm_div_s64((uint64_t)-7, 2, &q) == VM_TRAP_NONE && q == (uint64_t)-3);
  CHECK(vm_rem_s64(0x8000000000000000ull, ~0ull, &q) == VM_TRAP_NONE && q == 0);
  CHECK(vm_rem_s64((uint64_t)-7, 2, &q) == VM_TRAP_NONE && q == (uint64_t)-1);
  CHECK(vm_div_u64(~0ull, 2, &q) == VM_TRAP_NONE && q == 0x7FFFFFFFFFFFFFFFull);
  CHECK(vm_rem_u64(~0ull, 0, &q) == VM_TRAP_DIV_ZERO);

  CHECK(vm_clz32(0) == 32 && vm_clz32(1) == 31 && vm_clz32(0x80000000u) == 0);
  CHECK(vm_ctz32(0) == 32 && vm_ctz32(0x80000000u) == 31 && vm_ctz32(1) == 0);
  CHECK(vm_popcnt32(0) == 0 && vm_popcnt32(~0u) == 32 && vm_popcnt32(0x55555555u) == 16);
  CHECK(vm_clz64(0) == 64 && vm_clz64(1) == 63 && vm_clz64(0x0000000100000000ull) == 31);
  CHECK(vm_ctz64(0) == 64 && vm_ctz64(0x8000000000000000ull) == 63);
  CHECK(vm_popcnt64(~0ull) == 64 && vm_popcnt64(0x8000000000000001ull) == 2);

  CHECK(vm_shl32(1, 32) == 1 && vm_shl32(1, 33) == 2 && vm_shl32(1, 31) == 0x80000000u);
  CHECK(vm_shrs32(0x80000000u, 31) == ~0u && vm_shrs32(0x80000000u, 32) == 0x80000000u);
  CHECK(vm_shrs32(0x40000000u, 30) == 1 && vm_shrs32((uint32_t)-8, 1) == (uint32_t)-4);
  CHECK(vm_shru32(0x80000000u, 31) == 1 && vm_shru32(0x80000000u, 63) == 1);
  CHECK(vm_rotl32(0x80000001u, 1) == 3 && vm_rotl32(0xABCD0000u, 32) == 0xABCD0000u);
  CHECK(vm_rotr32(3, 1) == 0x80000001u && vm_rotr32(0x12345678u, 0) == 0x12345678u);
  CHECK(vm_rotl32(0xfe00dc00u, 4) == 0xe00dc00fu && vm_rotr32(0xb0c1d2e3u, 0x0005) == 0x1d860e97u);
  CHECK(vm_shl64(1, 64) == 1 && vm_shl64(1, 63) == 0x8000000000000000ull);
  CHECK(vm_shrs64(0x8000000000000000ull, 63) == ~0ull && vm_shrs64((uint64_t)-1, 65) == ~0ull);
  CHECK(vm_shru64(~0ull, 127) == 1);
  CHECK(vm_rotl64(0x8000000000000001ull, 1) == 3 && vm_rotr64(1, 1) == 0x8000000000000000ull);
  CHECK(vm_rotl64(0xabd1234ef567809cull, 63) == 0x55e891a77ab3c04eull);

  CHECK(vm_ext8_32(0x7F) == 0x7F && vm_ext8_32(0x80) == 0xFFFFFF80u &&
        vm_ext8_32(0x12345680u) == 0xFFFFFF80u);
  CHECK(vm_ext16_32(0x8000) == 0xFFFF8000u && vm_ext16_32(0xABCD7FFFu) == 0x7FFF);
  CHECK(vm_ext8_64(0xFF) == ~0ull && vm_ext16_64(0x7FFF) == 0x7FFF);
  CHECK(vm_ext32_64(0x80000000u) == 0xFFFFFFFF80000000ull &&
        vm_ext32_64(0xFFFFFFFF7FFFFFFFull) == 0x7FFFFFFF);
  CHECK(vm_s32(0x80000000u) == -2147483647 - 1 && vm_s32(0xFFFFFFFFu) == -1 && vm_s32(5) == 5);
  CHECK(vm_s64(0x8000000000000000ull) == -9223372036854775807ll - 1 && vm_s64(~0ull) == -1);
}

TEST_IMPL(float_sign_minmax) {
  /* Sign operations keep NaN payloads, including signalling ones. */
  CHECK(vm_f32_neg(0x7FA00000u) == 0xFFA00000u);
  CHECK(vm_f32_abs(0xFFA00001u) == 0x7FA00001u);
  CHECK(vm_f32_copysign(0x7FA00000u, 0x80000000u) == 0xFFA00000u);
  CHECK(vm_f32_neg(0) == 0x80000000u && vm_f32_abs(0x80000000u) == 0);
  CHECK(vm_f64_neg(0x7FF4000000000000ull) == 0xFFF4000000000000ull);
  CHECK(vm_f64_copysign(0x3FF0000000000000ull, 0x8000000000000000ull) == 0xBFF0000000000000ull);
  CHECK(vm_f64_abs(0xFFF0000000000001ull) == 0x7FF0000000000001ull);

  CHECK(B32(vm_f32_min(F32(0), F32(0x80000000u))) == 0x80000000u);
  CHECK(B32(vm_f32_min(F32(0x80000000u), F32(0))) == 0x80000000u);
  CHECK(B32(vm_f32_max(F32(0x80000000u), F32(0))) == 0);
  CHECK(B32(vm_f32_max(F32(0), F32(0x80000000u))) == 0);
  CHECK(is_qnan32(B32(vm_f32_min(F32(0x7FC00000u), 1.0f))));
  CHECK(is_qnan32(B32(vm_f32_min(1.0f, F32(0x7FA00000u)))));
  CHECK(is_qnan32(B32(vm_f32_max(F32(0xFF800001u), F32(0x7F800000u)))));
  CHECK(vm_f32_min(-1.0f, 2.0f) == -1.0f && vm_f32_max(-1.0f, 2.0f) == 2.0f);
  CHECK(vm_f32_min(F32(0xFF800000u), 0.0f) == F32(0xFF800000u));
  CHECK(B64(vm_f64_min(F64(0), F64(0x8000000000000000ull))) == 0x8000000000000000ull);
  CHECK(B64(vm_f64_max(F64(0x8000000000000000ull), F64(0))) == 0);
  CHECK(is_qnan64(B64(vm_f64_max(2.0, F64(0x7FF0000000000001ull)))));
  CHECK(is_qnan64(B64(vm_f64_min(F64(0xFFF8000000000000ull), 2.0))));
  CHECK(vm_f64_max(-3.0, -2.0) == -2.0);
}

TEST_IMPL(float_rounding) {
  CHECK(vm_f32_nearest(0.5f) == 0.0f && B32(vm_f32_nearest(-0.5f)) == 0x80000000u);
  CHECK(vm_f32_nearest(1.5f) == 2.0f && vm_f32_nearest(2.5f) == 2.0f && vm_f32_nearest(-3.5f) == -4.0f);
  CHECK(vm_f32_nearest(8388609.0f) == 8388609.0f && vm_f32_nearest(4.5f) == 4.0f);
  CHECK(vm_f64_nearest(4503599627370495.5) == 4503599627370496.0);
  CHECK(vm_f64_nearest(-4503599627370495.5) == -4503599627370496.0);
  CHECK(B64(vm_f64_nearest(-0.25)) == 0x8000000000000000ull && vm_f64_nearest(2.5) == 2.0);
  CHECK(B32(vm_f32_ceil(-0.5f)) == 0x80000000u && vm_f32_ceil(1.25f) == 2.0f);
  CHECK(B32(vm_f32_floor(-0.0f)) == 0x80000000u && vm_f32_floor(-1.25f) == -2.0f);
  CHECK(B64(vm_f64_trunc(-0.75)) == 0x8000000000000000ull && vm_f64_trunc(1.75) == 1.0);
  CHECK(vm_f64_floor(-1.5) == -2.0 && vm_f64_ceil(-1.5) == -1.0);
  /* Rounding a signalling NaN gives a quiet (arithmetic) NaN. */
  CHECK(is_qnan32(B32(vm_f32_ceil(F32(0x7FA00000u)))));
  CHECK(is_qnan32(B32(vm_f32_nearest(F32(0xFFA00000u)))));
  CHECK(is_qnan64(B64(vm_f64_floor(F64(0x7FF0000000000001ull)))));
  CHECK(is_qnan64(B64(vm_f64_sqrt(F64(0x7FF4000000000000ull)))));
  CHECK(is_nan32(B32(vm_f32_sqrt(-1.0f))) && vm_f32_sqrt(4.0f) == 2.0f);
  CHECK(B64(vm_f64_sqrt(-0.0)) == 0x8000000000000000ull);
}

TEST_IMPL(trunc) {
  uint32_t r = 0;
  uint64_t q = 0;
  /* i32.trunc_f32_s */
  CHECK(vm_trunc_f32_s32(F32(0x7FC00000u), &r) == VM_TRAP_INVALID_CONVERSION);
  CHECK(vm_trunc_f32_s32(2147483520.0f, &r) == VM_TRAP_NONE && r == 2147483520u);
  CHECK(vm_trunc_f32_s32(2147483648.0f, &r) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f32_s32(-2147483648.0f, &r) == VM_TRAP_NONE && r == 0x80000000u);
  CHECK(vm_trunc_f32_s32(-2147483904.0f, &r) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f32_s32(F32(0xFF800000u), &r) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f32_s32(-1.9f, &r) == VM_TRAP_NONE && r == (uint32_t)-1);
  /* i32.trunc_f32_u */
  CHECK(vm_trunc_f32_u32(4294967040.0f, &r) == VM_TRAP_NONE && r == 4294967040u);
  CHECK(vm_trunc_f32_u32(4294967296.0f, &r) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f32_u32(-0.9f, &r) == VM_TRAP_NONE && r == 0);
  CHECK(vm_trunc_f32_u32(-1.0f, &r) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f32_u32(F32(0xFFC00000u), &r) == VM_TRAP_INVALID_CONVERSION);
  /* i32.trunc_f64_s / _u */
  CHECK(vm_trunc_f64_s32(-2147483648.9, &r) == VM_TRAP_NONE && r == 0x80000000u);
  CHECK(vm_trunc_f64_s32(-2147483649.0, &r) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f64_s32(2147483647.9, &r) == VM_TRAP_NONE && r == 0x7FFFFFFFu);
  CHECK(vm_trunc_f64_s32(2147483648.0, &r) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f64_u32(4294967295.9, &r) == VM_TRAP_NONE && r == 0xFFFFFFFFu);
  CHECK(vm_trunc_f64_u32(4294967296.0, &r) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f64_u32(-0.99999, &r) == VM_TRAP_NONE && r == 0);
  CHECK(vm_trunc_f64_u32(-1.0, &r) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f64_u32(F64(0x7FF0000000000001ull), &r) == VM_TRAP_INVALID_CONVERSION);
  /* i64 */
  CHECK(vm_trunc_f32_s64(9223371487098961920.0f, &q) == VM_TRAP_NONE && q == 9223371487098961920ull);
  CHECK(vm_trunc_f32_s64(9223372036854775808.0f, &q) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f32_s64(-9223372036854775808.0f, &q) == VM_TRAP_NONE && q == 0x8000000000000000ull);
  CHECK(vm_trunc_f32_s64(-9223373136366403584.0f, &q) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f32_u64(18446742974197923840.0f, &q) == VM_TRAP_NONE && q == 18446742974197923840ull);
  CHECK(vm_trunc_f32_u64(18446744073709551616.0f, &q) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f32_u64(-0.5f, &q) == VM_TRAP_NONE && q == 0);
  CHECK(vm_trunc_f64_s64(9223372036854774784.0, &q) == VM_TRAP_NONE && q == 9223372036854774784ull);
  CHECK(vm_trunc_f64_s64(9223372036854775808.0, &q) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f64_s64(-9223372036854775808.0, &q) == VM_TRAP_NONE && q == 0x8000000000000000ull);
  CHECK(vm_trunc_f64_s64(-9223372036854777856.0, &q) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f64_u64(18446744073709549568.0, &q) == VM_TRAP_NONE && q == 0xFFFFFFFFFFFFF800ull);
  CHECK(vm_trunc_f64_u64(18446744073709551616.0, &q) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f64_u64(-1.0, &q) == VM_TRAP_INT_OVERFLOW);
  CHECK(vm_trunc_f64_u64(F64(0xFFF8000000000000ull), &q) == VM_TRAP_INVALID_CONVERSION);
  CHECK(vm_trunc_f64_s64(F64(0x7FF0000000000000ull), &q) == VM_TRAP_INT_OVERFLOW);

  /* saturating */
  CHECK(vm_trunc_sat_f32_s32(F32(0x7FC00000u)) == 0);
  CHECK(vm_trunc_sat_f32_s32(2147483648.0f) == 0x7FFFFFFFu);
  CHECK(vm_trunc_sat_f32_s32(-2147483904.0f) == 0x80000000u);
  CHECK(vm_trunc_sat_f32_s32(-2147483648.0f) == 0x80000000u);
  CHECK(vm_trunc_sat_f32_s32(-1.5f) == (uint32_t)-1);
  CHECK(vm_trunc_sat_f32_u32(F32(0xFF800000u)) == 0 && vm_trunc_sat_f32_u32(F32(0x7F800000u)) == ~0u);
  CHECK(vm_trunc_sat_f32_u32(-0.9f) == 0 && vm_trunc_sat_f32_u32(4294967040.0f) == 4294967040u);
  CHECK(vm_trunc_sat_f64_s32(-2147483649.0) == 0x80000000u &&
        vm_trunc_sat_f64_s32(2147483647.5) == 0x7FFFFFFFu);
  CHECK(vm_trunc_sat_f64_s32(-2147483648.5) == 0x80000000u && vm_trunc_sat_f64_s32(1e300) == 0x7FFFFFFFu);
  CHECK(vm_trunc_sat_f64_u32(4294967295.5) == ~0u && vm_trunc_sat_f64_u32(4294967296.0) == ~0u);
  CHECK(vm_trunc_sat_f64_u32(F64(0x7FF8000000000000ull)) == 0 && vm_trunc_sat_f64_u32(-1e10) == 0);
  CHECK(vm_trunc_sat_f32_s64(9223372036854775808.0f) == 0x7FFFFFFFFFFFFFFFull);
  CHECK(vm_trunc_sat_f32_s64(-9223373136366403584.0f) == 0x8000000000000000ull);
  CHECK(vm_trunc_sat_f32_u64(18446744073709551616.0f) == ~0ull && vm_trunc_sat_f32_u64(-5.0f) == 0);
  CHECK(vm_trunc_sat_f64_s64(9223372036854775808.0) == 0x7FFFFFFFFFFFFFFFull);
  CHECK(vm_trunc_sat_f64_s64(-9223372036854775808.0) == 0x8000000000000000ull);
  CHECK(vm_trunc_sat_f64_s64(F64(0xFFF0000000000000ull)) == 0x8000000000000000ull);
  CHECK(vm_trunc_sat_f64_s64(F64(0x7FF8000000000001ull)) == 0);
  CHECK(vm_trunc_sat_f64_u64(18446744073709549568.0) == 0xFFFFFFFFFFFFF800ull);
  CHECK(vm_trunc_sat_f64_u64(1e20) == ~0ull && vm_trunc_sat_f64_u64(-0.5) == 0);
}

TEST_IMPL(convert) {
  CHECK(B32(vm_f32_convert_s32(0x80000000u)) == 0xCF000000u);
  CHECK(B32(vm_f32_convert_s32(16777217)) == 0x4B800000u); /* rounds to even */
  CHECK(B32(vm_f32_convert_s32(16777219)) == 0x4B800002u);
  CHECK(B32(vm_f32_convert_u32(0xFFFFFFFFu)) == 0x4F800000u);
  CHECK(B32(vm_f32_convert_u32(0x80000080u)) == 0x4F000000u);
  CHECK(B32(vm_f32_convert_u32(0x80000081u)) == 0x4F000001u);
  CHECK(B32(vm_f32_convert_s64(0x7FFFFF4000000001ull)) == 0x5EFFFFFFu);
  CHECK(B32(vm_f32_convert_s64(0x8000000000000000ull)) == 0xDF000000u);
  CHECK(B32(vm_f32_convert_u64(0x0020000020000001ull)) == 0x5A000001u);
  CHECK(B32(vm_f32_convert_u64(0xFFFFFFFFFFFFFFFFull)) == 0x5F800000u);
  /* would round twice (to 2^63) if converted through double */
  CHECK(B32(vm_f32_convert_u64(0x8000008000000001ull)) == 0x5F000001u);
  CHECK(B64(vm_f64_convert_s32(0x80000000u)) == 0xC1E0000000000000ull);
  CHECK(B64(vm_f64_convert_u32(0xFFFFFFFFu)) == 0x41EFFFFFFFE00000ull);
  CHECK(B64(vm_f64_convert_s64(0x0020000000000001ull)) == 0x4340000000000000ull);
  CHECK(B64(vm_f64_convert_s64(0x0020000000000003ull)) == 0x4340000000000002ull);
  CHECK(B64(vm_f64_convert_u64(0x8000000000000401ull)) == 0x43E0000000000001ull);
  CHECK(B64(vm_f64_convert_u64(0xFFFFFFFFFFFFF401ull)) == 0x43EFFFFFFFFFFFFFull);
  CHECK(B64(vm_f64_convert_u64(0xFFFFFFFFFFFFFFFFull)) == 0x43F0000000000000ull);
  /* demote / promote */
  CHECK(B32((float)F64(0x3FF0000010000000ull)) == 0x3F800000u); /* tie -> even */
  CHECK(B32((float)F64(0x3FF0000030000000ull)) == 0x3F800002u);
  CHECK(B32((float)F64(0x7FEFFFFFFFFFFFFFull)) == 0x7F800000u);
  CHECK(is_qnan32(B32((float)F64(0x7FF4000000000000ull))));
  CHECK(B64((double)F32(0x00000001u)) == 0x36A0000000000000ull);
  CHECK(is_qnan64(B64((double)F32(0x7FA00000u))));
}

TEST_IMPL(memory_access) {
  uint8_t m[16] = {0};
  vm_store32(m + 1, 0x11223344u);
  CHECK(m[1] == 0x44 && m[4] == 0x11);
  CHECK(vm_load32(m + 1) == 0x11223344u && vm_load16(m + 2) == 0x2233);
  vm_store64(m + 3, 0x0102030405060708ull);
  CHECK(m[3] == 0x08 && m[10] == 0x01 && vm_load64(m + 3) == 0x0102030405060708ull);
  vm_store16(m + 14, 0xBEEF);
  CHECK(m[14] == 0xEF && m[15] == 0xBE);
}

TEST_LIST_BEGIN
TEST_ENTRY(integer)
TEST_ENTRY(float_sign_minmax)
TEST_ENTRY(float_rounding)
TEST_ENTRY(trunc)
TEST_ENTRY(convert)
TEST_ENTRY(memory_access)
TEST_LIST_END

int main(int argc, char **argv) {
  return test_main(argc, argv, "interp.numeric", test_cases, NULL, NULL);
}
