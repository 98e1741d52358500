;; SPDX-License-Identifier: Apache-2.0
;; regs.wat: code shaped to go through the compiler tier's register-keeping paths, run on both tiers
;; by test_runtime's jit_registers case, which compares every result and trap:
;; - an integer left in rax for the next instruction (an ALU op taking it first or, commuted, second;
;;   a load or store address; a v128 load, lane load or store address), 1-byte bounds checks;
;; - v128 operand-stack values parked in spare xmm registers across integer, memory and lane
;;   instructions, stored before labels, branches and calls; a dropped v128 whose slots an integer
;;   takes over; a trap while a value is parked;
;; - splats, lane inserts from memory and extends built straight into their registers.
(module
  (memory (export "mem") 1 1)
  (data (i32.const 0) "\01\23\45\67\89\ab\cd\ef\fe\dc\ba\98\76\54\32\10\00\ff\80\7f\11\22\33\44\55\66\77\88\99\aa\bb\cc")

  ;; The sha256 message gather: words of 4 big-endian bytes at base + 4i through lane extracts and
  ;; lane loads, or-ed together in an accumulator; the 4 words stored at 256 and folded.
  (func (export "gather") (param $base i32) (result i32)
    (local $idx v128) (local $t v128)
    (local.set $idx (i32x4.shl (v128.const i32x4 0 1 2 3) (i32.const 2)))
    (v128.store (i32.const 256)
      (v128.or
        (v128.or
          (i32x4.shl
            (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
              (v128.load8_lane 3 (i32.add (local.get $base) (i32x4.extract_lane 3 (local.get $idx)))
                (v128.load8_lane 2 (i32.add (local.get $base) (i32x4.extract_lane 2 (local.get $idx)))
                  (v128.load8_lane 1 (i32.add (local.get $base) (i32x4.extract_lane 1 (local.get $idx)))
                    (v128.load8_splat (i32.add (local.get $base) (i32x4.extract_lane 0 (local.get $idx)))))))))
            (i32.const 24))
          (i32x4.shl
            (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
              (v128.load8_lane 3 (i32.add (local.get $base) (i32x4.extract_lane 3 (local.tee $t (v128.or (local.get $idx) (v128.const i32x4 1 1 1 1)))))
                (v128.load8_lane 2 (i32.add (local.get $base) (i32x4.extract_lane 2 (local.get $t)))
                  (v128.load8_lane 1 (i32.add (local.get $base) (i32x4.extract_lane 1 (local.get $t)))
                    (v128.load8_splat (i32.add (local.get $base) (i32x4.extract_lane 0 (local.get $t)))))))))
            (i32.const 16)))
        (v128.or
          (i32x4.shl
            (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
              (v128.load8_lane 3 (i32.add (local.get $base) (i32x4.extract_lane 3 (local.tee $t (v128.or (local.get $idx) (v128.const i32x4 2 2 2 2)))))
                (v128.load8_lane 2 (i32.add (local.get $base) (i32x4.extract_lane 2 (local.get $t)))
                  (v128.load8_lane 1 (i32.add (local.get $base) (i32x4.extract_lane 1 (local.get $t)))
                    (v128.load8_splat (i32.add (local.get $base) (i32x4.extract_lane 0 (local.get $t)))))))))
            (i32.const 8))
          (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
            (v128.load8_lane 3 (i32.add (local.get $base) (i32x4.extract_lane 3 (local.tee $t (v128.or (local.get $idx) (v128.const i32x4 3 3 3 3)))))
              (v128.load8_lane 2 (i32.add (local.get $base) (i32x4.extract_lane 2 (local.get $t)))
                (v128.load8_lane 1 (i32.add (local.get $base) (i32x4.extract_lane 1 (local.get $t)))
                  (v128.load8_splat (i32.add (local.get $base) (i32x4.extract_lane 0 (local.get $t))))))))))))
    (i32.xor
      (i32.xor (i32.load (i32.const 256)) (i32.rotl (i32.load (i32.const 260)) (i32.const 7)))
      (i32.xor (i32.rotl (i32.load (i32.const 264)) (i32.const 13)) (i32.rotl (i32.load (i32.const 268)) (i32.const 21)))))

  ;; A v128 kept across integer arithmetic, loads and stores (the address at $a may be out of bounds:
  ;; the trap comes while the value is parked), then taken apart.
  (func (export "park_across") (param $a i32) (param $b i32) (result i64)
    (local $x i32)
    (i8x16.splat (local.get $b))
    (local.set $x (i32.mul (i32.add (local.get $a) (local.get $b)) (i32.const 3)))
    (i32.store (i32.const 300) (i32.xor (local.get $x) (i32.load (local.get $a))))
    (i16x8.splat (i32.add (local.get $b) (i32.const 0x1234)))
    (i32.store8 (i32.and (local.get $b) (i32.const 255)) (local.get $x))
    (i64x2.add)
    (i64.extend_i32_u (i32.load (i32.const 300)))
    (i64x2.splat)
    (i64x2.mul)
    (i64.add (i64x2.extract_lane 0) (i64x2.extract_lane 1 (v128.const i64x2 0 0))))

  ;; The same, with the v128 live across a branch and a label (stored there), and across a call.
  (func $id (param i32) (result i32) (local.get 0))
  (func (export "park_branch") (param $a i32) (result i32)
    (i32x4.splat (local.get $a))
    (block (result i32)
      (br_if 0 (i32.const 5) (i32.and (local.get $a) (i32.const 1)))
      (drop)
      (call $id (i32.const 9)))
    (i32x4.splat)
    (i32x4.mul)
    (i32x4.extract_lane 2))

  ;; A v128 dropped unread: an integer takes over its slots, then a label.
  (func (export "dropped") (param $a i32) (result i32)
    (local $r i32)
    (drop (i32x4.splat (local.get $a)))
    (local.set $r (i32.add (i32.mul (local.get $a) (i32.const 7)) (i32.const 1)))
    (block
      (br_if 0 (i32.gt_u (local.get $r) (i32.const 100)))
      (local.set $r (i32.sub (i32.const 0) (local.get $r))))
    (i32.add (local.get $r) (i32x4.extract_lane 3 (i32x4.splat (local.get $a)))))

  ;; Results left in rax: the next ALU op's first operand or, commuted, its second; addresses.
  (func (export "rax") (param $a i32) (param $b i32) (result i32)
    (i32.add
      (i32.load8_u (i32.add (local.get $a) (local.get $b)))
      (i32.sub
        (i32.xor (local.get $b) (i32.mul (local.get $a) (i32.const 0x9e3779b1)))
        (i32.or (i32.load16_s (i32.and (local.get $b) (i32.const 0xfe))) (i32.shl (local.get $a) (local.get $b))))))
  (func (export "rax_store") (param $a i32) (param $v i32) (result i32)
    (i32.store8 (i32.add (local.get $a) (i32.const 3)) (local.get $v))
    (v128.store offset=0 (i32.and (i32.add (local.get $a) (i32.const 400)) (i32.const 0xfff0))
      (v128.load32_splat (i32.add (local.get $a) (i32.const 1))))
    (i32.add (i32.load8_u (i32.add (local.get $a) (i32.const 3)))
      (i32.load (i32.and (i32.add (local.get $a) (i32.const 404)) (i32.const 0xfff0)))))

  ;; 1-byte accesses at the edge of memory: 65535 is the last byte.
  (func (export "edge") (param $a i32) (result i32)
    (i32.store8 (local.get $a) (i32.const 0x5a))
    (i32.add (i32.load8_s (local.get $a))
      (i8x16.extract_lane_u 0 (v128.load8_lane 0 (local.get $a) (v128.const i64x2 0 0)))))

  ;; Splats built in place and the SSE4.1 extends, signed and unsigned.
  (func (export "extends") (param $a i32) (result i64)
    (local $v v128)
    (local.set $v (i8x16.replace_lane 1 (i16x8.splat (local.get $a)) (i32.shr_u (local.get $a) (i32.const 24))))
    (i64.add
      (i64.add (i64x2.extract_lane 1 (i64x2.extend_low_i32x4_s (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)))))
               (i64x2.extract_lane 0 (i64x2.extend_low_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (local.get $v))))))
      (i64x2.extract_lane 1 (i64x2.extend_low_i32x4_u (i8x16.splat (local.get $a))))))
)
