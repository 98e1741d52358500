;; SPDX-License-Identifier: Apache-2.0
;; env_import: imports env.abort like an AssemblyScript module built without
;; an abort handler; the host provides only "wapc".
(module
  (import "env" "abort" (func (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
