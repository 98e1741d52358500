;; SPDX-License-Identifier: Apache-2.0
;; three_imports: imports only 3 of the 9 waPC functions (in an unusual
;; order); answers "3:" followed by the payload, or fails on an empty payload.
(module
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "empty payload")  ;; 13
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.eqz (local.get $msg_len))
      (then (call $guest_error (i32.const 16) (i32.const 13)) (return (i32.const 0))))
    (if (i32.gt_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 0x8000))
      (then unreachable))
    (i32.store8 (i32.const 0x1000) (i32.const 0x33))
    (i32.store8 (i32.const 0x1001) (i32.const 0x3a))
    (call $guest_request (i32.add (i32.const 0x1002) (local.get $msg_len)) (i32.const 0x1002))
    (call $guest_response (i32.const 0x1000) (i32.add (local.get $msg_len) (i32.const 2)))
    (i32.const 1)))
