;; SPDX-License-Identifier: Apache-2.0
;; The start section traps: an initialisation failure.
(module
  (memory (export "memory") 1)
  (func $start (drop (i32.div_s (i32.const 1) (i32.const 0))))
  (start $start)
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
