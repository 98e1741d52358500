;; SPDX-License-Identifier: Apache-2.0
;; spin_command: a WASI command whose _start never returns (wapc run --timeout / --fuel must stop it).
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $forever (br $forever))))
