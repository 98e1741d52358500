;; SPDX-License-Identifier: Apache-2.0
;; A wapc import that is not a function.
(module
  (import "wapc" "__console_log" (global i32))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
