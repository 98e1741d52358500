;; SPDX-License-Identifier: Apache-2.0
;; Data segments run before the start function; its trap fails the instantiation
;; but the writes to the imported memory stay.
(module
  (import "env" "mem" (memory 1))
  (data (i32.const 8) "kept")
  (func $start unreachable)
  (start $start))
