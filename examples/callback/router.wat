;; SPDX-License-Identifier: Apache-2.0
;; router: an example waPC guest that forwards every call to its host. The operation name is
;; "NAMESPACE:OPERATION"; the guest makes the host call (binding "example", NAMESPACE, OPERATION,
;; the payload) and answers with the host's response, or fails with "Host error: <the host's error>".
;; An operation without ':' fails with "want NAMESPACE:OPERATION".
;; Rebuild router.wasm with: wat2wasm router.wat -o router.wasm
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call"
    (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "example")                   ;; 7
  (data (i32.const 32) "Host error: ")              ;; 12
  (data (i32.const 48) "want NAMESPACE:OPERATION")  ;; 24

  ;; make [0, end) addressable, growing memory as needed
  (func $ensure (param $end i32)
    (local $have i32)
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have))
                                                     (i32.const 65535))
                                            (i32.const 16)))
                    (i32.const -1))
          (then unreachable)))))

  ;; request at 1024: operation, then payload; host response or error after both
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $msg i32) (local $out i32) (local $colon i32) (local $n i32)
    (local.set $msg (i32.add (i32.const 1024) (local.get $op_len)))
    (local.set $out (i32.add (local.get $msg) (local.get $msg_len)))
    (call $ensure (local.get $out))
    (call $guest_request (i32.const 1024) (local.get $msg))
    ;; find the first ':' of the operation
    (local.set $colon (i32.const -1))
    (block $found
      (loop $scan
        (br_if $found (i32.ge_u (local.get $n) (local.get $op_len)))
        (if (i32.eq (i32.load8_u (i32.add (i32.const 1024) (local.get $n))) (i32.const 58))
          (then (local.set $colon (local.get $n)) (br $found)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $scan)))
    (if (i32.lt_s (local.get $colon) (i32.const 0))
      (then
        (call $guest_error (i32.const 48) (i32.const 24))
        (return (i32.const 0))))
    (if (call $host_call
          (i32.const 16) (i32.const 7)
          (i32.const 1024) (local.get $colon)
          (i32.add (i32.const 1025) (local.get $colon))
          (i32.sub (local.get $op_len) (i32.add (local.get $colon) (i32.const 1)))
          (local.get $msg) (local.get $msg_len))
      (then
        (local.set $n (call $host_response_len))
        (call $ensure (i32.add (local.get $out) (local.get $n)))
        (call $host_response (local.get $out))
        (call $guest_response (local.get $out) (local.get $n))
        (return (i32.const 1))))
    ;; "Host error: " then the host's error
    (local.set $n (call $host_error_len))
    (call $ensure (i32.add (local.get $out) (i32.add (local.get $n) (i32.const 12))))
    (memory.copy (local.get $out) (i32.const 32) (i32.const 12))
    (call $host_error (i32.add (local.get $out) (i32.const 12)))
    (call $guest_error (local.get $out) (i32.add (local.get $n) (i32.const 12)))
    (i32.const 0)))
