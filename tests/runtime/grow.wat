;; SPDX-License-Identifier: Apache-2.0
(module
  (memory (export "memory") 1 4)
  (data (i32.const 0) "abc")
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))
