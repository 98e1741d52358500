;; SPDX-License-Identifier: Apache-2.0
;; Hot-swap target: imports only two of the nine functions; 'v' answers "v2", anything else echoes.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "v2")
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $need i32)
    (local.set $need (i32.add (i32.const 1024) (i32.add (local.get $op_len) (local.get $msg_len))))
    (if (i32.gt_u (local.get $need) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.div_u (local.get $need) (i32.const 65536)) (i32.const 1))))))
    (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))
    (if (i32.and (i32.eq (local.get $op_len) (i32.const 1)) (i32.eq (i32.load8_u (i32.const 1024)) (i32.const 118)))
      (then (call $guest_response (i32.const 0) (i32.const 2)) (return (i32.const 1))))
    (call $guest_response (i32.add (i32.const 1024) (local.get $op_len)) (local.get $msg_len))
    (i32.const 1)))
