;; SPDX-License-Identifier: Apache-2.0
;; init_order: the start section, _start, _initialize and wapc_init each append
;; one letter (S, s, i, w) to a log; every call answers with the log, so the
;; expected answer is exactly "Ssiw" (each ran once, in this order).
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func $append (param $c i32)
    (if (i32.ge_u (global.get $n) (i32.const 64)) (then unreachable))
    (i32.store8 (i32.add (i32.const 256) (global.get $n)) (local.get $c))
    (global.set $n (i32.add (global.get $n) (i32.const 1))))
  (func $start_section (call $append (i32.const 0x53)))
  (start $start_section)
  (func (export "_start") (call $append (i32.const 0x73)))
  (func (export "_initialize") (call $append (i32.const 0x69)))
  (func (export "wapc_init") (call $append (i32.const 0x77)))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $guest_response (i32.const 256) (global.get $n))
    (i32.const 1)))
