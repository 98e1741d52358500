;; SPDX-License-Identifier: Apache-2.0
;; start_section: the module's start function calls __console_log("start ran")
;; and stores "started!" at 64; every call answers with those 8 bytes, or with
;; nothing (an error) if the start function did not run.
(module
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "start ran")  ;; 9
  (global $ran (mut i32) (i32.const 0))
  (func $start
    (call $console_log (i32.const 16) (i32.const 9))
    (i64.store (i32.const 64) (i64.const 0x2164657472617473)) ;; "started!" little endian
    (global.set $ran (i32.const 1)))
  (start $start)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $guest_response (i32.const 64) (i32.shl (global.get $ran) (i32.const 3)))
    (i32.const 1)))
