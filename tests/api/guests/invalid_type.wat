;; SPDX-License-Identifier: Apache-2.0
;; Fails validation (built with wat2wasm --no-check): i32.add with one operand.
(module
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32)
    i32.const 1
    i32.add))
