;; SPDX-License-Identifier: Apache-2.0
;; spin: an example waPC guest for the deadline and interrupt example. Operation "spin" loops forever
;; (only a deadline, the fuel or an interrupt stops it); any other operation answers "pong".
;; Rebuild spin.wasm with: wat2wasm spin.wat -o spin.wasm
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "spin")
  (data (i32.const 32) "pong")
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.and (i32.eq (local.get $op_len) (i32.const 4)) (i32.le_u (local.get $msg_len) (i32.const 60000)))
      (then
        (call $guest_request (i32.const 1024) (i32.const 1028))
        (if (i32.eq (i32.load (i32.const 1024)) (i32.load (i32.const 16)))
          (then (loop $forever (br $forever))))))
    (call $guest_response (i32.const 32) (i32.const 4))
    (i32.const 1)))
