;; SPDX-License-Identifier: Apache-2.0
;; hello_v2: the second version of examples/hello/hello.wat, for the hot-swap example.
;; Operation "hello" answers "Howdy, <payload>!"; any other operation fails
;; with a guest error. Rebuild hello_v2.wasm with: wat2wasm hello_v2.wat -o hello_v2.wasm
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")                      ;; 5
  (data (i32.const 32) "Howdy, ")                    ;; 7
  (data (i32.const 48) "unknown operation, try hello") ;; 28

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $need i64)
    (local $out i32)
    ;; layout from 1024: "Howdy, " payload "!" operation; grow memory to fit
    (local.set $need
      (i64.sub
        (i64.add (i64.const 1032)
          (i64.add (i64.extend_i32_u (local.get $op_len)) (i64.extend_i32_u (local.get $msg_len))))
        (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16))))
    (if (i64.gt_s (local.get $need) (i64.const 0))
      (then
        (if (i32.eq
              (memory.grow (i32.wrap_i64 (i64.shr_u (i64.add (local.get $need) (i64.const 65535)) (i64.const 16))))
              (i32.const -1))
          (then unreachable))))
    (local.set $out (i32.const 1024))
    ;; "Howdy, " plus one spare byte, which the payload then overwrites
    (i64.store (local.get $out) (i64.load (i32.const 32)))
    (call $guest_request
      (i32.add (local.get $out) (i32.add (local.get $msg_len) (i32.const 8)))
      (i32.add (local.get $out) (i32.const 7)))
    (if (i32.eqz (call $is_hello (i32.add (local.get $out) (i32.add (local.get $msg_len) (i32.const 8)))
                                 (local.get $op_len)))
      (then
        (call $guest_error (i32.const 48) (i32.const 28))
        (return (i32.const 0))))
    (i32.store8 (i32.add (local.get $out) (i32.add (local.get $msg_len) (i32.const 7))) (i32.const 0x21))
    (call $guest_response (local.get $out) (i32.add (local.get $msg_len) (i32.const 8)))
    (i32.const 1))

  (func $is_hello (param $p i32) (param $n i32) (result i32)
    (if (i32.ne (local.get $n) (i32.const 5)) (then (return (i32.const 0))))
    (i32.and
      (i32.eq (i32.load (local.get $p)) (i32.load (i32.const 16)))
      (i32.eq (i32.load8_u (i32.add (local.get $p) (i32.const 4))) (i32.load8_u (i32.const 20))))))
