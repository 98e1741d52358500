;; SPDX-License-Identifier: Apache-2.0
;; A wapc import with the wrong signature.
(module
  (import "wapc" "__host_response_len" (func (param i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
