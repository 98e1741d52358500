;; v128 locals used in loops (the compiler keeps them in xmm registers, written through to their slots):
;; every way a local is written (a v128 instruction, a move, a helper, select, a call's clobbering of the
;; registers, a branch's values) and every lane read from a register.  Run on every tier by spec.extra.*;
;; the expected values were checked with wabt's spectest-interp --enable-simd.
(module
  (func $clobber (param v128) (result v128)
    ;; uses many xmm registers (as floats and vectors) so that a caller's cached ones are lost
    (local f64 f64 f64 v128 v128)
    (local.set 1 (f64.const 1.5)) (local.set 2 (f64.const 2.5)) (local.set 3 (f64.const 3.5))
    (local.set 4 (f32x4.splat (f32.const 7)))
    (local.set 5 (i32x4.mul (local.get 0) (local.get 0)))
    (i32x4.add (local.get 5)
      (i32x4.splat (i32.trunc_f64_s (f64.add (local.get 1) (f64.add (local.get 2) (local.get 3)))))))

  ;; acc += step every round; lanes read back from the register each round
  (func (export "accumulate") (param $n i32) (result i32)
    (local $acc v128) (local $step v128) (local $sum i32)
    (local.set $step (v128.const i32x4 1 -2 3 -4))
    (block $out
      (loop $l
        (br_if $out (i32.eqz (local.get $n)))
        (local.set $acc (i32x4.add (local.get $acc) (local.get $step)))
        (local.set $sum (i32.add (local.get $sum)
          (i32.add (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                   (i32.mul (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc))))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $sum))

  ;; every extract form from a cached local
  (func (export "lanes") (param $n i32) (result i64)
    (local $v v128) (local $r i64)
    (local.set $v (v128.const i8x16 0x81 0x02 0xf3 0x04 0x85 0x76 0x07 0xf8 0x19 0x2a 0x3b 0xcc 0xdd 0x0e 0x7f 0x80))
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_s (i8x16.extract_lane_s 0 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_s (i8x16.extract_lane_s 15 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_u (i8x16.extract_lane_u 11 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_u (i8x16.extract_lane_u 4 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_s (i8x16.extract_lane_s 7 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_s (i16x8.extract_lane_s 0 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_s (i16x8.extract_lane_s 7 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_u (i16x8.extract_lane_u 6 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_u (i16x8.extract_lane_u 3 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $v)))))
      (local.set $r (i64.add (local.get $r) (i64x2.extract_lane 0 (local.get $v))))
      (local.set $r (i64.xor (local.get $r) (i64x2.extract_lane 1 (local.get $v))))
      ;; rotate the bytes for the next round
      (local.set $v (i8x16.shuffle 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 0 (local.get $v) (local.get $v)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $r))

  ;; float lanes from a cached local
  (func (export "float_lanes") (param $n i32) (result i64)
    (local $f v128) (local $d v128) (local $r f64)
    (local.set $f (v128.const f32x4 1.5 -2.25 3.125 -4.0625))
    (local.set $d (v128.const f64x2 0.5 -0.75))
    (loop $l
      (local.set $r (f64.add (local.get $r) (f64.promote_f32 (f32x4.extract_lane 0 (local.get $f)))))
      (local.set $r (f64.add (local.get $r) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $f)))))
      (local.set $r (f64.add (local.get $r) (f64.promote_f32 (f32x4.extract_lane 2 (local.get $f)))))
      (local.set $r (f64.add (local.get $r) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $f)))))
      (local.set $r (f64.mul (local.get $r) (f64x2.extract_lane 0 (local.get $d))))
      (local.set $r (f64.sub (local.get $r) (f64x2.extract_lane 1 (local.get $d))))
      (local.set $f (f32x4.mul (local.get $f) (v128.const f32x4 -1 1.5 -0.5 1)))
      (local.set $d (f64x2.mul (local.get $d) (v128.const f64x2 0.999 -1.001)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i64.reinterpret_f64 (local.get $r)))

  ;; a local written by a move (a copy of another local), by select, by a helper (min, swizzle), and
  ;; read after a call that clobbers the registers
  (func (export "writes") (param $n i32) (result i32)
    (local $a v128) (local $b v128) (local $c v128) (local $t i32)
    (local.set $a (v128.const i32x4 10 20 30 40))
    (local.set $b (v128.const i32x4 1 2 3 4))
    (loop $l
      (local.set $c (local.get $a))                          ;; a move
      (local.set $a (local.get $b))
      (local.set $b (i32x4.add (local.get $c) (local.get $b)))
      (local.set $c (select (local.get $a) (local.get $b) (i32.and (local.get $n) (i32.const 1))))
      (local.set $a (i32x4.min_s (local.get $a) (local.get $c)))
      (local.set $c (i8x16.swizzle (local.get $c) (v128.const i8x16 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11)))
      (local.set $b (call $clobber (local.get $b)))
      (local.set $b (i32x4.sub (local.get $b) (i32x4.mul (local.get $b) (local.get $b))))
      (local.set $t (i32.add (local.get $t)
        (i32.add (i32x4.extract_lane 1 (local.get $a))
          (i32.add (i32x4.extract_lane 2 (local.get $b)) (i32x4.extract_lane 3 (local.get $c))))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.add (local.get $t)
      (i32.add (i32x4.extract_lane 0 (local.get $a))
        (i32.add (i32x4.extract_lane 0 (local.get $b)) (i32x4.extract_lane 0 (local.get $c))))))

  ;; a v128 parameter (cached from the frame on entry), a block's v128 result written into a local,
  ;; replace_lane and load_lane into a cached local
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  (func $blend (param $x v128) (param $n i32) (result i32)
    (local $y v128)
    (loop $l
      (local.set $y
        (block (result v128)
          (br_if 0 (i32x4.add (local.get $x) (local.get $y)) (i32.and (local.get $n) (i32.const 2)))
          (drop)
          (i32x4.sub (local.get $y) (local.get $x))))
      (local.set $x (i32x4.replace_lane 2 (local.get $x) (i32.add (i32x4.extract_lane 2 (local.get $x)) (local.get $n))))
      (local.set $x (v128.load8_lane 5 (i32.and (local.get $n) (i32.const 15)) (local.get $x)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.add (i32x4.extract_lane 0 (local.get $y))
      (i32.add (i32x4.extract_lane 1 (local.get $y))
        (i32.add (i32x4.extract_lane 2 (local.get $y)) (i32x4.extract_lane 3 (local.get $x))))))
  (func (export "blend") (param $n i32) (result i32)
    (call $blend (v128.const i32x4 7 -8 9 -10) (local.get $n)))
)
(assert_return (invoke "accumulate" (i32.const 0)) (i32.const 0))
(assert_return (invoke "accumulate" (i32.const 1)) (i32.const -13))
(assert_return (invoke "accumulate" (i32.const 50)) (i32.const -516375))
(assert_return (invoke "lanes" (i32.const 1)) (i64.const 8680820602289697812))
(assert_return (invoke "lanes" (i32.const 37)) (i64.const 5008215678204824812))
(assert_return (invoke "float_lanes" (i32.const 1)) (i64.const -4631952216750555136))
(assert_return (invoke "float_lanes" (i32.const 20)) (i64.const -4563140824326702727))
(assert_return (invoke "writes" (i32.const 1)) (i32.const -1216368))
(assert_return (invoke "writes" (i32.const 33)) (i32.const -1809754898))
(assert_return (invoke "blend" (i32.const 1)) (i32.const -18))
(assert_return (invoke "blend" (i32.const 29)) (i32.const -4))

;; long enough for the loops to reach interruption polls (which must keep the registers whole)
(assert_return (invoke "accumulate" (i32.const 20000)) (i32.const -798727504))
(assert_return (invoke "lanes" (i32.const 20001)) (i64.const -8468172279097063916))
(assert_return (invoke "float_lanes" (i32.const 20002)) (i64.const -4503599627370496))
(assert_return (invoke "writes" (i32.const 20003)) (i32.const 1075079898))
(assert_return (invoke "blend" (i32.const 20004)) (i32.const -53752))

