;; SPDX-License-Identifier: Apache-2.0
;; Initialisation order: the start section appends '1', _start '2', _initialize '3',
;; wapc_init '4' (after a host call with binding "init"); every call answers the sequence.
(module
  (import "wapc" "__console_log" (func $log (param i32 i32)))
  (import "wapc" "__host_call" (func $hc (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__guest_response" (func $resp (param i32 i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (data (i32.const 0) "startinit")
  (func $append (param $c i32)
    (i32.store8 (i32.add (i32.const 100) (global.get $n)) (local.get $c))
    (global.set $n (i32.add (global.get $n) (i32.const 1))))
  (func $start (call $log (i32.const 0) (i32.const 5)) (call $append (i32.const 49)))
  (start $start)
  (func (export "_start") (call $append (i32.const 50)))
  (func (export "_initialize") (call $append (i32.const 51)))
  (func (export "wapc_init")
    (drop (call $hc (i32.const 5) (i32.const 4) (i32.const 5) (i32.const 4) (i32.const 5) (i32.const 4)
                    (i32.const 0) (i32.const 0)))
    (call $append (i32.const 52)))
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $resp (i32.const 100) (global.get $n)) (i32.const 1)))
