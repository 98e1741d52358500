;; SPDX-License-Identifier: Apache-2.0
;; start_trap: the start section divides by zero, so instantiation fails.
(module
  (memory (export "memory") 1)
  (global $zero (mut i32) (i32.const 0))
  (func $start (drop (i32.div_s (i32.const 1) (global.get $zero))))
  (start $start)
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
