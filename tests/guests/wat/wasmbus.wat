;; SPDX-License-Identifier: Apache-2.0
;; wasmbus: a wasmCloud 0.x-style actor, which imports the waPC functions from
;; module "wasmbus" instead of "wapc". Answers "hello " + payload, and "host:"
;; + the host's answer for operation "call" (a host call from wasmbus too).
(module
  (import "wasmbus" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wasmbus" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wasmbus" "__host_call"
    (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmbus" "__host_response_len" (func $host_response_len (result i32)))
  (import "wasmbus" "__host_response" (func $host_response (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "hello ")
  (data (i32.const 0x10) "host:")
  (data (i32.const 0x8) "b")
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $n i32)
    (if (i32.gt_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 30000))
      (then (return (i32.const 0))))
    ;; payload at 0x106 (after "hello "), operation at 0x8000
    (call $guest_request (i32.const 0x8000) (i32.const 0x106))
    (if (i32.and (i32.eq (local.get $op_len) (i32.const 4))
                 (i32.eq (i32.load (i32.const 0x8000)) (i32.const 0x6c6c6163))) ;; "call"
      (then
        (drop (call $host_call (i32.const 0x8) (i32.const 1) (i32.const 0x8) (i32.const 1)
                               (i32.const 0x8) (i32.const 1) (i32.const 0x106) (local.get $msg_len)))
        (local.set $n (call $host_response_len))
        (if (i32.gt_u (local.get $n) (i32.const 0xe0)) (then (return (i32.const 0))))
        (call $host_response (i32.const 0x15))
        (call $guest_response (i32.const 0x10) (i32.add (i32.const 5) (local.get $n)))
        (return (i32.const 1))))
    (call $guest_response (i32.const 0x100) (i32.add (i32.const 6) (local.get $msg_len)))
    (i32.const 1)))
