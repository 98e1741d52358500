;; SPDX-License-Identifier: Apache-2.0
;; guard: runaway and over-size guests for the guardrail tests (issue 5). The
;; operation's first byte picks the behaviour; the request lands at op 0x100,
;; payload 0x1000 (at most 0x8000 bytes). N is the payload's first 4 bytes
;; (u32, little endian).
;;   l  infinite loop                 r  infinite recursion
;;   g  memory.grow 1 page until -1, answers the page count (u32 LE)
;;   t  table.grow 1000 until -1, answers the element count (u32 LE)
;;   c  answers the number of calls this instance has seen (u32 LE)
;;   u  unreachable                   e  answers the payload
;;   R  answers N bytes from 0        E  fails with an N-byte error
;;   L  logs N bytes                  H  host call with an N-byte payload
;;   s  spins N loop iterations, then answers "done"
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call"
    (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "memory") 2)
  (table $t 1 funcref)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 0x40) "request too large")
  (data (i32.const 0x60) "done")

  (func $recurse (param $n i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))

  (func $answer_u32 (param $v i32) (result i32)
    (i32.store (i32.const 0x80) (local.get $v))
    (call $guest_response (i32.const 0x80) (i32.const 4))
    (i32.const 1))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op i32)
    (local $n i32)
    (if (i32.or (i32.gt_u (local.get $op_len) (i32.const 0xf00))
                (i32.gt_u (local.get $msg_len) (i32.const 0x8000)))
      (then (call $guest_error (i32.const 0x40) (i32.const 17)) (return (i32.const 0))))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (call $guest_request (i32.const 0x100) (i32.const 0x1000))
    (local.set $op (i32.load8_u (i32.const 0x100)))
    (if (i32.ge_u (local.get $msg_len) (i32.const 4))
      (then (local.set $n (i32.load (i32.const 0x1000)))))
    (if (i32.eq (local.get $op) (i32.const 0x6c)) ;; l
      (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $op) (i32.const 0x72)) ;; r
      (then (return (call $recurse (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 0x67)) ;; g
      (then
        (block $full
          (loop $more
            (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
            (br $more)))
        (return (call $answer_u32 (memory.size)))))
    (if (i32.eq (local.get $op) (i32.const 0x74)) ;; t
      (then
        (block $full
          (loop $more
            (br_if $full (i32.eq (table.grow $t (ref.null func) (i32.const 1000)) (i32.const -1)))
            (br $more)))
        (return (call $answer_u32 (table.size $t)))))
    (if (i32.eq (local.get $op) (i32.const 0x63)) ;; c
      (then (return (call $answer_u32 (global.get $calls)))))
    (if (i32.eq (local.get $op) (i32.const 0x75)) ;; u
      (then unreachable))
    (if (i32.eq (local.get $op) (i32.const 0x65)) ;; e
      (then (call $guest_response (i32.const 0x1000) (local.get $msg_len)) (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 0x52)) ;; R
      (then (call $guest_response (i32.const 0) (local.get $n)) (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 0x45)) ;; E
      (then (call $guest_error (i32.const 0) (local.get $n)) (return (i32.const 0))))
    (if (i32.eq (local.get $op) (i32.const 0x4c)) ;; L
      (then (call $console_log (i32.const 0) (local.get $n)) (return (call $answer_u32 (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 0x48)) ;; H
      (then (drop (call $host_call (i32.const 0x60) (i32.const 4) (i32.const 0x60) (i32.const 4)
                                   (i32.const 0x60) (i32.const 4) (i32.const 0) (local.get $n)))
            (return (call $answer_u32 (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 0x73)) ;; s
      (then
        (block $done
          (loop $more
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $more)))
        (call $guest_response (i32.const 0x60) (i32.const 4))
        (return (i32.const 1))))
    (call $guest_error (i32.const 0x40) (i32.const 7))
    (i32.const 0)))
