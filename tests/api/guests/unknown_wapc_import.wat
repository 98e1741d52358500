;; SPDX-License-Identifier: Apache-2.0
;; An unknown name in the "wapc" module.
(module
  (import "wapc" "__guest_reply" (func (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
