;; SPDX-License-Identifier: Apache-2.0
;; init_wait: a guest whose wapc_init sleeps 10 s in poll_oneoff, for the
;; initialisation deadline and interrupts of a load. Its one operation answers
;; "ready".
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x40) "ready")
  (func (export "wapc_init")
    (i32.store8 (i32.const 0x208) (i32.const 0))              ;; tag: clock
    (i32.store (i32.const 0x210) (i32.const 1))               ;; clock id: monotonic
    (i64.store (i32.const 0x218) (i64.const 10000000000))     ;; 10 s
    (drop (call $poll_oneoff (i32.const 0x200) (i32.const 0x240) (i32.const 1) (i32.const 0x260))))
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $guest_response (i32.const 0x40) (i32.const 5))
    (i32.const 1))
)
