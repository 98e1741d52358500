;; SPDX-License-Identifier: Apache-2.0
;; no_memory: has a memory but does not export it as "memory".
(module
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "mem") 1)
  (data (i32.const 16) "wapc_init ran")
  (func (export "wapc_init") (call $console_log (i32.const 16) (i32.const 13)))
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
