;; SPDX-License-Identifier: Apache-2.0
;; console: "log" writes the payload as a log line, an empty one, then
;; "second line", and answers "logged".
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "logged")       ;; 6
  (data (i32.const 32) "second line")  ;; 11
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.gt_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 0x8000))
      (then unreachable))
    (call $guest_request (i32.add (i32.const 0x1000) (local.get $msg_len)) (i32.const 0x1000))
    (call $console_log (i32.const 0x1000) (local.get $msg_len))
    (call $console_log (i32.const 0x1000) (i32.const 0))
    (call $console_log (i32.const 32) (i32.const 11))
    (call $guest_response (i32.const 16) (i32.const 6))
    (i32.const 1)))
