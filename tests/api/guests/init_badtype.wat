;; SPDX-License-Identifier: Apache-2.0
;; wapc_init with parameters: an initialisation failure naming the type.
(module
  (memory (export "memory") 1)
  (func (export "wapc_init") (param i32))
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
