;; SPDX-License-Identifier: Apache-2.0
;; Instantiation that traps part-way (spec linking.wast): the first element
;; segment is written, the second is out of bounds, so no data segment runs.
(module
  (import "env" "tab" (table 3 funcref))
  (import "env" "mem" (memory 1))
  (func $f)
  (elem (i32.const 0) $f)
  (elem (i32.const 2) $f $f)
  (data (i32.const 0) "never"))
