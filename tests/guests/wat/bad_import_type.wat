;; SPDX-License-Identifier: Apache-2.0
;; bad_import_type: imports __guest_response with the wrong signature.
(module
  (import "wapc" "__guest_response" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
