;; Extended constant expressions (Wasm 3.0): i32/i64 add, sub and mul in global initialisers and in data
;; and element offsets, reading imported globals; wrapping arithmetic.  (Reading earlier defined globals,
;; also 3.0, is in the 3.0 suite's global.wast: wabt 1.0.3x cannot write such modules.)
(module
  (import "spectest" "global_i32" (global $imp i32))          ;; 666
  (global $a i32 (i32.add (global.get $imp) (i32.const 4)))   ;; 670
  (global $b i32 (i32.mul (i32.add (global.get $imp) (i32.const 4)) (i32.const -3)))    ;; -2010
  (global $c i64 (i64.sub (i64.const 0) (i64.mul (i64.const 0x100000000) (i64.const 0x100000000)))) ;; 0 (wraps)
  (global $d i64 (i64.add (i64.mul (i64.const 3) (i64.const 7)) (i64.sub (i64.const 100) (i64.const 1)))) ;; 120
  (global $e i32 (i32.sub (i32.mul (i32.const 0x10000) (i32.const 0x10000)) (i32.const 1)))       ;; -1 (wraps)
  (memory 1)
  (data (i32.add (global.get $imp) (i32.const 14)) "xyz")       ;; at 680
  (table 20 funcref)
  (elem (i32.mul (i32.const 3) (i32.const 5)) $f)             ;; at 15
  (func $f (result i32) (i32.const 77))
  (func (export "a") (result i32) (global.get $a))
  (func (export "b") (result i32) (global.get $b))
  (func (export "c") (result i64) (global.get $c))
  (func (export "d") (result i64) (global.get $d))
  (func (export "e") (result i32) (global.get $e))
  (func (export "data") (result i32) (i32.load8_u (i32.const 681)))
  (func (export "elem") (result i32) (call_indirect (result i32) (i32.const 15)))
)
(assert_return (invoke "a") (i32.const 670))
(assert_return (invoke "b") (i32.const -2010))
(assert_return (invoke "c") (i64.const 0))
(assert_return (invoke "d") (i64.const 120))
(assert_return (invoke "e") (i32.const -1))
(assert_return (invoke "data") (i32.const 121))
(assert_return (invoke "elem") (i32.const 77))
(assert_invalid (module (global i32 (i32.add (i32.const 1) (i64.const 2)))) "type mismatch")
(assert_invalid (module (global i32 (i32.add (i32.const 1)))) "type mismatch")
(assert_invalid (module (global i64 (i32.add (i32.const 1) (i32.const 2)))) "type mismatch")
(assert_invalid (module (global i32 (i32.div_s (i32.const 1) (i32.const 2)))) "constant expression required")
