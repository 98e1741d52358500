;; SPDX-License-Identifier: Apache-2.0
;; unknown_import: imports a "wapc" function the host does not provide.
(module
  (import "wapc" "__guest_request" (func (param i32 i32)))
  (import "wapc" "__nope" (func (param i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
