;; SPDX-License-Identifier: Apache-2.0
;; An empty data segment past the end of memory still traps (Wasm 2.0).
(module (memory 1) (data (i32.const 65537) ""))
