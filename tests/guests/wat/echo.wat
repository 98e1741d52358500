;; SPDX-License-Identifier: Apache-2.0
;; echo: answers every operation with the request payload. The request is read
;; at offset 1024; memory grows first when op + payload do not fit, so
;; multi-MiB payloads work from a one-page start.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $need i64)
    ;; bytes needed past the current end: 1024 + op + payload, in 64 bits
    (local.set $need
      (i64.sub
        (i64.add (i64.const 1024)
          (i64.add (i64.extend_i32_u (local.get $op_len)) (i64.extend_i32_u (local.get $msg_len))))
        (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16))))
    (if (i64.gt_s (local.get $need) (i64.const 0))
      (then
        (if (i32.eq
              (memory.grow (i32.wrap_i64 (i64.shr_u (i64.add (local.get $need) (i64.const 65535)) (i64.const 16))))
              (i32.const -1))
          (then unreachable))))
    ;; payload at 1024, operation right after it
    (call $guest_request (i32.add (i32.const 1024) (local.get $msg_len)) (i32.const 1024))
    (call $guest_response (i32.const 1024) (local.get $msg_len))
    (i32.const 1)))
