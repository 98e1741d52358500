;; Relaxed SIMD (Wasm 3.0): the result libwapc chooses where the spec allows several (simdops.def), the
;; same on every tier and CPU.  (wabt 1.0.32 spells the relaxed dot products without "relaxed_".)
(module
  (func (export "madd") (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "nmadd64") (param v128 v128 v128) (result v128) (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "trunc") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
  (func (export "trunc_u") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
  (func (export "trunc64") (param v128) (result v128) (i32x4.relaxed_trunc_f64x2_u_zero (local.get 0)))
  (func (export "swizzle") (param v128 v128) (result v128) (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
  (func (export "laneselect") (param v128 v128 v128) (result v128) (i16x8.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "min") (param v128 v128) (result v128) (f32x4.relaxed_min (local.get 0) (local.get 1)))
  (func (export "max64") (param v128 v128) (result v128) (f64x2.relaxed_max (local.get 0) (local.get 1)))
  (func (export "q15") (param v128 v128) (result v128) (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
  (func (export "dot") (param v128 v128) (result v128) (i16x8.dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
  (func (export "dot_add") (param v128 v128 v128) (result v128) (i32x4.dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))
)
;; never fused: (1 + 2^-23)(1 - 2^-23) = 1 - 2^-46 rounds to 1, so + -1 gives 0 (fused: -2^-46)
(assert_return (invoke "madd" (v128.const f32x4 0x1.000002p+0 1 2 3) (v128.const f32x4 0x1.fffffcp-1 1 2 3) (v128.const f32x4 -1 1 1 1))
  (v128.const f32x4 0 2 5 10))
(assert_return (invoke "nmadd64" (v128.const f64x2 0x1.0000000000001p+0 2) (v128.const f64x2 0x1.ffffffffffffep-1 3) (v128.const f64x2 1 7))
  (v128.const f64x2 0 1))
;; as trunc_sat: NaN is 0, out of range saturates
(assert_return (invoke "trunc" (v128.const f32x4 nan -nan 3e9 -3e9)) (v128.const i32x4 0 0 0x7fffffff 0x80000000))
(assert_return (invoke "trunc_u" (v128.const f32x4 nan -1 5e9 1.5)) (v128.const i32x4 0 0 0xffffffff 1))
(assert_return (invoke "trunc64" (v128.const f64x2 nan 1e10)) (v128.const i32x4 0 0xffffffff 0 0))
;; as swizzle: an index of 16 or more gives 0
(assert_return (invoke "swizzle" (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16) (v128.const i8x16 0 15 16 128 255 1 2 3 4 5 6 7 8 9 10 0x8f))
  (v128.const i8x16 1 16 0 0 0 2 3 4 5 6 7 8 9 10 11 0))
;; as bitselect, bit by bit (a mask lane that is not all ones or all zeros)
(assert_return (invoke "laneselect" (v128.const i16x8 0xffff 0xffff 0 0 0 0 0 0) (v128.const i16x8 0 0 0xffff 0 0 0 0 0) (v128.const i16x8 0xff00 0xffff 0x00ff 0 0 0 0 0))
  (v128.const i16x8 0xff00 0xffff 0xff00 0 0 0 0 0))
;; as min/max: a NaN operand gives a NaN, -0 is below +0
(assert_return (invoke "min" (v128.const f32x4 nan 0 -0 1) (v128.const f32x4 1 -0 0 nan)) (v128.const f32x4 nan:canonical -0 -0 nan:canonical))
(assert_return (invoke "max64" (v128.const f64x2 -0 nan) (v128.const f64x2 0 1)) (v128.const f64x2 0 nan:canonical))
;; as q15mulr_sat: -1 * -1 saturates
(assert_return (invoke "q15" (v128.const i16x8 -32768 16384 0 0 0 0 0 0) (v128.const i16x8 -32768 16384 0 0 0 0 0 0)) (v128.const i16x8 32767 8192 0 0 0 0 0 0))
;; signed * signed; the i16 pair sum wraps: -128 * -128 * 2 = 32768 -> -32768
(assert_return (invoke "dot" (v128.const i8x16 -128 -128 -128 127 0 0 0 0 0 0 0 0 0 0 0 0) (v128.const i8x16 -128 -128 -1 -1 0 0 0 0 0 0 0 0 0 0 0 0))
  (v128.const i16x8 -32768 1 0 0 0 0 0 0))
;; the four products exactly (65536), then + c wrapping
(assert_return (invoke "dot_add" (v128.const i8x16 -128 -128 -128 -128 0 0 0 0 0 0 0 0 1 0 0 0) (v128.const i8x16 -128 -128 -128 -128 0 0 0 0 0 0 0 0 1 0 0 0) (v128.const i32x4 1 2 3 0x7fffffff))
  (v128.const i32x4 65537 2 3 0x80000000))
