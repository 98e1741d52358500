;; SPDX-License-Identifier: Apache-2.0
;; A start function that never returns: instantiation must be stoppable.
(module (func $s (loop $l (br $l))) (start $s))
