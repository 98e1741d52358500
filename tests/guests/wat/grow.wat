;; SPDX-License-Identifier: Apache-2.0
;; grow: grows memory inside the call and answers from the new region. The
;; request goes to the first byte of the pages this call added, so both the
;; host's copy-in and copy-out must use the memory size after growth.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $pages i32)
    (local $base i32)
    ;; pages for op + payload, plus one so the region is never empty
    (local.set $pages
      (i32.wrap_i64
        (i64.add (i64.const 1)
          (i64.shr_u
            (i64.add (i64.add (i64.extend_i32_u (local.get $op_len)) (i64.extend_i32_u (local.get $msg_len)))
                     (i64.const 65535))
            (i64.const 16)))))
    (local.set $base (memory.grow (local.get $pages)))
    (if (i32.eq (local.get $base) (i32.const -1)) (then unreachable))
    (local.set $base (i32.shl (local.get $base) (i32.const 16)))
    (call $guest_request (i32.add (local.get $base) (local.get $msg_len)) (local.get $base))
    (call $guest_response (local.get $base) (local.get $msg_len))
    (i32.const 1)))
