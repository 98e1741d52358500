/* SPDX-License-Identifier: Apache-2.0 */
/*
 * simd.h - the semantics of the fixed-width SIMD instructions (simd.c), for
 * the interpreter (and any tier that calls them).  A v128 lives in two
 * consecutive 64-bit frame slots, low half first; vm_v128_get/put move it
 * between slots and the lane views of vm_v128.  Each function takes the
 * instruction's 0xFD sub-opcode (VM_WASM_<NAME>, simdops.def) and computes
 * exactly the WebAssembly result: integer lanes wrap or saturate as the
 * instruction says, shift counts are taken modulo the lane width, float lanes
 * follow the scalar rules of numeric.h (NaN propagation, -0 < +0 for min and
 * max, rounding), pmin/pmax are the spec's pseudo-min and pseudo-max.
 *
 * The lane views assume a little-endian host (lane 0 is the lowest-addressed
 * element, as in linear memory); simd.c refuses to build elsewhere.
 */
#ifndef WAPC_VM_SIMD_H
#define WAPC_VM_SIMD_H

#include <stdint.h>
#include <string.h>

typedef union vm_v128 {
  uint8_t u8[16];
  int8_t i8[16];
  uint16_t u16[8];
  int16_t i16[8];
  uint32_t u32[4];
  int32_t i32[4];
  uint64_t u64[2];
  int64_t i64[2];
  float f32[4];
  double f64[2];
} vm_v128;

static inline vm_v128 vm_v128_get(const uint64_t *slots) {
  vm_v128 v;
  memcpy(&v, slots, sizeof v);
  return v;
}
static inline void vm_v128_put(uint64_t *slots, const vm_v128 *v) {
  memcpy(slots, v, sizeof *v);
}

/* V128_UN, V128_BIN, V128_TEST, V128_SHIFT (IR ops of ir.def): by sub-opcode. */
vm_v128 vm_simd_un(uint32_t code, vm_v128 a);
vm_v128 vm_simd_bin(uint32_t code, vm_v128 a, vm_v128 b);
vm_v128 vm_simd_ter(uint32_t code, vm_v128 a, vm_v128 b, vm_v128 c); /* the relaxed three-operand ones */
uint32_t vm_simd_test(uint32_t code, vm_v128 a);
vm_v128 vm_simd_shift(uint32_t code, vm_v128 a, uint32_t n);
/* i8x16.splat .. f64x2.splat of the scalar in a slot (i32/f32: its low 32 bits). */
vm_v128 vm_simd_splat(uint32_t code, uint64_t x);
/* *_extract_lane: the lane as a slot value (i32 results zero-extended to 64 bits). */
uint64_t vm_simd_extract(uint32_t code, vm_v128 a, uint32_t lane);
vm_v128 vm_simd_replace(uint32_t code, vm_v128 a, uint64_t x, uint32_t lane);
vm_v128 vm_simd_shuffle(vm_v128 a, vm_v128 b, const uint8_t lanes[16]);
/* The bytes a V128_LOAD reads (16, 8 for the extending loads, the splat or
 * zero size otherwise), and the vector it makes of them. */
uint32_t vm_simd_load_bytes(uint32_t code);
vm_v128 vm_simd_load(uint32_t code, const uint8_t *p);
/* v128.loadN_lane / storeN_lane: the lane's bytes. */
uint32_t vm_simd_lane_bytes(uint32_t code);

/*
 * Run one v128 instruction of the internal code (the V128_* ops of ir.def,
 * `op`; its operand words are ip[1..], ip[0] is not read) against frame `fp`
 * of instance `inst`: every tier runs them through here.  Returns
 * VM_TRAP_NONE, or VM_TRAP_MEMORY_OOB for an access outside memory 0 (nothing
 * written then).
 */
struct vm_instance;
uint32_t vm_simd_exec(uint32_t op, const uint32_t *ip, uint64_t *fp, struct vm_instance *inst);

#endif
