;; SPDX-License-Identifier: Apache-2.0
;; Bulk operations are interruption points: each 64 KiB fill costs 1,024 fuel units, so a loop of them
;; (or a chain of tail calls, which has no back edge) runs out of fuel after a few iterations.
(module
  (memory 1 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "fills")
    (loop $l
      (memory.fill (i32.const 0) (i32.const 7) (i32.const 65536))
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (br $l)))
  (func $copies (export "copies")
    (memory.copy (i32.const 0) (i32.const 1) (i32.const 65535))
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (return_call $copies))
  (func (export "count") (result i32) (global.get $n))
  (func (export "reset") (global.set $n (i32.const 0))))
