;; SPDX-License-Identifier: Apache-2.0
;; The API tests' main guest: imports all nine "wapc" functions and dispatches
;; on the first byte of the operation name (see the table in __guest_call).
;; The request lands at 65536 (op, then payload); memory grows to fit it.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "memory") 2)
  (global $counter (mut i32) (i32.const 0))
  ;; "bd"@0 "ns"@2 "op"@4 "Host error: "@6 (12 bytes) "v1"@18
  (data (i32.const 0) "bdnsopHost error: v1")

  ;; Grow memory so that [0, end) is addressable.
  (func $ensure (param $end i64)
    (local $have i64)
    (local.set $have (i64.mul (i64.extend_i32_u (memory.size)) (i64.const 65536)))
    (if (i64.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.wrap_i64 (i64.div_u
                (i64.add (i64.sub (local.get $end) (local.get $have)) (i64.const 65535))
                (i64.const 65536))))
              (i32.const -1))
          (then unreachable)))))

  (func $memsize (result i32) (i32.mul (memory.size) (i32.const 65536)))

  ;; Host call with the payload; respond with the host response, or fail with
  ;; "Host error: <host error>" like the guest SDKs do.
  (func $forward (param $msg i32) (param $len i32) (result i32)
    (local $n i32)
    (if (call $host_call (i32.const 0) (i32.const 2) (i32.const 2) (i32.const 2) (i32.const 4) (i32.const 2)
                         (local.get $msg) (local.get $len))
      (then
        (local.set $n (call $host_response_len))
        (call $ensure (i64.add (i64.extend_i32_u (local.get $msg)) (i64.extend_i32_u (local.get $n))))
        (call $host_response (local.get $msg))
        (call $guest_response (local.get $msg) (local.get $n))
        (return (i32.const 1))))
    (local.set $n (call $host_error_len))
    (call $ensure (i64.add (i64.extend_i32_u (local.get $msg)) (i64.extend_i32_u (i32.add (local.get $n) (i32.const 12)))))
    (memory.copy (local.get $msg) (i32.const 6) (i32.const 12))
    (call $host_error (i32.add (local.get $msg) (i32.const 12)))
    (call $guest_error (local.get $msg) (i32.add (local.get $n) (i32.const 12)))
    (i32.const 0))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op i32) (local $msg i32) (local $c i32) (local $dst i32)
    (local.set $op (i32.const 65536))
    (local.set $msg (i32.add (i32.const 65536) (local.get $op_len)))
    (call $ensure (i64.add (i64.extend_i32_u (local.get $msg)) (i64.extend_i32_u (local.get $msg_len))))
    (call $guest_request (local.get $op) (local.get $msg))
    (if (local.get $op_len) (then (local.set $c (i32.load8_u (local.get $op)))))

    ;; 'e' echo
    (if (i32.eq (local.get $c) (i32.const 101)) (then
      (call $guest_response (local.get $msg) (local.get $msg_len)) (return (i32.const 1))))
    ;; 'z' empty response
    (if (i32.eq (local.get $c) (i32.const 122)) (then
      (call $guest_response (i32.const 0) (i32.const 0)) (return (i32.const 1))))
    ;; 'h' host call round trip
    (if (i32.eq (local.get $c) (i32.const 104)) (then
      (return (call $forward (local.get $msg) (local.get $msg_len)))))
    ;; 'f' fail with the payload as error
    (if (i32.eq (local.get $c) (i32.const 102)) (then
      (call $guest_error (local.get $msg) (local.get $msg_len)) (return (i32.const 0))))
    ;; 'n' fail without an error
    (if (i32.eq (local.get $c) (i32.const 110)) (then (return (i32.const 0))))
    ;; 'r' succeed without a response
    (if (i32.eq (local.get $c) (i32.const 114)) (then (return (i32.const 1))))
    ;; 'o' succeed with only an error set
    (if (i32.eq (local.get $c) (i32.const 111)) (then
      (call $guest_error (local.get $msg) (local.get $msg_len)) (return (i32.const 1))))
    ;; 'u' set an error, then trap
    (if (i32.eq (local.get $c) (i32.const 117)) (then
      (call $guest_error (local.get $msg) (local.get $msg_len)) unreachable))
    ;; 'd' divide by zero
    (if (i32.eq (local.get $c) (i32.const 100)) (then
      (return (i32.div_u (i32.const 1) (local.get $msg_len)))))
    ;; 'l' console log the payload, empty response
    (if (i32.eq (local.get $c) (i32.const 108)) (then
      (call $console_log (local.get $msg) (local.get $msg_len))
      (call $guest_response (i32.const 0) (i32.const 0)) (return (i32.const 1))))
    ;; 'c' counter: increment, respond with its value as one byte
    (if (i32.eq (local.get $c) (i32.const 99)) (then
      (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
      (i32.store8 (i32.const 8192) (global.get $counter))
      (call $guest_response (i32.const 8192) (i32.const 1)) (return (i32.const 1))))
    ;; 'v' version
    (if (i32.eq (local.get $c) (i32.const 118)) (then
      (call $guest_response (i32.const 18) (i32.const 2)) (return (i32.const 1))))
    ;; 'g' grow memory by as much as the request needs, take the request again into the
    ;; new region, respond from there (the host must see the new size)
    (if (i32.eq (local.get $c) (i32.const 103)) (then
      (local.set $dst (i32.mul
        (memory.grow (i32.add (i32.div_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 65536))
                              (i32.const 1)))
        (i32.const 65536)))
      (call $guest_request (local.get $dst) (i32.add (local.get $dst) (local.get $op_len)))
      (call $guest_response (i32.add (local.get $dst) (local.get $op_len)) (local.get $msg_len))
      (return (i32.const 1))))
    ;; 'P' peek: respond with the 8 bytes at 4096
    (if (i32.eq (local.get $c) (i32.const 80)) (then
      (call $guest_response (i32.const 4096) (i32.const 8)) (return (i32.const 1))))

    ;; Out-of-range pointers and lengths, one per import (each must trap).
    ;; 'A' __guest_request: payload fits at 4096, op pointer out of range
    (if (i32.eq (local.get $c) (i32.const 65)) (then
      (call $guest_request (i32.const -1) (i32.const 4096)) (return (i32.const 1))))
    ;; 'B' __guest_request: payload runs past the end
    (if (i32.eq (local.get $c) (i32.const 66)) (then
      (call $guest_request (i32.const 4096) (i32.sub (call $memsize) (i32.const 1))) (return (i32.const 1))))
    ;; 'C' __guest_response at the end
    (if (i32.eq (local.get $c) (i32.const 67)) (then
      (call $guest_response (call $memsize) (i32.const 1)) (return (i32.const 1))))
    ;; 'D' __guest_response wrapping around 4 GiB
    (if (i32.eq (local.get $c) (i32.const 68)) (then
      (call $guest_response (i32.const -1) (i32.const 2)) (return (i32.const 1))))
    ;; 'E' __guest_error across the end
    (if (i32.eq (local.get $c) (i32.const 69)) (then
      (call $guest_error (i32.sub (call $memsize) (i32.const 1)) (i32.const 2)) (return (i32.const 0))))
    ;; 'F' __host_call: binding out of range
    (if (i32.eq (local.get $c) (i32.const 70)) (then
      (drop (call $host_call (i32.const -1) (i32.const 2) (i32.const 2) (i32.const 2) (i32.const 4) (i32.const 2)
                             (local.get $msg) (local.get $msg_len)))
      (return (i32.const 1))))
    ;; 'G' __host_call: payload length too large
    (if (i32.eq (local.get $c) (i32.const 71)) (then
      (drop (call $host_call (i32.const 0) (i32.const 2) (i32.const 2) (i32.const 2) (i32.const 4) (i32.const 2)
                             (local.get $msg) (i32.const -1)))
      (return (i32.const 1))))
    ;; 'K' __host_call: namespace out of range
    (if (i32.eq (local.get $c) (i32.const 75)) (then
      (drop (call $host_call (i32.const 0) (i32.const 2) (call $memsize) (i32.const 1) (i32.const 4) (i32.const 2)
                             (local.get $msg) (local.get $msg_len)))
      (return (i32.const 1))))
    ;; 'L' __host_call: operation out of range
    (if (i32.eq (local.get $c) (i32.const 76)) (then
      (drop (call $host_call (i32.const 0) (i32.const 2) (i32.const 2) (i32.const 2) (i32.const -2) (i32.const 4)
                             (local.get $msg) (local.get $msg_len)))
      (return (i32.const 1))))
    ;; 'H' __host_response into the last byte (the response is longer)
    (if (i32.eq (local.get $c) (i32.const 72)) (then
      (drop (call $host_call (i32.const 0) (i32.const 2) (i32.const 2) (i32.const 2) (i32.const 4) (i32.const 2)
                             (local.get $msg) (local.get $msg_len)))
      (call $host_response (i32.sub (call $memsize) (i32.const 1))) (return (i32.const 1))))
    ;; 'I' __host_error at the end (after a failed host call)
    (if (i32.eq (local.get $c) (i32.const 73)) (then
      (drop (call $host_call (i32.const 0) (i32.const 2) (i32.const 2) (i32.const 2) (i32.const 4) (i32.const 2)
                             (local.get $msg) (local.get $msg_len)))
      (call $host_error (call $memsize)) (return (i32.const 1))))
    ;; 'J' __console_log out of range
    (if (i32.eq (local.get $c) (i32.const 74)) (then
      (call $console_log (i32.const -1) (i32.const 1)) (return (i32.const 1))))

    ;; anything else: fail with the operation name
    (call $guest_error (local.get $op) (local.get $op_len))
    (i32.const 0))
)
