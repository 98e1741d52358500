;; SPDX-License-Identifier: Apache-2.0
;; f(n) calls the host with n; the host calls f(n-1) again through vm_invoke.
(module
  (import "env" "h" (func $h (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "f") (param $n i32) (result i32)
    (local $tmp i32)
    (local.set $tmp (i32.mul (local.get $n) (i32.const 3)))
    ;; keep a value live across the host call: it must survive the nested run
    (i32.add (call $h (local.get $n)) (i32.sub (local.get $tmp) (i32.mul (local.get $n) (i32.const 2)))))
  (func (export "boom") (param i32) (result i32) unreachable)
  (func (export "size_after_host") (param i32) (result i32)
    (drop (call $h (local.get 0)))
    (memory.size)))
