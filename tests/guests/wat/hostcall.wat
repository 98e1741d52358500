;; SPDX-License-Identifier: Apache-2.0
;; hostcall: round trip through __host_call with binding "test-binding",
;; namespace "test-ns" and the waPC operation name as the host operation.
;;   call  -> answers with the host response, or fails with
;;            "Host error: <host error>" as the SDKs do.
;;   lens  -> calls the host with payload "ok", then with the request payload,
;;            and answers with the host response and error lengths after the
;;            second call (two little-endian u32): the host must clear both.
;; The payload lives at 0x10000; everything after it is placed behind it and
;; memory grows as needed.
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
  (memory (export "memory") 2)
  (global $op_len (mut i32) (i32.const 0))
  (data (i32.const 0x1000) "test-binding")  ;; 12
  (data (i32.const 0x1020) "test-ns")       ;; 7
  (data (i32.const 0x1040) "Host error: ")  ;; 12
  (data (i32.const 0x1060) "call")          ;; 4
  (data (i32.const 0x1080) "lens")          ;; 4
  (data (i32.const 0x10a0) "ok")            ;; 2
  (data (i32.const 0x10c0) "unknown operation") ;; 17

  ;; grow memory so that [0, end) is addressable; traps when it cannot
  (func $ensure (param $end i64)
    (local $have i64)
    (local.set $have (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
    (if (i64.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq (memory.grow (i32.wrap_i64
                      (i64.shr_u (i64.add (i64.sub (local.get $end) (local.get $have)) (i64.const 65535))
                                 (i64.const 16))))
                    (i32.const -1))
          (then unreachable)))))

  (func $is (param $p i32) (param $n i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $n) (global.get $op_len)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.ne (i32.load8_u (i32.add (i32.const 0x100) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $p) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  (func $call_host (param $ptr i32) (param $len i32) (result i32)
    (call $host_call (i32.const 0x1000) (i32.const 12) (i32.const 0x1020) (i32.const 7)
                     (i32.const 0x100) (global.get $op_len) (local.get $ptr) (local.get $len)))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $out i32)
    (local $n i32)
    (local $i i32)
    (if (i32.gt_u (local.get $op_len) (i32.const 0xf00)) (then unreachable))
    (global.set $op_len (local.get $op_len))
    ;; output area: 16-byte aligned, 16 bytes after the payload
    (call $ensure (i64.add (i64.const 0x10020) (i64.extend_i32_u (local.get $msg_len))))
    (local.set $out (i32.and (i32.add (i32.add (i32.const 0x10000) (local.get $msg_len)) (i32.const 31))
                             (i32.const -16)))
    (call $guest_request (i32.const 0x100) (i32.const 0x10000))

    (if (call $is (i32.const 0x1060) (i32.const 4))
      (then
        (if (call $call_host (i32.const 0x10000) (local.get $msg_len))
          (then
            (local.set $n (call $host_response_len))
            (call $ensure (i64.add (i64.extend_i32_u (local.get $out)) (i64.extend_i32_u (local.get $n))))
            (call $host_response (local.get $out))
            (call $guest_response (local.get $out) (local.get $n))
            (return (i32.const 1))))
        (local.set $n (call $host_error_len))
        (call $ensure (i64.add (i64.extend_i32_u (local.get $out))
                               (i64.add (i64.const 12) (i64.extend_i32_u (local.get $n)))))
        (block $done
          (loop $copy
            (br_if $done (i32.ge_u (local.get $i) (i32.const 12)))
            (i32.store8 (i32.add (local.get $out) (local.get $i))
                        (i32.load8_u (i32.add (i32.const 0x1040) (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $copy)))
        (call $host_error (i32.add (local.get $out) (i32.const 12)))
        (call $guest_error (local.get $out) (i32.add (local.get $n) (i32.const 12)))
        (return (i32.const 0))))

    (if (call $is (i32.const 0x1080) (i32.const 4))
      (then
        (drop (call $call_host (i32.const 0x10a0) (i32.const 2)))
        (drop (call $call_host (i32.const 0x10000) (local.get $msg_len)))
        (i32.store (local.get $out) (call $host_response_len))
        (i32.store (i32.add (local.get $out) (i32.const 4)) (call $host_error_len))
        (call $guest_response (local.get $out) (i32.const 8))
        (return (i32.const 1))))

    (call $guest_error (i32.const 0x10c0) (i32.const 17))
    (i32.const 0)))
