;; SPDX-License-Identifier: Apache-2.0
;; invalid: well-formed binary that fails validation (an i64 result where the
;; signature says i32). Built with wat2wasm --no-check.
(module
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32) (i64.const 1)))
