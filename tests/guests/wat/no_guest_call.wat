;; SPDX-License-Identifier: Apache-2.0
;; no_guest_call: exports memory and a wapc_init that logs, but no
;; __guest_call; the host must reject it before wapc_init runs.
(module
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "wapc_init ran")
  (func (export "wapc_init") (call $console_log (i32.const 16) (i32.const 13)))
  (func (export "guest_call") (param i32 i32) (result i32) (i32.const 1)))
