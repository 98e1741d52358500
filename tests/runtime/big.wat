;; SPDX-License-Identifier: Apache-2.0
(module (memory (export "memory") 2))
