;; SPDX-License-Identifier: Apache-2.0
;; No memory export: a link error before any init code runs.
(module
  (import "wapc" "__console_log" (func $log (param i32 i32)))
  (memory 1)
  (data (i32.const 0) "start ran")
  (func $start (call $log (i32.const 0) (i32.const 9)))
  (start $start)
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
