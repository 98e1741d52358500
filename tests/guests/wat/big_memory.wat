;; SPDX-License-Identifier: Apache-2.0
;; big_memory: starts with 100 pages (6.25 MiB); refused under --max-memory-pages below 100.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 100)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $guest_request (i32.const 0) (i32.const 0x100))
    (call $guest_response (i32.const 0x100) (local.get $msg_len))
    (i32.const 1)))
