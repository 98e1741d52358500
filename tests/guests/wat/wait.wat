;; SPDX-License-Identifier: Apache-2.0
;; wait: a guest that waits inside host functions, for the tests of deadlines
;; and interrupts that must end every wait. The operation's first byte picks
;; the behaviour; the request lands at op 0x100, payload 0x1000 (at most
;; 0x8000 bytes). N is the payload's first 4 bytes (u32, little endian).
;;   s  sleeps N ms in poll_oneoff (one relative clock subscription), then
;;      answers "slept"
;;   a  the same with the clock's absolute time (now + N ms)
;;   r  reads fd 0 (up to 64 bytes) and answers what it read
;;   h  host call with the payload, then answers "after host"
;;   l  logs "log line", then answers "after log"
;;   e  answers the payload
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call"
    (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0x40) "request too large")
  (data (i32.const 0x60) "slept")
  (data (i32.const 0x68) "after host")
  (data (i32.const 0x78) "log line")
  (data (i32.const 0x88) "after log")
  (data (i32.const 0x98) "bind")
  (data (i32.const 0x9c) "ns")
  (data (i32.const 0xa0) "wait")
  (data (i32.const 0xb0) "poll failed")

  ;; Sleep `ms` ms on CLOCK_MONOTONIC (id 1); `abs`: an absolute subscription.
  ;; Subscription at 0x200 (48 bytes), event at 0x240 (32), nevents at 0x260.
  (func $sleep (param $ms i32) (param $abs i32) (result i32)
    (local $t i64)
    (local.set $t (i64.mul (i64.extend_i32_u (local.get $ms)) (i64.const 1000000)))
    (if (local.get $abs)
      (then
        (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 0x270)))
        (local.set $t (i64.add (local.get $t) (i64.load (i32.const 0x270))))))
    (i64.store (i32.const 0x200) (i64.const 7))           ;; userdata
    (i32.store8 (i32.const 0x208) (i32.const 0))          ;; tag: clock
    (i32.store (i32.const 0x210) (i32.const 1))           ;; clock id: monotonic
    (i64.store (i32.const 0x218) (local.get $t))          ;; timeout
    (i64.store (i32.const 0x220) (i64.const 0))           ;; precision
    (i32.store16 (i32.const 0x228) (local.get $abs))      ;; flags: 1 = absolute
    (call $poll_oneoff (i32.const 0x200) (i32.const 0x240) (i32.const 1) (i32.const 0x260)))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op i32)
    (local $n i32)
    (if (i32.or (i32.gt_u (local.get $op_len) (i32.const 0xf00))
                (i32.gt_u (local.get $msg_len) (i32.const 0x8000)))
      (then (call $guest_error (i32.const 0x40) (i32.const 17)) (return (i32.const 0))))
    (call $guest_request (i32.const 0x100) (i32.const 0x1000))
    (local.set $op (i32.load8_u (i32.const 0x100)))
    (if (i32.ge_u (local.get $msg_len) (i32.const 4))
      (then (local.set $n (i32.load (i32.const 0x1000)))))
    (if (i32.or (i32.eq (local.get $op) (i32.const 0x73))   ;; s
                (i32.eq (local.get $op) (i32.const 0x61)))  ;; a
      (then
        (if (call $sleep (local.get $n) (i32.eq (local.get $op) (i32.const 0x61)))
          (then (call $guest_error (i32.const 0xb0) (i32.const 11)) (return (i32.const 0))))
        (call $guest_response (i32.const 0x60) (i32.const 5))
        (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 0x72)) ;; r
      (then
        (i32.store (i32.const 0x280) (i32.const 0x300))  ;; iov.buf
        (i32.store (i32.const 0x284) (i32.const 64))     ;; iov.len
        (if (call $fd_read (i32.const 0) (i32.const 0x280) (i32.const 1) (i32.const 0x288))
          (then (call $guest_error (i32.const 0xb0) (i32.const 11)) (return (i32.const 0))))
        (call $guest_response (i32.const 0x300) (i32.load (i32.const 0x288)))
        (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 0x68)) ;; h
      (then
        (drop (call $host_call (i32.const 0x98) (i32.const 4) (i32.const 0x9c) (i32.const 2)
                               (i32.const 0xa0) (i32.const 4) (i32.const 0x1000) (local.get $msg_len)))
        (call $guest_response (i32.const 0x68) (i32.const 10))
        (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 0x6c)) ;; l
      (then
        (call $console_log (i32.const 0x78) (i32.const 8))
        (call $guest_response (i32.const 0x88) (i32.const 9))
        (return (i32.const 1))))
    (call $guest_response (i32.const 0x1000) (local.get $msg_len))
    (i32.const 1))
)
