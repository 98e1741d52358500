;; SPDX-License-Identifier: Apache-2.0
;; init_loop: wapc_init never returns (the initialisation timeout must stop it).
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "wapc_init") (loop $forever (br $forever)))
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $guest_response (i32.const 0) (i32.const 0))
    (i32.const 1)))
