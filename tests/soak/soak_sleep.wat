;; SPDX-License-Identifier: Apache-2.0
;; soak sleep guest: sleeps through WASI poll_oneoff (one relative CLOCK_MONOTONIC subscription).
;; The operation's first byte picks what it does; the payload lands at 0x1000 (at most 0x8000 bytes).
;;   p  sleeps N ms (N: the payload's first 4 bytes, u32 LE), then answers "slept"; fails with
;;      "poll_oneoff failed" when poll_oneoff returns an error or no event
;;   c  answers how many calls this instance has seen, this one included (u32 LE)
;;   e  answers the payload
;; Anything else (or a larger request) fails with "bad request".
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 0x40) "slept")              ;; 5
  (data (i32.const 0x50) "poll_oneoff failed") ;; 18
  (data (i32.const 0x70) "bad request")        ;; 11

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op i32)
    (local $ms i32)
    (if (i32.or (i32.or (i32.eqz (local.get $op_len)) (i32.gt_u (local.get $op_len) (i32.const 0x200)))
                (i32.gt_u (local.get $msg_len) (i32.const 0x8000)))
      (then (call $guest_error (i32.const 0x70) (i32.const 11)) (return (i32.const 0))))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (call $guest_request (i32.const 0x800) (i32.const 0x1000))
    (local.set $op (i32.load8_u (i32.const 0x800)))

    (if (i32.eq (local.get $op) (i32.const 0x70)) ;; p
      (then
        (if (i32.ge_u (local.get $msg_len) (i32.const 4))
          (then (local.set $ms (i32.load (i32.const 0x1000)))))
        ;; subscription at 0x200 (48 bytes): userdata 7, tag 0 (clock), clock id 1 (monotonic),
        ;; timeout ms * 1e6 ns, precision 0, flags 0 (relative)
        (memory.fill (i32.const 0x200) (i32.const 0) (i32.const 48))
        (i64.store (i32.const 0x200) (i64.const 7))
        (i32.store (i32.const 0x210) (i32.const 1))
        (i64.store (i32.const 0x218) (i64.mul (i64.extend_i32_u (local.get $ms)) (i64.const 1000000)))
        (if (i32.or (call $poll_oneoff (i32.const 0x200) (i32.const 0x300) (i32.const 1) (i32.const 0x340))
                    (i32.ne (i32.load (i32.const 0x340)) (i32.const 1)))
          (then (call $guest_error (i32.const 0x50) (i32.const 18)) (return (i32.const 0))))
        (call $guest_response (i32.const 0x40) (i32.const 5))
        (return (i32.const 1))))

    (if (i32.eq (local.get $op) (i32.const 0x63)) ;; c
      (then
        (i32.store (i32.const 0x80) (global.get $calls))
        (call $guest_response (i32.const 0x80) (i32.const 4))
        (return (i32.const 1))))

    (if (i32.eq (local.get $op) (i32.const 0x65)) ;; e
      (then (call $guest_response (i32.const 0x1000) (local.get $msg_len)) (return (i32.const 1))))

    (call $guest_error (i32.const 0x70) (i32.const 11))
    (i32.const 0)))
